package zonesync

import (
	"strings"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/dnsclient"
)

// Attributing a fetched serial step to the UPDATE that made it.
//
// The committer holds the zone's lock from before its UPDATE until the copy has it, but other
// writers (bindy's direct TSIG updates, named's signing) do not take it: between the copy's
// serial and named's there may be external steps before and after the API's own. An IXFR
// answers one step per UPDATE transaction (named's journal), so the step that is the API's
// is found by its content:
//
//   - evidence: the step holds something the message did: a record the message adds is in
//     its Added, or a record its deletions cover (an RRset, a name, one record) is in its
//     Removed;
//   - no contradiction: no record the message adds is in Removed without being in Added,
//     and no record its deletions cover is in Added unless the message adds it.
//
// Every added record need not be in Added: named journals the minimal difference, so a
// record the message "adds" that the zone held already (an RRset replaced by a set that
// shares records with it) appears in neither list. Records compare without TTL, names
// without case. The first matching step after the copy's serial is the API's.
type updateShape struct {
	adds map[string]bool // rrKey of every class-IN record in the update section
	// deletions: whole names (class ANY, type ANY), RRsets "name type" (class ANY), single
	// records by rrKey (class NONE).
	names, rrsets, records map[string]bool
}

// shapeOf reads m's update section. ok is false when it holds nothing to match.
func shapeOf(m *dns.Msg) (sh updateShape, ok bool) {
	if m == nil {
		return sh, false
	}
	sh = updateShape{adds: map[string]bool{}, names: map[string]bool{}, rrsets: map[string]bool{}, records: map[string]bool{}}
	for _, rr := range m.Ns {
		h := rr.Header()
		switch h.Class {
		case dns.ClassINET:
			sh.adds[rrKey(rr)] = true
		case dns.ClassANY:
			if h.Rrtype == dns.TypeANY {
				sh.names[dns.CanonicalName(h.Name)] = true
			} else {
				sh.rrsets[setKey(h.Name, h.Rrtype)] = true
			}
		case dns.ClassNONE:
			sh.records[rrKey(rr)] = true
		}
	}
	return sh, len(sh.adds)+len(sh.names)+len(sh.rrsets)+len(sh.records) > 0
}

// covers reports whether the message's deletions cover rr (key k).
func (sh updateShape) covers(rr dns.RR, k string) bool {
	h := rr.Header()
	return sh.names[dns.CanonicalName(h.Name)] || sh.rrsets[setKey(h.Name, h.Rrtype)] || sh.records[k]
}

// matches reports whether d is the step the message made (see above).
func (sh updateShape) matches(d dnsclient.Delta) bool {
	added := make(map[string]bool, len(d.Added))
	evidence := false
	for _, rr := range d.Added {
		k := rrKey(rr)
		added[k] = true
		if sh.adds[k] {
			evidence = true
		} else if sh.covers(rr, k) {
			return false // the step adds what the message deletes: another writer's
		}
	}
	for _, rr := range d.Removed {
		k := rrKey(rr)
		if sh.adds[k] && !added[k] {
			return false // the step removes what the message adds
		}
		if sh.covers(rr, k) {
			evidence = true
		}
	}
	return evidence
}

// pick returns the index of the step in deltas the message m made: the first that matches,
// or, when none does, the last (ok false).
func pick(m *dns.Msg, deltas []dnsclient.Delta) (i int, ok bool) {
	sh, ok := shapeOf(m)
	if !ok {
		return len(deltas) - 1, false
	}
	for i, d := range deltas {
		if sh.matches(d) {
			return i, true
		}
	}
	return len(deltas) - 1, false
}

// rrKey is rr's identity for matching: owner name (lower case), type and rdata (lower case),
// without class and TTL. Lower-casing rdata merges TXT records that differ by case only,
// which costs at worst a wrong match between two steps that both touch that very record.
func rrKey(rr dns.RR) string {
	h := rr.Header()
	rdata := strings.TrimPrefix(rr.String(), h.String())
	return dns.CanonicalName(h.Name) + " " + dns.Type(h.Rrtype).String() + " " + strings.ToLower(strings.TrimSpace(rdata))
}

func setKey(name string, t uint16) string {
	return dns.CanonicalName(name) + " " + dns.Type(t).String()
}
