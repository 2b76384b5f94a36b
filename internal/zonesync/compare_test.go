package zonesync

import (
	"slices"
	"testing"
	"time"
)

func TestCompareBatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n               int
		interval, every time.Duration
		want            int
	}{
		{n: 10000, interval: time.Minute, every: 24 * time.Hour, want: 7}, // 1440 passes a day
		{n: 1440, interval: time.Minute, every: 24 * time.Hour, want: 1},
		{n: 1441, interval: time.Minute, every: 24 * time.Hour, want: 2},
		{n: 3, interval: time.Minute, every: 24 * time.Hour, want: 1},
		{n: 3, interval: time.Minute, every: time.Second, want: 3}, // more often than the sweep: all
		{n: 0, interval: time.Minute, every: time.Hour, want: 0},
		{n: 5, interval: -1, every: time.Hour, want: 1}, // no sweep period: one
	} {
		if got := compareBatch(tc.n, tc.interval, tc.every); got != tc.want {
			t.Errorf("compareBatch(%d, %v, %v) = %d, want %d", tc.n, tc.interval, tc.every, got, tc.want)
		}
	}
}

// TestCompareWholeZone: a zone named reloaded with other data at the same serial (an edited
// zone file without a new serial) is found by the whole-zone comparison and the copy becomes
// named's; a copy that matches is left as it is; a zone named moved past the copy, or whose
// copy holds a change not compared with named's yet, is not the comparison's.
func TestCompareWholeZone(t *testing.T) {
	t.Parallel()
	var got []bool
	managed := true
	f := newFixture(t, func(c *Config) {
		c.OnCompare = func(d bool) { got = append(got, d) }
		c.Managed = func(string) bool { return managed }
	})
	f.sync.Sweep(t.Context())
	f.waitSerial(t, 10)
	before := copyLines(t, f.copy)

	// The same data: nothing written.
	if err := f.sync.compareOne(t.Context(), "example.test"); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []bool{false}) || !slices.Equal(copyLines(t, f.copy), before) {
		t.Fatalf("same zone: compares %v, copy %v", got, copyLines(t, f.copy))
	}
	hist, err := f.copy.History("example.test", 0, 0)
	if err != nil || len(hist) != 0 {
		t.Fatalf("same zone: history %v %v, want none", hist, err)
	}

	// Reloaded at serial 10 with www changed and a record added: the copy becomes named's, but
	// not while the zone is no longer managed (being deleted).
	edited := append(slices.Clone(zoneLines[:3]),
		"www.example.test. 300 IN A 192.0.2.2", `new.example.test. 300 IN TXT "hand edit"`)
	f.zone.Reload(t, edited...)
	managed = false
	if err := f.sync.compareOne(t.Context(), "example.test"); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !slices.Equal(copyLines(t, f.copy), before) {
		t.Fatalf("unmanaged zone: compares %v, copy %v", got, copyLines(t, f.copy))
	}
	managed = true
	if err := f.sync.compareOne(t.Context(), "example.test"); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []bool{false, true}) || !slices.Equal(copyLines(t, f.copy), f.zone.Records()) {
		t.Fatalf("edited zone: compares %v, copy %v, named %v", got, copyLines(t, f.copy), f.zone.Records())
	}
	if s, _ := f.copy.Serial("example.test"); s != 10 {
		t.Fatalf("copy serial %d, want 10", s)
	}

	// named past the copy: left to the sweep and NOTIFY (no comparison counted).
	f.zone.Add(t, "later.example.test. 300 IN A 192.0.2.3")
	if err := f.sync.compareOne(t.Context(), "example.test"); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("named past the copy: compares %v", got)
	}
	if s, _ := f.copy.Serial("example.test"); s != 10 {
		t.Fatalf("the comparison moved the copy to %d", s)
	}
}

// TestCompareRoundRobin: each pass compares the next zones in name order after the last one,
// wrapping around, so every zone is compared in turn.
func TestCompareRoundRobin(t *testing.T) {
	t.Parallel()
	zones := []string{"c.test", "a.test", "b.test"} // unsorted: compareSome sorts
	f := newFixture(t, func(c *Config) {
		c.Interval, c.CompareInterval = time.Minute, 2*time.Minute // 2 of 3 zones a pass
	})
	var seen []string
	for range 3 {
		before := f.sync.compareNext
		f.sync.compareSome(t.Context(), zones) // none has a copy: each is only visited
		seen = append(seen, before+"→"+f.sync.compareNext)
	}
	want := []string{"→b.test\x00", "b.test\x00→a.test\x00", "a.test\x00→c.test\x00"}
	if !slices.Equal(seen, want) {
		t.Fatalf("cursor moves %q, want %q", seen, want)
	}
}
