package zonecopy

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// snapText renders a snapshot one record per line, as text renders Current's records.
func snapText(v Snapshot) string {
	var b strings.Builder
	for _, s := range v.All() {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	return b.String()
}

func snapshot(t *testing.T, s *Store, zone string) Snapshot {
	t.Helper()
	v, ok := s.Snapshot(zone)
	if !ok {
		t.Fatalf("Snapshot(%s): no copy", zone)
	}
	return v
}

func TestSnapshotMatchesCurrent(t *testing.T) {
	s := open(t, t.TempDir(), newClock(), nil)
	if _, ok := s.Snapshot("a.test"); ok {
		t.Fatal("Snapshot of a zone without a copy")
	}
	if _, err := s.Replace(t.Context(), "a.test", axfr(t, "a.test", 1, "WWW A 192.0.2.1", "mail MX 10 Mx.a.test.", "a TXT \"x y\""), nil); err != nil {
		t.Fatal(err)
	}
	v, c := snapshot(t, s, "a.test"), current(t, s, "a.test")
	if v.Serial() != 1 || v.Len() != len(c.RRs) {
		t.Fatalf("serial %d len %d, want 1 and %d", v.Serial(), v.Len(), len(c.RRs))
	}
	if got, want := snapText(v), text(c.RRs); got != want {
		t.Fatalf("snapshot:\n%s\nCurrent:\n%s", got, want)
	}
	i := 0
	for h := range v.All() {
		if want := *c.RRs[i].Header(); h != want {
			t.Errorf("header %d = %+v, want %+v", i, h, want)
		}
		i++
	}
	// Stopping early stops.
	for range v.All() {
		break
	}
}

// TestSnapshotGeneration: a new generation with every change of the data, also one at the same
// serial; none when nothing changed; a snapshot taken before a change keeps its data.
func TestSnapshotGeneration(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := open(t, dir, newClock(), nil)
	if _, err := s.Replace(ctx, "a.test", axfr(t, "a.test", 1, "www A 192.0.2.1"), nil); err != nil {
		t.Fatal(err)
	}
	v1 := snapshot(t, s, "a.test")
	before := snapText(v1)
	if _, err := s.Replace(ctx, "a.test", axfr(t, "a.test", 1, "www A 192.0.2.1"), nil); err != nil {
		t.Fatal(err)
	}
	if g := snapshot(t, s, "a.test").Generation(); g != v1.Generation() {
		t.Fatalf("an identical Replace changed the generation %d -> %d", v1.Generation(), g)
	}
	if err := s.Append(ctx, "a.test", []Change{{From: 1, To: 2, Added: rrs(t, "x.a.test. 300 IN A 192.0.2.9")}}); err != nil {
		t.Fatal(err)
	}
	v2 := snapshot(t, s, "a.test")
	if v2.Generation() == v1.Generation() || v2.Serial() != 2 {
		t.Fatalf("Append: generation %d serial %d", v2.Generation(), v2.Serial())
	}
	if snapText(v1) != before {
		t.Fatal("an older snapshot changed with the copy")
	}
	// Deleted and created again at the same serial with other data: the serial alone would
	// not tell.
	if err := s.Delete(ctx, "a.test"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Replace(ctx, "a.test", axfr(t, "a.test", 2, "other A 192.0.2.7"), nil); err != nil {
		t.Fatal(err)
	}
	v3 := snapshot(t, s, "a.test")
	if v3.Serial() != v2.Serial() || v3.Generation() == v2.Generation() {
		t.Fatalf("re-created at serial %d: generation %d, before %d", v3.Serial(), v3.Generation(), v2.Generation())
	}
	// Replace at the same serial with different data.
	if _, err := s.Replace(ctx, "a.test", axfr(t, "a.test", 2, "third A 192.0.2.8"), nil); err != nil {
		t.Fatal(err)
	}
	if g := snapshot(t, s, "a.test").Generation(); g == v3.Generation() {
		t.Fatal("Replace with other data at the same serial kept the generation")
	}
	s.Close()
	s2 := open(t, dir, newClock(), nil)
	if v := snapshot(t, s2, "a.test"); v.Generation() == 0 || !strings.Contains(snapText(v), "third.a.test.") {
		t.Fatalf("after Open: generation %d\n%s", v.Generation(), snapText(v))
	}
}

// TestSnapshotIsReadOnly: what All yields is values; changing them leaves the copy alone.
func TestSnapshotIsReadOnly(t *testing.T) {
	s := open(t, t.TempDir(), newClock(), nil)
	if _, err := s.Replace(t.Context(), "a.test", axfr(t, "a.test", 1, "www A 192.0.2.1"), nil); err != nil {
		t.Fatal(err)
	}
	v := snapshot(t, s, "a.test")
	before := snapText(v)
	for h := range v.All() {
		h.Name, h.Ttl, h.Rrtype = "x.", 1, dns.TypeTXT
	}
	if snapText(snapshot(t, s, "a.test")) != before || text(current(t, s, "a.test").RRs) != before {
		t.Fatal("the copy changed")
	}
}
