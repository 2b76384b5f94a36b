package app

import (
	"context"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/config"
	"github.com/bindgate/bindgate/internal/filewatch"
)

// Reload wiring: every watched file (keys, TLS, tokens, access) is a filewatch.Watcher. Each
// adds its Watch loop to handle.watchers and its Reload to handle.reloaders (handle.watch),
// which one SIGHUP fan-out calls; TLS runs its own Watch loop and adds only its Check.

// keyCheckInterval is how often the key files are checked when Options.KeyCheckInterval is 0.
const keyCheckInterval = 30 * time.Second

// keySet is the rndc key and the TSIG key of dynamic updates, reloaded together.
type keySet struct {
	rndc, tsig bindkey.Key
}

// keySource reads the files the keys came from (rndc.conf and its includes, key files,
// RNDC_SECRET_FILE, NSUPDATE_SECRET_FILE). Their hash only decides when to load: parse loads
// the whole configuration again, which resolves the keys exactly as at startup (docs/contract.md
// §14.3). filewatch never calls read and parse concurrently, so paths needs no lock.
type keySource struct {
	reload func() (config.Config, error)
	paths  []string
}

func keyFiles(cfg config.Config) []string {
	var out []string
	for _, p := range slices.Concat(cfg.RNDC.KeyFiles, cfg.NSUpdate.KeyFiles) {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func (s *keySource) read() ([]filewatch.File, error) { return filewatch.ReadFiles(s.paths...) }

// parse loads the configuration; the files it names are the ones read next time (an include
// added to rndc.conf is followed).
func (s *keySource) parse([]filewatch.File) (keySet, error) {
	cfg, err := s.reload()
	if err != nil {
		return keySet{}, err
	}
	s.paths = keyFiles(cfg)
	return keySet{rndc: cfg.RNDC.Key, tsig: cfg.NSUpdate.Key}, nil
}

// watchKeys returns the keys in use. With reload set they follow their files: Kubernetes
// replaces a Secret volume's files in place, and named may be reconfigured with the new key
// before bindgate restarts. Pooled connections made with the old key are dropped by the
// clients. A configuration that no longer loads keeps the current keys (the error names the
// setting, never the secret).
func (h *handle) watchKeys(ctx context.Context, cfg config.Config, reload func() (config.Config, error), every time.Duration, log *slog.Logger) (*filewatch.Watcher[keySet], error) {
	if reload == nil {
		return filewatch.Fixed(keySet{rndc: cfg.RNDC.Key, tsig: cfg.NSUpdate.Key}), nil
	}
	if every <= 0 {
		every = keyCheckInterval
	}
	src := &keySource{reload: reload, paths: keyFiles(cfg)}
	w, err := filewatch.New(ctx, filewatch.Config[keySet]{
		Name: "rndc and TSIG keys", Read: src.read, Parse: src.parse, Interval: every, Logger: log,
		OnResult: func(e filewatch.Event[keySet]) {
			if e.Result == filewatch.Failed {
				h.metrics.KeyReloaded(string(filewatch.Failed))
				return
			}
			if !e.New.rndc.Equal(e.Old.rndc) {
				h.metrics.KeyReloaded(string(filewatch.Changed))
				log.Info("rndc key reloaded", "key", e.New.rndc)
			}
			if !e.New.tsig.Equal(e.Old.tsig) {
				h.metrics.KeyReloaded(string(filewatch.Changed))
				log.Info("TSIG key for dynamic updates reloaded", "key", e.New.tsig)
			}
		},
	})
	if err != nil {
		return nil, err
	}
	h.watch(w)
	return w, nil
}

// watched is a part that follows its files: Watch runs for the life of the server, Reload on
// SIGHUP. A nil part (a file not configured) has nil-safe methods that do nothing.
type watched interface {
	Watch(ctx context.Context)
	Reload(ctx context.Context) (changed bool, err error)
}

// watch registers w's Watch loop and its Reload on SIGHUP; failures are logged and counted
// by w.
func (h *handle) watch(w watched) {
	h.watchers = append(h.watchers, w.Watch)
	h.reloaders = append(h.reloaders, func(ctx context.Context) { _, _ = w.Reload(ctx) })
}

// onHUP reloads every watched file on each signal from hup until ctx ends. Failures are
// logged and counted by each watcher.
func (h *handle) onHUP(ctx context.Context, hup <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			for _, r := range h.reloaders {
				r(ctx)
			}
		}
	}
}
