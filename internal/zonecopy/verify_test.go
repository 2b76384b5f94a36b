package zonecopy

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// localChanges gives tz a fetched copy at serial 7 (Replace) and then n changes applied ahead
// of named (8, 9, …), committed.
func localChanges(t *testing.T, s *Store, n int) {
	t.Helper()
	if _, err := s.Replace(t.Context(), tz, axfr(t, tz, 7, "www A 192.0.2.1"), nil); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		tx, err := s.BeginUpdate(t.Context(), tz, upd(t, fmt.Sprintf("+ l%d 300 A 192.0.2.9", i)), next, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Write(); err != nil {
			t.Fatal(err)
		}
		tx.Commit(t.Context())
	}
}

// TestPassed: a NOTIFY's serial tells the copy nothing new when the copy is at it or got past
// it by its own unverified local changes; an older serial, or one before the oldest unverified
// change, or any serial for a copy that may hold a change named never applied, does.
func TestPassed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		local    int    // local changes after the fetched serial 7
		verified uint32 // VerifiedTo this serial first (0: no)
		serial   uint32
		want     bool
	}{
		{"the copy's serial, fetched", 0, 0, 7, true},
		{"another serial, no local change", 0, 0, 6, false},
		{"the copy's serial after local changes", 3, 0, 10, true},
		{"a serial a local change went through", 3, 0, 9, true},
		{"the serial before the oldest local change", 3, 0, 7, true},
		{"a serial the copy never had", 3, 0, 12, false},
		{"a serial before the oldest unverified change", 3, 9, 8, false},
		{"after a partial verification", 3, 9, 9, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t, t.TempDir(), newClock(), nil)
			localChanges(t, s, tc.local)
			if tc.verified != 0 {
				s.VerifiedTo(tz, tc.verified)
			}
			if got := s.Passed(tz, tc.serial); got != tc.want {
				t.Errorf("Passed(%d) = %v, want %v", tc.serial, got, tc.want)
			}
		})
	}
	s := open(t, t.TempDir(), newClock(), nil)
	if s.Passed(tz, 7) {
		t.Error("Passed is true for a zone without a copy")
	}
}

// TestVerifiedTo: verifying up to a serial the copy went through leaves the later local changes
// unverified, from that serial; verifying up to the copy's serial clears the mark.
func TestVerifiedTo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		to       uint32
		wantFrom uint32
		wantOK   bool
	}{{8, 8, true}, {9, 9, true}, {10, 0, false}} {
		t.Run(fmt.Sprint(tc.to), func(t *testing.T) {
			t.Parallel()
			s := open(t, t.TempDir(), newClock(), nil)
			localChanges(t, s, 3)
			if from, ok := s.Unverified(tz); !ok || from != 7 {
				t.Fatalf("Unverified = %d, %v before; want 7, true", from, ok)
			}
			s.VerifiedTo(tz, tc.to)
			from, ok := s.Unverified(tz)
			if ok != tc.wantOK || ok && from != tc.wantFrom {
				t.Errorf("after VerifiedTo(%d): Unverified = %d, %v; want %d, %v", tc.to, from, ok, tc.wantFrom, tc.wantOK)
			}
		})
	}
}

// TestLogKeptOpen: a zone's change log stays open between writes, and every write still reaches
// the file a restart reads, across a compaction (which replaces the file) and a Tx's abort.
func TestLogKeptOpen(t *testing.T) {
	t.Parallel()
	for _, compact := range []bool{false, true} {
		t.Run(fmt.Sprint("compact=", compact), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s := open(t, dir, newClock(), func(cfg *Config) { cfg.MaxChanges, cfg.MaxAge = 2, -1 })
			localChanges(t, s, 2) // serials 8, 9
			if n := s.openLogs.Load(); n != 1 {
				t.Fatalf("%d logs open after writes, want 1", n)
			}
			if compact {
				zero := int64(0)
				s.compactAt = &zero
			}
			tx, err := s.BeginUpdate(t.Context(), tz, upd(t, "+ gone 300 A 192.0.2.7"), next, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := tx.Write(); err != nil {
				t.Fatal(err)
			}
			tx.Abort()
			for i := range 6 { // 10 … 15
				tx, err := s.BeginUpdate(t.Context(), tz, upd(t, fmt.Sprintf("+ k%d 300 A 192.0.2.9", i)), next, nil)
				if err != nil {
					t.Fatal(err)
				}
				if err := tx.Write(); err != nil {
					t.Fatal(err)
				}
				tx.Commit(t.Context())
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if n := s.openLogs.Load(); n != 0 {
				t.Fatalf("%d logs open after Close, want 0", n)
			}
			s = open(t, dir, newClock(), func(cfg *Config) { cfg.MaxChanges, cfg.MaxAge = 2, -1 })
			got := current(t, s, tz)
			if got.Serial != 15 || len(got.RRs) != 11 { // SOA, NS, www, l0, l1, k0 … k5
				t.Fatalf("after reopening: serial %d, %d records; want 15, 11:\n%s", got.Serial, len(got.RRs), text(got.RRs))
			}
			snap, err := os.ReadFile(filepath.Join(dir, tz, snapshotFile))
			if err != nil {
				t.Fatal(err)
			}
			if compacted := !strings.Contains(strings.SplitN(string(snap), "\n", 2)[0], " serial=7 "); compacted != compact {
				t.Fatalf("compacted %v, want %v: %s", compacted, compact, strings.SplitN(string(snap), "\n", 2)[0])
			}
		})
	}
}

// TestApplyAllIsStepwise: applying several changes at once gives what applying them one by one
// gives, errors included and found at the same change, on random sequences (removals,
// additions, records removed and added again across changes, a removal of a missing record,
// an addition of a present one).
func TestApplyAllIsStepwise(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	var all []dns.RR
	for i := range 300 {
		all = append(all, rr(t, fmt.Sprintf("h%03d.example.test. 300 IN A 10.0.%d.%d", i, i>>8, i&255)))
	}
	keys := func(its []item) string {
		var b strings.Builder
		for _, it := range its {
			b.WriteString(it.key + "\n")
		}
		return b.String()
	}
	for round := range 400 {
		perm := r.Perm(len(all))
		n := 50 + r.IntN(200)
		st := mustItemsIn(t, tz, pick(all, perm[:n]))
		in := map[int]bool{} // the records present after the changes so far
		for _, i := range perm[:n] {
			in[i] = true
		}
		var rems, adds [][]item
		for range 1 + r.IntN(8) {
			var rem, add []dns.RR
			taken := map[int]bool{} // one operation per record and change
			for range 1 + r.IntN(4) {
				i := r.IntN(len(all))
				if taken[i] {
					continue
				}
				taken[i] = true
				switch op := r.IntN(20); {
				case op == 0: // the odd case: a removal or an addition that does not apply
					if in[i] {
						add = append(add, all[i])
					} else {
						rem = append(rem, all[i])
					}
				case op < 4 && in[i]: // removed and added again in one change
					rem, add = append(rem, all[i]), append(add, all[i])
				case in[i]:
					rem = append(rem, all[i])
					in[i] = false
				default:
					add = append(add, all[i])
					in[i] = true
				}
			}
			rems, adds = append(rems, mustItemsIn(t, tz, rem)), append(adds, mustItemsIn(t, tz, add))
		}
		want, wantFailed, werr := st, -1, error(nil)
		for i := range rems {
			if want, werr = apply(want, rems[i], adds[i]); werr != nil {
				wantFailed = i
				break
			}
		}
		// st in chunks of a few records, so that the changes cross chunks.
		got, failed, gerr := applyAll(chunked(st, 1+r.IntN(9)), rems, adds)
		switch {
		case (werr == nil) != (gerr == nil):
			t.Fatalf("round %d: one by one: %v; at once: %v", round, werr, gerr)
		case werr != nil && (failed != wantFailed || !errors.Is(gerr, ErrDiverged)):
			t.Fatalf("round %d: failed at change %d (%v), one by one at %d (%v)", round, failed, gerr, wantFailed, werr)
		case werr == nil && keys(got.flat()) != keys(want):
			t.Fatalf("round %d: at once %d records, one by one %d", round, got.Len(), len(want))
		}
	}
}

// TestMatchesStoredText: named's record of a change matches the copy's log record, compared as
// text in the copy's form (owner in lower case, data as given, TTL included), for records whose
// text has quotes and escapes.
func TestMatchesStoredText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		upd   string // the change made ahead of named
		named string // named's record of it (IXFR)
		want  bool
	}{
		{"TXT with quotes and spaces", `+ t 300 TXT "a b" "c\"d"`, `t.example.test. 300 IN TXT "a b" "c\"d"`, true},
		{"owner in another case", "+ m 300 MX 10 MAIL.Example.Test.", "M.EXAMPLE.TEST. 300 IN MX 10 MAIL.Example.Test.", true},
		{"data in another case", "+ m 300 MX 10 MAIL.Example.Test.", "m.example.test. 300 IN MX 10 mail.example.test.", false}, // as before: named keeps the case given
		{"escaped bytes", `+ e 300 TXT "caf\195\169"`, `e.example.test. 300 IN TXT "café"`, true},
		{"another TTL", "+ a 300 A 192.0.2.5", "a.example.test. 301 IN A 192.0.2.5", false},
		{"other data", "+ a 300 A 192.0.2.5", "a.example.test. 300 IN A 192.0.2.6", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t, t.TempDir(), newClock(), nil)
			if _, err := s.Replace(t.Context(), tz, axfr(t, tz, 7, "www A 192.0.2.1"), nil); err != nil {
				t.Fatal(err)
			}
			tx, err := s.BeginUpdate(t.Context(), tz, upd(t, tc.upd), next, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := tx.Write(); err != nil {
				t.Fatal(err)
			}
			tx.Commit(t.Context())
			if got := s.Matches(tz, Change{From: 7, To: 8, Added: rrs(t, tc.named)}); got != tc.want {
				t.Errorf("Matches = %v, want %v", got, tc.want)
			}
		})
	}
}
