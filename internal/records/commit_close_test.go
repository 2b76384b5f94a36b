package records

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/errs"
)

// blockingDNS holds every update until its context ends, and says when one arrives.
type blockingDNS struct {
	fakeDNS
	entered chan struct{}
}

func (b *blockingDNS) Update(ctx context.Context, m *dns.Msg) error {
	b.entered <- struct{}{}
	<-ctx.Done()
	return ctx.Err()
}

func is503(err error) bool {
	return errs.Is(err, errs.Unavailable)
}

// TestCommitterClose: Close cancels the update in flight and fails the queued one, both with
// 503, returns only when the runner is gone, and later submits fail at once.
func TestCommitterClose(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := &blockingDNS{entered: make(chan struct{}, 1)}
		c := newCommitter(b, 1000, time.Hour, nil) // only Close can end the exchange
		first, queued := addJob("first.ex.test."), addJob("a.ex.test.")
		queued.msg.alone = true // never joins the first
		errs := make(chan error, 2)
		go func() { errs <- c.submit(t.Context(), "ex.test", first) }()
		<-b.entered
		go func() { errs <- c.submit(t.Context(), "ex.test", queued) }()
		waitQueued(t, c, "ex.test", queued)

		c.close() // returns after wg.Wait: no runner is left
		for range 2 {
			if err := <-errs; !is503(err) {
				t.Errorf("in-flight or queued job: err = %v, want 503", err)
			}
		}
		c.mu.Lock()
		n := len(c.queues)
		c.mu.Unlock()
		if n != 0 {
			t.Errorf("%d queues left after close", n)
		}
		err := c.submit(t.Context(), "ex.test", addJob("late.ex.test."))
		if !is503(err) || !errors.Is(err, errClosed) {
			t.Errorf("submit after close: err = %v, want 503 wrapping errClosed", err)
		}
		c.close() // idempotent
	})
}

// TestServiceClose: Service.Close stops the committer; a write after it is 503.
func TestServiceClose(t *testing.T) {
	t.Parallel()
	f := &fakeDNS{}
	s := &Service{dns: f, commit: newCommitter(f, 1000, time.Second, nil)}
	if err := s.commit.submit(t.Context(), "ex.test", addJob("before.ex.test.")); err != nil {
		t.Fatalf("submit before Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.commit.submit(t.Context(), "ex.test", addJob("after.ex.test.")); !is503(err) {
		t.Errorf("submit after Close: err = %v, want 503", err)
	}
	if got := f.messages(); len(got) != 1 {
		t.Errorf("messages = %v, want only the one before Close", got)
	}
}
