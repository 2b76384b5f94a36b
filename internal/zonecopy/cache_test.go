package zonecopy

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
)

// loaded reports whether zone's copy is in memory.
func loaded(s *Store, zone string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.zones[zone] != nil
}

func loadedCount(s *Store) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.zones)
}

// cacheZones are the zones of the cache tests; each has a history of two changes.
var cacheZones = []string{"a.test", "b.test", "c.test", "d.test", "e.test", "f.test"}

// seedCache gives each of cacheZones a copy at serial 3 (two changes), using them in order,
// so that the first ones are the least recently used.
func seedCache(t *testing.T, s *Store) {
	t.Helper()
	for _, z := range cacheZones {
		if _, err := s.Replace(t.Context(), z, axfr(t, z, 1, "www A 192.0.2.1"), nil); err != nil {
			t.Fatal(err)
		}
		if err := s.Append(t.Context(), z, []Change{
			{From: 1, To: 2, Added: rrs(t, "x."+z+". 300 IN A 192.0.2.2")},
			{From: 2, To: 3, Removed: rrs(t, "www."+z+". 300 IN A 192.0.2.1"), Actors: []Actor{{Principal: "p"}}},
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// With Config.MaxLoaded the least recently used copies leave memory, and every use of one
// loads it again and sees exactly what it would have seen had it stayed: reads, changes, a
// Tx, Confirm, Delete. The serial, the zone list and the checks the sweep makes of every zone
// are answered without loading it.
func TestCacheUnloadedCopyUses(t *testing.T) {
	t.Parallel()
	const z = "a.test"
	type result struct {
		Text    string
		Serial  uint32
		Checked time.Time
		Err     string
	}
	errText := func(err error) string {
		if err == nil {
			return ""
		}
		return err.Error()
	}
	for _, tc := range []struct {
		name     string
		use      func(t *testing.T, s *Store) result
		loads    bool // whether the use loads the copy
		reopened bool // compare the state after a reopen too (a change)
	}{
		{"Current", func(t *testing.T, s *Store) result {
			c, ok := s.Current(z)
			if !ok {
				return result{Err: "no copy"}
			}
			return result{Text: text(c.RRs), Serial: c.Serial, Checked: c.Checked}
		}, true, false},
		{"Snapshot", func(t *testing.T, s *Store) result {
			v, ok := s.Snapshot(z)
			if !ok {
				return result{Err: "no copy"}
			}
			var b []string
			for _, txt := range v.All() {
				b = append(b, txt)
			}
			return result{Text: fmt.Sprint(b, v.Len(), v.Name("x."+z)), Serial: v.Serial()}
		}, true, false},
		{"History", func(t *testing.T, s *Store) result {
			h, err := s.History(z, 0, 0)
			return result{Text: fmt.Sprint(h), Err: errText(err)}
		}, true, false},
		{"Change", func(t *testing.T, s *Store) result {
			c, err := s.Change(z, 3)
			return result{Text: fmt.Sprint(c.From, c.To, c.Actors, text(c.Removed), text(c.Added)), Err: errText(err)}
		}, true, false},
		{"StateAt", func(t *testing.T, s *Store) result {
			rs, err := s.StateAt(z, 1)
			return result{Text: text(rs), Err: errText(err)}
		}, true, false},
		{"Matches", func(t *testing.T, s *Store) result {
			ok := s.Matches(z, Change{From: 1, To: 2, Added: rrs(t, "x."+z+". 300 IN A 192.0.2.2")})
			return result{Text: fmt.Sprint(ok)}
		}, true, false},
		{"Serial", func(t *testing.T, s *Store) result {
			serial, ok := s.Serial(z)
			return result{Serial: serial, Text: fmt.Sprint(ok)}
		}, false, false},
		{"sweep checks", func(t *testing.T, s *Store) result {
			from, local := s.Unverified(z)
			return result{Text: fmt.Sprint(from, local, s.Suspect(z), s.Passed(z, 3), s.Passed(z, 2))}
		}, false, false},
		{"Zones", func(t *testing.T, s *Store) result {
			return result{Text: fmt.Sprint(s.Zones())}
		}, false, false},
		{"Confirm", func(t *testing.T, s *Store) result {
			ok, wrong := s.Confirm(z, 3), s.Confirm(z, 2)
			c, _ := s.Current(z) // Checked survives the load
			return result{Text: fmt.Sprint(ok, wrong), Checked: c.Checked}
		}, true, false},
		{"Append", func(t *testing.T, s *Store) result {
			err := s.Append(t.Context(), z, []Change{{From: 3, To: 4, Added: rrs(t, "y."+z+". 300 IN A 192.0.2.4")}})
			c, _ := s.Current(z)
			return result{Text: text(c.RRs), Serial: c.Serial, Err: errText(err)}
		}, true, true},
		{"Append with a gap", func(t *testing.T, s *Store) result {
			err := s.Append(t.Context(), z, []Change{{From: 2, To: 4, Added: rrs(t, "y."+z+". 300 IN A 192.0.2.4")}})
			return result{Err: errText(err)}
		}, true, true},
		{"Replace", func(t *testing.T, s *Store) result {
			c, err := s.Replace(t.Context(), z, axfr(t, z, 9, "new A 192.0.2.9"), nil)
			cur, _ := s.Current(z)
			return result{Text: fmt.Sprint(c.From, c.To, text(c.Removed), text(c.Added), text(cur.RRs)), Err: errText(err)}
		}, true, true},
		{"Tx", func(t *testing.T, s *Store) result {
			tx, err := s.BeginUpdate(t.Context(), z, rrs(t, "t."+z+". 300 IN A 192.0.2.7"), func(u uint32) uint32 { return u + 10 }, nil)
			if err != nil {
				return result{Err: err.Error()}
			}
			if err := tx.Write(); err != nil {
				tx.Abort()
				return result{Err: err.Error()}
			}
			tx.Commit(t.Context())
			from, local := s.Unverified(z)
			c, _ := s.Current(z)
			return result{Text: fmt.Sprint(from, local, text(c.RRs)), Serial: c.Serial}
		}, true, false},
		{"Delete", func(t *testing.T, s *Store) result {
			err := s.Delete(t.Context(), z)
			_, ok := s.Current(z)
			return result{Text: fmt.Sprint(ok, s.Zones()), Err: errText(err)}
		}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newClock()
			// The same history in a store that keeps every copy, for what the use should see.
			ref := open(t, t.TempDir(), c, nil)
			seedCache(t, ref)
			dir := t.TempDir()
			s := open(t, dir, c, func(cfg *Config) { cfg.MaxLoaded = 4 })
			seedCache(t, s)
			if loaded(s, z) || loadedCount(s) > 4 {
				t.Fatalf("after using 6 zones with MaxLoaded 4: %s loaded %v, %d loaded", z, loaded(s, z), loadedCount(s))
			}
			c.Advance(time.Minute)
			want, got := tc.use(t, ref), tc.use(t, s)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s of an unloaded copy (-as if loaded +got):\n%s", tc.name, diff)
			}
			if tc.loads != loaded(s, z) {
				t.Errorf("%s: copy loaded afterwards = %v, want %v", tc.name, loaded(s, z), tc.loads)
			}
			if loadedCount(s) > 4 {
				t.Errorf("%d copies loaded, MaxLoaded is 4", loadedCount(s))
			}
			if !tc.reopened {
				return
			}
			s.Close()
			again := open(t, dir, c, nil)
			wantCp, wantOK := ref.Current(z)
			gotCp, gotOK := again.Current(z)
			if wantOK != gotOK || text(wantCp.RRs) != text(gotCp.RRs) {
				t.Errorf("after a reopen: copy %v %q, want %v %q", gotOK, text(gotCp.RRs), wantOK, text(wantCp.RRs))
			}
		})
	}
}

// A copy with a local change not yet verified against named, and one with a Tx under way, stay
// in memory whatever MaxLoaded says: what only memory knows of them (the change is unverified,
// the Tx's lock) must not be lost. Once verified, the copy can leave, and comes back neither
// suspect nor unverified although its log ends with a local change.
func TestCacheKeepsUnverifiedCopies(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := open(t, t.TempDir(), c, func(cfg *Config) { cfg.MaxLoaded = 2 })
	seedCache(t, s)
	tx, err := s.BeginUpdate(t.Context(), "a.test", rrs(t, "t.a.test. 300 IN A 192.0.2.7"), func(u uint32) uint32 { return u + 1 }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Write(); err != nil {
		t.Fatal(err)
	}
	tx.Commit(t.Context())
	open := func(z string) { // use a zone, which may unload the others
		if _, ok := s.Current(z); !ok {
			t.Fatalf("no copy of %s", z)
		}
	}
	for _, z := range cacheZones[1:] {
		open(z)
	}
	if !loaded(s, "a.test") {
		t.Fatal("a copy with an unverified local change was unloaded")
	}
	s.Verified("a.test")
	for _, z := range cacheZones[1:] {
		open(z)
	}
	if loaded(s, "a.test") {
		t.Fatal("a verified copy not used since stayed loaded beyond MaxLoaded")
	}
	from, local := s.Unverified("a.test")
	if local || s.Suspect("a.test") || !s.Passed("a.test", 4) {
		t.Errorf("unloaded after Verified: Unverified = %d %v, Suspect %v, Passed(4) %v; want none, false, true", from, local, s.Suspect("a.test"), s.Passed("a.test", 4))
	}
	if cp := current(t, s, "a.test"); cp.Serial != 4 || s.Suspect("a.test") {
		t.Errorf("loaded again: serial %d, suspect %v; want 4, false", cp.Serial, s.Suspect("a.test"))
	}
	if _, local := s.Unverified("a.test"); local {
		t.Error("loaded again: its local change counts as unverified")
	}
}

// Reads and writes of many zones at once through a cache of two: every change is kept, in
// order, whatever unloads and loads happen between them (run with -race).
func TestCacheConcurrentUse(t *testing.T) {
	t.Parallel()
	c := newClock()
	dir := t.TempDir()
	s := open(t, dir, c, func(cfg *Config) { cfg.MaxLoaded = 2 })
	seedCache(t, s)
	const steps = 20
	var wg sync.WaitGroup
	for _, z := range cacheZones {
		wg.Go(func() {
			for i := range steps {
				from := uint32(3 + i)
				if err := s.Append(context.Background(), z, []Change{{From: from, To: from + 1,
					Added: []dns.RR{rr(t, fmt.Sprintf("n%d.%s. 300 IN A 192.0.2.1", i, z))}}}); err != nil {
					t.Errorf("%s: step %d: %v", z, i, err)
					return
				}
			}
		})
		wg.Go(func() {
			for range steps {
				s.Serial(z)
				s.Confirm(z, 3)
				if _, ok := s.Snapshot(z); !ok {
					t.Errorf("%s: no copy", z)
					return
				}
			}
		})
	}
	wg.Wait()
	s.Close()
	again := open(t, dir, c, nil)
	for _, z := range cacheZones {
		cp := current(t, again, z)
		if cp.Serial != 3+steps || len(cp.RRs) != 3+steps {
			t.Errorf("%s after a reopen: serial %d with %d records, want %d with %d", z, cp.Serial, len(cp.RRs), 3+steps, 3+steps)
		}
	}
	if got := again.Zones(); !slices.Equal(got, cacheZones) {
		t.Errorf("Zones = %v, want %v", got, cacheZones)
	}
}

// When more copies are pinned (unverified local changes) than MaxLoaded allows, a use of an
// unloaded copy still gets it: the copy it just loaded is not unloaded again before it is used
// (that looped a writer until its deadline under a stream of updates to many zones).
func TestCachePinnedBeyondBound(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := open(t, t.TempDir(), c, func(cfg *Config) { cfg.MaxLoaded = 4 })
	seedCache(t, s)
	for _, z := range cacheZones[1:] { // pinned: a local change not verified yet
		tx, err := s.BeginUpdate(t.Context(), z, rrs(t, "t."+z+". 300 IN A 192.0.2.7"), func(u uint32) uint32 { return u + 1 }, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Write(); err != nil {
			t.Fatal(err)
		}
		tx.Commit(t.Context())
	}
	if loaded(s, "a.test") {
		t.Fatal("a.test, unpinned and least recently used, is still loaded")
	}
	done := make(chan error, 1)
	go func() {
		if _, ok := s.Current("a.test"); !ok {
			done <- fmt.Errorf("Current: no copy")
			return
		}
		done <- s.Append(context.Background(), "a.test", []Change{{From: 3, To: 4, Added: rrs(t, "y.a.test. 300 IN A 192.0.2.4")}})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a use of an unloaded copy did not return within 10 s while other copies are pinned")
	}
	if cp := current(t, s, "a.test"); cp.Serial != 4 {
		t.Errorf("serial %d after the append, want 4", cp.Serial)
	}
}
