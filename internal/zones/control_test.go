package zones_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/dnsclient"
	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/registry"
	"github.com/bindgate/bindgate/internal/rndc"
	"github.com/bindgate/bindgate/internal/zones"
)

// fakeDNS stands in for named's DNS listener: it answers SOA serials for the zones it serves,
// SERVFAIL for the zones it has not loaded, REFUSED for everything else.
type fakeDNS struct {
	mu        sync.Mutex
	served    map[string]bool // zone -> loaded
	fail      error
	queries   atomic.Int64
	inFlight  atomic.Int64
	maxFlight atomic.Int64
}

func newFakeDNS() *fakeDNS { return &fakeDNS{served: map[string]bool{}} }

func (f *fakeDNS) serve(z string, loaded bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.served[z] = loaded
}

func (f *fakeDNS) drop(z string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.served, z)
}

func (f *fakeDNS) setFail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = err
}

func (f *fakeDNS) Serial(ctx context.Context, zone string) (uint32, error) {
	f.queries.Add(1)
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxFlight.Load()
		if n <= m || f.maxFlight.CompareAndSwap(m, n) {
			break
		}
	}
	f.mu.Lock()
	loaded, ok := f.served[zone]
	fail := f.fail
	f.mu.Unlock()
	switch {
	case fail != nil:
		return 0, fail
	case !ok:
		return 0, &dnsclient.Error{Op: "query", Zone: zone + ".", Rcode: dns.RcodeRefused, Kind: dnsclient.ErrNotZone}
	case !loaded:
		return 0, &dnsclient.Error{Op: "query", Zone: zone + ".", Rcode: dns.RcodeServerFailure, Kind: dnsclient.ErrServFail}
	}
	return 1, nil
}

// verbs counts the control messages the fake control channel received since the last call.
type verbs struct {
	f    *fixture
	seen int
}

func (v *verbs) since() map[string]int {
	cmds := v.f.srv.Commands()
	out := map[string]int{}
	for _, c := range cmds[v.seen:] {
		verb, _, _ := strings.Cut(c, " ")
		out[verb]++
	}
	v.seen = len(cmds)
	return out
}

// registerServed puts n zones in the registry, as bindgate's creates would have, and makes the
// fake DNS serve them.
func registerServed(t testing.TB, f *fixture, n int) {
	t.Helper()
	for i := range n {
		z := fmt.Sprintf("z%04d.test", i)
		block := fmt.Sprintf(`{ type primary; file "%s/%s.zone"; allow-update { key "k"; }; };`, f.dir, z)
		if err := f.reg.Put(t.Context(), registry.Entry{Zone: z, Type: "primary", Block: block}); err != nil {
			t.Fatal(err)
		}
		f.dns.serve(z, true)
	}
}

// TestControlMessagesPerOperation pins the rule of package rndc (issue 8 item 10): listing,
// counting, reconcile and readiness send no control message per zone, a registered zone's
// facts cost none, and each mutation sends a constant number, whatever the zone count.
func TestControlMessagesPerOperation(t *testing.T) {
	t.Parallel()
	counts := map[int]map[string]map[string]int{}
	for _, n := range []int{3, 300} {
		f := setup(t)
		f.srv.Handle("zonestatus", func(cmd string) rndc.Response {
			if strings.HasSuffix(cmd, " new.test") {
				return notFound(cmd)
			}
			return rndc.Response{Text: "type: primary\nreconfigurable via modzone: yes"}
		})
		f.srv.Handle("showzone", func(cmd string) rndc.Response {
			z := strings.Fields(cmd)[1]
			return rndc.Response{Text: `zone "` + z + `" { type primary; file "/z/` + z + `.zone"; };`}
		})
		registerServed(t, f, n)
		v := &verbs{f: f}
		got := map[string]map[string]int{}
		run := func(op string, fn func() error) {
			t.Helper()
			if err := fn(); err != nil {
				t.Fatalf("%d zones, %s: %v", n, op, err)
			}
			got[op] = v.since()
		}
		run("list", func() error {
			zs, err := f.svc.List(t.Context())
			if len(zs) != n {
				t.Errorf("%d zones: listed %d", n, len(zs))
			}
			return err
		})
		run("reconcile", func() error {
			rep, err := f.svc.Reconcile(t.Context())
			if rep.Present != n {
				t.Errorf("%d zones: reconcile present %d", n, rep.Present)
			}
			return err
		})
		run("ready", func() error {
			if c := f.svc.Ready(t.Context()); !c[1].OK {
				return fmt.Errorf("not ready: %v", c)
			}
			return nil
		})
		run("facts of a registered zone", func() error {
			fs, err := f.svc.Facts(t.Context(), "z0001.test")
			if want := (zones.Facts{Type: "primary", Updatable: true, Managed: true}); fs != want {
				t.Errorf("facts = %+v, want %+v", fs, want)
			}
			return err
		})
		run("create", func() error { _, err := f.svc.Create(t.Context(), primary("new.test")); return err })
		run("modify", func() error {
			_, err := f.svc.Modify(t.Context(), "z0002.test", zones.ModifyRequest{AlsoNotify: []string{"192.0.2.1"}})
			return err
		})
		run("delete", func() error { _, err := f.svc.Delete(t.Context(), "z0002.test"); return err })
		if got, max := f.dns.maxFlight.Load(), int64(zones.ProbeWorkers); got > max {
			t.Errorf("%d SOA queries in flight at once, want at most %d", got, max)
		}
		counts[n] = got
	}
	want := map[string]map[string]int{
		"list":                       {},
		"reconcile":                  {},
		"ready":                      {"status": 1},
		"facts of a registered zone": {},
		"create":                     {"addzone": 1},
		"modify":                     {"zonestatus": 1, "showzone": 1, "modzone": 1},
		"delete":                     {"delzone": 1},
	}
	for n, got := range counts {
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("control messages per operation with %d zones (-want +got):\n%s", n, diff)
		}
	}
}

// Reconcile spends control messages only on the zones that do not answer their SOA: a
// zonestatus each, and an addzone for those BIND does not know.
func TestReconcileAsksOnlyAboutLostZones(t *testing.T) {
	t.Parallel()
	f := setup(t)
	registerServed(t, f, 50)
	f.dns.drop("z0007.test")         // lost with named's NZD
	f.dns.serve("z0008.test", false) // configured, not loaded
	f.srv.Handle("zonestatus", func(cmd string) rndc.Response {
		if strings.HasSuffix(cmd, " z0007.test") {
			return notFound(cmd)
		}
		return rndc.Response{Result: 1, Err: "zone not loaded"}
	})
	// z0007's file is gone too: the registry holds no copy, so it is reported, not re-added.
	rep, err := f.svc.Reconcile(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Present != 49 || len(rep.Failed) != 1 || rep.Failed[0].Zone != "z0007.test" {
		t.Fatalf("report = %+v", rep)
	}
	if diff := cmp.Diff([]string{"zonestatus z0007.test", "zonestatus z0008.test"}, sortedCmds(f)); diff != "" {
		t.Errorf("control messages (-want +got):\n%s", diff)
	}
}

func sortedCmds(f *fixture) []string {
	c := f.srv.Commands()
	slices.Sort(c)
	return c
}

// A zone bindgate does not manage costs one showzone, reused until this service changes the
// zone; a PATCH is seen at once (issue 8 item 4), and a zone BIND does not know is never cached.
func TestFactsOfUnmanagedZone(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var mu sync.Mutex
	show := `zone "b.test" { type primary; file "/z/b.test.zone"; dnssec-policy none; };`
	f.srv.Handle("showzone", func(string) rndc.Response {
		mu.Lock()
		defer mu.Unlock()
		if show == "" {
			return rndc.Response{Result: 23, Err: "not found"}
		}
		return rndc.Response{Text: show}
	})
	f.srv.Handle("zonestatus", func(string) rndc.Response {
		return rndc.Response{Text: "type: primary\nreconfigurable via modzone: yes"}
	})
	v := &verbs{f: f}
	for range 3 {
		got, err := f.svc.Facts(t.Context(), "B.test.")
		if err != nil {
			t.Fatal(err)
		}
		if want := (zones.Facts{Type: "primary", DNSSECPolicy: "none"}); got != want || got.Signed() {
			t.Fatalf("facts = %+v, want %+v, unsigned", got, want)
		}
	}
	if diff := cmp.Diff(map[string]int{"showzone": 1}, v.since()); diff != "" {
		t.Errorf("three Facts calls (-want +got):\n%s", diff)
	}

	if _, err := f.svc.Modify(t.Context(), "b.test", zones.ModifyRequest{AllowUpdate: []string{"127.0.0.1"}}); err != nil {
		t.Fatal(err)
	}
	v.since()
	got, err := f.svc.Facts(t.Context(), "b.test")
	if err != nil || !got.Updatable {
		t.Fatalf("facts right after PATCH allowUpdate = %+v, %v; want updatable", got, err)
	}
	if c := v.since(); len(c) != 0 {
		t.Errorf("facts of a zone PATCH registered cost %v", c)
	}

	mu.Lock()
	show = ""
	mu.Unlock()
	if _, err := f.svc.Facts(t.Context(), "c.test"); kind(err) != errs.NotFound {
		t.Fatalf("unknown zone: %v, want NotFound", err)
	}
	if _, err := f.svc.RecheckFacts(t.Context(), "b.test"); kind(err) != errs.NotFound {
		t.Fatalf("recheck of a zone BIND lost: %v, want NotFound", err)
	}
}

// TestListTrustsRecentProbes: a listing answers from SOA queries made within the last 30 s
// (issue 13: 10,000 queries per listing at 10,000 zones), and asks named again after that, so a
// zone dropped behind bindgate's back leaves the listing within that time.
func TestListTrustsRecentProbes(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	f := setup(t, func(c *zones.Config) { c.Now = clock })
	registerServed(t, f, 50)
	list := func() []string {
		t.Helper()
		zs, err := f.svc.List(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return zs
	}
	if got := len(list()); got != 50 || f.dns.queries.Load() != 50 {
		t.Fatalf("first listing: %d zones, %d queries; want 50, 50", got, f.dns.queries.Load())
	}
	f.dns.drop("z0007.test")
	advance(29 * time.Second)
	if got := len(list()); got != 50 || f.dns.queries.Load() != 50 {
		t.Fatalf("listing within 30 s: %d zones, %d queries; want 50 from the last probes, no query", got, f.dns.queries.Load())
	}
	advance(2 * time.Second)
	zs := list()
	if len(zs) != 49 || slices.Contains(zs, "z0007.test") || f.dns.queries.Load() != 100 {
		t.Fatalf("listing after 31 s: %d zones (z0007 listed: %v), %d queries; want 49, false, 100",
			len(zs), slices.Contains(zs, "z0007.test"), f.dns.queries.Load())
	}
}
