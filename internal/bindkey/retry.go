package bindkey

import (
	"context"
	"sync"
)

// Switchable is how a client (rndc, DNS) takes part in a key rotation: Gate, when set, is held
// shared around each attempt (the key is read with it held), so a switch that holds it
// exclusively waits for attempts in flight and holds new ones back; Other, when set, is asked
// for another key after named refused the one an attempt used (called without Gate held, so it
// may switch keys itself).
type Switchable struct {
	Gate  *sync.RWMutex
	Other func(ctx context.Context, refused Key) (Key, bool)
}

// Do runs attempt with the current key (current() read with the gate held) and, when named
// refused that key (refused reports it) and Other offers another, once more with that key.
// first tells attempt whether it is the first try.
func Do[T any](ctx context.Context, s Switchable, current func() Key, refused func(err error, key Key) bool,
	attempt func(key Key, first bool) (T, error)) (T, error) {
	s.rlock()
	key := current()
	v, err := attempt(key, true)
	s.runlock()
	if err == nil || s.Other == nil || ctx.Err() != nil || !refused(err, key) {
		return v, err
	}
	alt, ok := s.Other(ctx, key)
	if !ok {
		return v, err
	}
	s.rlock()
	defer s.runlock()
	return attempt(alt, false)
}

func (s Switchable) rlock() {
	if s.Gate != nil {
		s.Gate.RLock()
	}
}

func (s Switchable) runlock() {
	if s.Gate != nil {
		s.Gate.RUnlock()
	}
}
