package filewatch

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// File is one file as read: its path and content. Data is nil for an optional file that is not
// configured.
type File struct {
	Path string
	Data []byte
}

// ReadFile reads path. Its error is the operation and the cause without the path (the
// *os.PathError layer is dropped), so callers name the file their own way, once.
func ReadFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if pe, ok := errors.AsType[*os.PathError](err); ok {
		err = fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return b, err
}

// ReadFiles reads paths in order; an empty path gives a File with no data. An error names the
// path.
func ReadFiles(paths ...string) ([]File, error) {
	out := make([]File, len(paths))
	for i, p := range paths {
		out[i].Path = p
		if p == "" {
			continue
		}
		b, err := ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out[i].Data = b
	}
	return out, nil
}

// Result is the outcome of a reload that found new content.
type Result string

// Results.
const (
	Changed Result = "changed" // the new value is in use
	Failed  Result = "failed"  // the files did not read, parse or switch; the old value stays
)

// Event describes a reload that found new content, for OnResult.
type Event[T any] struct {
	Result   Result
	Old, New T     // Changed: the value replaced and the one now in use
	Err      error // Failed: why
}

// Config describes one watched value.
type Config[T any] struct {
	// Name names the value in logs and errors, e.g. "tokens file".
	Name string
	// Read reads every file the value comes from, in a fixed order. The hash of what it returns
	// decides whether anything changed. Read and Parse are never called concurrently.
	Read func() ([]File, error)
	// Parse builds the value from what Read returned.
	Parse func([]File) (T, error)
	// Switch, when set, is called with the value in use and the new one instead of a plain
	// swap. It calls commit (at most once) to make new the value Get returns, at the moment
	// of its choosing (under a lock of its own, say); returning nil without calling commit
	// commits after it returns. An error keeps the value in use (commit must not have been
	// called), is logged and reported Failed once per content, and the same content is tried
	// again on the next Reload and by Watch after a backoff. It is where a change that must be
	// coordinated with someone else (named loading a new key) happens.
	Switch func(ctx context.Context, old, new T, commit func()) error
	// OnResult, when set, is called after each reload that found new content (metrics). It
	// must not block.
	OnResult func(Event[T])
	// Attrs, when set, adds log attributes describing a new value (never secrets).
	Attrs func(old, new T) []any
	// Interval is the period of Watch's re-read, the safety net behind file events; 0 leaves
	// reloads to file events and Reload.
	Interval time.Duration
	// NoEvents turns Watch's file events off (tests of the timer under testing/synctest,
	// where fsnotify's blocking reads would never let the bubble settle).
	NoEvents bool
	// Debounce is how long Watch waits after the last file event before reloading, so that a
	// rotation writing several files is read once; default 250 ms.
	Debounce time.Duration
	// RetryMin and RetryMax bound Watch's backoff after Switch refused a value; defaults 1 s
	// and 60 s.
	RetryMin, RetryMax time.Duration
	// Logger defaults to discarding.
	Logger *slog.Logger
}

// Watcher holds the current value of a set of files. Get is safe for concurrent use with
// Reload and Watch.
type Watcher[T any] struct {
	cfg Config[T]
	cur atomic.Pointer[T]

	mu     sync.Mutex // serialises reloads: the ticker and SIGHUP may overlap
	hash   [sha256.Size]byte
	paths  []string
	bad    [sha256.Size]byte // content that failed to parse, so it is reported once
	badErr error
	// content Switch refused, so it is reported once (and tried again every time)
	refused    [sha256.Size]byte
	refusedErr error
	switchFail bool // the last Reload's failure came from Switch: Watch retries with backoff
}

// New reads and parses the files; an error (naming cfg.Name) means there is no value to serve.
func New[T any](ctx context.Context, cfg Config[T]) (*Watcher[T], error) {
	if cfg.Read == nil || cfg.Parse == nil {
		return nil, errors.New("filewatch: Read and Parse are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	w := &Watcher[T]{cfg: cfg}
	files, h, err := w.read()
	if err != nil {
		return nil, err
	}
	v, err := w.parse(files)
	if err != nil {
		return nil, err
	}
	w.store(&v, files, h)
	return w, nil
}

// Fixed returns a Watcher that always holds v and has nothing to reload.
func Fixed[T any](v T) *Watcher[T] {
	w := &Watcher[T]{}
	w.cur.Store(&v)
	return w
}

// Get returns the current value.
func (w *Watcher[T]) Get() T { return *w.cur.Load() }

// Paths returns the files the current value was read from.
func (w *Watcher[T]) Paths() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.paths...)
}

// Reload reads the files now and swaps in changed content that parses (and that Switch
// accepts). changed reports a swap. err is nil when nothing changed or the new value is in
// use; otherwise it is the failure, already logged and reported once per content (a read
// failure, often a moment in a rotation, is reported every time).
func (w *Watcher[T]) Reload(ctx context.Context) (changed bool, err error) {
	if w.cfg.Read == nil {
		return false, nil // Fixed
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.switchFail = false
	files, h, err := w.read()
	if err != nil {
		w.failed(err)
		return false, err
	}
	if h == w.hash {
		return false, nil
	}
	if w.badErr != nil && h == w.bad {
		return false, w.badErr
	}
	v, err := w.parse(files)
	if err != nil {
		w.bad, w.badErr = h, err
		w.failed(err)
		return false, err
	}
	w.bad, w.badErr = [sha256.Size]byte{}, nil
	old := w.Get()
	committed := false
	commit := func() {
		if !committed {
			committed = true
			w.store(&v, files, h)
		}
	}
	w.switchFail = false
	if w.cfg.Switch != nil {
		if err := w.cfg.Switch(ctx, old, v, commit); err != nil && !committed {
			err = fmt.Errorf("%s: %w", w.cfg.Name, err)
			w.switchFail = true
			if h != w.refused || w.refusedErr == nil || w.refusedErr.Error() != err.Error() {
				w.refused, w.refusedErr = h, err
				w.failed(err)
			}
			return false, err
		}
	}
	commit()
	w.refused, w.refusedErr = [sha256.Size]byte{}, nil
	attrs := []any{"files", w.paths}
	if w.cfg.Attrs != nil {
		attrs = append(attrs, w.cfg.Attrs(old, v)...)
	}
	w.cfg.Logger.Info(w.cfg.Name+" reloaded", attrs...)
	w.report(Event[T]{Result: Changed, Old: old, New: v})
	return true, nil
}

// read reads the files and hashes paths and content together, so a file moving to another
// path is a change too.
func (w *Watcher[T]) read() ([]File, [sha256.Size]byte, error) {
	files, err := w.cfg.Read()
	if err != nil {
		return nil, [sha256.Size]byte{}, fmt.Errorf("%s: %w", w.cfg.Name, err)
	}
	d := sha256.New()
	for _, f := range files {
		fmt.Fprintf(d, "%d:%s:%d:", len(f.Path), f.Path, len(f.Data))
		d.Write(f.Data)
	}
	return files, [sha256.Size]byte(d.Sum(nil)), nil
}

func (w *Watcher[T]) parse(files []File) (T, error) {
	v, err := w.cfg.Parse(files)
	if err != nil {
		return v, fmt.Errorf("%s: %w", w.cfg.Name, err)
	}
	return v, nil
}

func (w *Watcher[T]) store(v *T, files []File, h [sha256.Size]byte) {
	w.cur.Store(v)
	w.hash = h
	w.paths = w.paths[:0]
	for _, f := range files {
		if f.Path != "" {
			w.paths = append(w.paths, f.Path)
		}
	}
}

func (w *Watcher[T]) failed(err error) {
	w.cfg.Logger.Warn(w.cfg.Name+" did not load; keeping the one in use", "err", err)
	w.report(Event[T]{Result: Failed, Err: err})
}

func (w *Watcher[T]) report(e Event[T]) {
	if w.cfg.OnResult != nil {
		w.cfg.OnResult(e)
	}
}

// OneFile is the Config of a value parsed from one file; errors name it and the path, e.g.
// "tokens file /etc/bindgate/tokens.json: no tokens".
func OneFile[T any](name, path string, parse func([]byte) (T, error)) Config[T] {
	return Config[T]{
		Name: name + " " + path,
		Read: func() ([]File, error) {
			b, err := ReadFile(path)
			return []File{{Path: path, Data: b}}, err
		},
		Parse: func(f []File) (T, error) { return parse(f[0].Data) },
	}
}
