package zonecopy

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestLoadTenThousand writes 10,000 small zones (5 records and 2 logged changes each) straight
// to disk and reports how long Open takes to load them.
func TestLoadTenThousand(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 20,000 files")
	}
	t.Parallel()
	dir := t.TempDir()
	const n = 10000
	c := newClock()
	for i := range n {
		zone := fmt.Sprintf("z%05d.test", i)
		z := axfr(t, zone, 1, "www A 192.0.2.1", "mail A 192.0.2.2", "@ MX 10 mail")
		s, _ := soaOf(zone, z[0])
		st := state{s, newRecs(mustItemsIn(t, zone, z[1:]))}
		if err := os.Mkdir(filepath.Join(dir, zone), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, zone, snapshotFile), encodeSnapshot(zone, 0, c.t, st), 0o600); err != nil {
			t.Fatal(err)
		}
		var log []byte
		for j := range uint32(2) {
			next := dns.Copy(s).(*dns.SOA)
			next.Serial = 2 + j
			add := mustItemsIn(t, zone, rrs(t, fmt.Sprintf("h%d.%s. 300 IN A 192.0.2.9", j, zone)))
			fr, err := frame(uint64(j+1), Change{From: 1 + j, To: 2 + j, At: c.t}, next, nil, add, false)
			if err != nil {
				t.Fatal(err)
			}
			log = append(log, fr...)
		}
		if err := os.WriteFile(filepath.Join(dir, zone, changesFile), log, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	s := open(t, dir, c, nil)
	took := time.Since(start)
	if got := len(s.Zones()); got != n {
		t.Fatalf("loaded %d zones, want %d", got, n)
	}
	if c := current(t, s, "z00042.test"); c.Serial != 3 || len(c.RRs) != 7 {
		t.Errorf("z00042.test: serial %d, %d records", c.Serial, len(c.RRs))
	}
	t.Logf("Open loaded %d zones (snapshot + 2 changes each) in %v", n, took)
}

func mustItemsIn(t testing.TB, zone string, rs []dns.RR) []item {
	t.Helper()
	its, err := items(zone, rs)
	if err != nil {
		t.Fatal(err)
	}
	return its
}

// BenchmarkAppend measures one durable one-record change (write and fsync) to a small zone.
func BenchmarkAppend(b *testing.B) {
	s := open(b, b.TempDir(), newClock(), nil)
	if _, err := s.Replace(b.Context(), tz, axfr(b, tz, 0, "www A 192.0.2.1"), nil); err != nil {
		b.Fatal(err)
	}
	a := rr(b, "h.example.test. 300 IN A 192.0.2.2")
	serial := uint32(0)
	b.ResetTimer()
	for b.Loop() {
		ch := Change{From: serial, To: serial + 1, Added: []dns.RR{a}}
		if serial%2 == 1 {
			ch.Added, ch.Removed = nil, ch.Added
		}
		if err := s.Append(b.Context(), tz, []Change{ch}); err != nil {
			b.Fatal(err)
		}
		serial++
	}
}

// BenchmarkCurrent measures Current of a 10,000-record zone (copies included).
func BenchmarkCurrent(b *testing.B) {
	s := open(b, b.TempDir(), newClock(), nil)
	z := []dns.RR{soa(b, tz, 1)}
	for i := range 10000 {
		z = append(z, rr(b, fmt.Sprintf("h%d.%s. 300 IN A 192.0.%d.%d", i, tz, i/256%256, i%256)))
	}
	if _, err := s.Replace(b.Context(), tz, z, nil); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if c, ok := s.Current(tz); !ok || len(c.RRs) != 10001 {
			b.Fatal("wrong copy")
		}
	}
}

// BenchmarkBeginUpdate models one large API change on a 10,000-record zone: one RRset of 1,000
// records replaced (delete the RRset, add 1,000), as a PATCH sends it; the model must stay
// linear in the update's size.
func BenchmarkBeginUpdate(b *testing.B) {
	s := open(b, b.TempDir(), newClock(), nil)
	var recs []string
	for i := range 10000 {
		recs = append(recs, fmt.Sprintf("h%05d A 10.0.%d.%d", i, i>>8, i&255))
	}
	if _, err := s.Replace(b.Context(), tz, axfr(b, tz, 1, recs...), nil); err != nil {
		b.Fatal(err)
	}
	upd := []dns.RR{&dns.ANY{Hdr: dns.RR_Header{Name: "big." + tz + ".", Rrtype: dns.TypeA, Class: dns.ClassANY}}}
	for i := range 1000 {
		upd = append(upd, rr(b, fmt.Sprintf("big.%s. 300 IN A 10.1.%d.%d", tz, i>>8, i&255)))
	}
	b.ResetTimer()
	for b.Loop() {
		tx, err := s.BeginUpdate(b.Context(), tz, upd, func(o uint32) uint32 { return o + 1 }, nil)
		if err != nil {
			b.Fatal(err)
		}
		tx.Abort()
	}
}
