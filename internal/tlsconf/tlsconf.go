package tlsconf

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/bindgate/bindgate/internal/filewatch"
)

// Results passed to Config.OnReload.
const (
	ResultChanged = string(filewatch.Changed) // a new set was loaded and is in use
	ResultFailed  = string(filewatch.Failed)  // the files changed but did not load; the previous set stays in use
)

// Config names the files and how often to look at them again.
type Config struct {
	CertFile, KeyFile string        // BIND_TLS_CERT, BIND_TLS_KEY: PEM, both required
	ClientCAFile      string        // BIND_TLS_CLIENT_CA: PEM; when set, clients must present a certificate
	ReloadInterval    time.Duration // BIND_TLS_RELOAD_INTERVAL: 0 = only on Check; else file events too
	// NoEvents leaves the checks to the interval (tests under testing/synctest).
	NoEvents bool
	// OnReload, when set, is called after each check that found changed files, with
	// ResultChanged or ResultFailed (a metrics hook). It must not block.
	OnReload func(result string)
}

// Reloader holds the certificate (and client CA pool) in use and replaces it when the files
// change, through filewatch. Its methods are safe for concurrent use.
type Reloader struct {
	cfg   Config
	paths [nFiles]string
	log   *slog.Logger
	w     *filewatch.Watcher[*bundle]

	stop context.CancelFunc
	wg   sync.WaitGroup
}

// New loads the files and fails when they do not form a usable set; the error names the
// setting and the file. With a ReloadInterval it checks the files again at that interval until
// ctx is done or Close is called. A nil log discards.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Reloader, error) {
	if cfg.CertFile == "" || cfg.KeyFile == "" {
		return nil, errors.New("tlsconf: " + SettingCert + " and " + SettingKey + " are both required")
	}
	if cfg.ReloadInterval < 0 {
		return nil, errors.New("tlsconf: negative reload interval")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := &Reloader{cfg: cfg, paths: [nFiles]string{cfg.CertFile, cfg.KeyFile, cfg.ClientCAFile}, log: log}
	w, err := filewatch.New(ctx, filewatch.Config[*bundle]{
		Name:     "TLS certificate",
		Read:     func() ([]filewatch.File, error) { return read(r.paths) },
		Parse:    func(f []filewatch.File) (*bundle, error) { return parse(r.paths, f) },
		Attrs:    r.attrs,
		Interval: cfg.ReloadInterval,
		NoEvents: cfg.NoEvents,
		Logger:   log,
		OnResult: func(e filewatch.Event[*bundle]) {
			if cfg.OnReload != nil {
				cfg.OnReload(string(e.Result))
			}
		},
	})
	if err != nil {
		// The FileError alone: it already names the setting and the file.
		if fe, ok := errors.AsType[*FileError](err); ok {
			return nil, fe
		}
		return nil, err
	}
	r.w = w
	log.Info("TLS certificate loaded", r.attrs(nil, w.Get())...)
	if cfg.ReloadInterval > 0 {
		ctx, r.stop = context.WithCancel(ctx)
		r.wg.Go(func() { w.Watch(ctx) })
	}
	return r, nil
}

// Close stops the periodic check and waits for it. The Reloader keeps serving the set in use.
// A nil *Reloader has nothing to stop.
func (r *Reloader) Close() error {
	if r == nil {
		return nil
	}
	if r.stop != nil {
		r.stop()
	}
	r.wg.Wait()
	return nil
}

// TLSConfig returns a server configuration: TLS 1.2 or later, the current certificate for every
// handshake, and with a client CA file, a required client certificate that must chain to the
// current CA pool. Build the listener with tls.NewListener: the mTLS pool is swapped through
// GetConfigForClient, which clones this Config as it is at handshake time, so changes made to
// a copy of it (http.Server.ServeTLS makes one) are not seen under mTLS.
func (r *Reloader) TLSConfig() *tls.Config {
	c := &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return r.w.Get().cert, nil
		},
	}
	if r.cfg.ClientCAFile == "" {
		return c
	}
	c.ClientAuth = tls.RequireAndVerifyClientCert
	c.ClientCAs = r.w.Get().clientCAs
	// No resumption under mTLS: a resumed session skips chain verification, so a client
	// certificate from a CA since removed from BIND_TLS_CLIENT_CA could go on being accepted
	// (golang/go#77217, CVE-2025-68121). bindy opens few connections; full handshakes are cheap.
	c.SessionTicketsDisabled = true
	c.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		pool := r.w.Get().clientCAs
		if pool == c.ClientCAs {
			return nil, nil // unchanged since TLSConfig: use c
		}
		hc := c.Clone()
		hc.GetConfigForClient = nil
		hc.ClientCAs = pool
		return hc, nil
	}
	return c
}

// Check reads the files now and swaps in a changed set that loads. It returns nil when nothing
// changed or the new set is in use, and the error (already logged, and reported to OnReload
// once per content) when the files changed but do not load; the set in use then stays. A nil
// *Reloader has nothing to check.
func (r *Reloader) Check(ctx context.Context) error {
	if r == nil {
		return nil
	}
	_, err := r.w.Reload(ctx)
	return err
}

// attrs describes a set for the log: public certificate facts and which files changed.
func (r *Reloader) attrs(prev, b *bundle) []any {
	leaf := b.cert.Leaf
	a := []any{"cert", r.paths[fileCert], "serial", leaf.SerialNumber.String(),
		"not_after", leaf.NotAfter.UTC().Format(time.RFC3339), "mtls", b.clientCAs != nil}
	if prev != nil {
		var changed []string
		for i := range nFiles {
			if b.sums[i] != prev.sums[i] {
				changed = append(changed, settings[i])
			}
		}
		a = append(a, "changed", strings.Join(changed, ","))
	}
	if now := time.Now(); now.After(leaf.NotAfter) || now.Before(leaf.NotBefore) {
		a = append(a, "warning", "the certificate is outside its validity period")
	}
	return a
}
