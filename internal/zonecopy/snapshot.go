package zonecopy

import (
	"iter"
	"strings"
	"sync/atomic"

	"github.com/miekg/dns"
)

// gens numbers the states a store installs, across stores, so that a generation never
// repeats within a process.
var gens atomic.Uint64

func nextGen() uint64 { return gens.Add(1) }

// Snapshot is a zone's copy as it stands when taken, read-only and free to take: it shares the
// store's records, which are never modified once stored (a change builds new ones), and hands
// them out only as values (a header and the presentation text), so no caller can change the
// copy through it and none pays for a deep copy. Use Current for records to keep or modify.
type Snapshot struct {
	st  state
	gen uint64
}

// Snapshot returns zone's copy as it stands; ok is false when there is none. It costs two
// read locks whatever the zone's size.
func (s *Store) Snapshot(zone string) (Snapshot, bool) {
	z, _ := s.find(zone)
	if z == nil {
		return Snapshot{}, false
	}
	z.mu.RLock()
	defer z.mu.RUnlock()
	if !z.exists {
		return Snapshot{}, false
	}
	return Snapshot{st: z.cur, gen: z.gen}, true
}

// Serial is the serial of the snapshot's SOA.
func (v Snapshot) Serial() uint32 { return v.st.soa.Serial }

// Generation identifies the snapshot's data: two snapshots with the same generation hold the
// same records. Every stored change, every Replace (even one at the same serial, as when a zone
// is deleted and created again), every Open and every load of a copy the cache unloaded gives
// a new one; generations are never reused within a process, across zones and stores. A cache of something derived from a copy keys on
// it, not on the serial alone.
func (v Snapshot) Generation() uint64 { return v.gen }

// Len is the number of records, the SOA included.
func (v Snapshot) Len() int {
	if v.st.soa == nil {
		return 0
	}
	return v.st.rrs.Len() + 1
}

// All yields the records in the order Current returns them (the SOA, then the rest in
// canonical order): each one's header, a copy, and its presentation text exactly as
// dns.RR.String renders the record Current would return (owner in lower case).
func (v Snapshot) All() iter.Seq2[dns.RR_Header, string] {
	return func(yield func(dns.RR_Header, string) bool) {
		if v.st.soa == nil {
			return
		}
		if !yield(v.st.soa.Hdr, v.st.soa.String()) {
			return
		}
		for it := range v.st.rrs.all() {
			if !yield(*it.rr.Header(), it.text()) {
				return
			}
		}
	}
}

// SOA returns a copy of the snapshot's SOA (nil for the zero Snapshot).
func (v Snapshot) SOA() *dns.SOA {
	if v.st.soa == nil {
		return nil
	}
	return dns.Copy(v.st.soa).(*dns.SOA)
}

// Name returns copies of the records at owner (any case; the SOA too, at the apex), found by
// binary search: what a query of type ANY at that name would answer from the copy, at a cost
// independent of the zone's size.
func (v Snapshot) Name(owner string) []dns.RR {
	if v.st.soa == nil {
		return nil
	}
	var out []dns.RR
	if strings.EqualFold(dns.Fqdn(owner), v.st.soa.Hdr.Name) {
		out = append(out, dns.Copy(v.st.soa))
	}
	for _, it := range v.st.rrs.span(nameKey(owner)) {
		out = append(out, dns.Copy(it.rr))
	}
	return out
}
