package zonesync

import (
	"context"
	"sync"
)

// zoneLocks hands out one lock per zone name, reference counted so that idle zones cost
// nothing. Waiting honours the context.
type zoneLocks struct {
	mu sync.Mutex
	m  map[string]*zoneLock
}

type zoneLock struct {
	ch   chan struct{}
	refs int
}

func (l *zoneLocks) lock(ctx context.Context, zone string) (unlock func(), err error) {
	l.mu.Lock()
	e := l.m[zone]
	if e == nil {
		e = &zoneLock{ch: make(chan struct{}, 1)}
		l.m[zone] = e
	}
	e.refs++
	l.mu.Unlock()
	release := func() {
		l.mu.Lock()
		e.refs--
		if e.refs == 0 {
			delete(l.m, zone)
		}
		l.mu.Unlock()
	}
	select {
	case e.ch <- struct{}{}:
		var once sync.Once
		return func() {
			once.Do(func() {
				<-e.ch
				release()
			})
		}, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}
