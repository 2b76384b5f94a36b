package zonecopy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/errs"
)

// ErrNotLocal: an update BeginUpdate does not apply to a copy by itself (a DNSSEC or SOA
// record in it, a class it does not know); send it the ordinary way and fetch the result.
var ErrNotLocal = errs.Sentinel(errs.Unprocessable, "zonecopy: update not applied locally")

// Tx is an RFC 2136 update applied to a zone's copy ahead of named: BeginUpdate checks that
// the copy models the update and fixes the new SOA, Write computes the change the update makes
// to the copy as named would apply it and makes it durable in the change log without making it
// visible, and Commit (once named applied the update) or Abort (named refused it, or its fate
// is unknown) ends it. The zone's write lock is held from BeginUpdate until Commit or Abort, so
// exactly one of them must be called.
//
// The change is computed in Write, not BeginUpdate, because Write runs while the update is in
// flight: for a batch of 64 changes to a zone of thousands of records, computing it (the
// RRsets the update touches, the zone's new record list, the log record) took 0.4-1 ms that
// the update then waited for (issue 13).
//
// The update must be sent with the copy's SOA (From) as a value-dependent prerequisite (RFC
// 2136 §2.4.2) and the new SOA (SOA) as its last update: then named applies it to exactly the
// data the change was computed from, and gives it exactly the serial the change records, or
// applies nothing.
type Tx struct {
	s        *Store
	z        *zone
	from     *dns.SOA
	soa      *dns.SOA // after the update
	cur      state    // the copy the update applies to
	upd      []dns.RR
	c        Change
	p        prepared // the change, once written
	written  bool
	done     bool
	onCommit func()
}

// BeginUpdate starts applying upd, the update section of an RFC 2136 UPDATE (without any SOA
// record), to zone's copy as BIND applies it, as a Tx whose new SOA has the serial
// next(current serial) gives. It fails with ErrNotFound when the zone has no copy and
// ErrNotLocal for an update it does not model. Exactly one of Commit and Abort must follow.
// upd must not be modified until the Tx ends.
func (s *Store) BeginUpdate(ctx context.Context, zone string, upd []dns.RR, next func(uint32) uint32, actors []Actor) (*Tx, error) {
	if err := checkName(zone); err != nil {
		return nil, err
	}
	z, err := s.lockZone(zone, false)
	if err != nil {
		return nil, err
	}
	if z == nil {
		return nil, fmt.Errorf("%w: no copy of zone %s", ErrNotFound, zone)
	}
	if !z.exists {
		z.wmu.Unlock()
		return nil, fmt.Errorf("%w: no copy of zone %s", ErrNotFound, zone)
	}
	t, err := s.beginLocked(ctx, z, upd, next, actors)
	if err != nil {
		z.wmu.Unlock()
		return nil, err
	}
	return t, nil
}

func (s *Store) beginLocked(ctx context.Context, z *zone, upd []dns.RR, next func(uint32) uint32, actors []Actor) (*Tx, error) {
	for _, u := range upd {
		if err := modelled(z.name, u); err != nil {
			return nil, err
		}
	}
	if z.suspect {
		// The copy ends with a change named may never have applied (a crash between Write and
		// named's answer). Its SOA can equal the one named gave another change at the same
		// serial (a direct update that won the race), so a prerequisite on it would not tell
		// them apart and a change made on it would build on the wrong records: the update goes
		// the ordinary way, whose fetch checks that change first.
		return nil, fmt.Errorf("%w: zone %s: its last change is not checked against named yet", ErrNotLocal, z.name)
	}
	cur := z.cur
	soa := dns.Copy(cur.soa).(*dns.SOA)
	soa.Serial = next(cur.soa.Serial)
	if soa.Serial == cur.soa.Serial {
		return nil, fmt.Errorf("%w: the new serial is the current one (%d)", ErrNotLocal, soa.Serial)
	}
	c := Change{From: cur.soa.Serial, To: soa.Serial, At: s.cfg.Now(), Actors: slices.Clone(actors)}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if z.logBad {
		if err := s.compact(ctx, z); err != nil {
			return nil, err
		}
	}
	return &Tx{s: s, z: z, from: cur.soa, soa: soa, cur: cur, upd: upd, c: c}, nil
}

// From is the SOA the copy is at: the update's prerequisite. The caller must not modify it.
func (t *Tx) From() *dns.SOA { return t.from }

// SOA is the zone's SOA after the update, to send as its last record (a fresh copy).
func (t *Tx) SOA() *dns.SOA { return dns.Copy(t.soa).(*dns.SOA) }

// Serial is the serial the update brings the zone to.
func (t *Tx) Serial() uint32 { return t.soa.Serial }

// Empty reports whether the update, written, changes no record (only the serial moves).
func (t *Tx) Empty() bool { return t.written && t.p.ents[0].sum.Added+t.p.ents[0].sum.Removed == 0 }

// OnCommit sets a function Commit calls once the change is visible, the zone's lock still held.
func (t *Tx) OnCommit(f func()) { t.onCommit = f }

// Write computes the change, appends it to the zone's change log and fsyncs it; it does not
// make the change visible. It may run while the update is in flight. On failure nothing stays
// in the log (as with Append), and the Tx must be aborted.
func (t *Tx) Write() error {
	if t.done || t.written {
		return errors.New("zonecopy: Tx already written or ended")
	}
	rem, add, err := applyUpdate(t.z.name, t.cur.rrs, t.upd)
	if err != nil {
		return err
	}
	p, err := t.s.prepare(t.z, []pending{{c: t.c, soa: t.soa, rem: rem, add: add, local: true}})
	if err != nil {
		return err
	}
	if err := t.s.writeLog(t.z, p.buf); err != nil {
		return err
	}
	t.p, t.written = p, true
	return nil
}

// Commit makes the written change the copy's current state, once named has applied the update,
// and releases the zone. The change is durable already (Write); Commit does not fail. ctx
// bounds a compaction it may start.
func (t *Tx) Commit(ctx context.Context) {
	if t.done {
		return
	}
	if !t.written {
		t.Abort()
		return
	}
	t.done = true
	t.s.install(ctx, t.z, t.p)
	t.z.mu.Lock()
	if !t.z.hasLocal {
		t.z.local, t.z.hasLocal = t.from.Serial, true
	}
	t.z.mu.Unlock()
	if t.onCommit != nil {
		t.onCommit()
	}
	t.z.wmu.Unlock()
}

// Abort drops the change: its bytes in the log become reserved zeros again (made durable, so a
// refused update never reappears after a crash; if that fails the log is cut back or rewritten
// before the next append) and the zone is released. Abort after Commit does nothing.
func (t *Tx) Abort() {
	if t.done {
		return
	}
	t.done = true
	defer t.z.wmu.Unlock()
	if !t.written {
		return
	}
	t.s.unwrite(t.z, len(t.p.buf))
}

// applyUpdate returns what applying upd (an RFC 2136 update section, §3.4.2) to the records
// st (sorted, without the SOA) removes and adds, as BIND 9.18 applies it, in order:
//
//   - add (class IN): a CNAME beside other data, or other data beside a CNAME, is ignored;
//     a CNAME or DNAME replaces the one there; a record already there (same data) is not added
//     again; a TTL other than the RRset's gives the whole RRset that TTL (BIND "updates" it).
//   - delete an RRset (class ANY, a type) or every RRset of a name (type ANY): at the apex the
//     SOA and NS RRsets are kept.
//   - delete a record (class NONE): the apex's last NS record is kept; SOA deletions are ignored.
//
// Records compare by owner (case-insensitively) and data, and the data of the types whose
// fields are only domain names and numbers compare case-insensitively, as BIND compares them.
// An SOA, a DNSSEC record, an owner outside the zone or another class gives ErrNotLocal.
func applyUpdate(zone string, st recs, upd []dns.RR) (rem, add []item, err error) {
	w := &overlay{zone: zone + ".", st: st, sets: map[string][]item{}, ids: map[string][]string{}, orig: map[string][]item{},
		names: map[string]bool{}, byName: map[string][]string{}}
	for _, u := range upd {
		if err := w.apply(u); err != nil {
			return nil, nil, err
		}
	}
	for k, now := range w.sets {
		r, a := diff(w.orig[k], sortItems(slices.Clone(now)))
		rem, add = append(rem, r...), append(add, a...)
	}
	return sortItems(rem), sortItems(add), nil
}

// overlay is the RRsets an update touches, over the copy's sorted records.
type overlay struct {
	zone   string
	st     recs
	sets   map[string][]item   // RRset key -> its records now
	ids    map[string][]string // RRset key -> dataKey of each of its records now, in order
	orig   map[string][]item   // RRset key -> its records in st
	names  map[string]bool     // name keys whose RRsets are all in sets
	byName map[string][]string // name key -> the keys in sets of its RRsets
}

// nameKey is the part of an item's key that identifies its owner (see canonical).
func nameKey(owner string) string {
	var buf [256]byte
	return string(append(appendNameKey(buf[:0], strings.ToLower(dns.Fqdn(owner))), 0))
}

func setKey(nk string, t uint16) string { return nk + string([]byte{byte(t >> 8), byte(t)}) }

// span is the range of st whose keys start with prefix.
func (w *overlay) span(prefix string) []item { return w.st.span(prefix) }

// get returns the RRset's records now, loading them from st on first use.
func (w *overlay) get(key string) []item {
	if cur, ok := w.sets[key]; ok {
		return cur
	}
	o := w.span(key)
	w.orig[key] = o
	w.sets[key] = slices.Clone(o)
	ids := make([]string, len(o))
	for i, it := range o {
		ids[i] = itemDataKey(it)
	}
	w.ids[key] = ids
	nk := key[:len(key)-2]
	w.byName[nk] = append(w.byName[nk], key)
	return w.sets[key]
}

// types returns the types of the non-empty RRsets at the name nk now.
func (w *overlay) types(nk string) []uint16 {
	if !w.names[nk] {
		w.names[nk] = true
		for _, it := range w.span(nk) {
			w.get(it.key[:len(nk)+2])
		}
	}
	var out []uint16
	for _, k := range w.byName[nk] {
		if len(w.sets[k]) > 0 {
			out = append(out, uint16(k[len(nk)])<<8|uint16(k[len(nk)+1]))
		}
	}
	return out
}

// atCNAME reports the types BIND allows beside a CNAME (dns_rdatatype_atcname).
func atCNAME(t uint16) bool { return t == dns.TypeRRSIG || t == dns.TypeNSEC || t == dns.TypeKEY }

// dnssecType reports the records named manages itself in a signed zone; an update carrying one
// is left to named.
func dnssecType(t uint16) bool {
	switch t {
	case dns.TypeRRSIG, dns.TypeNSEC, dns.TypeNSEC3, dns.TypeNSEC3PARAM, dns.TypeDNSKEY, dns.TypeCDS,
		dns.TypeCDNSKEY, dns.TypeKEY, dns.TypeSIG, dns.TypeNXT:
		return true
	}
	return false
}

// modelled returns ErrNotLocal for an update record of zone that applyUpdate does not apply by
// itself: empty, outside the zone, an SOA or DNSSEC record, or a class other than IN (add),
// ANY (delete an RRset or a name) and NONE (delete a record). It depends on the record alone,
// so BeginUpdate refuses what applyUpdate would before anything is sent.
func modelled(zone string, u dns.RR) error {
	if u == nil || u.Header() == nil {
		return fmt.Errorf("%w: empty record", ErrNotLocal)
	}
	h := u.Header()
	if err := inZone(zone, u); err != nil {
		return fmt.Errorf("%w: %w", ErrNotLocal, err)
	}
	if h.Rrtype == dns.TypeSOA || dnssecType(h.Rrtype) {
		return fmt.Errorf("%w: %s record", ErrNotLocal, dns.TypeToString[h.Rrtype])
	}
	switch h.Class {
	case dns.ClassINET, dns.ClassANY, dns.ClassNONE:
		return nil
	}
	return fmt.Errorf("%w: class %s", ErrNotLocal, dns.ClassToString[h.Class])
}

func (w *overlay) apply(u dns.RR) error {
	if err := modelled(strings.TrimSuffix(w.zone, "."), u); err != nil {
		return err
	}
	h := u.Header()
	apex := strings.EqualFold(dns.Fqdn(h.Name), w.zone)
	nk := nameKey(h.Name)
	key := setKey(nk, h.Rrtype)
	switch h.Class {
	case dns.ClassINET:
		types := w.types(nk)
		if h.Rrtype == dns.TypeCNAME {
			if slices.ContainsFunc(types, func(t uint16) bool { return t != dns.TypeCNAME && !atCNAME(t) }) {
				return nil // "attempt to add CNAME alongside non-CNAME ignored"
			}
		} else if !atCNAME(h.Rrtype) && slices.Contains(types, dns.TypeCNAME) {
			return nil // "attempt to add non-CNAME alongside CNAME ignored"
		}
		cur, ids := w.get(key), w.ids[key]
		it := canonical(u)
		id := itemDataKey(it)
		if (h.Rrtype == dns.TypeCNAME || h.Rrtype == dns.TypeDNAME) && len(cur) > 0 && ids[0] != id {
			cur, ids = nil, nil // a singleton is replaced
		}
		if len(cur) > 0 && cur[0].rr.Header().Ttl != h.Ttl {
			cur = retime(cur, h.Ttl)
		}
		if !slices.Contains(ids, id) {
			cur, ids = append(cur, it), append(ids, id)
		}
		w.sets[key], w.ids[key] = cur, ids
	case dns.ClassANY:
		if h.Rrtype == dns.TypeANY {
			for _, t := range w.types(nk) {
				if !apex || t != dns.TypeNS {
					w.sets[setKey(nk, t)], w.ids[setKey(nk, t)] = nil, nil
				}
			}
			return nil
		}
		if apex && h.Rrtype == dns.TypeNS {
			return nil
		}
		w.get(key)
		w.sets[key], w.ids[key] = nil, nil
	case dns.ClassNONE:
		cur, ids := w.get(key), w.ids[key]
		i := slices.Index(ids, dataKey(u))
		if i < 0 || apex && h.Rrtype == dns.TypeNS && len(cur) == 1 {
			return nil
		}
		w.sets[key], w.ids[key] = slices.Delete(slices.Clone(cur), i, i+1), slices.Delete(slices.Clone(ids), i, i+1)
	default:
		return fmt.Errorf("%w: class %s", ErrNotLocal, dns.ClassToString[h.Class])
	}
	return nil
}

// retime returns the RRset with every record at ttl.
func retime(cur []item, ttl uint32) []item {
	out := make([]item, len(cur))
	for i, it := range cur {
		rr := dns.Copy(it.rr)
		rr.Header().Ttl = ttl
		out[i] = canonical(rr)
	}
	return out
}

// dataKey identifies a record by owner, type and data, not TTL or class: the record's
// presentation text with TTL 0 and class IN, in lower case for the types whose data holds only
// domain names and numbers (BIND compares those names case-insensitively).
func dataKey(rr dns.RR) string {
	c := dns.Copy(rr)
	h := c.Header()
	h.Name, h.Ttl, h.Class, h.Rdlength = strings.ToLower(dns.Fqdn(h.Name)), 0, dns.ClassINET, 0
	return foldData(c.String(), h.Rrtype)
}

// foldData lower-cases s, a record's text, for the types whose data BIND compares
// case-insensitively (dataKey).
func foldData(s string, t uint16) string {
	switch t {
	case dns.TypeNS, dns.TypeCNAME, dns.TypePTR, dns.TypeDNAME, dns.TypeMX, dns.TypeSRV, dns.TypeAFSDB,
		dns.TypeRT, dns.TypeKX, dns.TypePX, dns.TypeMINFO, dns.TypeMB, dns.TypeMG, dns.TypeMR, dns.TypeMD,
		dns.TypeMF, dns.TypeRP:
		s = strings.ToLower(s)
	}
	return s
}

// itemDataKey is dataKey(it.rr) read off the item's text, which is the same record's text
// with its owner in lower case, its TTL and its class: owner, TTL, class and type are the text's
// first four tab-separated fields (dns.RR_Header.String; an owner's tab is escaped), so the TTL
// and class are replaced instead of copying and rendering the record again. TestItemDataKey
// holds it to dataKey.
func itemDataKey(it item) string {
	s := it.text()
	name, rest, ok1 := strings.Cut(s, "\t")
	_, rest, ok2 := strings.Cut(rest, "\t") // the TTL
	_, rest, ok3 := strings.Cut(rest, "\t") // the class
	if !ok1 || !ok2 || !ok3 {
		return dataKey(it.rr)
	}
	return foldData(name+"\t0\tIN\t"+rest, it.rr.Header().Rrtype)
}

// Unverified returns the serial before the oldest change of zone applied locally (BeginUpdate)
// that has not been checked against named's own record of it since (Verified, or a Replace);
// ok is false when there is none.
func (s *Store) Unverified(zone string) (from uint32, ok bool) {
	z, _, _ := s.peek(zone) // an unloaded copy has none
	if z == nil {
		return 0, false
	}
	z.mu.RLock()
	defer z.mu.RUnlock()
	return z.local, z.exists && z.hasLocal
}

// Passed reports whether zone's copy is at serial or got past it by changes applied locally
// (BeginUpdate) since: named announcing serial (a NOTIFY) then tells nothing the copy lacks,
// since named applied those changes in order, pinned to the copy's SOA, before they were
// committed. It is false for a copy that may hold a change named never applied (Suspect).
// Serials are compared for equality only, newest first, back to the oldest unverified change.
func (s *Store) Passed(zone string, serial uint32) bool {
	s.mu.RLock()
	z := s.zones[zone]
	id, unloaded := s.idle[zone]
	s.mu.RUnlock()
	if z == nil {
		return unloaded && id.known && id.serial == serial // no local change, not suspect
	}
	z.mu.RLock()
	defer z.mu.RUnlock()
	switch {
	case !z.exists || z.suspect:
		return false
	case z.cur.soa.Serial == serial:
		return true
	case !z.hasLocal:
		return false
	}
	for i := len(z.hist) - 1; i >= 0; i-- {
		e := z.hist[i]
		if e.sum.From == serial {
			return true
		}
		if e.sum.From == z.local {
			break
		}
	}
	return false
}

// Verified records that every locally applied change of zone up to now matched named's.
func (s *Store) Verified(zone string) {
	z, _, _ := s.peek(zone) // an unloaded copy has nothing unverified
	if z == nil {
		return
	}
	z.mu.Lock()
	z.hasLocal, z.suspect = false, false
	z.mu.Unlock()
}

// VerifiedTo records that zone's locally applied changes up to serial, a serial the copy went
// through after Unverified's, matched named's: the oldest unverified change is now the one
// from serial, or none when serial is the copy's own.
func (s *Store) VerifiedTo(zone string, serial uint32) {
	s.mu.RLock()
	z := s.zones[zone]
	s.mu.RUnlock()
	if z == nil {
		return
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.cur.soa != nil && z.cur.soa.Serial == serial {
		z.hasLocal, z.suspect = false, false
		return
	}
	z.local = serial // a suspect change is the last one, so it stays unverified
}

// Suspect reports whether zone's copy ends with a local change that named may never have
// applied (found at Open after a crash) and that has not been checked yet: plan nothing on it.
func (s *Store) Suspect(zone string) bool {
	z, _, _ := s.peek(zone) // an unloaded copy is never suspect
	if z == nil {
		return false
	}
	z.mu.RLock()
	defer z.mu.RUnlock()
	return z.suspect
}

// Matches reports whether the retained change of zone that ends at serial c.To starts at c.From
// and removes and adds exactly c's records (compared as the copy stores them: owner in lower
// case, TTL included). A change not retained does not match.
//
// c's records are put in the copy's form and compared with the text of the change's log record
// (frame: each record's text in the copy's order), without parsing that text back into records:
// the comparison runs under the zone's lock, for every step of every verification, and parsing
// was most of its cost (issue 13).
func (s *Store) Matches(zone string, c Change) bool {
	v, ok := s.view(zone)
	if !ok {
		return false
	}
	i := v.find(c.To)
	if i < 0 {
		return false
	}
	var r record
	if err := json.Unmarshal(v.hist[i].frame[frameHeader:], &r); err != nil || r.From != c.From || r.To != c.To {
		return false
	}
	same := func(stored []string, rrs []dns.RR) bool {
		its, err := items(zone, rrs)
		return err == nil && slices.EqualFunc(its, stored, func(it item, s string) bool { return it.text() == s })
	}
	return same(r.Removed, c.Removed) && same(r.Added, c.Added)
}
