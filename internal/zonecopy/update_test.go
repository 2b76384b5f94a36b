package zonecopy

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// upd parses update-section records: "+ name ttl type rdata" adds (class IN), "- name type"
// deletes an RRset (class ANY; type ANY: the name), "x name ttl type rdata" deletes one record
// (class NONE). Names are relative to tz.
func upd(t *testing.T, lines ...string) []dns.RR {
	t.Helper()
	var out []dns.RR
	for _, l := range lines {
		op, rest, _ := strings.Cut(l, " ")
		name, rest, _ := strings.Cut(rest, " ")
		owner := tz + "."
		if name != "@" {
			owner = name + "." + owner
		}
		switch op {
		case "+":
			out = append(out, rr(t, owner+" "+rest))
		case "-":
			typ := dns.StringToType[rest]
			out = append(out, &dns.ANY{Hdr: dns.RR_Header{Name: owner, Rrtype: typ, Class: dns.ClassANY}})
		case "x":
			r := rr(t, owner+" "+rest)
			r.Header().Class, r.Header().Ttl = dns.ClassNONE, 0
			out = append(out, r)
		default:
			t.Fatalf("bad op %q", l)
		}
	}
	return out
}

func next(old uint32) uint32 { return old + 1 }

// TestBeginUpdateAppliesAsBIND checks each rule of applyUpdate (BIND 9.18's update.c, checked
// against named by hand with nsupdate: see the commit adding it) on a copy.
func TestBeginUpdateAppliesAsBIND(t *testing.T) {
	t.Parallel()
	base := []string{"www A 192.0.2.1", "www A 192.0.2.2", "alias CNAME www.example.test.", "mail MX 10 mx.example.test.",
		"two TXT \"a\"", "two AAAA 2001:db8::1"}
	tests := []struct {
		name  string
		upd   []string
		added []string // as the copy stores them (canonical text)
		gone  []string
	}{
		{"add", []string{"+ new 300 A 192.0.2.9"}, []string{"new.example.test.\t300\tIN\tA\t192.0.2.9"}, nil},
		{"duplicate add changes nothing", []string{"+ www 300 A 192.0.2.1"}, nil, nil},
		{"another TTL re-times the RRset", []string{"+ www 600 A 192.0.2.3"},
			[]string{"www.example.test.\t600\tIN\tA\t192.0.2.1", "www.example.test.\t600\tIN\tA\t192.0.2.2", "www.example.test.\t600\tIN\tA\t192.0.2.3"},
			[]string{"www.example.test.\t300\tIN\tA\t192.0.2.1", "www.example.test.\t300\tIN\tA\t192.0.2.2"}},
		{"CNAME beside data is ignored", []string{"+ www 300 CNAME other.example.test."}, nil, nil},
		{"data beside a CNAME is ignored", []string{"+ alias 300 A 192.0.2.5"}, nil, nil},
		{"a CNAME replaces the CNAME", []string{"+ alias 300 CNAME mail.example.test."},
			[]string{"alias.example.test.\t300\tIN\tCNAME\tmail.example.test."}, []string{"alias.example.test.\t300\tIN\tCNAME\twww.example.test."}},
		{"delete then add in one update", []string{"- alias CNAME", "+ alias 300 A 192.0.2.5"},
			[]string{"alias.example.test.\t300\tIN\tA\t192.0.2.5"}, []string{"alias.example.test.\t300\tIN\tCNAME\twww.example.test."}},
		{"delete an RRset", []string{"- www A"}, nil,
			[]string{"www.example.test.\t300\tIN\tA\t192.0.2.1", "www.example.test.\t300\tIN\tA\t192.0.2.2"}},
		{"delete a name", []string{"- two ANY"}, nil,
			[]string{"two.example.test.\t300\tIN\tTXT\t\"a\"", "two.example.test.\t300\tIN\tAAAA\t2001:db8::1"}},
		{"delete one record, any TTL and case", []string{"x WWW 1 A 192.0.2.1"}, nil, []string{"www.example.test.\t300\tIN\tA\t192.0.2.1"}},
		{"name data compares without case", []string{"+ mail 300 MX 10 MX.Example.Test."}, nil, nil},
		{"delete a record not there", []string{"x www 300 A 192.0.2.99"}, nil, nil},
		{"the apex NS set is kept", []string{"- @ NS", "- @ ANY", "x @ 3600 NS ns1.example.test."}, nil, nil},
		{"an apex NS beside another may go", []string{"+ @ 3600 NS ns2.example.test.", "x @ 3600 NS ns1.example.test."},
			[]string{"example.test.\t3600\tIN\tNS\tns2.example.test."}, []string{"example.test.\t3600\tIN\tNS\tns1.example.test."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t, t.TempDir(), newClock(), nil)
			if _, err := s.Replace(t.Context(), tz, axfr(t, tz, 7, base...), nil); err != nil {
				t.Fatal(err)
			}
			tx, err := s.BeginUpdate(t.Context(), tz, upd(t, tt.upd...), next, []Actor{{Principal: "p"}})
			if err != nil {
				t.Fatal(err)
			}
			if tx.From().Serial != 7 || tx.Serial() != 8 || tx.SOA().Serial != 8 {
				t.Fatalf("from %d to %d", tx.From().Serial, tx.Serial())
			}
			if err := tx.Write(); err != nil {
				t.Fatal(err)
			}
			tx.Commit(t.Context())
			c, err := s.Change(tz, 8)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := lines(c.Added), strings.Join(tt.added, "\n"); !sameSet(got, want) {
				t.Errorf("added:\n%s\nwant:\n%s", got, want)
			}
			if got, want := lines(c.Removed), strings.Join(tt.gone, "\n"); !sameSet(got, want) {
				t.Errorf("removed:\n%s\nwant:\n%s", got, want)
			}
			if from, ok := s.Unverified(tz); !ok || from != 7 {
				t.Errorf("Unverified = %d, %v; want 7, true", from, ok)
			}
		})
	}
}

func lines(rs []dns.RR) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.String())
	}
	return strings.Join(out, "\n")
}

func sameSet(a, b string) bool {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	if len(x) != len(y) {
		return false
	}
	seen := map[string]int{}
	for _, l := range x {
		seen[l]++
	}
	for _, l := range y {
		seen[l]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestBeginUpdateRefuses(t *testing.T) {
	t.Parallel()
	s := open(t, t.TempDir(), newClock(), nil)
	if _, err := s.BeginUpdate(t.Context(), tz, upd(t, "+ a 300 A 192.0.2.1"), next, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no copy: %v", err)
	}
	if _, err := s.Replace(t.Context(), tz, axfr(t, tz, 7), nil); err != nil {
		t.Fatal(err)
	}
	for _, u := range [][]dns.RR{
		upd(t, "+ @ 300 SOA ns1.example.test. h.example.test. 9 1 1 1 1"),
		upd(t, "+ a 300 RRSIG A 13 3 300 20270101000000 20260101000000 1 example.test. AAAA"),
		{rr(t, "a.other.test. 300 IN A 192.0.2.1")},
		{rr(t, "a.example.test. 300 CH A 192.0.2.1")},
		upd(t, "+ ok 300 A 192.0.2.1", "+ @ 300 SOA ns1.example.test. h.example.test. 9 1 1 1 1"), // any record refuses the whole
	} {
		if _, err := s.BeginUpdate(t.Context(), tz, u, next, nil); !errors.Is(err, ErrNotLocal) {
			t.Errorf("%v: %v, want ErrNotLocal", u, err)
		}
	}
	// A refusal leaves the zone unlocked: a write goes through.
	if _, err := s.Replace(t.Context(), tz, axfr(t, tz, 8, "b A 192.0.2.2"), nil); err != nil {
		t.Fatal(err)
	}
}

// TestTxAbortAndCrash: an aborted change is neither visible nor in the log after a restart; a
// written one survives a restart before Commit (a crash while named applies the update: the
// caller got no answer, and the copy then holds the change, which named also has or which the
// next fetch undoes); a Replace clears the unverified mark.
func TestTxAbortAndCrash(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, dir, newClock(), nil)
	ctx := t.Context()
	if _, err := s.Replace(ctx, tz, axfr(t, tz, 7, "www A 192.0.2.1"), nil); err != nil {
		t.Fatal(err)
	}
	tx, err := s.BeginUpdate(ctx, tz, upd(t, "+ a 300 A 192.0.2.9"), next, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Write(); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Serial(tz); got != 7 {
		t.Fatalf("a written, uncommitted change is visible: serial %d", got)
	}
	tx.Abort()
	tx.Commit(ctx) // after Abort: nothing
	if got, _ := s.Serial(tz); got != 7 {
		t.Fatalf("serial %d after Abort", got)
	}
	if _, ok := s.Unverified(tz); ok {
		t.Fatal("an aborted change is unverified")
	}
	s.Close()
	s = open(t, dir, newClock(), nil)
	if got, _ := s.Serial(tz); got != 7 {
		t.Fatalf("serial %d after Abort and reopen", got)
	}

	tx, err = s.BeginUpdate(ctx, tz, upd(t, "+ b 300 A 192.0.2.8"), next, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Write(); err != nil {
		t.Fatal(err)
	}
	crashed := copyDir(t, dir) // the process dies here, before Commit
	tx.Commit(ctx)
	if got, _ := s.Serial(tz); got != 8 {
		t.Fatalf("serial %d after Commit", got)
	}
	s2 := open(t, crashed, newClock(), nil)
	if v, _ := s2.Serial(tz); v != 8 {
		t.Fatal("a written change is lost by a crash before Commit")
	}
	// named may never have applied it: the reopened copy has it checked against named.
	if from, ok := s2.Unverified(tz); !ok || from != 7 {
		t.Fatalf("after a crash before Commit: Unverified = %d, %v; want 7, true", from, ok)
	}
	// Nor is a change made on it locally before that check: named's SOA at 8 may be another
	// change's with the same fields, and a prerequisite on it would pass.
	if _, err := s2.BeginUpdate(ctx, tz, upd(t, "+ c 300 A 192.0.2.7"), next, nil); !errors.Is(err, ErrNotLocal) {
		t.Fatalf("BeginUpdate on a copy whose last change is unchecked: %v, want ErrNotLocal", err)
	}
	s2.Verified(tz)
	tx, err = s2.BeginUpdate(ctx, tz, upd(t, "+ c 300 A 192.0.2.7"), next, nil)
	if err != nil {
		t.Fatalf("BeginUpdate once checked: %v", err)
	}
	tx.Abort()
	s2.Close()
	if _, err := s.Replace(ctx, tz, axfr(t, tz, 8, "www A 192.0.2.1", "b A 192.0.2.8"), nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Unverified(tz); ok {
		t.Fatal("Replace left the unverified mark")
	}
}

func TestMatches(t *testing.T) {
	t.Parallel()
	s := open(t, t.TempDir(), newClock(), nil)
	if _, err := s.Replace(t.Context(), tz, axfr(t, tz, 7, "www A 192.0.2.1"), nil); err != nil {
		t.Fatal(err)
	}
	tx, err := s.BeginUpdate(t.Context(), tz, upd(t, "+ www 600 A 192.0.2.2"), next, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Write(); err != nil {
		t.Fatal(err)
	}
	tx.Commit(t.Context())
	named := Change{From: 7, To: 8, Removed: rrs(t, "www.example.test. 300 IN A 192.0.2.1"),
		Added: rrs(t, "WWW.example.test. 600 IN A 192.0.2.1", "www.example.test. 600 IN A 192.0.2.2")}
	if !s.Matches(tz, named) {
		t.Error("named's own record of the change does not match")
	}
	named.Removed = nil // named kept the old TTL: not what the copy has
	if s.Matches(tz, named) {
		t.Error("a different change matches")
	}
	if s.Matches(tz, Change{From: 6, To: 8}) || s.Matches(tz, Change{From: 8, To: 9}) {
		t.Error("another step matches")
	}
}

// TestLogReserve: the change log keeps zeros reserved after its records, so most appends
// overwrite space the file already has (fdatasync, no metadata to commit); an aborted change
// turns back into reserve; a reopened store keeps the reserve and appends after the records.
func TestLogReserve(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, dir, newClock(), nil)
	ctx := t.Context()
	if _, err := s.Replace(ctx, tz, axfr(t, tz, 1), nil); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, tz, changesFile)
	sizes := map[int64]int{}
	for i := range 20 {
		if err := s.Append(ctx, tz, []Change{{From: uint32(i + 1), To: uint32(i + 2), Added: rrs(t, fmt.Sprintf("h%d.example.test. 300 IN A 192.0.2.%d", i, i+1))}}); err != nil {
			t.Fatal(err)
		}
		size, end := fileSize(t, log), recordsEnd(t, log)
		if size <= end || size%minReserve != 0 {
			t.Fatalf("after append %d: file %d bytes, records end at %d: no reserve", i, size, end)
		}
		sizes[size]++
	}
	if len(sizes) > 3 {
		t.Errorf("the file grew at %d of 20 appends (%v): the reserve is not used", len(sizes), sizes)
	}
	size, end := fileSize(t, log), recordsEnd(t, log)
	tx, err := s.BeginUpdate(ctx, tz, upd(t, "+ x 300 A 192.0.2.99"), next, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Write(); err != nil {
		t.Fatal(err)
	}
	tx.Abort()
	if fileSize(t, log) != size || recordsEnd(t, log) != end {
		t.Fatalf("after Abort: file %d (was %d), records end %d (was %d)", fileSize(t, log), size, recordsEnd(t, log), end)
	}
	want := dump(t, s, tz)
	s.Close()
	s = open(t, dir, newClock(), nil)
	if got := dump(t, s, tz); got != want {
		t.Fatalf("after reopen:\n%s\nwant\n%s", got, want)
	}
	if fileSize(t, log) != size {
		t.Fatalf("reopen changed the file: %d bytes, was %d", fileSize(t, log), size)
	}
	if err := s.Append(ctx, tz, []Change{{From: 21, To: 22, Added: rrs(t, "after.example.test. 300 IN A 192.0.2.200")}}); err != nil {
		t.Fatal(err)
	}
	after := dump(t, s, tz)
	s.Close()
	if got := dump(t, open(t, dir, newClock(), nil), tz); got != after {
		t.Fatalf("append after reopen lost:\n%s\nwant\n%s", got, after)
	}
}

func TestSnapshotName(t *testing.T) {
	t.Parallel()
	s := open(t, t.TempDir(), newClock(), nil)
	if _, err := s.Replace(t.Context(), tz, axfr(t, tz, 3, "www A 192.0.2.1", "www AAAA 2001:db8::1", "a.www A 192.0.2.2", "wwx A 192.0.2.3"), nil); err != nil {
		t.Fatal(err)
	}
	v, _ := s.Snapshot(tz)
	for _, tt := range []struct {
		owner string
		want  int
	}{{"WWW.example.test", 2}, {"a.www.example.test.", 1}, {"example.test.", 2}, {"nope.example.test.", 0}} {
		if got := v.Name(tt.owner); len(got) != tt.want {
			t.Errorf("Name(%s) = %v, want %d records", tt.owner, got, tt.want)
		}
	}
	if v.SOA().Serial != 3 {
		t.Errorf("SOA serial %d", v.SOA().Serial)
	}
}

// TestApplyFewIsApplyMerge: the binary-search path of apply gives what the merge pass gives,
// errors included, on random changes (removals, additions, a record removed and added again,
// a removal of a missing record, an addition of a present one).
func TestApplyFewIsApplyMerge(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	all := hosts(t, 400)
	for round := range 500 {
		n := 50 + r.IntN(300)
		perm := r.Perm(len(all))
		st := mustItemsIn(t, tz, pick(all, perm[:n]))
		var rem, add []dns.RR
		for range 1 + r.IntN(4) {
			switch r.IntN(5) {
			case 0, 1:
				rem = append(rem, all[perm[r.IntN(n)]])
			case 2, 3:
				add = append(add, all[perm[n+r.IntN(len(all)-n)]])
			default: // the odd cases: both, a missing removal, a present addition
				x := all[perm[r.IntN(len(all))]]
				if r.IntN(2) == 0 {
					rem = append(rem, x)
				}
				add = append(add, x)
			}
		}
		ri, ai := mustItemsIn(t, tz, rem), mustItemsIn(t, tz, add)
		want, werr := applyMerge(st, ri, ai)
		got, gerr := applyFew(st, ri, ai)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("round %d: merge err %v, few err %v", round, werr, gerr)
		}
		if werr == nil && !slices.EqualFunc(want, got, func(a, b item) bool { return a.key == b.key }) {
			t.Fatalf("round %d: merge %d items, few %d items differ", round, len(want), len(got))
		}
	}
}

func pick(all []dns.RR, idx []int) []dns.RR {
	out := make([]dns.RR, len(idx))
	for i, j := range idx {
		out[i] = all[j]
	}
	return out
}
