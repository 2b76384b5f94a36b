package records

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/zonecopy"
)

// cacheZone is a zone with what a read has to get right: several records per RRset, a
// signing type that is hidden, mixed-case owners, names whose canonical order is not their
// text order, and values whose order is not their insertion order.
func cacheZone(t *testing.T, zone string, serial uint32, extra ...string) []dns.RR {
	t.Helper()
	lines := append([]string{
		fmt.Sprintf("%s. 300 IN SOA ns1.%s. admin.%s. %d 3600 600 604800 86400", zone, zone, zone, serial),
		zone + ". 300 IN NS ns1." + zone + ".",
		"ns1." + zone + ". 300 IN A 127.0.0.1",
		"WWW." + zone + ". 300 IN A 192.0.2.2",
		"www." + zone + ". 300 IN A 192.0.2.1",
		"www." + zone + ". 300 IN AAAA 2001:db8::1",
		"a-b." + zone + ". 60 IN TXT \"x y\" \"z\"",
		"a.b." + zone + ". 60 IN TXT \"<html> & more\"",
		"b." + zone + ". 60 IN MX 20 mx2." + zone + ".",
		"b." + zone + ". 60 IN MX 10 mx1." + zone + ".",
		"*." + zone + ". 60 IN CNAME www." + zone + ".",
		"www." + zone + ". 300 IN RRSIG A 13 3 300 20300101000000 20200101000000 12345 " + zone + ". AAAA",
	}, extra...)
	out := make([]dns.RR, 0, len(lines))
	for _, l := range lines {
		rr, err := dns.NewRR(l)
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		out = append(out, rr)
	}
	return out
}

func openStore(t *testing.T) *zonecopy.Store {
	t.Helper()
	st, err := zonecopy.Open(t.Context(), zonecopy.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func replace(t *testing.T, st *zonecopy.Store, zone string, rrs []dns.RR) zonecopy.Snapshot {
	t.Helper()
	if _, err := st.Replace(t.Context(), zone, rrs, nil); err != nil {
		t.Fatal(err)
	}
	v, ok := st.Snapshot(zone)
	if !ok {
		t.Fatal("no snapshot")
	}
	return v
}

// oldRRsets is how GET /rrsets grouped a transfer before the read cache (groupRRs,
// sortedRRsets, values): the answer must not have changed.
func oldRRsets(rrs []dns.RR) []RRset {
	out := []RRset{}
	for _, set := range sortedRRsets(groupRRs(rrs)) {
		out = append(out, RRset{Name: set.name, Type: set.typeName(), TTL: set.ttl, Records: set.values()})
	}
	return out
}

func canonicalOf(t *testing.T, zone string, rrs []dns.RR) []dns.RR {
	t.Helper()
	out, err := zonecopy.Canonical(zone, rrs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPreparedMatchesTransfer: from the copy, the RRsets (filtered or not), the encoded body
// and the export are those of the transfer path, and the RRsets those of the code before the
// cache.
func TestPreparedMatchesTransfer(t *testing.T) {
	const z = "example.test"
	rrs := cacheZone(t, z, 7)
	canon := canonicalOf(t, z, rrs)
	c := newReadCache(0)
	p := c.get(z, replace(t, openStore(t), z, rrs))
	q := fromTransfer(z, canon)

	sets, body := p.rrsets()
	if diff := cmp.Diff(oldRRsets(canon), sets); diff != "" {
		t.Errorf("RRsets differ from the grouping before the cache (-old +new):\n%s", diff)
	}
	tsets, tbody := q.rrsets()
	if diff := cmp.Diff(tsets, sets); diff != "" {
		t.Errorf("copy vs transfer (-transfer +copy):\n%s", diff)
	}
	if string(body) != string(tbody) || string(body) != string(encodeJSON(ZoneData{Zone: z, Serial: 7, RRsets: tsets})) {
		t.Errorf("body:\n%s\nwant\n%s", body, tbody)
	}
	if p.exportText() != q.exportText() {
		t.Errorf("export:\n%s\nwant\n%s", p.exportText(), q.exportText())
	}
	for _, f := range []struct {
		name string
		typ  uint16
	}{{"", 0}, {"www.example.test.", 0}, {"", dns.TypeA}, {"www.example.test.", dns.TypeAAAA}, {"b.example.test.", dns.TypeA}, {"", dns.TypeRRSIG}} {
		got, want := p.data(f.name, f.typ), q.data(f.name, f.typ)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("filter %q %d (-transfer +copy):\n%s", f.name, f.typ, diff)
		}
		if f.name != "" || f.typ != 0 {
			if got.Encoded != nil {
				t.Errorf("filter %q %d: a filtered answer carries the whole zone's body", f.name, f.typ)
			}
			if len(got.RRsets) > 0 && &got.RRsets[0] == &sets[0] {
				t.Error("a filtered answer shares the cached slice")
			}
		}
	}
	if got := p.data("", dns.TypeA); len(got.RRsets) != 2 || got.RRsets[1].Name != "www.example.test." || len(got.RRsets[1].Records) != 2 {
		t.Errorf("type A: %+v", got.RRsets)
	}
}

// TestReadCacheHitAndInvalidation: a second read of the same generation is served from the
// first one's answers; a change (a new generation, also at the same serial) builds anew; a
// reader holding an older snapshot does not push the newer entry out.
func TestReadCacheHitAndInvalidation(t *testing.T) {
	const z = "example.test"
	st := openStore(t)
	c := newReadCache(0)
	v1 := replace(t, st, z, cacheZone(t, z, 7))
	p := c.get(z, v1)
	_, body := p.rrsets()
	exp := p.exportText()
	again := c.get(z, v1)
	if again != p {
		t.Fatal("the same generation was not a hit")
	}
	if _, b := again.rrsets(); &b[0] != &body[0] {
		t.Fatal("the body was built again")
	}
	if n, bytes := c.stats(); n != 1 || bytes < int64(len(body)+len(exp)) {
		t.Fatalf("stats %d entries %d bytes, want 1 and at least %d", n, bytes, len(body)+len(exp))
	}

	v2 := replace(t, st, z, cacheZone(t, z, 8, "new.example.test. 60 IN A 192.0.2.9"))
	p2 := c.get(z, v2)
	if p2 == p || p2.serial != 8 {
		t.Fatal("a new serial was served from the old entry")
	}
	if _, b := p2.rrsets(); !slices.Contains(p2.data("new.example.test.", 0).RRsets[0].Records, "192.0.2.9") || string(b) == string(body) {
		t.Fatalf("new data missing:\n%s", b)
	}
	if old := c.get(z, v1); old == p || old.elem != nil || c.get(z, v2) != p2 {
		t.Fatal("an older snapshot replaced the newer entry")
	}
	if n, _ := c.stats(); n != 1 {
		t.Fatalf("%d entries for one zone", n)
	}

	// Same serial, other data (a zone deleted and created again): not a hit.
	if err := st.Delete(t.Context(), z); err != nil {
		t.Fatal(err)
	}
	v3 := replace(t, st, z, cacheZone(t, z, 8, "other.example.test. 60 IN A 192.0.2.10"))
	p3 := c.get(z, v3)
	if p3 == p2 || len(p3.data("new.example.test.", 0).RRsets) != 0 || len(p3.data("other.example.test.", 0).RRsets) != 1 {
		t.Fatal("same serial, other data: served the old answer")
	}
}

// TestReadCacheBound: entries beyond the bound go least recently used first; an answer larger
// than the bound is served and not kept; a negative bound caches nothing.
func TestReadCacheBound(t *testing.T) {
	st := openStore(t)
	va := replace(t, st, "a.test", cacheZone(t, "a.test", 1))
	vb := replace(t, st, "b.test", cacheZone(t, "b.test", 1))
	vc := replace(t, st, "c.test", cacheZone(t, "c.test", 1))

	probe := newReadCache(0)
	probe.get("a.test", va).rrsets()
	_, one := probe.stats()

	c := newReadCache(2*one + one/2) // room for two
	pa := c.get("a.test", va)
	pa.rrsets()
	c.get("b.test", vb).rrsets()
	if c.get("a.test", va) != pa { // a is now the most recent
		t.Fatal("a evicted too early")
	}
	c.get("c.test", vc).rrsets() // evicts b, the least recently used
	if n, used := c.stats(); n != 2 || used > c.max {
		t.Fatalf("%d entries, %d bytes over the bound %d", n, used, c.max)
	}
	if c.get("a.test", va) != pa {
		t.Fatal("a was evicted, b should have been")
	}
	if pb := c.get("b.test", vb); pb.sets != nil {
		t.Fatal("b was kept")
	}

	tiny := newReadCache(one / 2)
	p := tiny.get("a.test", va)
	if sets, body := p.rrsets(); len(sets) == 0 || len(body) == 0 {
		t.Fatal("an answer over the bound was not served")
	}
	if n, used := tiny.stats(); n != 0 || used != 0 {
		t.Fatalf("an answer over the bound was kept: %d entries, %d bytes", n, used)
	}

	off := newReadCache(-1)
	if off.get("a.test", va) == off.get("a.test", va) {
		t.Fatal("a cache turned off cached")
	}
}
