package records

import (
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/zonename"
)

// changeKind is what a change does to its RRset.
type changeKind uint8

const (
	kindReplace changeKind = iota + 1 // the RRset becomes set (PATCH REPLACE, sync)
	kindDelete                        // the RRset is removed (PATCH DELETE, remove without value)
	kindAdd                           // set's records are added (record add)
	kindRemove                        // set's records are removed (record remove with value)
)

// change is one validated change to one RRset.
type change struct {
	rrkey
	kind changeKind
	set  *rrset // replace, add, remove; nil for delete
	pin  bool   // the RRset must still be what live says (value-dependent prerequisite)
}

// planner turns changes into one update message, given what BIND holds at the names it read
// (live; a name absent from live was not read). It refuses what lib/ns/update.c would
// silently ignore and adds the prerequisites that make BIND refuse the message if the zone
// moved since it was read.
type planner struct {
	apex string // the zone's absolute lower-case name
	live map[string]nameState
}

// needsLive reports whether planning c requires reading its name first.
func (p *planner) needsLive(c change) bool {
	switch {
	case c.t == dns.TypeCNAME, c.pin, c.kind == kindReplace, c.kind == kindDelete, c.kind == kindRemove:
		return true // a remove reads first to tell how many records it removes
	}
	return false
}

// liveNames lists the names whose data planning changes needs (needsLive), the apex when the
// caller gave If-Match, and the MX targets guardMX checks.
func (p *planner) liveNames(changes []change, apex bool) []string {
	var names []string
	for _, c := range changes {
		if p.needsLive(c) {
			names = append(names, c.name)
		}
	}
	if apex {
		names = append(names, p.apex)
	}
	return append(names, p.mxTargets(changes)...)
}

// plan builds the message and the list of effective changes (no-ops dropped).
func (p *planner) plan(changes []change) (*message, []Applied, error) {
	m := &message{}
	var applied []Applied
	final := map[string]map[uint16]bool{} // types at each read name after the message
	for name, st := range p.live {
		f := make(map[uint16]bool, len(st))
		for t := range st {
			f[t] = true
		}
		final[name] = f
	}
	apexNSAdded := slices.ContainsFunc(changes, func(c change) bool {
		return c.name == p.apex && c.t == dns.TypeNS && c.kind == kindAdd
	})
	for _, c := range changes {
		if err := staticCheck(p.apex, c); err != nil {
			return nil, nil, err
		}
		st, known := p.live[c.name]
		cur := st[c.t]
		f := final[c.name]
		apexNS := c.name == p.apex && c.t == dns.TypeNS
		if c.pin {
			if cur == nil {
				m.prereq = append(m.prereq, rrsetAbsent(c.name, c.t))
			} else {
				m.prereq = append(m.prereq, valueDependent(cur.rrs)...)
			}
		}
		switch c.kind {
		case kindDelete:
			if known && cur == nil {
				continue
			}
			delete(f, c.t)
			if cur != nil {
				m.removed += len(cur.rrs)
			}
			m.dels = append(m.dels, deleteRRset(c.name, c.t))
			applied = append(applied, Applied{Name: c.name, Type: c.typeName(), ChangeType: ChangeDelete, Records: []string{}})
		case kindReplace:
			if sameData(cur, c.set) {
				continue
			}
			f[c.t] = true
			if apexNS {
				for _, rr := range c.set.rrs {
					m.first = append(m.first, addRR(rr))
				}
				if cur != nil {
					if !c.pin {
						m.prereq = append(m.prereq, valueDependent(cur.rrs)...)
					}
					for _, rr := range cur.rrs {
						if !containsRR(c.set.rrs, rr) {
							m.dels = append(m.dels, deleteRR(rr))
						}
					}
				}
			} else {
				m.dels = append(m.dels, deleteRRset(c.name, c.t))
				for _, rr := range c.set.rrs {
					m.adds = append(m.adds, addRR(rr))
				}
			}
			ttl := c.set.ttl
			applied = append(applied, Applied{Name: c.name, Type: c.typeName(), ChangeType: ChangeReplace, TTL: &ttl, Records: c.set.values()})
		case kindAdd:
			if f != nil {
				f[c.t] = true
			}
			for _, rr := range c.set.rrs {
				if apexNS {
					m.first = append(m.first, addRR(rr))
				} else {
					m.adds = append(m.adds, addRR(rr))
				}
			}
		case kindRemove:
			if apexNS {
				if !apexNSAdded && (cur == nil || len(remaining(cur.rrs, c.set.rrs)) == 0) {
					return nil, nil, conflict("Cannot remove the last NS record of zone %s: BIND keeps at least one", strings.TrimSuffix(p.apex, "."))
				}
				if !c.pin {
					m.prereq = append(m.prereq, valueDependent(cur.rrs)...)
				}
			}
			if known {
				n := 0
				for _, rr := range c.set.rrs {
					if cur != nil && containsRR(cur.rrs, rr) {
						n++
					}
				}
				if n == 0 && !apexNS && !c.pin {
					continue // nothing to remove: no update, and the answer says removed 0
				}
				m.removed += n
			}
			for _, rr := range c.set.rrs {
				m.dels = append(m.dels, deleteRR(rr))
			}
			if known && cur != nil && len(remaining(cur.rrs, c.set.rrs)) == 0 {
				delete(f, c.t)
			}
		}
		m.touch(c.name)
	}
	if err := p.guardCNAME(m, final); err != nil {
		return nil, nil, err
	}
	if err := p.guardMX(changes, final); err != nil {
		return nil, nil, err
	}
	return m, applied, nil
}

// mxTargets returns the in-zone targets of the MX records that changes add.
func (p *planner) mxTargets(changes []change) []string {
	var out []string
	for _, c := range changes {
		if c.t != dns.TypeMX || c.set == nil || (c.kind != kindAdd && c.kind != kindReplace) {
			continue
		}
		for _, rr := range c.set.rrs {
			if mx, ok := rr.(*dns.MX); ok {
				if t := dns.CanonicalName(mx.Mx); t != "." && zonename.InZone(t, strings.TrimSuffix(p.apex, ".")) {
					out = append(out, t)
				}
			}
		}
	}
	return out
}

// guardMX refuses an MX whose in-zone target has no A or AAAA once the message is applied.
// named's check-integrity (on by default for primaries; lib/ns/update.c check_mx) answers such
// an update REFUSED, which on the wire cannot be told from a key that may not update the zone,
// so the caller was told to check the key. Deciding before sending, from the target's data
// that apply reads with the rest, is exact and costs one query per target. 409: the change
// conflicts with the zone's data and succeeds once the address exists (in the same PATCH, or
// added first). named does not check SRV targets on update, so neither does this. Targets
// that were not read are left to named.
func (p *planner) guardMX(changes []change, final map[string]map[uint16]bool) error {
	for _, c := range changes {
		if c.t != dns.TypeMX || c.set == nil || (c.kind != kindAdd && c.kind != kindReplace) {
			continue
		}
		for _, t := range p.mxTargets([]change{c}) {
			f, known := final[t]
			if known && !f[dns.TypeA] && !f[dns.TypeAAAA] {
				return conflict("MX %s -> %s: the target %s is in zone %s and has no A or AAAA record; BIND's integrity check refuses it. Add the target's address first, or in the same PATCH",
					c.name, t, t, strings.TrimSuffix(p.apex, "."))
			}
		}
	}
	return nil
}

// guardCNAME enforces CNAME exclusivity (RFC 1034 §3.6.2) at every touched name and adds the
// prerequisite that keeps it true when the message reaches BIND. Where no prerequisite can
// express the state (a CNAME replacing other data in one message), the result is verified
// after the update instead.
func (p *planner) guardCNAME(m *message, final map[string]map[uint16]bool) error {
	for _, name := range m.names {
		st, known := p.live[name]
		f := final[name]
		if !known {
			// Only adds and removes of non-CNAME data reach here (needsLive): an added record
			// must not land beside a CNAME, which BIND would ignore.
			if m.addsAt(name) {
				m.prereq = append(m.prereq, rrsetAbsent(name, dns.TypeCNAME))
			}
			continue
		}
		if f[dns.TypeCNAME] && len(f) > 1 {
			others := make([]string, 0, len(f))
			for t := range f {
				if t != dns.TypeCNAME {
					others = append(others, dns.TypeToString[t])
				}
			}
			slices.Sort(others)
			return conflict("A CNAME at %s cannot coexist with other data (%s); BIND would ignore the change", name, strings.Join(others, " "))
		}
		switch {
		case f[dns.TypeCNAME] && len(st) == 0:
			m.prereq = append(m.prereq, nameAbsent(name))
		case f[dns.TypeCNAME] && len(st) == 1 && st[dns.TypeCNAME] != nil:
			m.prereq = append(m.prereq, rrsetPresent(name, dns.TypeCNAME))
		case f[dns.TypeCNAME]:
			for t := range st {
				if t != dns.TypeCNAME {
					m.gone = append(m.gone, rrkey{name, t})
				}
			}
			for _, rr := range m.adds {
				if strings.EqualFold(rr.Header().Name, name) && rr.Header().Rrtype == dns.TypeCNAME {
					m.verify = append(m.verify, newRRset(rrkey{name, dns.TypeCNAME}, rr.Header().Ttl, []dns.RR{rr}))
				}
			}
		case len(f) > 0 && st[dns.TypeCNAME] == nil && m.addsAt(name):
			m.prereq = append(m.prereq, rrsetAbsent(name, dns.TypeCNAME))
		}
	}
	return nil
}

// addsAt reports whether m adds data at name.
func (m *message) addsAt(name string) bool {
	for _, list := range [][]dns.RR{m.first, m.adds} {
		for _, rr := range list {
			if strings.EqualFold(rr.Header().Name, name) {
				return true
			}
		}
	}
	return false
}

// staticCheck refuses changes whatever the zone holds: SOA is BIND's, the apex NS RRset can
// only be replaced, and BIND ignores a CNAME at the apex (it would sit beside SOA and NS), NS
// at a wildcard name and DS at the apex.
func staticCheck(apex string, c change) error {
	zone := strings.TrimSuffix(apex, ".")
	switch {
	case c.t == dns.TypeSOA:
		return invalidRecord("the SOA record of %s is maintained by BIND and cannot be changed through this API", zone)
	case c.name == apex && c.t == dns.TypeCNAME && c.kind != kindDelete && c.kind != kindRemove:
		return invalidRecord("a CNAME cannot be at the zone apex %s (it would sit beside SOA and NS)", apex)
	case c.name == apex && c.t == dns.TypeNS && c.kind == kindDelete:
		return invalidRecord("the NS RRset at the apex of %s cannot be deleted; replace it instead", zone)
	case c.name == apex && c.t == dns.TypeDS && (c.kind == kindAdd || c.kind == kindReplace):
		return invalidRecord("DS records for %s belong in the parent zone, not at its apex", zone)
	case strings.HasPrefix(c.name, "*.") && c.t == dns.TypeNS && (c.kind == kindAdd || c.kind == kindReplace):
		return conflict("NS records at the wildcard name %s are ignored by BIND; refusing the change", c.name)
	case c.t == dns.TypeCNAME && c.kind == kindReplace && len(c.set.rrs) > 1:
		return invalidRecord("%s CNAME: a CNAME RRset holds exactly one record, got %d", c.name, len(c.set.rrs))
	}
	return nil
}

// containsRR reports whether list holds rr (same owner, type and data).
func containsRR(list []dns.RR, rr dns.RR) bool {
	return slices.ContainsFunc(list, func(o dns.RR) bool { return dns.IsDuplicate(o, rr) })
}

// remaining is cur without the records in del.
func remaining(cur, del []dns.RR) []dns.RR {
	var out []dns.RR
	for _, rr := range cur {
		if !containsRR(del, rr) {
			out = append(out, rr)
		}
	}
	return out
}
