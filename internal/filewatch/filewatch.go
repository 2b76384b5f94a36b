// Package filewatch keeps a parsed configuration file current: it is re-read every interval,
// and swapped in when its content changed and still parses; a file that no longer parses keeps
// the current value and logs a warning. Reads go through the path each time, so Kubernetes
// Secret and ConfigMap volumes (symlink swaps) are followed.
package filewatch

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// File is a file parsed into a T. Get is safe for concurrent use with Reload and Watch.
type File[T any] struct {
	path  string
	what  string // names the file in errors and logs, e.g. "tokens file"
	parse func([]byte) (T, error)
	log   *slog.Logger
	cur   atomic.Pointer[T]

	mu   sync.Mutex // serialises reloads
	hash [sha256.Size]byte
}

// Load reads and parses path; an error names what and the path.
func Load[T any](path, what string, parse func([]byte) (T, error), log *slog.Logger) (*File[T], error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &File[T]{path: path, what: what, parse: parse, log: log}
	if _, err := f.Reload(); err != nil {
		return nil, err
	}
	return f, nil
}

// Fixed returns a File that always holds v and has nothing to reload.
func Fixed[T any](v T) *File[T] {
	f := &File[T]{}
	f.cur.Store(&v)
	return f
}

// Get returns the current value.
func (f *File[T]) Get() T { return *f.cur.Load() }

// Reload re-reads the file; changed reports a swap.
func (f *File[T]) Reload() (changed bool, err error) {
	if f.path == "" {
		return false, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := os.ReadFile(f.path)
	if err != nil {
		return false, fmt.Errorf("%s %s: %w", f.what, f.path, err)
	}
	h := sha256.Sum256(b)
	if h == f.hash && f.cur.Load() != nil {
		return false, nil
	}
	v, err := f.parse(b)
	if err != nil {
		return false, fmt.Errorf("%s %s: %w", f.what, f.path, err)
	}
	f.cur.Store(&v)
	f.hash = h
	return true, nil
}

// Watch calls Reload every interval until ctx ends, logging swaps and failures.
func (f *File[T]) Watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		switch changed, err := f.Reload(); {
		case err != nil:
			f.log.Warn(f.what+" reload failed; keeping the current one", "err", err)
		case changed:
			f.log.Info(f.what+" reloaded", "path", f.path)
		}
	}
}
