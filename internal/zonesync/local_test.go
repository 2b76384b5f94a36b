package zonesync

import (
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/zonecopy"
)

func TestNextSerial(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	unix := uint32(now.Unix())
	tests := []struct {
		method string
		old    uint32
		want   uint32
	}{
		{"", 10, 11},
		{"increment", 10, 11},
		{"increment", 0xffffffff, 1}, // zero is skipped
		{"unixtime", 10, unix},
		{"unixtime", unix, unix + 1},
		{"unixtime", unix + 5, unix + 6},
		{"date", 10, 2026120700},
		{"date", 2026120700, 2026120701},
		{"date", 2026120799, 2026120800}, // past today's 99: one up, as named does
	}
	for _, tt := range tests {
		if got := NextSerial(tt.method, tt.old, now); got != tt.want {
			t.Errorf("NextSerial(%q, %d) = %d, want %d", tt.method, tt.old, got, tt.want)
		}
	}
}

// localUpdate sends upd the way the records committer does on its fast path: under the zone's
// lock, with the copy's SOA as a prerequisite and the new SOA last, the copy written while the
// update is in flight and committed after it.
func localUpdate(t *testing.T, f *fixture, upd ...string) uint32 {
	t.Helper()
	release, err := f.sync.Hold(t.Context(), "example.test")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	tx, err := f.sync.Local(t.Context(), "example.test", mustRRs(t, upd...), "", []zonecopy.Actor{{Principal: "alice"}})
	if err != nil {
		t.Fatal(err)
	}
	m := new(dns.Msg)
	m.SetUpdate("example.test.")
	pre := dns.Copy(tx.From())
	pre.Header().Ttl = 0
	m.Answer = []dns.RR{pre}
	m.Ns = append(mustRRs(t, upd...), tx.SOA())
	if err := tx.Write(); err != nil {
		tx.Abort()
		t.Fatal(err)
	}
	if err := f.dns.Update(t.Context(), m); err != nil {
		tx.Abort()
		t.Fatal(err)
	}
	tx.Commit(t.Context())
	return tx.Serial()
}

// TestLocalUpdateVerified: a change applied to the copy ahead of named gets the serial named
// gives it, costs no transfer, and named's record of it is compared at the next fetch: equal,
// the mark is cleared without a full transfer; different (the fake does not re-time an RRset
// on an add with another TTL, as named does and the copy models), the copy is replaced by
// named's data and the failure counted.
func TestLocalUpdateVerified(t *testing.T) {
	t.Parallel()
	var failures []string
	f := newFixture(t, func(c *Config) { c.OnError = func(src string) { failures = append(failures, src) } })
	if err := f.sync.sync(t.Context(), "example.test", waiting{}); err != nil { // first copy: AXFR
		t.Fatal(err)
	}
	before := len(f.zone.Messages())
	serial := localUpdate(t, f, "a.example.test. 300 IN A 192.0.2.10")
	if serial != f.zone.Serial() {
		t.Fatalf("copy at %d, named at %d", serial, f.zone.Serial())
	}
	if got := len(f.zone.Messages()) - before; got != 1 {
		t.Fatalf("%d messages to named for a local change, want the update alone", got)
	}
	if !slices.Equal(copyLines(t, f.copy), f.zone.Records()) {
		t.Fatalf("copy %v, zone %v", copyLines(t, f.copy), f.zone.Records())
	}
	hist, _ := f.copy.History("example.test", 0, 1)
	if len(hist) != 1 || !slices.Equal(hist[0].Actors, []zonecopy.Actor{{Principal: "alice"}}) {
		t.Fatalf("history %+v", hist)
	}
	// named's NOTIFY for the serial does not fetch at once; the check runs later, once.
	if err := f.sync.sync(t.Context(), "example.test", waiting{serial: serial, hinted: true}); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.copy.Unverified("example.test"); !ok {
		t.Fatal("the NOTIFY cleared the mark without a comparison")
	}
	if err := f.sync.sync(t.Context(), "example.test", waiting{}); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.copy.Unverified("example.test"); ok {
		t.Fatal("still unverified after a fetch")
	}
	if axfr, ixfr := f.xfers(); axfr != 1 || ixfr != 1 || len(failures) != 0 {
		t.Fatalf("verification: %d AXFR, %d IXFR, failures %v; want 1, 1, none", axfr, ixfr, failures)
	}

	localUpdate(t, f, "a.example.test. 600 IN A 192.0.2.11") // the copy re-times a's RRset; the fake does not
	if slices.Equal(copyLines(t, f.copy), f.zone.Records()) {
		t.Fatal("the fake re-timed the RRset: this test needs another divergence")
	}
	if err := f.sync.sync(t.Context(), "example.test", waiting{}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(copyLines(t, f.copy), f.zone.Records()) {
		t.Fatalf("after the comparison: copy %v, zone %v", copyLines(t, f.copy), f.zone.Records())
	}
	if axfr, _ := f.xfers(); axfr != 2 || !slices.Equal(failures, []string{"verify"}) {
		t.Fatalf("divergence: %d AXFR, failures %v; want 2, [verify]", axfr, failures)
	}
}

// TestVerifyOutsideLock: the comparison of local changes with named's record of them transfers
// without the zone's lock, so the committer may commit more meanwhile: the steps named had then
// are verified and the later ones stay unverified, for the next comparison; a NOTIFY for a
// serial the copy went past costs no transfer; a transfer made before another verification
// moved the mark settles nothing.
func TestVerifyOutsideLock(t *testing.T) {
	t.Parallel()
	var failures []string
	f := newFixture(t, func(c *Config) { c.OnError = func(src string) { failures = append(failures, src) } })
	ctx := t.Context()
	if err := f.sync.sync(ctx, "example.test", waiting{}); err != nil { // first copy: AXFR
		t.Fatal(err)
	}
	verify := func(pre prefetched) bool {
		t.Helper()
		release, err := f.sync.Hold(ctx, "example.test")
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		return f.sync.verifyPrefetched("example.test", pre)
	}
	s1 := localUpdate(t, f, "a.example.test. 300 IN A 192.0.2.10")
	pre, ok := f.sync.prefetch(ctx, "example.test")
	if !ok {
		t.Fatal("no transfer for unverified local changes")
	}
	s2 := localUpdate(t, f, "b.example.test. 300 IN A 192.0.2.11")
	if !verify(pre) {
		t.Fatal("named's record up to the first change did not settle the fetch")
	}
	if from, ok := f.copy.Unverified("example.test"); !ok || from != s1 {
		t.Fatalf("Unverified = %d, %v; want %d (the second change), true", from, ok, s1)
	}
	// That NOTIFY does not even wait for the zone's lock, which the committer holds for each
	// update (a lock wait would end in the fetch's timeout here).
	release, err := f.sync.Hold(ctx, "example.test")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.sync.sync(ctx, "example.test", waiting{serial: s1, hinted: true}); err != nil {
		t.Fatal(err)
	}
	release()
	if axfr, ixfr := f.xfers(); axfr != 1 || ixfr != 1 {
		t.Fatalf("after a NOTIFY for a serial the copy went past: %d AXFR, %d IXFR; want 1, 1", axfr, ixfr)
	}
	if err := f.sync.sync(ctx, "example.test", waiting{}); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.copy.Unverified("example.test"); ok {
		t.Fatal("still unverified after a comparison up to the copy's serial")
	}
	if got, _ := f.copy.Serial("example.test"); got != s2 || s2 != f.zone.Serial() {
		t.Fatalf("copy at %d, named at %d, want %d", got, f.zone.Serial(), s2)
	}

	localUpdate(t, f, "c.example.test. 300 IN A 192.0.2.12")
	pre, ok = f.sync.prefetch(ctx, "example.test")
	if !ok {
		t.Fatal("no transfer for unverified local changes")
	}
	f.copy.Verified("example.test") // another comparison settled them meanwhile
	localUpdate(t, f, "d.example.test. 300 IN A 192.0.2.13")
	if verify(pre) {
		t.Fatal("a transfer made before the mark moved settled the fetch")
	}
	if axfr, ixfr := f.xfers(); axfr != 1 || ixfr != 3 || len(failures) != 0 {
		t.Fatalf("%d AXFR, %d IXFR, failures %v; want 1, 3, none", axfr, ixfr, failures)
	}
}
