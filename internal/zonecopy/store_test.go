package zonecopy

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/errs"
)

const tz = "example.test"

func TestReplaceAppendRoundTrip(t *testing.T) {
	t.Parallel()
	dir, c := t.TempDir(), newClock()
	s := open(t, dir, c, nil)
	ctx := t.Context()
	base := axfr(t, tz, 1, "www A 192.0.2.1", "mail MX 10 mx.example.test.", `txt TXT "hello world" "two"`,
		"_sip._tcp SRV 10 20 5060 sip.example.test.", "caa CAA 0 issue \"ca.example\"", "v6 AAAA 2001:db8::1")
	ch, err := s.Replace(ctx, tz, base, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ch.From != 1 || ch.To != 1 || len(ch.Added) != 0 {
		t.Errorf("first Replace returned %+v, want an empty change at serial 1", ch)
	}
	if _, err := s.History(tz, 0, 0); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute)
	actor := []Actor{{Principal: "alice", RequestID: "r1"}}
	err = s.Append(ctx, tz, []Change{
		{From: 1, To: 2, Actors: actor, Added: rrs(t, "new.example.test. 300 IN A 192.0.2.9")},
		{From: 2, To: 3, Removed: rrs(t, "WWW.example.test. 300 IN A 192.0.2.1"), Added: rrs(t, "www.example.test. 600 IN A 192.0.2.1")},
	})
	if err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute)
	final := axfr(t, tz, 5, "new A 192.0.2.9", "www A 192.0.2.2")
	ch, err = s.Replace(ctx, tz, append(final, soa(t, tz, 5)), actor)
	if err != nil {
		t.Fatal(err)
	}
	if ch.From != 3 || ch.To != 5 || len(ch.Added) != 1 || len(ch.Removed) != 6 {
		t.Errorf("diff Replace: from %d to %d, %d added, %d removed; want 3->5, 1, 6", ch.From, ch.To, len(ch.Added), len(ch.Removed))
	}
	// Identical: nothing appended.
	if ch, err = s.Replace(ctx, tz, final, nil); err != nil || ch.From != 5 || ch.To != 5 {
		t.Fatalf("identical Replace: %+v, %v", ch, err)
	}
	want := current(t, s, tz)
	wantHist, _ := s.History(tz, 0, 0)
	if got := text(want.RRs); got != sorted(t, tz, final) {
		t.Errorf("Current:\n%s\nwant:\n%s", got, sorted(t, tz, final))
	}
	if len(wantHist) != 3 || wantHist[0].To != 5 || wantHist[2].From != 1 || wantHist[2].Actors[0] != actor[0] || wantHist[0].Actors[0] != actor[0] || wantHist[1].Actors != nil {
		t.Errorf("History = %+v", wantHist)
	}
	if !want.Changed.Equal(c.Now()) {
		t.Errorf("Changed = %v, want %v", want.Changed, c.Now())
	}
	s.Close()

	s2 := open(t, dir, c, nil)
	got := current(t, s2, tz)
	if text(got.RRs) != text(want.RRs) || got.Serial != 5 || !got.Changed.Equal(want.Changed) {
		t.Errorf("after reopen: serial %d changed %v\n%s\nwant\n%s", got.Serial, got.Changed, text(got.RRs), text(want.RRs))
	}
	gotHist, _ := s2.History(tz, 0, 0)
	if fmt.Sprint(gotHist) != fmt.Sprint(wantHist) {
		t.Errorf("History after reopen:\n%v\nwant\n%v", gotHist, wantHist)
	}
	if z := s2.Zones(); !slices.Equal(z, []string{tz}) {
		t.Errorf("Zones = %v", z)
	}
}

func TestAppendRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		changes string // parseChanges syntax
		want    error
		kind    errs.Kind
	}{
		{"gap", "2 3 +a A 192.0.2.7", ErrGap, errs.Conflict},
		{"gap in the second change", "1 2 +a A 192.0.2.7|3 4 +b A 192.0.2.8", ErrGap, errs.Conflict},
		{"removes what is not there", "1 2 -nope A 192.0.2.7", ErrDiverged, errs.Conflict},
		{"adds what is there", "1 2 +www A 192.0.2.1", ErrDiverged, errs.Conflict},
		{"second diverges", "1 2 +a A 192.0.2.7|2 3 +a A 192.0.2.7", ErrDiverged, errs.Conflict},
		{"out of tz", "1 2 +www.other.test. A 192.0.2.7", nil, errs.Invalid},
		{"SOA inside", "1 2 +@ SOA a. b. 2 1 1 1 1", nil, errs.Invalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir, c := t.TempDir(), newClock()
			s := open(t, dir, c, nil)
			if _, err := s.Replace(t.Context(), tz, axfr(t, tz, 1, "www A 192.0.2.1"), nil); err != nil {
				t.Fatal(err)
			}
			if err := s.Append(t.Context(), tz, []Change{{From: 1, To: 1}}); err != nil { // serial-less no-op step
				t.Fatal(err)
			}
			before, disk := text(current(t, s, tz).RRs), dirState(t, dir)
			err := s.Append(t.Context(), tz, parseChanges(t, tc.changes))
			if err == nil || tc.want != nil && !errors.Is(err, tc.want) || errs.KindOf(err) != tc.kind {
				t.Fatalf("Append = %v (kind %v), want %v of kind %v", err, errs.KindOf(err), tc.want, tc.kind)
			}
			if got := text(current(t, s, tz).RRs); got != before {
				t.Errorf("memory changed:\n%s", got)
			}
			if got := dirState(t, dir); got != disk {
				t.Errorf("disk changed:\n%s\nwant\n%s", got, disk)
			}
		})
	}
	s := open(t, t.TempDir(), newClock(), nil)
	if err := s.Append(t.Context(), tz, []Change{{From: 1, To: 2}}); !errors.Is(err, ErrNotFound) || !errs.Is(err, errs.NotFound) {
		t.Errorf("Append without a copy = %v, want ErrNotFound", err)
	}
	if err := s.Append(t.Context(), "../x", []Change{{From: 1, To: 2}}); !errs.Is(err, errs.Invalid) {
		t.Errorf("Append to a bad name = %v, want invalid", err)
	}
}

// parseChanges reads "from to -rel TYPE rdata +rel TYPE rdata|next change"; @ is the apex and
// a name ending in a dot is absolute.
func parseChanges(t testing.TB, spec string) []Change { return parseChangesIn(t, tz, spec) }

func parseChangesIn(t testing.TB, zone, spec string) []Change {
	var out []Change
	for _, cs := range strings.Split(spec, "|") {
		var ch Change
		head, rest, _ := strings.Cut(cs, " ")
		to, recs, _ := strings.Cut(rest, " ")
		fmt.Sscan(head, &ch.From)
		fmt.Sscan(to, &ch.To)
		for _, r := range strings.Split(recs, ";") {
			r = strings.TrimSpace(r)
			if r == "" {
				continue
			}
			op, r := r[0], r[1:]
			name, rd, _ := strings.Cut(r, " ")
			switch {
			case name == "@":
				name = zone + "."
			case !strings.HasSuffix(name, "."):
				name += "." + zone + "."
			}
			x := rr(t, name+" 300 IN "+rd)
			if op == '-' {
				ch.Removed = append(ch.Removed, x)
			} else {
				ch.Added = append(ch.Added, x)
			}
		}
		out = append(out, ch)
	}
	return out
}

func TestSerialWrap(t *testing.T) {
	t.Parallel()
	dir, c := t.TempDir(), newClock()
	s := open(t, dir, c, nil)
	if _, err := s.Replace(t.Context(), tz, axfr(t, tz, 4294967294), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(t.Context(), tz, parseChanges(t, "4294967294 4294967295 +a A 192.0.2.1|4294967295 0 +b A 192.0.2.2|0 1 +c A 192.0.2.3")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, dir, c, nil)
	if got := current(t, s, tz).Serial; got != 1 {
		t.Errorf("serial = %d, want 1", got)
	}
	st, err := s.StateAt(tz, 4294967295)
	if err != nil || len(st) != 3 || st[0].(*dns.SOA).Serial != 4294967295 {
		t.Errorf("StateAt(4294967295) = %v, %v", st, err)
	}
}

func TestHistoryPaging(t *testing.T) {
	t.Parallel()
	s := open(t, t.TempDir(), newClock(), nil)
	if _, err := s.Replace(t.Context(), tz, axfr(t, tz, 100), nil); err != nil {
		t.Fatal(err)
	}
	for i := uint32(100); i < 110; i++ {
		if err := s.Append(t.Context(), tz, parseChanges(t, fmt.Sprintf("%d %d +h%d A 192.0.2.1", i, i+1, i))); err != nil {
			t.Fatal(err)
		}
	}
	var pages [][]uint32
	before := uint32(0)
	for range 10 {
		p, err := s.History(tz, before, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) == 0 {
			break
		}
		var tos []uint32
		for _, sum := range p {
			tos = append(tos, sum.To)
			if sum.Added != 1 || sum.Removed != 0 || sum.From+1 != sum.To {
				t.Errorf("summary %+v", sum)
			}
		}
		pages = append(pages, tos)
		before = p[len(p)-1].From
	}
	if got, want := fmt.Sprint(pages), "[[110 109 108 107] [106 105 104 103] [102 101]]"; got != want {
		t.Errorf("pages = %s, want %s", got, want)
	}
	if p, err := s.History(tz, 110, 1); err != nil || len(p) != 1 || p[0].To != 110 {
		t.Errorf("History(before=current) = %v, %v", p, err)
	}
	if _, err := s.History(tz, 99, 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("History(unknown serial) = %v, want ErrNotFound", err)
	}
	if _, err := s.History("other.test", 0, 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("History(unknown tz) = %v, want ErrNotFound", err)
	}
}

// TestStateAt replaces a tz through a series of states and checks that StateAt of every
// serial gives back exactly what was replaced at it, and Change gives the step.
func TestStateAt(t *testing.T) {
	t.Parallel()
	dir, c := t.TempDir(), newClock()
	s := open(t, dir, c, nil)
	states := map[uint32][]dns.RR{}
	var serials []uint32
	for i := range 12 {
		serial := uint32(1000 + 3*i)
		var recs []string
		for j := range 8 {
			if (i+j)%3 != 0 {
				recs = append(recs, fmt.Sprintf("h%d A 192.0.2.%d", j, (i*j)%5+1))
			}
		}
		recs = append(recs, fmt.Sprintf("ttl TXT \"ttl%d\"", i%2))
		z := axfr(t, tz, serial, recs...)
		if i%4 == 3 {
			z[1].Header().Ttl = uint32(100 + i) // a TTL change counts
		}
		if _, err := s.Replace(t.Context(), tz, z, nil); err != nil {
			t.Fatal(err)
		}
		states[serial] = z
		serials = append(serials, serial)
		c.Advance(time.Hour)
	}
	s.Close()
	s = open(t, dir, c, nil)
	for _, serial := range serials {
		got, err := s.StateAt(tz, serial)
		if err != nil {
			t.Fatalf("StateAt(%d): %v", serial, err)
		}
		if want := sorted(t, tz, states[serial]); text(got) != want {
			t.Errorf("StateAt(%d):\n%s\nwant\n%s", serial, text(got), want)
		}
	}
	for i, serial := range serials[1:] {
		ch, err := s.Change(tz, serial)
		if err != nil {
			t.Fatal(err)
		}
		if ch.From != serials[i] || ch.SOA.Serial != serial {
			t.Errorf("Change(%d) from %d, SOA %d", serial, ch.From, ch.SOA.Serial)
		}
		prev, _ := s.StateAt(tz, serials[i])
		next, err := apply(mustItems(t, prev[1:]), mustItems(t, ch.Removed), mustItems(t, ch.Added))
		if err != nil || text(state{ch.SOA, newRecs(next)}.records()) != sorted(t, tz, states[serial]) {
			t.Errorf("Change(%d) applied to StateAt(%d) is not StateAt(%d): %v", serial, serials[i], serial, err)
		}
	}
	if _, err := s.Change(tz, serials[0]); !errors.Is(err, ErrNotFound) {
		t.Errorf("Change(base) = %v, want ErrNotFound", err)
	}
	if _, err := s.StateAt(tz, 7); !errs.Is(err, errs.NotFound) {
		t.Errorf("StateAt(unknown) = %v, want not found", err)
	}
}

func mustItems(t testing.TB, rs []dns.RR) []item {
	t.Helper()
	its, err := items(tz, rs)
	if err != nil {
		t.Fatal(err)
	}
	return its
}

func TestCurrentIsACopy(t *testing.T) {
	t.Parallel()
	s := open(t, t.TempDir(), newClock(), nil)
	in := axfr(t, tz, 1, "www A 192.0.2.1")
	if _, err := s.Replace(t.Context(), tz, in, nil); err != nil {
		t.Fatal(err)
	}
	in[2].(*dns.A).A[0] = 10 // the caller's slice is not the store's
	c := current(t, s, tz)
	want := text(c.RRs)
	c.RRs[0].(*dns.SOA).Serial = 99
	c.RRs[2].Header().Name = "evil."
	if got := text(current(t, s, tz).RRs); got != want || !strings.Contains(got, "192.0.2.1") {
		t.Errorf("store state changed through a returned value:\n%s", got)
	}
	if s.Confirm(tz, 2) || !current(t, s, tz).Checked.IsZero() {
		t.Error("Confirm of another serial set Checked")
	}
	if !s.Confirm(tz, 1) || current(t, s, tz).Checked.IsZero() {
		t.Error("Confirm of the current serial did not set Checked")
	}
}

// Delete and Discard (Delete without its fsync) leave the same: no copy, no directory.
func TestDelete(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		del  func(*Store, context.Context, string) error
	}{
		{"Delete", (*Store).Delete},
		{"Discard", (*Store).Discard},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testDelete(t, tc.del)
		})
	}
}

func testDelete(t *testing.T, del func(*Store, context.Context, string) error) {
	dir, c := t.TempDir(), newClock()
	s := open(t, dir, c, nil)
	for _, z := range []string{"a.test", "b.test"} {
		if _, err := s.Replace(t.Context(), z, axfr(t, z, 1, "www A 192.0.2.1"), nil); err != nil {
			t.Fatal(err)
		}
		if err := s.Append(t.Context(), z, parseChangesIn(t, z, "1 2 +x A 192.0.2.2")); err != nil {
			t.Fatal(err)
		}
	}
	if err := del(s, t.Context(), "a.test"); err != nil {
		t.Fatal(err)
	}
	if err := del(s, t.Context(), "a.test"); err != nil {
		t.Errorf("second delete: %v", err)
	}
	if _, ok := s.Current("a.test"); ok {
		t.Error("deleted copy still there")
	}
	if fileSize(t, filepath.Join(dir, "a.test")) != -1 {
		t.Error("directory left behind")
	}
	// A directory without a snapshot (a Delete cut short) is removed at Open.
	if _, err := s.Replace(t.Context(), "c.test", axfr(t, "c.test", 1), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(t.Context(), "c.test", parseChangesIn(t, "c.test", "1 2 +x A 192.0.2.2")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := removeFile(filepath.Join(dir, "c.test", snapshotFile)); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir, c, nil)
	if got := s.Zones(); !slices.Equal(got, []string{"b.test"}) {
		t.Errorf("Zones = %v, want [b.test]", got)
	}
	if fileSize(t, filepath.Join(dir, "c.test")) != -1 {
		t.Error("leftover directory not removed")
	}
	// A new copy of a deleted tz starts afresh.
	if _, err := s.Replace(t.Context(), "a.test", axfr(t, "a.test", 7), nil); err != nil {
		t.Fatal(err)
	}
	if h, _ := s.History("a.test", 0, 0); len(h) != 0 {
		t.Errorf("history of a re-created tz: %v", h)
	}
}

func TestConcurrent(t *testing.T) {
	t.Parallel()
	s := open(t, t.TempDir(), newClock(), nil)
	zones := []string{"a.test", "b.test", "c.test"}
	for _, z := range zones {
		if _, err := s.Replace(t.Context(), z, axfr(t, z, 0), nil); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for _, z := range zones {
		wg.Go(func() {
			for i := range uint32(20) {
				ch := Change{From: i, To: i + 1, Added: []dns.RR{rr(t, fmt.Sprintf("h%d.%s. 300 IN A 192.0.2.1", i, z))}}
				if err := s.Append(t.Context(), z, []Change{ch}); err != nil {
					t.Error(err)
				}
			}
		})
		wg.Go(func() {
			for range 50 {
				s.Current(z)
				s.History(z, 0, 5)
				s.Zones()
			}
		})
	}
	wg.Wait()
	for _, z := range zones {
		if c := current(t, s, z); c.Serial != 20 || len(c.RRs) != 22 {
			t.Errorf("%s: serial %d, %d records", z, c.Serial, len(c.RRs))
		}
	}
}
