package records

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/ddns"
)

// fakeDNS records update messages; fail decides an error per message.
type fakeDNS struct {
	mu      sync.Mutex
	msgs    [][]string // owner names of each message's update section
	gate    chan struct{}
	entered chan struct{}
	fail    func(names []string) error
}

func (f *fakeDNS) Update(ctx context.Context, m *dns.Msg) error {
	var names []string
	for _, r := range m.Ns {
		names = append(names, r.Header().Name)
	}
	f.mu.Lock()
	f.msgs = append(f.msgs, names)
	gate, entered := f.gate, f.entered
	f.gate, f.entered = nil, nil // only the first message waits
	f.mu.Unlock()
	if entered != nil {
		close(entered)
	}
	if gate != nil {
		<-gate
	}
	if f.fail != nil {
		return f.fail(names)
	}
	return nil
}

func (f *fakeDNS) Transfer(context.Context, string) ([]dns.RR, error)      { return nil, nil }
func (f *fakeDNS) Query(context.Context, string, uint16) ([]dns.RR, error) { return nil, nil }
func (f *fakeDNS) Serial(context.Context, string) (uint32, error)          { return 7, nil }
func (f *fakeDNS) messages() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.msgs)
}

func addJob(name string) *job {
	r, _ := dns.NewRR(name + " 300 IN A 192.0.2.1")
	return &job{msg: &message{adds: []dns.RR{r}, names: []string{name}}}
}

// TestGroupCommit: while the first message is in flight the next ones queue and go in one
// message; names shared with a queued change, and zone-wide (alone) changes, end a batch.
func TestGroupCommit(t *testing.T) {
	t.Parallel()
	gate, entered := make(chan struct{}), make(chan struct{})
	f := &fakeDNS{gate: gate, entered: entered}
	c := newCommitter(f, 1000, time.Second, nil)
	ctx := t.Context()
	errs := make(chan error, 10)
	submit := func(j *job) { go func() { errs <- c.submit(ctx, "ex.test", j) }() }

	submit(addJob("first.ex.test."))
	<-entered // the first message is in flight
	jobs := []*job{addJob("a.ex.test."), addJob("b.ex.test."), addJob("a.ex.test."), addJob("c.ex.test.")}
	jobs[3].msg.alone = true
	for _, j := range jobs {
		submit(j)
		waitQueued(t, c, "ex.test", j)
	}
	close(gate)
	for range 5 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	got := f.messages()
	want := [][]string{{"first.ex.test."}, {"a.ex.test.", "b.ex.test."}, {"a.ex.test."}, {"c.ex.test."}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("messages = %v, want %v", got, want)
	}
}

// waitQueued waits (bounded) until j sits in the zone's queue, so the test controls order.
func waitQueued(t *testing.T, c *committer, zone string, j *job) {
	t.Helper()
	for range 1000 {
		c.mu.Lock()
		q := c.queues[zone]
		in := q != nil && slices.Contains(q.pending, j)
		c.mu.Unlock()
		if in {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("job never queued")
}

// TestGroupCommitSplitsOnPartFailure: a combined message refused for one part's prerequisite
// is resent part by part, so only that caller sees the failure.
func TestGroupCommitSplitsOnPartFailure(t *testing.T) {
	t.Parallel()
	gate, entered := make(chan struct{}), make(chan struct{})
	f := &fakeDNS{gate: gate, entered: entered}
	f.fail = func(names []string) error {
		if slices.Contains(names, "bad.ex.test.") {
			return fmt.Errorf("update: %w", ddns.ErrPrereq)
		}
		return nil
	}
	c := newCommitter(f, 1000, time.Second, nil)
	ctx := t.Context()
	type res struct {
		name string
		err  error
	}
	out := make(chan res, 4)
	submit := func(name string) *job {
		j := addJob(name)
		go func() { out <- res{name, c.submit(ctx, "ex.test", j)} }()
		return j
	}
	submit("first.ex.test.")
	<-entered
	for _, n := range []string{"good.ex.test.", "bad.ex.test.", "fine.ex.test."} {
		waitQueued(t, c, "ex.test", submit(n))
	}
	close(gate)
	for range 4 {
		r := <-out
		if wantErr := r.name == "bad.ex.test."; (r.err != nil) != wantErr || wantErr && !errors.Is(r.err, ddns.ErrPrereq) {
			t.Errorf("%s: err = %v", r.name, r.err)
		}
	}
	var flat []string
	for _, m := range f.messages() {
		flat = append(flat, strings.Join(m, "+"))
	}
	want := []string{"first.ex.test.", "good.ex.test.+bad.ex.test.+fine.ex.test.", "good.ex.test.", "bad.ex.test.", "fine.ex.test."}
	if !slices.Equal(flat, want) {
		t.Fatalf("messages = %q, want %q", flat, want)
	}
}

// TestGroupCommitCanceled: a caller that leaves before its message is taken is never sent.
func TestGroupCommitCanceled(t *testing.T) {
	t.Parallel()
	gate, entered := make(chan struct{}), make(chan struct{})
	f := &fakeDNS{gate: gate, entered: entered}
	c := newCommitter(f, 1000, time.Second, nil)
	done := make(chan error, 1)
	go func() { done <- c.submit(t.Context(), "ex.test", addJob("first.ex.test.")) }()
	<-entered
	ctx, cancel := context.WithCancel(t.Context())
	j := addJob("gone.ex.test.")
	errc := make(chan error, 1)
	go func() { errc <- c.submit(ctx, "ex.test", j) }()
	waitQueued(t, c, "ex.test", j)
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("canceled submit succeeded")
	}
	close(gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	c.close() // waits for the runner to drain
	if got := f.messages(); len(got) != 1 {
		t.Fatalf("messages = %v, want only the first", got)
	}
}
