package records

import (
	"bytes"
	"cmp"
	"container/list"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/zonecopy"
)

// DefaultReadCacheBytes bounds the read cache when Config.ReadCacheBytes is 0: the prepared
// answers of about a hundred 10,000-record zones (one takes about 1.3 MB with both its RRsets
// and its export built), far more small ones.
const DefaultReadCacheBytes = 128 << 20

// The read cache (issue 9 item 6): the copy of a zone at one generation never changes, so the
// answers of GET …/rrsets and …/export derived from it are built once, on the first read that
// finds the copy current, and served until the copy moves on. Without it a read of a
// 10,000-record zone spent most of its time turning the records into RRsets and JSON again.
//
// One entry per zone, for the copy's newest generation seen: a read that finds a newer one
// replaces the entry, so a change invalidates it (the generation, not the serial alone: a zone
// deleted and created again may come back at the same serial). Entries are evicted least
// recently used first once their bytes exceed the bound; an answer larger than the bound is
// built, served and not kept. The SOA query that makes a read current (zonesync's Fresh) runs
// on every read, hit or miss.
type readCache struct {
	max int64

	mu     sync.Mutex
	used   int64
	lru    list.List // of *prepared, most recently used first
	byZone map[string]*list.Element
}

func newReadCache(max int64) *readCache {
	if max == 0 {
		max = DefaultReadCacheBytes
	}
	return &readCache{max: max, byZone: map[string]*list.Element{}}
}

// get returns the zone's prepared answers for snapshot v: the cached ones when they are of v's
// generation, else new (unbuilt) ones, cached unless the cache is off or v is older than what
// the cache holds (a slow reader must not push out a newer entry).
func (c *readCache) get(zone string, v zonecopy.Snapshot) *prepared {
	p := &prepared{zone: zone, serial: v.Serial(), gen: v.Generation(), src: v.All()}
	if c == nil || c.max < 0 {
		return p
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.byZone[zone]; e != nil {
		old := e.Value.(*prepared)
		switch {
		case old.gen == p.gen:
			c.lru.MoveToFront(e)
			return old
		case old.gen > p.gen:
			return p
		}
		c.remove(e)
	}
	p.cache = c
	p.elem = c.lru.PushFront(p)
	c.byZone[zone] = p.elem
	return p
}

// remove drops e; c.mu is held.
func (c *readCache) remove(e *list.Element) {
	p := e.Value.(*prepared)
	c.lru.Remove(e)
	delete(c.byZone, p.zone)
	c.used -= p.size
	p.elem = nil
}

// grew accounts n more bytes built in p and evicts the least recently used entries beyond the
// bound, p itself last (it still answers the read that built it).
func (c *readCache) grew(p *prepared, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p.elem == nil { // replaced or evicted meanwhile
		return
	}
	p.size += n
	c.used += n
	for c.used > c.max {
		e := c.lru.Back()
		if e == p.elem && c.lru.Len() > 1 {
			e = e.Prev()
		}
		c.remove(e)
		if e.Value.(*prepared) == p {
			return
		}
	}
}

// stats reports the entries and their bytes (tests).
func (c *readCache) stats() (entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len(), c.used
}

// prepared is a zone's read answers at one generation of its data, each built once on first
// use and read-only afterwards (shared by every read of that generation).
type prepared struct {
	zone   string
	serial uint32
	gen    uint64 // 0: not from the copy (an AXFR), never cached
	src    iter.Seq2[dns.RR_Header, string]

	cache *readCache
	elem  *list.Element // in cache.lru; nil when not (or no longer) cached; guarded by cache.mu
	size  int64         // bytes accounted to the cache; guarded by cache.mu

	setsOnce sync.Once
	sets     []RRset
	body     []byte // the unfiltered answer as writeJSON encodes it

	exportOnce sync.Once
	export     string
}

// fromTransfer prepares the answers of rrs, a canonical transfer (zonecopy.Canonical), for one
// read; nothing of it is cached.
func fromTransfer(zone string, rrs []dns.RR) *prepared {
	return &prepared{zone: zone, serial: rrs[0].(*dns.SOA).Serial, src: func(yield func(dns.RR_Header, string) bool) {
		for _, rr := range rrs {
			if !yield(*rr.Header(), rr.String()) {
				return
			}
		}
	}}
}

// rrsets returns the zone's RRsets in canonical order and the unfiltered answer's JSON.
func (p *prepared) rrsets() ([]RRset, []byte) {
	p.setsOnce.Do(func() {
		p.sets = buildRRsets(p.src)
		p.body = encodeJSON(ZoneData{Zone: p.zone, Serial: p.serial, RRsets: p.sets})
		if p.cache != nil {
			p.cache.grew(p, setsBytes(p.sets)+int64(len(p.body)))
		}
	})
	return p.sets, p.body
}

// exportText returns the zone as a master file (Export).
func (p *prepared) exportText() string {
	p.exportOnce.Do(func() {
		var b strings.Builder
		fmt.Fprintf(&b, "; zone %s, serial %s, exported by bindgate\n$ORIGIN %s.\n", p.zone, strconv.FormatUint(uint64(p.serial), 10), p.zone)
		for _, text := range p.src {
			b.WriteString(text)
			b.WriteByte('\n')
		}
		p.export = b.String()
		if p.cache != nil {
			p.cache.grew(p, int64(len(p.export)))
		}
	})
	return p.export
}

// data answers GET /rrsets with optional filters (wantName absolute lower case, wantType 0 for
// any). The unfiltered answer carries its encoded body; a filtered one is encoded by the caller.
// The RRsets are shared with the cache: read-only.
func (p *prepared) data(wantName string, wantType uint16) ZoneData {
	sets, body := p.rrsets()
	if wantName == "" && wantType == 0 {
		return ZoneData{Zone: p.zone, Serial: p.serial, RRsets: sets, Encoded: body}
	}
	typeName := dns.TypeToString[wantType]
	out := ZoneData{Zone: p.zone, Serial: p.serial, RRsets: []RRset{}}
	for _, s := range sets {
		if wantName != "" && s.Name != wantName || wantType != 0 && s.Type != typeName {
			continue
		}
		out.RRsets = append(out.RRsets, s)
	}
	return out
}

// buildRRsets groups records (a header and the presentation text each) into RRsets as GET
// /rrsets shows them: class IN only, the types BIND maintains for signing hidden, owners in
// lower case, one TTL per RRset (its first record's), values in master-file syntax sorted
// and without duplicates, RRsets in DNS canonical order (sortedRRsets).
func buildRRsets(recs iter.Seq2[dns.RR_Header, string]) []RRset {
	type group struct {
		rrkey
		ttl    uint32
		values []string
	}
	var groups []*group
	byKey := map[rrkey]*group{}
	for h, text := range recs {
		if h.Class != dns.ClassINET || hiddenType(h.Rrtype) {
			continue
		}
		k := rrkey{strings.ToLower(dns.Fqdn(h.Name)), h.Rrtype}
		g := byKey[k]
		if g == nil {
			g = &group{rrkey: k, ttl: h.Ttl}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.values = append(g.values, strings.TrimPrefix(text, h.String()))
	}
	type keyed struct {
		g   *group
		key string
	}
	ks := make([]keyed, len(groups))
	for i, g := range groups {
		ks[i] = keyed{g, canonicalKey(g.name)}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return cmp.Compare(a.g.t, b.g.t)
	})
	out := make([]RRset, len(ks))
	for i, k := range ks {
		slices.Sort(k.g.values)
		out[i] = RRset{Name: k.g.name, Type: k.g.typeName(), TTL: k.g.ttl, Records: slices.Compact(k.g.values)}
	}
	return out
}

// encodeJSON encodes v as the API writes every JSON body (api.writeJSON: HTML not escaped, a
// final newline), so a prepared body is byte for byte what encoding the answer would give.
func encodeJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // ZoneData always encodes
		panic(fmt.Sprintf("records: encoding %T: %v", v, err))
	}
	return buf.Bytes()
}

// setsBytes estimates the memory of sets: the strings and the slice headers.
func setsBytes(sets []RRset) int64 {
	n := int64(len(sets)) * 80
	for _, s := range sets {
		n += int64(len(s.Name) + len(s.Type) + 16*len(s.Records))
		for _, r := range s.Records {
			n += int64(len(r))
		}
	}
	return n
}
