package records

import (
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bindgate/bindgate/internal/errs"
)

// TestGroupCommitLinger: after a message of several parts the runner waits, at most what that
// message took and maxWait, for as many new changes as it answered, so writers that come back
// go together instead of trailing one by one; after a message of one part it waits for nothing.
func TestGroupCommitLinger(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		maxWait time.Duration
		next    []string // submitted one after the other once a and b are answered
		want    string
	}{
		{"the answered callers come back together", 5 * time.Millisecond, []string{"c", "d"},
			"[[first.ex.test.] [a.ex.test. b.ex.test.] [c.ex.test. d.ex.test.]]"},
		{"a caller that does not come back is not waited for longer than the message took", 5 * time.Millisecond, []string{"c"},
			"[[first.ex.test.] [a.ex.test. b.ex.test.] [c.ex.test.]]"},
		{"no lingering", 0, []string{"c", "d"},
			"[[first.ex.test.] [a.ex.test. b.ex.test.] [c.ex.test.] [d.ex.test.]]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				gate, entered := make(chan struct{}), make(chan struct{})
				f := &fakeDNS{gate: gate, entered: entered, delay: time.Millisecond}
				c := newCommitter(f, 1000, time.Second, nil)
				c.maxWait = tc.maxWait
				ctx := t.Context()
				errc := make(chan error, 8)
				submit := func(name string) *job {
					j := addJob(name + ".ex.test.")
					go func() { errc <- c.submit(ctx, "ex.test", j) }()
					return j
				}
				submit("first")
				<-entered // a message of one part is in flight
				waitQueued(t, c, "ex.test", submit("a"))
				waitQueued(t, c, "ex.test", submit("b"))
				close(gate)
				for range 3 {
					if err := <-errc; err != nil {
						t.Fatal(err)
					}
				}
				for _, n := range tc.next {
					submit(n)
					synctest.Wait() // lingering, or the message in flight
				}
				for range tc.next {
					if err := <-errc; err != nil {
						t.Fatal(err)
					}
				}
				c.close() // ends a linger still waiting for a caller that does not come back
				if got := fmt.Sprint(f.messages()); got != tc.want {
					t.Errorf("messages = %s, want %s", got, tc.want)
				}
			})
		})
	}
}

// TestGroupCommitLingerClose: closing the committer ends a linger at once, and the change
// queued during it fails with 503 like any change queued at close.
func TestGroupCommitLingerClose(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		gate, entered := make(chan struct{}), make(chan struct{})
		f := &fakeDNS{gate: gate, entered: entered, delay: time.Millisecond}
		c := newCommitter(f, 1000, time.Second, nil)
		c.maxWait = time.Hour
		ctx := t.Context()
		errc := make(chan error, 4)
		submit := func(name string) *job {
			j := addJob(name)
			go func() { errc <- c.submit(ctx, "ex.test", j) }()
			return j
		}
		submit("first.ex.test.")
		<-entered
		waitQueued(t, c, "ex.test", submit("a.ex.test."))
		waitQueued(t, c, "ex.test", submit("b.ex.test."))
		close(gate)
		for range 3 {
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		}
		waitQueued(t, c, "ex.test", submit("c.ex.test.")) // one of the two awaited
		start := time.Now()
		c.close()
		if d := time.Since(start); d != 0 {
			t.Errorf("close waited %v for the linger", d)
		}
		if err := <-errc; errs.KindOf(err) != errs.Unavailable || !errors.Is(err, errClosed) {
			t.Fatalf("err = %v, want 503 for shutting down", err)
		}
		if got := len(f.messages()); got != 2 {
			t.Errorf("%d messages sent, want 2", got)
		}
	})
}
