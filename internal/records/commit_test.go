package records

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/dnsclient"
	"github.com/bindgate/bindgate/internal/errs"
)

// fakeDNS records update messages; fail decides an error per message.
type fakeDNS struct {
	mu      sync.Mutex
	msgs    [][]string // owner names of each message's update section
	gate    chan struct{}
	entered chan struct{}
	fail    func(names []string) error
	// serialFails is how many Serial calls fail before one succeeds.
	serialFails int
	// delay is how long each update takes (on the synctest bubble's clock).
	delay time.Duration
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
	if f.delay > 0 {
		<-time.After(f.delay)
	}
	if f.fail != nil {
		return f.fail(names)
	}
	return nil
}

func (f *fakeDNS) Transfer(context.Context, string) ([]dns.RR, error)      { return nil, nil }
func (f *fakeDNS) Query(context.Context, string, uint16) ([]dns.RR, error) { return nil, nil }
func (f *fakeDNS) Serial(context.Context, string) (uint32, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.serialFails > 0 {
		f.serialFails--
		return 0, dnsclient.ErrTimeout
	}
	return 7, nil
}
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
	synctest.Test(t, func(t *testing.T) {
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
	})
}

// waitQueued waits until every goroutine of the test's synctest bubble is blocked and then
// checks that j sits in the zone's queue, so the test controls the order of the queue.
func waitQueued(t *testing.T, c *committer, zone string, j *job) {
	t.Helper()
	synctest.Wait()
	c.mu.Lock()
	q := c.queues[zone]
	in := q != nil && slices.Contains(q.pending, j)
	c.mu.Unlock()
	if !in {
		t.Fatal("job not queued")
	}
}

// TestGroupCommitSplitsOnPartFailure: a combined message refused for one part's prerequisite
// is resent part by part, so only that caller sees the failure.
func TestGroupCommitSplitsOnPartFailure(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		gate, entered := make(chan struct{}), make(chan struct{})
		f := &fakeDNS{gate: gate, entered: entered}
		f.fail = func(names []string) error {
			if slices.Contains(names, "bad.ex.test.") {
				return fmt.Errorf("update: %w", dnsclient.ErrPrereq)
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
			if wantErr := r.name == "bad.ex.test."; (r.err != nil) != wantErr || wantErr && !errors.Is(r.err, dnsclient.ErrPrereq) {
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
	})
}

// TestGroupCommitCanceled: a caller that leaves before its message is taken is never sent.
func TestGroupCommitCanceled(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
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
		synctest.Wait() // the runner has drained the queue and retired it
		c.mu.Lock()
		_, running := c.queues["ex.test"]
		c.mu.Unlock()
		if running {
			t.Error("the zone's queue outlived its last job")
		}
		if got := f.messages(); len(got) != 1 {
			t.Fatalf("messages = %v, want only the first", got)
		}
	})
}

// slowDNS never answers an update: it waits for the exchange's context, then reports on
// ended.
type slowDNS struct {
	fakeDNS
	ended chan struct{}
}

func (f *slowDNS) Update(ctx context.Context, _ *dns.Msg) error {
	<-ctx.Done()
	f.ended <- struct{}{}
	return ctx.Err()
}

// TestGroupCommitTimeouts: each exchange is bounded by the send timeout, whatever the caller
// waits; a caller that gives up while its message is in flight gets 503 at its own deadline.
func TestGroupCommitTimeouts(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := &slowDNS{ended: make(chan struct{}, 1)}
		c := newCommitter(f, 1000, 10*time.Second, nil)
		start := time.Now()
		err := c.submit(t.Context(), "ex.test", addJob("a.ex.test."))
		<-f.ended
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want the send timeout", err)
		}
		if d := time.Since(start); d != 10*time.Second {
			t.Errorf("the exchange ended after %v, want the send timeout of 10s", d)
		}

		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start = time.Now()
		err = c.submit(ctx, "ex.test", addJob("b.ex.test."))
		if errs.KindOf(err) != errs.Unavailable || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want 503 at the caller's deadline", err)
		}
		if d := time.Since(start); d != time.Second {
			t.Errorf("the caller waited %v, want its own 1s", d)
		}
		synctest.Wait() // the runner still holds the message until the send timeout
		c.mu.Lock()
		_, running := c.queues["ex.test"]
		c.mu.Unlock()
		if !running {
			t.Error("the in-flight message was abandoned before its send timeout")
		}
		<-f.ended // the bubble's clock moves on to the send timeout
		if d := time.Since(start); d != 10*time.Second {
			t.Errorf("the in-flight exchange ended after %v, want 10s", d)
		}
		synctest.Wait()
		c.mu.Lock()
		_, running = c.queues["ex.test"]
		c.mu.Unlock()
		if running {
			t.Error("the runner outlived the send timeout")
		}
	})
}

// TestGroupCommitSerial: the serial after an update is read once more when the first read
// fails; when the second fails too the caller gets errSerial (the update was applied).
func TestGroupCommitSerial(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fails  int
		serial uint32
		err    bool
	}{{0, 7, false}, {1, 7, false}, {2, 0, true}} {
		f := &fakeDNS{serialFails: tc.fails}
		c := newCommitter(f, 1000, time.Second, nil)
		j := addJob("a.ex.test.")
		j.wantSerial = true
		err := c.submit(t.Context(), "ex.test", j)
		if (err != nil) != tc.err || tc.err && !errors.Is(err, errSerial) || j.serial != tc.serial {
			t.Errorf("%d failed reads: serial %d, err %v; want %d, error %v", tc.fails, j.serial, err, tc.serial, tc.err)
		}
	}
}

// TestOverSize: overSize agrees with the compressed length, for messages that fit uncompressed,
// fit only compressed, and fit neither way, and leaves the message's Compress as it was.
func TestOverSize(t *testing.T) {
	t.Parallel()
	msg := func(n int, label string) *dns.Msg {
		m := new(dns.Msg)
		m.SetUpdate("example.test.")
		m.Compress = true
		for i := range n {
			m.Ns = append(m.Ns, &dns.A{Hdr: dns.RR_Header{Name: fmt.Sprintf("h%d.%s.example.test.", i, label),
				Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 300}, A: net.IPv4(192, 0, 2, 1)})
		}
		return m
	}
	long := strings.Repeat("a", 60) // a long shared suffix: compression saves most of each name
	tests := []struct {
		name string
		m    *dns.Msg
		over bool
	}{
		{"one record", msg(1, "x"), false},
		{"fits compressed only", msg(800, long), false},
		{"fits neither way", msg(5000, long), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, over := overSize(tt.m)
			if over != tt.over || over && n != tt.m.Len() {
				t.Errorf("overSize = %d, %v; want over %v (compressed length %d)", n, over, tt.over, tt.m.Len())
			}
			if !tt.m.Compress {
				t.Error("overSize left Compress off")
			}
			tt.m.Compress = false
			uncompressed := tt.m.Len()
			tt.m.Compress = true
			if tt.name == "fits compressed only" && uncompressed <= maxUpdateSize {
				t.Errorf("the case is wrong: %d bytes uncompressed fit", uncompressed)
			}
		})
	}
}

// TestUpperLen: upperLen is never below the uncompressed length of the message build makes,
// for messages with prerequisites, deletions and additions, names with escapes, and zones
// given with and without the final dot.
func TestUpperLen(t *testing.T) {
	t.Parallel()
	rrs := func(texts ...string) []dns.RR {
		var out []dns.RR
		for _, s := range texts {
			rr, err := dns.NewRR(s)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, rr)
		}
		return out
	}
	tests := []struct {
		name, zone string
		msgs       []*message
	}{
		{"one add", "example.test", []*message{{adds: rrs("www.example.test. 300 IN A 192.0.2.1")}}},
		{"fqdn zone", "example.test.", []*message{{adds: rrs("www.example.test. 300 IN A 192.0.2.1")}}},
		{"escapes", `we\.ird\065.test`, []*message{{adds: rrs(`a\.b.we\.ird\065.test. 300 IN TXT "x\"y"`)}}},
		{"all sections", "example.test", []*message{
			{prereq: rrs("www.example.test. 0 NONE A 192.0.2.1"),
				dels: []dns.RR{&dns.ANY{Hdr: dns.RR_Header{Name: "old.example.test.", Rrtype: dns.TypeA, Class: dns.ClassANY}}},
				adds: rrs("www.example.test. 300 IN MX 10 mail.example.test.")},
			{first: rrs("example.test. 300 IN NS ns2.example.test."), adds: rrs("ns2.example.test. 300 IN AAAA 2001:db8::2")},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var jobs []*job
			for _, m := range tt.msgs {
				jobs = append(jobs, &job{msg: m})
			}
			m := build(tt.zone, jobs...)
			m.Compress = false
			if got, exact := upperLen(tt.zone, jobs), m.Len(); got < exact {
				t.Errorf("upperLen = %d, below the message's %d bytes", got, exact)
			}
		})
	}
}
