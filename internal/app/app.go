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
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/bindgate/bindgate/internal/access"
	"github.com/bindgate/bindgate/internal/api"
	"github.com/bindgate/bindgate/internal/auth"
	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/config"
	"github.com/bindgate/bindgate/internal/dnsclient"
	"github.com/bindgate/bindgate/internal/filewatch"
	"github.com/bindgate/bindgate/internal/keyrot"
	"github.com/bindgate/bindgate/internal/metrics"
	"github.com/bindgate/bindgate/internal/pdnsapi"
	"github.com/bindgate/bindgate/internal/ratelimit"
	"github.com/bindgate/bindgate/internal/records"
	"github.com/bindgate/bindgate/internal/registry"
	"github.com/bindgate/bindgate/internal/rndc"
	"github.com/bindgate/bindgate/internal/tlsconf"
	"github.com/bindgate/bindgate/internal/webhook"
	"github.com/bindgate/bindgate/internal/zoneconf"
	"github.com/bindgate/bindgate/internal/zonecopy"
	"github.com/bindgate/bindgate/internal/zonefile"
	"github.com/bindgate/bindgate/internal/zones"
	"github.com/bindgate/bindgate/internal/zonesync"
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
	// rndc key file (docs/contract.md §14.3) when a key file changes (file events, a re-read
	// every KeyCheckInterval), on SIGHUP and on POST /api/v1/server/keys/reload, and drives
	// named onto it (package keyrot).
	Reload func() (config.Config, error)
	// KeyCheckInterval is the safety-net re-read of the key files; default 30 s.
	KeyCheckInterval time.Duration
	// NoCopy is for the benchmark that measures what the zone copy costs and saves (issue 9):
	// the records service neither records changes in the copy before answering nor reads
	// from it, as before the copy existed (RRsets and export by AXFR). The copy still follows
	// named by NOTIFY and the sweep. Never set it in production: a 2xx then no longer means
	// the change is in the durable copy.
	NoCopy bool
	// WebhookListener, when set, is used instead of listening on cfg.Webhook.Addr when the
	// ExternalDNS webhook is on (tests).
	WebhookListener net.Listener
}

// zoneCountInterval is how often bindcar_zones_managed is refreshed besides GET /zones
// ([fix] docs/contract.md §17: bindcar refreshed it only on GET /zones).
const zoneCountInterval = 5 * time.Minute

// Run serves the API until ctx is done, then shuts down gracefully. When it returns, every
// goroutine it started has ended and every part is closed; the error joins the serve error
// with every closer's error (the audit log's above all).
func Run(ctx context.Context, cfg config.Config, opt Options) error {
	start := time.Now()
	log := opt.Logger
	if log == nil {
		log = slog.Default()
	}
	// The one SIGHUP handler for every watched file, registered before anything can receive
	// the signal; a SIGHUP during startup waits in the channel for onHUP.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	h, err := build(ctx, cfg, opt, log)
	if err != nil {
		return err
	}
	h.started = start
	return h.serve(ctx, cfg, opt, log, hup)
}

// serve runs the server and the background loops until ctx is done, stops them all, then
// closes every part.
func (h *handle) serve(ctx context.Context, cfg config.Config, opt Options, log *slog.Logger, hup <-chan os.Signal) (err error) {
	defer func() { err = errors.Join(err, h.close(log)) }()
	ln := opt.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.ListenAddr); err != nil {
			return config.Errorf(config.SettingListenAddr, "listen on %s: %w", cfg.ListenAddr, err)
		}
	}
	ln = h.tls.Listener(ln)                      // unchanged without TLS
	wln, err := h.webhookListener(cfg, opt, log) // nil when the webhook is off
	if err != nil {
		_ = ln.Close()
		return err
	}
	srv := newServer(h.handler, log, defaultLimits())
	log.Info("bindgate serving", "addr", ln.Addr().String(), "version", opt.Version, "startup", time.Since(h.started).Round(time.Millisecond).String(),
		"auth", cfg.AuthMode(), "zone_dir", cfg.ZoneDir, "state_dir", cfg.StateDir, "rndc", cfg.RNDC.Addr,
		"tls", onOff(cfg.TLS.CertFile != ""), "mtls", onOff(cfg.TLS.ClientCAFile != ""))

	h.sync.Start() // stopped by its closer, before the DNS client closes
	bg, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	h.zones.StartupBegins(startupWait)
	fatal := make(chan error, 1)
	wg.Go(func() {
		h.startupReconcile(bg, log)
		h.zones.StartupDone()
		// The zone copies load after the reconcile, off the path to readiness (issue 13); a
		// zone used meanwhile loads its own copy first.
		if err := h.loadCopies(bg, log); err != nil {
			fatal <- err
			return
		}
		if bg.Err() != nil {
			return // shutting down: no sweep to start
		}
		// After the reconcile, whose SOA serials its first pass takes instead of asking again.
		h.sync.StartSweep(h.zones.SeenSerials())
		h.watchNamed(bg, log)
	})
	wg.Go(func() { h.refreshZoneCount(bg, log) })
	for _, w := range h.watchers {
		wg.Go(func() { w(bg) })
	}
	wg.Go(func() { h.onHUP(bg, hup) })

	errc := make(chan error, 1)
	wg.Go(func() { errc <- srv.Serve(ln) })
	if h.webhook != nil {
		wg.Go(func() { h.serveWebhook(wln, log) })
	}
	if opt.Ready != nil {
		opt.Ready(ln.Addr().String())
	}
	shutdown := func() error {
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		err := srv.Shutdown(sctx)
		if err != nil {
			// Requests still running past the deadline: cut their connections, which cancels
			// their contexts; records.Close then cancels any update they wait for.
			err = errors.Join(err, srv.Close())
		}
		<-errc
		return err
	}
	select {
	case err = <-errc:
	case <-ctx.Done():
		err = shutdown()
	case err = <-fatal:
		log.Error("stopping: a zone copy cannot be read", "err", err)
		err = errors.Join(err, shutdown())
	}
	h.stopWebhook(log)
	stop()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// shutdownTimeout bounds the wait for requests in flight at shutdown.
const shutdownTimeout = 30 * time.Second

type handle struct {
	keys    *filewatch.Watcher[keySet] // the rndc and TSIG keys, switched by rotator
	rotator *keyrot.Rotator
	tls     *tlsconf.Reloader // nil: plaintext
	handler http.Handler
	zones   *zones.Service
	sync    *zonesync.Syncer // keeps the zone copy current; started by serve
	copies  *zonecopy.Store  // loaded by serve, after the startup reconcile
	webhook *webhook.Server  // the ExternalDNS webhook; nil when off
	metrics *metrics.Metrics
	closers []func() error
	// watchers run for the life of the server (file reloads); reloaders run on SIGHUP.
	watchers  []func(ctx context.Context)
	reloaders []func(ctx context.Context)
	// restarted receives a value when readiness sees named's boot time change.
	restarted chan struct{}
	// healthInterval is how often watchNamed runs the readiness checks.
	healthInterval time.Duration
	// started is when Run began, for the startup figures in the log.
	started time.Time
}

// close runs the closers in reverse order of construction, logs each failure and returns
// them joined.
func (h *handle) close(log *slog.Logger) error {
	var errs []error
	for i := len(h.closers) - 1; i >= 0; i-- {
		if err := h.closers[i](); err != nil {
			log.Error("closing at shutdown failed", "err", err)
			errs = append(errs, err)
		}
	}
	h.closers = nil
	return errors.Join(errs...)
}

// build constructs every part, each from its configuration section and the parts it needs. It
// does not contact BIND (docs/contract.md §14.3: startup does not).
func build(ctx context.Context, cfg config.Config, opt Options, log *slog.Logger) (*handle, error) {
	h := &handle{metrics: metrics.New(opt.Version), restarted: make(chan struct{}, 1)}
	fail := func(err error) (*handle, error) { return nil, errors.Join(err, h.close(log)) }

	files, reg, copies, err := openStores(ctx, cfg, log)
	if files != nil {
		h.closers = append(h.closers, files.Close)
	}
	if reg != nil {
		h.closers = append(h.closers, reg.Close)
	}
	if copies != nil {
		h.closers = append(h.closers, copies.Close)
	}
	if err != nil {
		return fail(err)
	}
	h.copies = copies

	audit, err := api.OpenAudit(cfg.Access)
	if err != nil {
		return fail(err)
	}
	h.closers = append(h.closers, audit.Close) // its error reports audit lines lost: Run returns it
	if h.keys, h.rotator, err = h.watchKeys(ctx, cfg, opt, audit.Logger, log); err != nil {
		return fail(err)
	}
	// Both clients pass the rotator's gate and retry once with the other key (issue 10).
	client, err := rndc.New(rndc.Config{
		Addr:     cfg.RNDC.Addr,
		Key:      func() bindkey.Key { return h.keys.Get().RNDC },
		Gate:     h.rotator.Gate(),
		OtherKey: h.rotator.OtherRNDC,
		Observe:  h.metrics.ObserveRNDC,
	})
	if err != nil {
		return fail(fmt.Errorf("rndc client: %w", err))
	}
	h.closers = append(h.closers, client.Close)

	dnsClient, err := dnsclient.New(dnsclient.Config{
		Addr:     cfg.NSUpdate.Addr,
		Key:      func() bindkey.Key { return h.keys.Get().TSIG },
		Gate:     h.rotator.Gate(),
		OtherKey: h.rotator.OtherTSIG,
		// A zone listing sends zones.ProbeWorkers SOA queries at once, over UDP (no connection
		// per query, no TCP accept queue to overflow: issue 13); keep as many connections for
		// the queries that fall back to TCP.
		UDP:     true,
		MaxIdle: zones.ProbeWorkers,
		Observe: func(op string, d time.Duration, err error) {
			h.metrics.ObserveDNS(op, dnsclient.Class(err), d)
		},
	})
	if err != nil {
		return fail(fmt.Errorf("DNS update client: %w", err))
	}
	h.closers = append(h.closers, dnsClient.Close)
	// The syncer binds its NOTIFY listener now, so zones learn its real port; it is closed
	// before the copy store and the DNS client (closers run in reverse).
	h.sync, err = zonesync.New(zonesync.Config{
		NotifyAddr: cfg.Copy.NotifyAddr, Interval: cfg.Copy.SweepInterval, CompareInterval: compareInterval(cfg.Copy.CompareInterval),
		Key: func() bindkey.Key { return h.keys.Get().TSIG }, DNS: dnsClient, Copy: copies,
		Managed: func(z string) bool { _, ok := reg.Get(z); return ok },
		Zones:   reg.Zones,
		Logger:  log, OnError: h.metrics.CopyError, OnCheck: h.metrics.CopyChecked, OnCompare: h.metrics.CopyCompared,
	})
	if err != nil {
		return fail(config.Errorf(config.SettingNotifyAddr, "%w", err))
	}
	h.closers = append(h.closers, h.sync.Close)
	var selfNotify *zoneconf.NotifyTarget
	if a := h.sync.NotifyAddr(); a != nil && cfg.NSUpdate.Key.Name != "" {
		ip, _ := netip.AddrFromSlice(a.IP)
		selfNotify = &zoneconf.NotifyTarget{Endpoint: zoneconf.Endpoint{Addr: ip.Unmap(), Port: uint16(a.Port)}, Key: cfg.NSUpdate.Key.Name}
	}
	h.healthInterval = cfg.HealthInterval
	if h.healthInterval <= 0 {
		h.healthInterval = 10 * time.Second
	}
	h.zones, err = zones.New(zones.Config{
		RNDC: client, DNS: dnsClient, Files: files, Registry: reg, Logger: log,
		// Readiness results are cached at most 5 s (docs/contract.md §13), and never longer
		// than the background checks' period, so each of them sees a fresh `status`.
		ReadyTTL:    min(5*time.Second, h.healthInterval),
		Sync:        h.sync,
		OnZoneCount: h.metrics.SetZonesManaged,
		TransferKey: cfg.NSUpdate.Key.Name,
		Copies:      copies,
		// named restarted: reconcile at once (issue 9 item 3); a pending request is enough.
		OnNamedRestart: func() {
			select {
			case h.restarted <- struct{}{}:
			default:
			}
		},
		OnBookkeepingFailure: h.metrics.BookkeepingFailed,
		SelfNotify:           selfNotify,
		// A pass at 10,000 zones churns tens of MB through a heap of a few: hand the peak
		// back now rather than over minutes (issue 13: RSS at 10,000 zones). In the
		// background: the forced collection takes milliseconds, which neither the pass's
		// caller nor readiness (the startup pass) should wait for.
		AfterReconcile: func() { go debug.FreeOSMemory() },
	})
	if err != nil {
		return fail(err)
	}
	rc := records.Config{
		DNS: dnsClient, Zones: h.zones, Logger: log, History: copies, Copy: h.sync,
		OnSend: func(parts, _ int, _ error) { h.metrics.ObserveBatch(parts) },
	}
	if opt.NoCopy {
		rc.Copy = nil
	}
	recs, err := records.New(rc)
	if err != nil {
		return fail(err)
	}
	h.closers = append(h.closers, recs.Close) // runs before dnsClient.Close: no update outlives the client
	tokens, err := auth.OpenTokenFile(ctx, cfg.Access, log)
	if err != nil {
		return fail(err)
	}
	h.watch(tokens)
	authn, err := auth.New(cfg.Auth, auth.Options{Mode: cfg.AuthMode(), Logger: log, TokenFile: tokens})
	if err != nil {
		return fail(err)
	}
	if c, ok := authn.(interface{ Close() error }); ok {
		h.closers = append(h.closers, c.Close)
	}
	policy, err := access.New(ctx, cfg.Access, log)
	if err != nil {
		return fail(err)
	}
	h.watch(policy)
	if h.tls, err = tlsconf.FromConfig(ctx, cfg.TLS, h.metrics.TLSReloaded, log); err != nil {
		return fail(err)
	}
	h.closers = append(h.closers, h.tls.Close)
	h.reloaders = append(h.reloaders, func(ctx context.Context) { _ = h.tls.Check(ctx) }) // logged and counted by tlsconf
	// The PowerDNS-compatible API (issue 12); zones it creates accept updates with our TSIG key.
	pdns, err := pdnsapi.New(pdnsapi.Config{Zones: h.zones, Records: recs, Version: opt.Version,
		UpdateKey: func() string { return h.keys.Get().TSIG.Name }, Serial: copies.Serial})
	if err != nil {
		return fail(err)
	}
	srv, err := api.New(api.Config{
		Zones: h.zones, Records: recs, History: recs, Auth: authn, Metrics: h.metrics, Logger: log, Version: opt.Version,
		Access: policy, Limiter: ratelimit.FromConfig(cfg.RateLimit), Audit: audit.Logger,
		AllowedCIDRs: cfg.Access.AllowedCIDRs, MaxInFlight: cfg.Access.MaxInFlight,
		Keys: h.rotator, Docs: cfg.EnableDocs,
		PowerDNS: pdns,
	})
	if err != nil {
		return fail(err)
	}
	h.handler = srv.Handler()
	if cfg.Webhook.Enabled {
		if h.webhook, err = webhook.New(webhook.Config{
			Principal: cfg.Webhook.Principal, Domains: cfg.Webhook.Domains,
			Records: recs, Zones: h.zones, Access: policy, Audit: audit.Logger, Logger: log,
		}); err != nil {
			return fail(err)
		}
	}
	return h, nil
}

// openStores opens the zone directory, the registry and the zone copies side by side: they are
// independent, and each lists a directory of a file per zone, the registry reading every one
// (issue 13: one after the other they were 0.39 s of a restart at 10,000 zones, before the
// startup reconcile could begin). The copies open lazily: serve loads them once the startup
// reconcile is done (loadCopies). Those that opened are returned even when another failed, for
// the caller to close; the error is the first in that order.
func openStores(ctx context.Context, cfg config.Config, log *slog.Logger) (*zonefile.Store, *registry.Registry, *zonecopy.Store, error) {
	var (
		files                   *zonefile.Store
		reg                     *registry.Registry
		copies                  *zonecopy.Store
		filesErr, regErr, cpErr error
		wg                      sync.WaitGroup
	)
	wg.Go(func() {
		if files, filesErr = zonefile.OpenStore(cfg.ZoneDir); filesErr != nil {
			filesErr = config.Errorf(config.SettingZoneDir, "%s: %w", cfg.ZoneDir, filesErr)
		} else if err := files.CheckWritable(ctx); err != nil {
			filesErr = config.Errorf(config.SettingZoneDir, "%s is not writable: %w", cfg.ZoneDir, err)
		}
	})
	wg.Go(func() {
		if reg, regErr = registry.Open(ctx, cfg.StateDir); regErr != nil {
			regErr = config.Errorf(config.SettingStateDir, "%s: %w", cfg.StateDir, regErr)
		}
	})
	// The live copy of the zones' data and its change history (issue 9), beside the registry in
	// the state directory: restore reads it, the history and rollback routes too.
	wg.Go(func() {
		copies, cpErr = zonecopy.Open(ctx, zonecopy.Config{
			Dir:        filepath.Join(cfg.StateDir, "copies"),
			MaxChanges: cfg.History.MaxChanges,
			MaxAge:     historyAge(cfg.History.MaxAge),
			Logger:     log,
			Lazy:       true,
			MaxLoaded:  cfg.Copy.CacheZones,
		})
		if cpErr != nil {
			cpErr = config.Errorf(config.SettingStateDir, "%s: zone copies: %w", cfg.StateDir, cpErr)
		}
	})
	wg.Wait()
	for _, err := range []error{filesErr, regErr, cpErr} {
		if err != nil {
			return files, reg, copies, err
		}
	}
	return files, reg, copies, nil
}

// compareInterval maps BINDGATE_COPY_COMPARE_INTERVAL to zonesync's CompareInterval: 0
// ("never") is zonesync's negative, its 0 being "the default".
func compareInterval(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// historyAge maps BINDGATE_HISTORY_MAX_AGE to zonecopy's MaxAge: 0 ("by count only") is
// zonecopy's negative, its 0 being "the default".
func historyAge(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// startupWait bounds how long readiness waits for the startup reconcile (issue 9 item 3).
const startupWait = 5 * time.Minute

// watchNamed runs the readiness checks every BINDGATE_HEALTH_INTERVAL (default 10 s; they
// check that the state and zone directories take writes, and their `status` tells that named
// restarted) and reconciles whenever they saw named restart (its boot time changed), so zones
// a restarted named lost come back without a person calling reconcile.
func (h *handle) watchNamed(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(h.healthInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			h.zones.Ready(cctx)
			cancel()
		case <-h.restarted:
			rctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			rep, err := h.zones.Reconcile(rctx)
			cancel()
			if err != nil {
				log.Warn("reconcile after named restarted failed; the next restart or a manual reconcile retries", "err", err)
				continue
			}
			log.Info("reconcile after named restarted", "registered", rep.Registered, "present", rep.Present,
				"readded", len(rep.Readded), "failed", len(rep.Failed))
			h.metrics.Reconciled(len(rep.Readded), len(rep.Failed))
		}
	}
}

// startupReconcile re-adds registered zones BIND lost, retrying while BIND is unreachable
// (named may start after bindgate in the same pod).
func (h *handle) startupReconcile(ctx context.Context, log *slog.Logger) {
	backoff := 500 * time.Millisecond
	for {
		t0 := time.Now()
		rctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		rep, err := h.zones.Reconcile(rctx)
		cancel()
		if err == nil {
			log.Info("startup reconcile done", "registered", rep.Registered, "present", rep.Present,
				"readded", len(rep.Readded), "failed", len(rep.Failed), "took", time.Since(t0).Round(time.Millisecond).String())
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

// loadCopies loads every zone copy not loaded yet (zonecopy.Config.Lazy). A copy that cannot
// be read stops bindgate, as it stopped the start before copies loaded lazily: running on
// with a zone's data silently lost is what the copy exists to prevent (package zonecopy). Until
// then no change reaches that zone: its copy's writers and zonesync.Syncer.Hold fail. nil
// when ctx ended first.
func (h *handle) loadCopies(ctx context.Context, log *slog.Logger) error {
	t0 := time.Now()
	err := h.copies.LoadAll(ctx)
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("zone copies: %w", err)
	}
	log.Info("zone copies loaded", "took", time.Since(t0).Round(time.Millisecond).String())
	// Loading read every copy once, and the cache (BINDGATE_COPY_CACHE_ZONES) kept few of
	// them: the heap that held the others is garbage now, once. Returned to the system at
	// once, rather than by the runtime's background scavenger over the next minutes, it does
	// not stay in the resident set (issue 13: RSS at 10,000 zones).
	debug.FreeOSMemory()
	return nil
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
