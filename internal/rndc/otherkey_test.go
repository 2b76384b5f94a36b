package rndc_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/rndc"
)

var nextKey = bindkey.Key{Name: "k", Algorithm: bindkey.HMACSHA256, Secret: []byte("next-key-0123456789abcdef0123456")}

// TestOtherKey: named moved to the next key on its own (a restart, or reconfig by someone
// else); a command refused for its key is sent once more with the key OtherKey gives, and a
// change dropped on a pooled connection runs exactly once.
func TestOtherKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, command string
		other         bool // OtherKey has a key to offer
		wantErr       error
	}{
		{"read-only command, fresh connection", "status", true, nil},
		{"change on a pooled connection", `addzone z.test { type primary; file "/x"; };`, true, nil},
		{"no other key", "status", false, rndc.ErrRejected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var asked atomic.Int32
			srv, c := fake(t, func(cfg *rndc.Config) {
				cfg.OtherKey = func(_ context.Context, refused bindkey.Key) (bindkey.Key, bool) {
					asked.Add(1)
					if !refused.Equal(fakeKey) {
						t.Errorf("OtherKey told of %v, want the key in use", refused)
					}
					return nextKey, tc.other
				}
			})
			if _, err := c.Do(t.Context(), "null"); err != nil { // a pooled connection
				t.Fatal(err)
			}
			srv.SetKey(nextKey)
			if _, err := c.Do(t.Context(), tc.command); !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if asked.Load() != 1 {
				t.Errorf("OtherKey asked %d times, want once", asked.Load())
			}
			n := 0
			for _, got := range srv.Commands() {
				if got == tc.command {
					n++
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tc.other]; n != want {
				t.Errorf("named ran the command %d times, want %d", n, want)
			}
		})
	}
}

// TestOtherKeyNotForOtherFailures: a command named answered (an error result) is never
// retried with another key.
func TestOtherKeyNotForOtherFailures(t *testing.T) {
	t.Parallel()
	srv, c := fake(t, func(cfg *rndc.Config) {
		cfg.OtherKey = func(context.Context, bindkey.Key) (bindkey.Key, bool) {
			t.Error("OtherKey asked for a command named answered")
			return nextKey, true
		}
	})
	srv.Responses(map[string]rndc.Response{"zonestatus": {Result: 1, Err: "not found"}})
	if _, err := c.Do(t.Context(), "zonestatus z.test"); !errors.Is(err, rndc.ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
}

// TestGate: while a key switch holds the gate, commands wait; they run with the key in use
// once it is released.
func TestGate(t *testing.T) {
	t.Parallel()
	var gate sync.RWMutex
	var key atomic.Pointer[bindkey.Key]
	key.Store(&fakeKey)
	srv, c := fake(t, func(cfg *rndc.Config) {
		cfg.Gate = &gate
		cfg.Key = func() bindkey.Key { return *key.Load() }
	})
	srv.StageKey(nextKey)
	gate.Lock()
	done := make(chan error, 1)
	go func() {
		_, err := c.Do(context.Background(), "status")
		done <- err
	}()
	// The switch, under the gate: reconfig with the old key, then prove the new one.
	old, err := rndc.New(rndc.Config{Addr: srv.Addr(), Key: func() bindkey.Key { return fakeKey }, MaxIdle: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if _, err := old.Do(t.Context(), "reconfig"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Fatalf("command ran during the switch: %v", err)
	default:
	}
	key.Store(&nextKey)
	gate.Unlock()
	if err := <-done; err != nil {
		t.Fatalf("after the switch: %v", err)
	}
}
