package zonecopy

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// clock is a fake clock the tests move by hand.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }

func newClock() *clock { return &clock{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func open(t testing.TB, dir string, c *clock, mod func(*Config)) *Store {
	t.Helper()
	cfg := Config{Dir: dir, Now: c.Now}
	if mod != nil {
		mod(&cfg)
	}
	s, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func rr(t testing.TB, s string) dns.RR {
	t.Helper()
	r, err := dns.NewRR(s)
	if err != nil {
		t.Fatalf("NewRR(%q): %v", s, err)
	}
	return r
}

func rrs(t testing.TB, ss ...string) []dns.RR {
	out := make([]dns.RR, 0, len(ss))
	for _, s := range ss {
		out = append(out, rr(t, s))
	}
	return out
}

func soa(t testing.TB, zone string, serial uint32) dns.RR {
	return rr(t, fmt.Sprintf("%s. 3600 IN SOA ns1.%s. hostmaster.%s. %d 7200 3600 1209600 300", zone, zone, zone, serial))
}

// axfr is zone at serial with the given records (relative owner names, "name type rdata").
func axfr(t testing.TB, zone string, serial uint32, recs ...string) []dns.RR {
	out := []dns.RR{soa(t, zone, serial), rr(t, zone+". 3600 IN NS ns1."+zone+".")}
	for _, r := range recs {
		name, rest, _ := strings.Cut(r, " ")
		out = append(out, rr(t, name+"."+zone+". 300 IN "+rest))
	}
	return out
}

// text renders records one per line, in order, for comparisons.
func text(rs []dns.RR) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// sorted returns the canonical text of a set of records as Current returns it.
func sorted(t testing.TB, zone string, rs []dns.RR) string {
	t.Helper()
	s, err := soaOf(zone, rs[0])
	if err != nil {
		t.Fatal(err)
	}
	var rest []dns.RR
	for _, r := range rs[1:] {
		if r.Header().Rrtype != dns.TypeSOA {
			rest = append(rest, r)
		}
	}
	its, err := items(zone, rest)
	if err != nil {
		t.Fatal(err)
	}
	return text(state{s, newRecs(its)}.records())
}

func current(t testing.TB, s *Store, zone string) Copy {
	t.Helper()
	c, ok := s.Current(zone)
	if !ok {
		t.Fatalf("Current(%s): no copy", zone)
	}
	return c
}

func fileSize(t testing.TB, p string) int64 {
	t.Helper()
	st, err := os.Stat(p)
	if os.IsNotExist(err) {
		return -1
	}
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// dirState renders every file under dir with its size, to check nothing changed.
func dirState(t testing.TB, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if !d.IsDir() {
			fmt.Fprintf(&b, "%s %d\n", strings.TrimPrefix(p, dir), fileSize(t, p))
		}
		return nil
	})
	return b.String()
}

func removeFile(p string) error { return os.Remove(p) }

// recordsEnd is where a change log's valid records end (the zeros reserved after them, and a
// torn tail, not counted).
func recordsEnd(t testing.TB, p string) int64 {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	_, end, err := scanFrames(b)
	if err != nil {
		t.Fatal(err)
	}
	return int64(end)
}

// hosts returns n A records h000.example.test., h001.example.test., ... for randomised tests.
func hosts(t testing.TB, n int) []dns.RR {
	all := make([]dns.RR, 0, n)
	for i := range n {
		all = append(all, rr(t, fmt.Sprintf("h%03d.example.test. 300 IN A 10.0.%d.%d", i, i>>8, i&255)))
	}
	return all
}
