package zonecopy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/zonename"
)

// item is one RR of a zone's state. key orders a zone canonically and identifies the RR: it
// is the owner's labels right to left, the type, then the RR's presentation text (owner in
// lower case, TTL included, so a TTL change is a removal plus an addition). text is key[off:].
type item struct {
	key string
	off int
	rr  dns.RR
}

func (it item) text() string { return it.key[it.off:] }

// state is a zone's data at one serial. It is never modified once built (copy on write), so
// readers may use it after dropping the zone's lock.
type state struct {
	soa *dns.SOA
	rrs recs // sorted by key, without the SOA
}

// canonical returns an owned copy of rr with its owner in lower case, and its key.
func canonical(rr dns.RR) item {
	c := dns.Copy(rr)
	h := c.Header()
	h.Name = strings.ToLower(dns.Fqdn(h.Name))
	h.Rdlength = 0
	var buf [256]byte // a name's key is at most its length (255): the prefix stays on the stack
	prefix := append(appendNameKey(buf[:0], h.Name), 0, byte(h.Rrtype>>8), byte(h.Rrtype))
	return item{key: string(prefix) + c.String(), off: len(prefix), rr: c}
}

// appendNameKey appends to b the labels of name (fully qualified) right to left, joined by
// \x01: strings.Join of dns.SplitDomainName(name) reversed, without building either (canonical
// runs for every record the copy stores, transfers or compares). Labels are found as dns.Split
// finds them, escaped dots included.
func appendNameKey(b []byte, name string) []byte {
	if name == "." {
		return b
	}
	starts := make([]int, 0, 128) // a name has at most 127 labels; more only cost an allocation
	for off, end := 0, false; !end; off, end = dns.NextLabel(name, off) {
		starts = append(starts, off)
	}
	last := len(name) // the end of the last label: the final dot, when there is one
	if dns.IsFqdn(name) {
		last--
	}
	for i := len(starts) - 1; i >= 0; i-- {
		end := last
		if i+1 < len(starts) {
			end = starts[i+1] - 1
		}
		b = append(b, name[starts[i]:end]...)
		if i > 0 {
			b = append(b, 1)
		}
	}
	return b
}

// items turns rrs into sorted, de-duplicated items, checking each belongs in zone and is not
// an SOA (the SOA travels separately).
func items(zone string, rrs []dns.RR) ([]item, error) {
	out := make([]item, 0, len(rrs))
	for _, rr := range rrs {
		if err := inZone(zone, rr); err != nil {
			return nil, err
		}
		if rr.Header().Rrtype == dns.TypeSOA {
			return nil, errs.New(errs.Invalid, "an SOA record is not part of a change's removed or added records")
		}
		out = append(out, canonical(rr))
	}
	return sortItems(out), nil
}

func sortItems(its []item) []item {
	slices.SortFunc(its, func(a, b item) int { return strings.Compare(a.key, b.key) })
	return slices.CompactFunc(its, func(a, b item) bool { return a.key == b.key })
}

func inZone(zone string, rr dns.RR) error {
	if rr == nil || rr.Header() == nil {
		return errs.New(errs.Invalid, "empty record")
	}
	if !zonename.InZone(rr.Header().Name, zone) {
		return errs.New(errs.Invalid, "record owner %q is not in zone %s", rr.Header().Name, zone)
	}
	return nil
}

// soaOf checks that rr is zone's SOA and returns an owned canonical copy of it.
func soaOf(zone string, rr dns.RR) (*dns.SOA, error) {
	soa, ok := rr.(*dns.SOA)
	if !ok || soa == nil {
		return nil, errs.New(errs.Invalid, "a zone's records must start with its SOA")
	}
	c := canonical(soa).rr.(*dns.SOA)
	if c.Hdr.Name != zone+"." {
		return nil, errs.New(errs.Invalid, "SOA owner %q is not the zone apex %s", soa.Hdr.Name, zone)
	}
	return c, nil
}

// apply returns st's records without rem and with add, all sorted by key. Every removed record
// must be present and every added one absent (an IXFR from named always is; anything else
// means the copy and named disagree, and the inverse of the change would not be exact).
func apply(st, rem, add []item) ([]item, error) {
	if k := len(rem) + len(add); k > 0 && k*16 < len(st) {
		return applyFew(st, rem, add)
	}
	return applyMerge(st, rem, add)
}

// applyAll is apply for several changes in order, each to the result of the one before: their
// net effect is found first (a binary search in st and a map of the records they touch per
// record) and applied to st once. Applying them one by one copied the whole zone once per
// change: a copy following a stream of direct one-record updates (an IXFR of hundreds of
// steps) copied its records once per step, quadratic in the updates (issue 13). On failure,
// failed is the index of the change that does not apply, as applying them one by one finds it.
func applyAll(st recs, rems, adds [][]item) (out recs, failed int, err error) {
	if len(rems) == 1 {
		out, err = st.apply(rems[0], adds[0])
		return out, 0, err
	}
	find := func(key string) (item, bool) { return st.find(key) }
	gone := map[string]bool{}  // records of st removed
	added := map[string]item{} // records not in st, added
	for i := range rems {
		for _, r := range rems[i] {
			_, ok := find(r.key)
			switch _, fresh := added[r.key]; {
			case fresh:
				delete(added, r.key)
			case ok && !gone[r.key]:
				gone[r.key] = true
			default:
				return recs{}, i, fmt.Errorf("%w: removed record %q is not in the copy", ErrDiverged, r.text())
			}
		}
		for _, a := range adds[i] {
			_, ok := find(a.key)
			switch _, fresh := added[a.key]; {
			case fresh || ok && !gone[a.key]:
				return recs{}, i, fmt.Errorf("%w: added record %q is already in the copy", ErrDiverged, a.text())
			case ok:
				delete(gone, a.key) // back again: st's record stays
			default:
				added[a.key] = a
			}
		}
	}
	rem := make([]item, 0, len(gone))
	for k := range gone {
		it, _ := find(k)
		rem = append(rem, it)
	}
	add := make([]item, 0, len(added))
	for _, a := range added {
		add = append(add, a)
	}
	out, err = st.apply(sortItems(rem), sortItems(add))
	return out, len(rems) - 1, err // err is nil: the net change was checked against st
}

// applyMerge is apply by one merge pass over the zone.
func applyMerge(st, rem, add []item) ([]item, error) {
	mid := st
	if len(rem) > 0 {
		mid = make([]item, 0, len(st))
		j := 0
		for _, it := range st {
			for j < len(rem) && rem[j].key < it.key {
				return nil, fmt.Errorf("%w: removed record %q is not in the copy", ErrDiverged, rem[j].text())
			}
			if j < len(rem) && rem[j].key == it.key {
				j++
				continue
			}
			mid = append(mid, it)
		}
		if j < len(rem) {
			return nil, fmt.Errorf("%w: removed record %q is not in the copy", ErrDiverged, rem[j].text())
		}
	}
	if len(add) == 0 {
		return mid, nil
	}
	out := make([]item, 0, len(mid)+len(add))
	i, j := 0, 0
	for i < len(mid) || j < len(add) {
		switch {
		case j == len(add) || i < len(mid) && mid[i].key < add[j].key:
			out = append(out, mid[i])
			i++
		case i == len(mid) || add[j].key < mid[i].key:
			out = append(out, add[j])
			j++
		default:
			return nil, fmt.Errorf("%w: added record %q is already in the copy", ErrDiverged, add[j].text())
		}
	}
	return out, nil
}

// applyFew is apply for a change of a few records to a large zone: each record's place is
// found by binary search and the runs between are copied whole, instead of comparing every
// key of the zone (an API change is a record or a few, the zone may hold tens of thousands).
func applyFew(st, rem, add []item) ([]item, error) {
	find := func(key string) (int, bool) {
		return slices.BinarySearchFunc(st, key, func(it item, k string) int { return strings.Compare(it.key, k) })
	}
	type edit struct {
		at  int
		add *item // nil: remove st[at]
	}
	edits := make([]edit, 0, len(rem)+len(add))
	for _, r := range rem {
		i, ok := find(r.key)
		if !ok {
			return nil, fmt.Errorf("%w: removed record %q is not in the copy", ErrDiverged, r.text())
		}
		edits = append(edits, edit{at: i})
	}
	for j := range add {
		i, ok := find(add[j].key)
		if ok && !slices.ContainsFunc(rem, func(r item) bool { return r.key == add[j].key }) {
			return nil, fmt.Errorf("%w: added record %q is already in the copy", ErrDiverged, add[j].text())
		}
		edits = append(edits, edit{at: i, add: &add[j]})
	}
	// In order of position; at one position an insertion (before st[at]) precedes a removal
	// of st[at].
	slices.SortFunc(edits, func(a, b edit) int {
		if a.at != b.at {
			return a.at - b.at
		}
		switch {
		case a.add != nil && b.add == nil:
			return -1
		case a.add == nil && b.add != nil:
			return 1
		case a.add != nil:
			return strings.Compare(a.add.key, b.add.key)
		}
		return 0
	})
	out := make([]item, 0, len(st)-len(rem)+len(add))
	next := 0
	for i, e := range edits {
		if e.add == nil && i > 0 && edits[i-1].add == nil && edits[i-1].at == e.at {
			return nil, fmt.Errorf("%w: record %q removed twice", ErrDiverged, st[e.at].text())
		}
		out = append(out, st[next:e.at]...)
		next = e.at
		if e.add != nil {
			out = append(out, *e.add)
		} else {
			next = e.at + 1
		}
	}
	return append(out, st[next:]...), nil
}

// diff returns what to remove from a and add to it to get b (both sorted by key).
func diff(a, b []item) (rem, add []item) {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i].key < b[j].key:
			rem = append(rem, a[i])
			i++
		case i == len(a) || b[j].key < a[i].key:
			add = append(add, b[j])
			j++
		default:
			i++
			j++
		}
	}
	return rem, add
}

// records returns the SOA then the records, each a fresh copy the caller may modify.
func (st state) records() []dns.RR {
	out := make([]dns.RR, 0, st.rrs.Len()+1)
	out = append(out, dns.Copy(st.soa))
	for it := range st.rrs.all() {
		out = append(out, dns.Copy(it.rr))
	}
	return out
}

func copyRRs(its []item) []dns.RR {
	if len(its) == 0 {
		return nil
	}
	out := make([]dns.RR, len(its))
	for i, it := range its {
		out[i] = dns.Copy(it.rr)
	}
	return out
}
