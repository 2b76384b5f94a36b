package zonesync

import (
	"slices"
	"testing"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/zonecopy"
)

// TestRecordUpdateAttribution: RecordUpdate gives the API's actors the serial step that is
// its UPDATE and returns that step's serial, whether another writer's change landed after
// it (before the IXFR) or before it (the copy behind), including on the same RRset.
func TestRecordUpdateAttribution(t *testing.T) {
	t.Parallel()
	actor := zonecopy.Actor{Principal: "alice", RequestID: "r1"}
	// ours adds c, and replaces www's A RRset by one that keeps 192.0.2.1: named journals the
	// minimal difference, so 192.0.2.1 is in neither list of the step.
	ours := func(t *testing.T) *dns.Msg {
		m := new(dns.Msg)
		m.SetUpdate("example.test.")
		m.RemoveRRset(mustRRs(t, "www.example.test. 0 IN A 0.0.0.0"))
		m.Insert(mustRRs(t, "www.example.test. 300 IN A 192.0.2.1", "www.example.test. 300 IN A 192.0.2.5",
			"c.example.test. 300 IN TXT \"api\""))
		return m
	}
	cases := []struct {
		name          string
		before, after []string // external changes, one step each
		want          uint32   // our serial
	}{
		{name: "external after", after: []string{"x.example.test. 300 IN A 192.0.2.20"}, want: 11},
		{name: "external before", before: []string{"x.example.test. 300 IN A 192.0.2.20"}, want: 11 + 1},
		{name: "both, same RRset", before: []string{"c.example.test. 300 IN TXT \"bindy\""},
			after: []string{"www.example.test. 300 IN A 192.0.2.9", "c.example.test. 300 IN TXT \"bindy2\""}, want: 12},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			if err := f.sync.sync(t.Context(), "example.test", waiting{}); err != nil { // copy at 10
				t.Fatal(err)
			}
			for _, rr := range c.before {
				f.zone.Add(t, rr)
			}
			release, err := f.sync.Hold(t.Context(), "example.test")
			if err != nil {
				t.Fatal(err)
			}
			defer release()
			m := ours(t)
			if err := f.dns.Update(t.Context(), m); err != nil {
				t.Fatal(err)
			}
			for _, rr := range c.after {
				f.zone.Add(t, rr)
			}
			serial, err := f.sync.RecordUpdate(t.Context(), "example.test", []zonecopy.Actor{actor}, m)
			if err != nil {
				t.Fatal(err)
			}
			if serial != c.want {
				t.Errorf("serial %d, want %d (named at %d)", serial, c.want, f.zone.Serial())
			}
			hist, err := f.copy.History("example.test", 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(hist) != len(c.before)+len(c.after)+1 {
				t.Fatalf("history %+v", hist)
			}
			for _, h := range hist {
				mine := h.To == c.want
				if mine && !slices.Equal(h.Actors, []zonecopy.Actor{actor}) || !mine && len(h.Actors) != 0 {
					t.Errorf("step %d->%d: actors %+v", h.From, h.To, h.Actors)
				}
			}
			if !slices.Equal(copyLines(t, f.copy), f.zone.Records()) {
				t.Fatalf("copy %v, zone %v", copyLines(t, f.copy), f.zone.Records())
			}
		})
	}
}

// TestRecordUpdateFallback: when named answers AXFR-style (no steps to tell apart) the
// update gets the whole difference and named's serial, as Record does.
func TestRecordUpdateFallback(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	if err := f.sync.sync(t.Context(), "example.test", waiting{}); err != nil {
		t.Fatal(err)
	}
	release, err := f.sync.Hold(t.Context(), "example.test")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	m := new(dns.Msg)
	m.SetUpdate("example.test.")
	m.Insert(mustRRs(t, "c.example.test. 300 IN A 192.0.2.3"))
	if err := f.dns.Update(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	f.zone.Add(t, "x.example.test. 300 IN A 192.0.2.20")
	f.zone.ForgetJournal()
	actor := zonecopy.Actor{Principal: "alice"}
	serial, err := f.sync.RecordUpdate(t.Context(), "example.test", []zonecopy.Actor{actor}, m)
	if err != nil || serial != 12 {
		t.Fatalf("serial %d, %v; want 12", serial, err)
	}
	hist, err := f.copy.History("example.test", 0, 10)
	if err != nil || len(hist) != 1 || !slices.Equal(hist[0].Actors, []zonecopy.Actor{actor}) {
		t.Fatalf("history %+v, %v", hist, err)
	}
}
