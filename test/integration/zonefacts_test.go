package integration

import (
	"net/http"
	"testing"
)

// TestZonePatchThenRecordWrite: a PATCH that enables dynamic updates is seen by the very next
// record write (issue 8 item 4). The records service used to keep its own 5 s copy of
// showzone, which PATCH never invalidated, so the write got 400 "Dynamic updates not enabled".
func TestZonePatchThenRecordWrite(t *testing.T) {
	s := startStack(t)
	const z = "patchfacts.test"
	b := primaryBody(z, s.named.Key.Name, nil)
	delete(b, "updateKeyName") // no allow-update yet
	s.expect(s.do(http.MethodPost, "/api/v1/zones", b), http.StatusCreated, "")
	waitSOA(t, s.named.DNSAddr, z, 2025010101)

	rec := map[string]any{"name": "www", "type": "A", "value": "192.0.2.10"}
	s.expect(s.do(http.MethodPost, "/api/v1/zones/"+z+"/records", rec), http.StatusBadRequest,
		"Dynamic updates not enabled: Zone "+z+" does not have allow-update configured. "+
			"Create zone with updateKeyName or modify zone to enable dynamic updates")

	s.expect(s.do(http.MethodPatch, "/api/v1/zones/"+z, map[string]any{"allowUpdate": []string{"127.0.0.1"}}),
		http.StatusOK, "Zone "+z+" modified successfully")
	s.expect(s.do(http.MethodPost, "/api/v1/zones/"+z+"/records", rec), http.StatusCreated, "")
	if got := lookup(t, s, "www."+z, 1); len(got) != 1 {
		t.Fatalf("www.%s A = %v, want the added record", z, got)
	}
}
