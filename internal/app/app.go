// Package app wires bindgate's parts into a running server: configuration in, an HTTP server
// out, and every goroutine it starts stopped before Run returns.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bindgate/bindgate/internal/api"
	"github.com/bindgate/bindgate/internal/auth"
	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/config"
	"github.com/bindgate/bindgate/internal/ddns"
	"github.com/bindgate/bindgate/internal/metrics"
	"github.com/bindgate/bindgate/internal/records"
	"github.com/bindgate/bindgate/internal/registry"
	"github.com/bindgate/bindgate/internal/rndc"
	"github.com/bindgate/bindgate/internal/zonefile"
	"github.com/bindgate/bindgate/internal/zones"
)

// Options are the parts of a run that do not come from configuration.
type Options struct {
	Version string
	Logger  *slog.Logger
	// Listener, when set, is used instead of listening on cfg.ListenAddr (tests, dev mode).
	Listener net.Listener
	// Ready, when set, is called once the API accepts connections, with its address.
	Ready func(addr string)
	// Reload, when set, re-reads the configuration; bindgate uses it to pick up a replaced
	// rndc key file (CONTRACT §14.3) every KeyCheckInterval and on SIGHUP.
	Reload func() (config.Config, error)
	// KeyCheckInterval defaults to 30 s.
	KeyCheckInterval time.Duration
}

// zoneCountInterval is how often bindcar_zones_managed is refreshed besides GET /zones
// ([fix] CONTRACT §17: bindcar refreshed it only on GET /zones).
const zoneCountInterval = 5 * time.Minute

// Run serves the API until ctx is done, then shuts down gracefully.
func Run(ctx context.Context, cfg config.Config, opt Options) error {
	log := opt.Logger
	if log == nil {
		log = slog.Default()
	}
	h, err := build(ctx, cfg, opt.Version, log)
	if err != nil {
		return err
	}
	defer h.close()
	wrapTLS, err := h.setupTLS(ctx, cfg, log)
	if err != nil {
		return err
	}

	ln := opt.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.ListenAddr); err != nil {
			return fmt.Errorf("listen on %s (BIND_API_ADDRESS/API_PORT): %w", cfg.ListenAddr, err)
		}
	}
	ln = wrapTLS(ln)
	srv := newServer(h.handler, log, defaultLimits())
	log.Info("bindgate serving", "addr", ln.Addr().String(), "version", opt.Version,
		"auth", cfg.AuthMode(), "zone_dir", cfg.ZoneDir, "state_dir", cfg.StateDir, "rndc", cfg.RNDC.Addr,
		"tls", onOff(cfg.TLS.CertFile != ""), "mtls", onOff(cfg.TLS.ClientCAFile != ""))

	bg, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { h.startupReconcile(bg, log) })
	wg.Go(func() { h.refreshZoneCount(bg, log) })
	if opt.Reload != nil {
		wg.Go(func() { h.watchKey(bg, log, opt.Reload, opt.KeyCheckInterval) })
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if opt.Ready != nil {
		opt.Ready(ln.Addr().String())
	}
	select {
	case err = <-errc:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
		<-errc
	}
	stop()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

type handle struct {
	key     atomic.Pointer[bindkey.Key] // the rndc key, swapped on reload
	tsig    atomic.Pointer[bindkey.Key] // the TSIG key of dynamic updates, swapped on reload
	reloads *prometheus.CounterVec
	handler http.Handler
	zones   *zones.Service
	metrics *metrics.Metrics
	closers []func() error
}

func (h *handle) close() {
	for i := len(h.closers) - 1; i >= 0; i-- {
		_ = h.closers[i]()
	}
}

// build constructs every part. It does not contact BIND (CONTRACT §14.3: startup does not).
func build(ctx context.Context, cfg config.Config, version string, log *slog.Logger) (*handle, error) {
	h := &handle{metrics: metrics.New(version)}
	fail := func(err error) (*handle, error) { h.close(); return nil, err }

	files, err := zonefile.OpenStore(cfg.ZoneDir)
	if err != nil {
		return fail(fmt.Errorf("BIND_ZONE_DIR %s: %w", cfg.ZoneDir, err))
	}
	h.closers = append(h.closers, files.Close)
	if err := files.CheckWritable(ctx); err != nil {
		return fail(fmt.Errorf("BIND_ZONE_DIR %s is not writable: %w", cfg.ZoneDir, err))
	}
	reg, err := registry.Open(ctx, cfg.StateDir)
	if err != nil {
		return fail(fmt.Errorf("BINDGATE_STATE_DIR %s: %w", cfg.StateDir, err))
	}
	h.closers = append(h.closers, reg.Close)

	key := cfg.RNDC.Key
	h.key.Store(&key)
	h.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bindgate_key_reloads_total", Help: "rndc key reloads by result (changed, failed).",
	}, []string{"result"})
	h.metrics.Registry.MustRegister(h.reloads)
	client, err := rndc.New(rndc.Config{
		Addr:    cfg.RNDC.Addr,
		Key:     func() bindkey.Key { return *h.key.Load() },
		Observe: h.metrics.ObserveRNDC,
	})
	if err != nil {
		return fail(fmt.Errorf("rndc client: %w", err))
	}
	h.closers = append(h.closers, client.Close)

	h.zones, err = zones.New(zones.Config{
		RNDC: client, Files: files, Registry: reg, Logger: log,
		OnZoneCount: h.metrics.SetZonesManaged,
		TransferKey: cfg.NSUpdate.Key.Name,
	})
	if err != nil {
		return fail(err)
	}
	tsig := cfg.NSUpdate.Key
	h.tsig.Store(&tsig)
	dnsClient, err := ddns.New(ddns.Config{
		Addr: cfg.NSUpdate.Addr,
		Key:  func() bindkey.Key { return *h.tsig.Load() },
		Observe: func(op string, d time.Duration, err error) {
			h.metrics.ObserveDNS(op, ddns.Class(err), d)
		},
	})
	if err != nil {
		return fail(fmt.Errorf("DNS update client: %w", err))
	}
	h.closers = append(h.closers, dnsClient.Close)
	recs, err := records.New(records.Config{
		DNS: dnsClient, RNDC: client, Logger: log,
		OnSend: func(parts, _ int, _ error) { h.metrics.ObserveBatch(parts) },
	})
	if err != nil {
		return fail(err)
	}
	authn, err := authenticator(cfg)
	if err != nil {
		return fail(err)
	}
	srv, err := api.New(api.Config{Zones: h.zones, Records: recs, Auth: authn, Metrics: h.metrics, Logger: log, Version: version})
	if err != nil {
		return fail(err)
	}
	h.handler = srv.Handler()
	return h, nil
}

func authenticator(cfg config.Config) (auth.Authenticator, error) {
	switch cfg.AuthMode() {
	case "disabled":
		return auth.NewNone(), nil
	case "token":
		return auth.NewStatic(cfg.Auth.Token.Reveal()), nil
	}
	// TokenReview arrives with the security issue; until then refuse to start rather than
	// run without authentication.
	return nil, errors.New("Kubernetes TokenReview authentication is not available in this build: set BIND_API_TOKEN " +
		"(shared-secret mode), or DISABLE_AUTH=true on a loopback address")
}

// startupReconcile re-adds registered zones BIND lost, retrying while BIND is unreachable
// (named may start after bindgate in the same pod).
func (h *handle) startupReconcile(ctx context.Context, log *slog.Logger) {
	backoff := 500 * time.Millisecond
	for {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		rep, err := h.zones.Reconcile(rctx)
		cancel()
		if err == nil {
			log.Info("startup reconcile done", "registered", rep.Registered, "present", rep.Present,
				"readded", len(rep.Readded), "failed", len(rep.Failed))
			h.metrics.Reconciled(len(rep.Readded), len(rep.Failed))
			return
		}
		log.Warn("startup reconcile: BIND not reachable yet; retrying", "err", err, "in", backoff.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

// watchKey re-reads the configuration every interval and on SIGHUP, and swaps in a changed
// rndc key: Kubernetes replaces a Secret volume's files in place, and named may be
// reconfigured with the new key before bindgate restarts. Pooled connections made with the old
// key are dropped by the client. A configuration that no longer loads keeps the current key
// (the error names the setting, never the secret).
func (h *handle) watchKey(ctx context.Context, log *slog.Logger, reload func() (config.Config, error), every time.Duration) {
	if every <= 0 {
		every = 30 * time.Second
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-hup:
		}
		cfg, err := reload()
		if err != nil {
			h.reloads.WithLabelValues("failed").Inc()
			log.Warn("rndc key reload failed; keeping the current key", "err", err)
			continue
		}
		if cur := h.key.Load(); !cfg.RNDC.Key.Equal(*cur) {
			k := cfg.RNDC.Key
			h.key.Store(&k)
			h.reloads.WithLabelValues("changed").Inc()
			log.Info("rndc key reloaded", "key", k)
		}
		if cur := h.tsig.Load(); !cfg.NSUpdate.Key.Equal(*cur) {
			k := cfg.NSUpdate.Key
			h.tsig.Store(&k)
			h.reloads.WithLabelValues("changed").Inc()
			log.Info("TSIG key for dynamic updates reloaded", "key", k)
		}
	}
}

func (h *handle) refreshZoneCount(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(zoneCountInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			lctx, cancel := context.WithTimeout(ctx, time.Minute)
			if _, err := h.zones.List(lctx); err != nil {
				log.Debug("periodic zone count failed", "err", err)
			}
			cancel()
		}
	}
}
