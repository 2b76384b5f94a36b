package tlsconf

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"

	// Aliased: the package's tests have a helper named config.
	bgconfig "github.com/bindgate/bindgate/internal/config"
)

// FromConfig builds the Reloader of the TLS section; it returns nil, which serves plaintext,
// when no certificate is set. onReload is Config.OnReload (a metrics hook, may be nil).
func FromConfig(ctx context.Context, cfg bgconfig.TLS, onReload func(result string), log *slog.Logger) (*Reloader, error) {
	if cfg.CertFile == "" {
		return nil, nil
	}
	return New(ctx, Config{
		CertFile: cfg.CertFile, KeyFile: cfg.KeyFile, ClientCAFile: cfg.ClientCAFile,
		ReloadInterval: cfg.ReloadInterval, OnReload: onReload,
	}, log)
}

// Listener wraps ln with TLSConfig, so that it serves TLS only: net/http answers a plaintext
// request on it with a 400 and closes the connection, before any handler (docs/contract.md §1). A nil
// *Reloader returns ln unchanged.
func (r *Reloader) Listener(ln net.Listener) net.Listener {
	if r == nil {
		return ln
	}
	return tls.NewListener(ln, r.TLSConfig())
}
