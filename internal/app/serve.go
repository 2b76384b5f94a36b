package app

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/bindgate/bindgate/internal/config"
	"github.com/bindgate/bindgate/internal/tlsconf"
)

// Limits on slow and oversized clients. They fit bindy's client, which gives a request 30 s
// and whose bodies are small (CONTRACT §1), and the 25 s within which bindgate answers.
const (
	readHeaderTimeout = 10 * time.Second  // request line and headers; also bounds the TLS handshake
	readTimeout       = 30 * time.Second  // the whole request, body included
	writeTimeout      = 35 * time.Second  // from the end of the headers to the end of the answer: 25 s plus slack
	idleTimeout       = 120 * time.Second // a kept-alive connection between requests
	maxHeaderBytes    = 64 << 10          // request line and headers; bindy sends a handful
)

// serverLimits are the http.Server timeouts and header cap; tests shrink them.
type serverLimits struct {
	ReadHeader, Read, Write, Idle time.Duration
	MaxHeaderBytes                int
}

func defaultLimits() serverLimits {
	return serverLimits{
		ReadHeader: readHeaderTimeout, Read: readTimeout, Write: writeTimeout, Idle: idleTimeout,
		MaxHeaderBytes: maxHeaderBytes,
	}
}

// newServer is the API's http.Server. Its errors, TLS handshake failures included, go to log
// at warning level.
func newServer(h http.Handler, log *slog.Logger, l serverLimits) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeader,
		ReadTimeout:       l.Read,
		WriteTimeout:      l.Write,
		IdleTimeout:       l.Idle,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// setupTLS loads BIND_TLS_CERT and BIND_TLS_KEY (and BIND_TLS_CLIENT_CA for mTLS) and returns
// what wraps the API listener: tls.NewListener with the reloading configuration, or the
// listener unchanged when TLS is off. The files are checked again every
// BIND_TLS_RELOAD_INTERVAL and on SIGHUP (CONTRACT §14.1); h.close stops both. Over TLS the
// port refuses plaintext: net/http answers an HTTP request on a TLS connection with a 400 and
// closes it, before any handler (CONTRACT §1).
func (h *handle) setupTLS(ctx context.Context, cfg config.Config, log *slog.Logger) (func(net.Listener) net.Listener, error) {
	if cfg.TLS.CertFile == "" {
		return func(ln net.Listener) net.Listener { return ln }, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	r, err := tlsconf.New(ctx, tlsconf.Config{
		CertFile: cfg.TLS.CertFile, KeyFile: cfg.TLS.KeyFile, ClientCAFile: cfg.TLS.ClientCAFile,
		ReloadInterval: cfg.TLS.ReloadInterval,
		OnReload:       h.metrics.TLSReloaded,
	}, log)
	if err != nil {
		cancel()
		return nil, err
	}
	h.reloaders = append(h.reloaders, func(ctx context.Context) { _ = r.Check(ctx) }) // logged and counted by the reloader
	h.closers = append(h.closers, func() error { cancel(); return r.Close() })
	conf := r.TLSConfig()
	return func(ln net.Listener) net.Listener { return tls.NewListener(ln, conf) }, nil
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}
