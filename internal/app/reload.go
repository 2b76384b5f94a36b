package app

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/bindgate/bindgate/internal/config"
	"github.com/bindgate/bindgate/internal/filewatch"
	"github.com/bindgate/bindgate/internal/keyrot"
)

// Reload wiring: every watched file (keys, TLS, tokens, access) is a filewatch.Watcher. Each
// adds its Watch loop to handle.watchers and its Reload to handle.reloaders (handle.watch),
// which one SIGHUP fan-out calls; TLS runs its own Watch loop and adds only its Check.

// keyCheckInterval is how often the key files are re-read besides file events when
// Options.KeyCheckInterval is 0: the safety net behind fsnotify.
const keyCheckInterval = 30 * time.Second

// keySet is the rndc key and the TSIG key of dynamic updates, switched together by the
// rotator, and the files they were read from.
type keySet struct {
	keyrot.Set
	files []string
}

// keySource reads the files the keys came from (rndc.conf and its includes, key files,
// RNDC_SECRET_FILE, NSUPDATE_SECRET_FILE). Their hash only decides when to load: parse loads
// the whole configuration again, which resolves the keys exactly as at startup (docs/contract.md
// §14.3). filewatch never calls read, parse and OnResult concurrently, so paths needs no lock.
type keySource struct {
	reload func() (config.Config, error)
	paths  []string // the files of the keys in use: they change only with a committed switch
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

// parse loads the configuration. The files it names become the ones read only once the new
// keys are in use (OnResult): a rotation named refused keeps watching the files of the keys
// that work.
func (s *keySource) parse([]filewatch.File) (keySet, error) {
	cfg, err := s.reload()
	if err != nil {
		return keySet{}, err
	}
	return keySet{Set: keyrot.Set{RNDC: cfg.RNDC.Key, TSIG: cfg.NSUpdate.Key}, files: keyFiles(cfg)}, nil
}

// watchKeys returns the keys in use and the rotator that switches them. With reload set they
// follow their files (fsnotify plus a re-read every interval): a changed key is driven into
// named first (package keyrot: reconfig with the old key, prove the new one, switch both
// clients at once while requests wait). A configuration that no longer loads, or a weak key,
// keeps the current keys (the error names the setting, never the secret).
func (h *handle) watchKeys(ctx context.Context, cfg config.Config, opt Options, audit *slog.Logger, log *slog.Logger) (*filewatch.Watcher[keySet], *keyrot.Rotator, error) {
	initial := keySet{Set: keyrot.Set{RNDC: cfg.RNDC.Key, TSIG: cfg.NSUpdate.Key}, files: keyFiles(cfg)}
	rot, err := keyrot.New(keyrot.Config{
		Prober: keyrot.NewProber(cfg.RNDC.Addr, cfg.NSUpdate.Addr),
		Logger: log, Audit: audit,
		OnResult: func(result string, rndcKey, _ keyrot.Info) {
			h.metrics.KeyRotated(result)
			h.metrics.SetKeyInfo(rndcKey.Name, rndcKey.Algorithm, rndcKey.Fingerprint)
		},
	}, initial.Set)
	if err != nil {
		return nil, nil, err
	}
	st := rot.Status()
	h.metrics.SetKeyInfo(st.Key.Name, st.Key.Algorithm, st.Key.Fingerprint)
	if opt.Reload == nil {
		return filewatch.Fixed(initial), rot, nil
	}
	every := opt.KeyCheckInterval
	if every <= 0 {
		every = keyCheckInterval
	}
	src := &keySource{reload: opt.Reload, paths: initial.files}
	w, err := filewatch.New(ctx, filewatch.Config[keySet]{
		Name: "rndc and TSIG keys", Read: src.read, Parse: src.parse, Interval: every, Logger: log,
		Switch: func(ctx context.Context, old, nw keySet, commit func()) error {
			return rot.Switch(ctx, old.Set, nw.Set, commit)
		},
		OnResult: func(e filewatch.Event[keySet]) {
			if e.Result == filewatch.Changed {
				h.metrics.KeyReloaded(string(filewatch.Changed))
				src.paths = e.New.files
				return
			}
			h.metrics.KeyReloaded(string(filewatch.Failed))
			switch {
			case errors.Is(e.Err, keyrot.ErrPending), errors.Is(e.Err, keyrot.ErrFailed), errors.Is(e.Err, keyrot.ErrRenamed):
				// counted, logged and audited by the rotator
			case errors.Is(e.Err, fs.ErrNotExist), errors.Is(e.Err, fs.ErrPermission):
				// a file missing for a moment of a rotation: the next event or tick reads it
			default:
				rot.Refuse(e.Err) // does not parse, or a weak algorithm
			}
		},
	})
	if err != nil {
		return nil, nil, err
	}
	rot.Bind(w.Reload)
	h.watch(w)
	return w, rot, nil
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
