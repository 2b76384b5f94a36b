package zonecopy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestRetention keeps a change while it is among the last MaxChanges or younger than MaxAge,
// whichever keeps more, across compactions and restarts.
func TestRetention(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		maxChanges int
		maxAge     time.Duration
		changes    int
		step       time.Duration
		want       int
	}{
		{"count only", 3, -1, 10, time.Hour, 3},
		{"age keeps more", 2, 5 * time.Hour, 10, time.Hour, 5}, // ages 0..4 h are younger than 5 h
		{"count keeps more", 6, 2 * time.Hour, 10, time.Hour, 6},
		{"default age keeps all", 2, 0, 10, 24 * time.Hour, 10},
		{"fewer than either", 20, time.Hour, 5, time.Hour, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir, c := t.TempDir(), newClock()
			mod := func(cfg *Config) { cfg.MaxChanges, cfg.MaxAge = tc.maxChanges, tc.maxAge }
			s := open(t, dir, c, mod)
			zero := int64(0)
			s.compactAt = &zero
			if _, err := s.Replace(t.Context(), tz, axfr(t, tz, 0, "www A 192.0.2.1"), nil); err != nil {
				t.Fatal(err)
			}
			for i := range uint32(tc.changes) {
				if err := s.Append(t.Context(), tz, parseChanges(t, fmt.Sprintf("%d %d +h%d A 192.0.2.2", i, i+1, i))); err != nil {
					t.Fatal(err)
				}
				if i+1 < uint32(tc.changes) {
					c.Advance(tc.step)
				}
			}
			check := func(s *Store, when string) {
				h, err := s.History(tz, 0, 0)
				if err != nil {
					t.Fatal(err)
				}
				oldest := uint32(tc.changes - tc.want)
				if len(h) != tc.want || h[len(h)-1].From != oldest {
					t.Fatalf("%s: %d changes retained, oldest from %d; want %d from %d", when, len(h), h[len(h)-1].From, tc.want, oldest)
				}
				if st, err := s.StateAt(tz, oldest); err != nil || len(st) != 3+int(oldest) {
					t.Errorf("%s: StateAt(oldest %d) = %d records, %v", when, oldest, len(st), err)
				}
				if oldest > 0 {
					if _, err := s.StateAt(tz, oldest-1); !errors.Is(err, ErrNotFound) {
						t.Errorf("%s: StateAt(dropped) = %v, want ErrNotFound", when, err)
					}
				}
			}
			check(s, "memory")
			want := dump(t, s, tz)
			if got := dump(t, open(t, copyDir(t, dir), c, mod), tz); got != want {
				t.Errorf("restart before compaction:\n%s\nwant\n%s", got, want)
			}
			if err := s.compact(t.Context(), s.zones[tz]); err != nil {
				t.Fatal(err)
			}
			if got, want := snapshotSerial(t, dir, tz), uint32(tc.changes-tc.want); got != want {
				t.Errorf("snapshot at serial %d after compaction, want %d", got, want)
			}
			s2 := open(t, copyDir(t, dir), c, mod)
			check(s2, "after compaction and restart")
			if got := dump(t, s2, tz); got != want {
				t.Errorf("restart after compaction:\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// TestCompactionBoundsTheLog: with many more changes than retention keeps, compaction runs on
// its own and the log stays within about twice what retention needs.
func TestCompactionBoundsTheLog(t *testing.T) {
	t.Parallel()
	dir, c := t.TempDir(), newClock()
	s := open(t, dir, c, func(cfg *Config) { cfg.MaxChanges, cfg.MaxAge = 10, -1 })
	small := int64(2048)
	s.compactAt = &small
	if _, err := s.Replace(t.Context(), tz, axfr(t, tz, 0), nil); err != nil {
		t.Fatal(err)
	}
	var maxLog int64
	for i := range uint32(300) {
		if err := s.Append(t.Context(), tz, parseChanges(t, fmt.Sprintf("%d %d +h%d A 192.0.2.2", i, i+1, i))); err != nil {
			t.Fatal(err)
		}
		maxLog = max(maxLog, fileSize(t, filepath.Join(dir, tz, changesFile)))
	}
	z := s.zones[tz]
	var kept int64
	for _, e := range z.hist {
		kept += int64(len(e.frame))
	}
	if snap := snapshotSerial(t, dir, tz); snap == 0 {
		t.Error("never compacted")
	}
	if bound := 2*(kept+z.snapBytes) + small + kept; maxLog > bound {
		t.Errorf("log grew to %d bytes, bound %d", maxLog, bound)
	}
	st, err := os.ReadFile(filepath.Join(dir, tz, snapshotFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("retained %d bytes of changes, snapshot %d bytes, largest log %d bytes", kept, len(st), maxLog)
}
