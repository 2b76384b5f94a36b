package zonecopy

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// chunked holds sorted in chunks of size records (newRecs cuts chunkSize), for tests that
// must cross chunk boundaries with few records.
func chunked(sorted []item, size int) recs {
	r := recs{n: len(sorted)}
	for i := 0; i < len(sorted); i += size {
		j := min(i+size, len(sorted))
		r.chunks = append(r.chunks, sorted[i:j:j])
	}
	return r
}

func itemKeys(its []item) []string {
	out := make([]string, len(its))
	for i, it := range its {
		out[i] = it.key
	}
	return out
}

// checkRecs fails unless r is well formed: chunks non-empty, within chunkMax, in order, n right.
func checkRecs(t *testing.T, r recs) {
	t.Helper()
	n := 0
	for i, c := range r.chunks {
		if len(c) == 0 || len(c) > chunkMax {
			t.Fatalf("chunk %d of %d holds %d records", i, len(r.chunks), len(c))
		}
		n += len(c)
	}
	if n != r.n {
		t.Fatalf("Len %d, chunks hold %d", r.n, n)
	}
	if !slices.IsSortedFunc(r.flat(), func(a, b item) int { return strings.Compare(a.key, b.key) }) {
		t.Fatal("records out of order")
	}
}

// TestRecsApplyIsApply: a change applied chunk by chunk gives what apply gives on one slice,
// errors included, for chunks of every size from one record, on random changes (additions
// before the first record, between chunks and after the last; a missing removal; a present
// addition; a record removed and added again).
func TestRecsApplyIsApply(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	all := hosts(t, 400)
	for round := range 600 {
		perm := r.Perm(len(all))
		n := r.IntN(300)
		st := mustItemsIn(t, tz, pick(all, perm[:n]))
		var rem, add []dns.RR
		for range r.IntN(40) {
			switch k := r.IntN(30); {
			case k == 0 && n > 0: // removed and added again
				x := all[perm[r.IntN(n)]]
				rem, add = append(rem, x), append(add, x)
			case k == 1: // a missing removal or a present addition
				x := all[perm[r.IntN(len(all))]]
				if r.IntN(2) == 0 {
					rem = append(rem, x)
				} else {
					add = append(add, x)
				}
			case k < 15 && n > 0:
				rem = append(rem, all[perm[r.IntN(n)]])
			case len(all) > n:
				add = append(add, all[perm[n+r.IntN(len(all)-n)]])
			}
		}
		ri, ai := mustItemsIn(t, tz, rem), mustItemsIn(t, tz, add)
		want, werr := apply(st, ri, ai)
		size := 1 + r.IntN(20)
		if round%10 == 0 {
			size = chunkMax + 1 // one chunk over chunkMax: cut on the way out
		}
		got, gerr := chunked(st, size).apply(ri, ai)
		if (werr == nil) != (gerr == nil) || gerr != nil && !errors.Is(gerr, ErrDiverged) {
			t.Fatalf("round %d: apply: %v; chunked: %v", round, werr, gerr)
		}
		if werr != nil {
			continue
		}
		checkRecs(t, got)
		if !slices.Equal(itemKeys(want), itemKeys(got.flat())) {
			t.Fatalf("round %d (chunks of %d): %d records, want %d", round, size, got.Len(), len(want))
		}
	}
}

// TestRecsFindSpan: find and span over chunks give what they give over one slice, spans that
// cross chunks included.
func TestRecsFindSpan(t *testing.T) {
	t.Parallel()
	var rs []dns.RR
	for i := range 30 {
		for j := range 1 + i%4 { // names with 1 to 4 records
			rs = append(rs, rr(t, fmt.Sprintf("n%02d.example.test. 300 IN A 10.0.%d.%d", i, i, j)))
		}
	}
	st := mustItemsIn(t, tz, rs)
	for size := 1; size <= 9; size++ {
		c := chunked(st, size)
		for i := range 31 {
			prefix := nameKey(fmt.Sprintf("n%02d.example.test.", i))
			var want []string
			for _, it := range st {
				if strings.HasPrefix(it.key, prefix) {
					want = append(want, it.key)
				}
			}
			if got := itemKeys(c.span(prefix)); !slices.Equal(want, got) {
				t.Errorf("chunks of %d: span(n%02d) = %d records, want %d", size, i, len(got), len(want))
			}
		}
		for _, it := range st {
			if got, ok := c.find(it.key); !ok || got.key != it.key {
				t.Errorf("chunks of %d: find(%q) = %q, %v", size, it.text(), got.text(), ok)
			}
		}
		if _, ok := c.find(nameKey("zz.example.test.")); ok {
			t.Errorf("chunks of %d: found a missing record", size)
		}
	}
	if got := (recs{}).span(nameKey("n01.example.test.")); len(got) != 0 {
		t.Errorf("empty span = %d records", len(got))
	}
}

// TestNewRecs: newRecs cuts chunkSize records per chunk and keeps them all, in order.
func TestNewRecs(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, chunkSize, chunkSize + 1, 3*chunkSize + 7} {
		its := make([]item, n)
		for i := range its {
			its[i] = item{key: fmt.Sprintf("%06d", i)}
		}
		r := newRecs(its)
		checkRecs(t, r)
		if want := (n + chunkSize - 1) / chunkSize; len(r.chunks) != want {
			t.Errorf("newRecs(%d records): %d chunks, want %d", n, len(r.chunks), want)
		}
	}
}
