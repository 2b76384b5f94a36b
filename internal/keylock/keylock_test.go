package keylock

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

func TestLock(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var l Locks
		unlock, err := l.Lock(t.Context(), "a.test")
		if err != nil {
			t.Fatal(err)
		}
		// Another key is independent.
		other, err := l.Lock(t.Context(), "b.test")
		if err != nil {
			t.Fatal(err)
		}
		other()

		// The same key waits; a waiter whose context ends gives up with its error.
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if _, err := l.Lock(ctx, "a.test"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("second Lock of a held key: %v, want DeadlineExceeded", err)
		}

		got := make(chan struct{})
		go func() {
			u, err := l.Lock(t.Context(), "a.test")
			if err == nil {
				u()
			}
			close(got)
		}()
		synctest.Wait()
		select {
		case <-got:
			t.Fatal("a waiter got a held lock")
		default:
		}
		unlock()
		unlock() // harmless
		<-got
		if n := l.size(); n != 0 {
			t.Fatalf("%d entries left after every holder released", n)
		}
	})
}
