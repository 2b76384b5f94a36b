package records

import (
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/errs"
)

const apex = "ex.test."

func rr(t *testing.T, s string) dns.RR {
	t.Helper()
	r, err := dns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func set(t *testing.T, ttl uint32, texts ...string) *rrset {
	t.Helper()
	var rrs []dns.RR
	for _, s := range texts {
		rrs = append(rrs, rr(t, s))
	}
	return newRRset(keyOf(rrs[0]), ttl, rrs)
}

// section renders RRs as "CLASS TYPE name [data]" for comparison.
func section(rrs []dns.RR) []string {
	out := make([]string, len(rrs))
	for i, r := range rrs {
		h := r.Header()
		s := dns.ClassToString[h.Class] + " " + dns.TypeToString[h.Rrtype] + " " + h.Name
		if _, any := r.(*dns.ANY); !any {
			if v := strings.TrimSpace(strings.TrimPrefix(r.String(), h.String())); v != "" {
				s += " " + v
			}
		}
		out[i] = s
	}
	return out
}

func TestPlan(t *testing.T) {
	t.Parallel()
	a := func(t *testing.T) *rrset { return set(t, 300, "x.ex.test. 300 IN A 192.0.2.1") }
	tests := []struct {
		name    string
		live    func(t *testing.T) map[string]nameState
		changes func(t *testing.T) []change
		prereq  []string
		updates []string
		kind    errs.Kind // the error's kind; 0 (Internal) = success
		verify  int
	}{
		{
			name: "add beside unknown data is guarded against a CNAME",
			changes: func(t *testing.T) []change {
				s := a(t)
				return []change{{rrkey: s.rrkey, kind: kindAdd, set: s}}
			},
			prereq:  []string{"NONE CNAME x.ex.test."},
			updates: []string{"IN A x.ex.test. 192.0.2.1"},
		},
		{
			name: "CNAME on an empty name requires the name to stay unused",
			live: func(t *testing.T) map[string]nameState { return map[string]nameState{"x.ex.test.": {}} },
			changes: func(t *testing.T) []change {
				s := set(t, 300, "x.ex.test. 300 IN CNAME t.example.org.")
				return []change{{rrkey: s.rrkey, kind: kindAdd, set: s}}
			},
			prereq:  []string{"NONE ANY x.ex.test."},
			updates: []string{"IN CNAME x.ex.test. t.example.org."},
		},
		{
			name: "CNAME beside A is refused before sending",
			live: func(t *testing.T) map[string]nameState {
				return map[string]nameState{"x.ex.test.": {dns.TypeA: a(t)}}
			},
			changes: func(t *testing.T) []change {
				s := set(t, 300, "x.ex.test. 300 IN CNAME t.example.org.")
				return []change{{rrkey: s.rrkey, kind: kindReplace, set: s}}
			},
			kind: errs.Conflict,
		},
		{
			name: "MX to an in-zone target without address is refused before sending",
			live: func(t *testing.T) map[string]nameState {
				return map[string]nameState{"ex.test.": {}, "mx.ex.test.": {}}
			},
			changes: func(t *testing.T) []change {
				s := set(t, 300, "ex.test. 300 IN MX 10 mx.ex.test.")
				return []change{{rrkey: s.rrkey, kind: kindAdd, set: s}}
			},
			kind: errs.Conflict,
		},
		{
			name: "MX whose target gets its address in the same message",
			live: func(t *testing.T) map[string]nameState {
				return map[string]nameState{"ex.test.": {}, "mx.ex.test.": {}}
			},
			changes: func(t *testing.T) []change {
				mx := set(t, 300, "ex.test. 300 IN MX 10 mx.ex.test.")
				addr := set(t, 300, "mx.ex.test. 300 IN AAAA 2001:db8::25")
				return []change{{rrkey: mx.rrkey, kind: kindReplace, set: mx}, {rrkey: addr.rrkey, kind: kindReplace, set: addr}}
			},
			prereq:  []string{"NONE CNAME ex.test.", "NONE CNAME mx.ex.test."},
			updates: []string{"ANY MX ex.test.", "ANY AAAA mx.ex.test.", "IN MX ex.test. 10 mx.ex.test.", "IN AAAA mx.ex.test. 2001:db8::25"},
		},
		{
			name: "replace with the same data is no change",
			live: func(t *testing.T) map[string]nameState {
				return map[string]nameState{"x.ex.test.": {dns.TypeA: a(t)}}
			},
			changes: func(t *testing.T) []change {
				s := a(t)
				return []change{{rrkey: s.rrkey, kind: kindReplace, set: s}}
			},
		},
		{
			name: "A to CNAME swap: deletions first, verified after",
			live: func(t *testing.T) map[string]nameState {
				return map[string]nameState{"x.ex.test.": {dns.TypeA: a(t)}}
			},
			changes: func(t *testing.T) []change {
				c := set(t, 300, "x.ex.test. 300 IN CNAME t.example.org.")
				return []change{{rrkey: c.rrkey, kind: kindReplace, set: c}, {rrkey: rrkey{"x.ex.test.", dns.TypeA}, kind: kindDelete}}
			},
			updates: []string{"ANY CNAME x.ex.test.", "ANY A x.ex.test.", "IN CNAME x.ex.test. t.example.org."},
			verify:  2, // the CNAME is there, the A is gone
		},
		{
			name: "apex NS replaced: additions before the deletion of old records",
			live: func(t *testing.T) map[string]nameState {
				return map[string]nameState{apex: {dns.TypeNS: set(t, 300, "ex.test. 300 IN NS a.example.org.", "ex.test. 300 IN NS b.example.org.")}}
			},
			changes: func(t *testing.T) []change {
				s := set(t, 300, "ex.test. 300 IN NS b.example.org.", "ex.test. 300 IN NS c.example.org.")
				return []change{{rrkey: s.rrkey, kind: kindReplace, set: s}}
			},
			prereq:  []string{"IN NS ex.test. a.example.org.", "IN NS ex.test. b.example.org.", "NONE CNAME ex.test."},
			updates: []string{"IN NS ex.test. b.example.org.", "IN NS ex.test. c.example.org.", "NONE NS ex.test. a.example.org."},
		},
		{
			name: "removing the last apex NS is refused",
			live: func(t *testing.T) map[string]nameState {
				return map[string]nameState{apex: {dns.TypeNS: set(t, 300, "ex.test. 300 IN NS a.example.org.")}}
			},
			changes: func(t *testing.T) []change {
				s := set(t, 0, "ex.test. 0 IN NS a.example.org.")
				return []change{{rrkey: s.rrkey, kind: kindRemove, set: s}}
			},
			kind: errs.Conflict,
		},
		{
			name: "SOA is never written",
			changes: func(t *testing.T) []change {
				s := set(t, 300, "ex.test. 300 IN SOA a. b. 1 2 3 4 5")
				return []change{{rrkey: s.rrkey, kind: kindAdd, set: s}}
			},
			kind: errs.Invalid,
		},
		{
			name: "wildcard NS is refused as BIND would ignore it",
			changes: func(t *testing.T) []change {
				s := set(t, 300, "*.ex.test. 300 IN NS ns.example.org.")
				return []change{{rrkey: s.rrkey, kind: kindAdd, set: s}}
			},
			kind: errs.Conflict,
		},
		{
			name: "apex NS cannot be deleted",
			changes: func(t *testing.T) []change {
				return []change{{rrkey: rrkey{apex, dns.TypeNS}, kind: kindDelete}}
			},
			kind: errs.Invalid,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := &planner{apex: apex, live: map[string]nameState{}}
			if tc.live != nil {
				p.live = tc.live(t)
			}
			m, _, err := p.plan(tc.changes(t))
			if tc.kind != errs.Internal {
				if !errs.Is(err, tc.kind) {
					t.Fatalf("err = %v, want kind %v", err, tc.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := section(m.prereq); strings.Join(got, "|") != strings.Join(tc.prereq, "|") {
				t.Errorf("prereq = %q, want %q", got, tc.prereq)
			}
			if got := section(m.updates()); strings.Join(got, "|") != strings.Join(tc.updates, "|") {
				t.Errorf("updates = %q, want %q", got, tc.updates)
			}
			if got := len(m.verify) + len(m.gone); got != tc.verify {
				t.Errorf("%d checks after the update, want %d", got, tc.verify)
			}
		})
	}
}

func TestCanonicalOrder(t *testing.T) {
	t.Parallel()
	names := []string{"b.ex.test.", "ex.test.", "a.b.ex.test.", "z.ex.test.", "*.ex.test."}
	sets := map[rrkey]*rrset{}
	for _, n := range names {
		sets[rrkey{n, dns.TypeA}] = &rrset{rrkey: rrkey{n, dns.TypeA}}
	}
	var got []string
	for _, s := range sortedRRsets(sets) {
		got = append(got, s.name)
	}
	want := []string{"ex.test.", "*.ex.test.", "b.ex.test.", "a.b.ex.test.", "z.ex.test."}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("order = %q, want %q", got, want)
	}
}
