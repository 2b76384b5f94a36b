// Package keylock hands out one mutual-exclusion lock per key (a zone name), for the zone
// service's changes and the zone copy's fetches. Entries are reference counted and dropped
// when unused, so 10,000 idle zones cost nothing. Waiting honours the context, so a caller
// stuck behind a slow operation on the same key gives up in bounded time instead of hanging.
package keylock

import (
	"context"
	"sync"
)

// Locks is a set of per-key locks; the zero value is ready to use and safe for concurrent use.
type Locks struct {
	mu sync.Mutex
	m  map[string]*entry
}

type entry struct {
	ch   chan struct{} // holds one token while the key is locked
	refs int           // holders and waiters
}

// Lock waits for key's lock until ctx ends (returning ctx's error). unlock releases it; calling
// it more than once is harmless.
func (l *Locks) Lock(ctx context.Context, key string) (unlock func(), err error) {
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[string]*entry)
	}
	e := l.m[key]
	if e == nil {
		e = &entry{ch: make(chan struct{}, 1)}
		l.m[key] = e
	}
	e.refs++
	l.mu.Unlock()

	release := func() {
		l.mu.Lock()
		e.refs--
		if e.refs == 0 {
			delete(l.m, key)
		}
		l.mu.Unlock()
	}
	select {
	case e.ch <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-e.ch; release() }) }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}

// size is the number of keys locked or waited for (tests: idle keys cost nothing).
func (l *Locks) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}
