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

// MaxKeyAttempts bounds the attempts of one Do: the current key, the other key, and newer keys
// when named moved on again while a retry was on its way (rotations close together).
const MaxKeyAttempts = 4

// Do runs attempt with the current key (current() read with the gate held) and, when named
// refused that key (refused reports it), retries with another key it has not tried yet: the
// key in use when the retry passes the gate, if a switch committed one since (it is the key
// named proved), else the one Other offers. A retry refused in turn is retried the same way:
// named can move on to a newer key (the next rotation, reloaded by named before bindgate
// noticed) while a retry is on its way or waits at the gate behind that rotation's switch.
// Each key is tried at most once, and at most MaxKeyAttempts in all. first tells attempt
// whether it is the first try.
func Do[T any](ctx context.Context, s Switchable, current func() Key, refused func(err error, key Key) bool,
	attempt func(key Key, first bool) (T, error)) (T, error) {
	s.rlock()
	key := current()
	v, err := attempt(key, true)
	s.runlock()
	tried := []Key{key}
	for len(tried) < MaxKeyAttempts {
		if err == nil || s.Other == nil || ctx.Err() != nil || !refused(err, key) {
			return v, err
		}
		alt, ok := s.Other(ctx, key)
		s.rlock()
		// Other answered without the gate: a switch may have committed since, while this
		// retry waited at the gate. Its key is fresher than Other's answer.
		if cur := current(); !hasKey(tried, cur) {
			alt, ok = cur, true
		}
		if !ok || hasKey(tried, alt) {
			s.runlock()
			return v, err
		}
		key = alt
		v, err = attempt(key, false)
		s.runlock()
		tried = append(tried, key)
	}
	return v, err
}

func hasKey(keys []Key, k Key) bool {
	for _, t := range keys {
		if t.Equal(k) {
			return true
		}
	}
	return false
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
