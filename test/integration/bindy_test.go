package integration

import (
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/namedtest"
)

// TestBindySequence replays what bindy does across a primary pod and a secondary pod
// (docs/contract.md §1, §3.4, §10, §11), checking every answer over DNS as well as over HTTP.
func TestBindySequence(t *testing.T) {
	prim := startStack(t)
	sec := startStack(t)
	const z = "example.test"
	zoneFile := filepath.Join(prim.named.ZoneDir, z+".zone")

	// 1. The existence probe: absent.
	prim.expect(prim.do(http.MethodGet, "/api/v1/zones/"+z+"/status", nil), 404, "Zone not found: "+z)

	// 2. Create the primary, peers on loopback with an explicit port (ip:port, docs/contract.md §6).
	body := primaryBody(z, prim.named.Key.Name, map[string]any{
		"alsoNotify":    []string{"127.0.0.1:" + port(sec.named.DNSAddr)},
		"allowTransfer": []string{"127.0.0.1"},
	})
	prim.expect(prim.do(http.MethodPost, "/api/v1/zones", body), 201, "Zone "+z+" created successfully")
	if serial, ok := soa(t, prim.named.DNSAddr, z); !ok || serial != 2025010101 {
		t.Fatalf("primary SOA serial = %d, %v; want 2025010101 served", serial, ok)
	}
	ns := namedtest.Query(t, prim.named.DNSAddr, z, dns.TypeNS)
	if len(ns.Answer) != 2 {
		t.Fatalf("NS answer = %v, want 2 records", ns.Answer)
	}
	prim.expect(prim.do(http.MethodGet, "/api/v1/zones/"+z+"/status", nil), 200, "Zone "+z+" status retrieved")

	// A dynamic update makes a journal, which a second create must not touch.
	update(t, prim.named, z, "www."+z+". 300 IN A 192.0.2.10")
	jnl := zoneFile + ".jnl"
	fileBefore, fileMod, _ := fileState(t, zoneFile)
	jnlBefore, jnlMod, ok := fileState(t, jnl)
	if !ok {
		t.Fatalf("no journal %s after an update", jnl)
	}

	// 3. Create again: 409 with the text bindy keys on, file and journal untouched ([fix] §18.1).
	r := prim.do(http.MethodPost, "/api/v1/zones", body)
	prim.expect(r, 409, "Zone already exists: "+z)
	fileAfter, fileMod2, _ := fileState(t, zoneFile)
	jnlAfter, jnlMod2, _ := fileState(t, jnl)
	if fileAfter != fileBefore || !fileMod2.Equal(fileMod) || jnlAfter != jnlBefore || !jnlMod2.Equal(jnlMod) {
		t.Fatal("a create of an existing zone touched its file or journal")
	}
	if a := namedtest.Query(t, prim.named.DNSAddr, "www."+z, dns.TypeA); len(a.Answer) != 1 {
		t.Fatalf("record added by update lost after 409: %v", a)
	}

	// 4. bindy (old) then PATCHes the peers, with ip:port ([fix] §18.9).
	patch := map[string]any{"alsoNotify": []string{"127.0.0.1:" + port(sec.named.DNSAddr)}, "allowTransfer": []string{"127.0.0.1"}}
	prim.expect(prim.do(http.MethodPatch, "/api/v1/zones/"+z, patch), 200, "Zone "+z+" modified successfully")
	cfg := showzone(t, prim, z)
	if !strings.Contains(cfg, "port "+port(sec.named.DNSAddr)) || !strings.Contains(cfg, `key "`+prim.named.Key.Name+`"`) {
		t.Fatalf("showzone after PATCH lost the port or the update key: %s", cfg)
	}

	// 5. notify (bindy: once per primary reconcile).
	prim.expect(prim.do(http.MethodPost, "/api/v1/zones/"+z+"/notify", nil), 200, "Notify sent for zone "+z)

	// 6. The secondary pod: create with primaries pointing at the primary, then retransfer.
	sec.expect(sec.do(http.MethodGet, "/api/v1/zones/"+z+"/status", nil), 404, "Zone not found: "+z)
	sb := secondaryBody(z, "127.0.0.1:"+port(prim.named.DNSAddr))
	sec.expect(sec.do(http.MethodPost, "/api/v1/zones", sb), 201, "Zone "+z+" created successfully")
	sec.expect(sec.do(http.MethodPost, "/api/v1/zones/"+z+"/retransfer", nil), 200, "Retransfer initiated for zone "+z)
	waitSOA(t, sec.named.DNSAddr, z, 2025010101)
	if a := namedtest.Query(t, sec.named.DNSAddr, "www."+z, dns.TypeA); len(a.Answer) != 1 {
		t.Fatalf("secondary lacks the record added on the primary: %v", a)
	}
	sec.expect(sec.do(http.MethodPost, "/api/v1/zones", sb), 409, "Zone already exists: "+z)
	info := sec.do(http.MethodGet, "/api/v1/zones/"+z, nil)
	sec.expect(info, 200, "")
	if info.Body["zoneType"] != "secondary" || info.Body["name"] != z {
		t.Fatalf("GET secondary = %s", info.Raw)
	}
	if _, hasFile := info.Body["filePath"]; hasFile {
		t.Errorf("secondary has a filePath: %s", info.Raw)
	}
	list := sec.do(http.MethodGet, "/api/v1/zones", nil)
	sec.expect(list, 200, "")
	if zs, _ := list.Body["zones"].([]any); !slices.Contains(zs, any(z)) || list.Body["count"] != float64(len(zs)) {
		t.Fatalf("list on the secondary misses the secondary zone ([fix] §18.7): %s", list.Raw)
	}

	// 7. DELETE on both, then again: 404 ([fix] §18.3).
	prim.expect(prim.do(http.MethodDelete, "/api/v1/zones/"+z, nil), 200, "Zone "+z+" deleted successfully")
	if _, ok := soa(t, prim.named.DNSAddr, z); ok {
		t.Fatal("primary still serves the zone after DELETE")
	}
	if _, _, ok := fileState(t, zoneFile); ok {
		t.Fatal("zone file left behind after DELETE")
	}
	if _, _, ok := fileState(t, jnl); ok {
		t.Fatal("journal left behind after DELETE")
	}
	prim.expect(prim.do(http.MethodDelete, "/api/v1/zones/"+z, nil), 404, "Zone not found: "+z)
	sec.expect(sec.do(http.MethodDelete, "/api/v1/zones/"+z, nil), 200, "Zone "+z+" deleted successfully")
	if _, ok := soa(t, sec.named.DNSAddr, z); ok {
		t.Fatal("secondary still serves the zone after DELETE")
	}
	sec.expect(sec.do(http.MethodDelete, "/api/v1/zones/"+z, nil), 404, "Zone not found: "+z)
	prim.expect(prim.do(http.MethodGet, "/api/v1/zones/"+z+"/status", nil), 404, "Zone not found: "+z)
}
