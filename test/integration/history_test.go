package integration

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/miekg/dns"
)

// serialOf reads a JSON number field of r's body as a serial.
func serialOf(t *testing.T, r response, field string) uint32 {
	t.Helper()
	n, ok := r.Body[field].(float64)
	if !ok {
		t.Fatalf("%s missing in %s", field, r.Raw)
	}
	return uint32(n)
}

// TestHistoryAndRollback: three changes through the API, the history lists them, one change
// reads as RRsets, a rollback to the serial after the first change (dry run, then for real)
// makes named serve that serial's data, and a copy behind named refuses a rollback (503).
func TestHistoryAndRollback(t *testing.T) {
	const zone = "hist.test"
	s, _, rrsets := recordStack(t, zone)
	base := "/api/v1/zones/" + zone

	replace := func(name, typ string, recs ...string) map[string]any {
		return map[string]any{"name": name, "type": typ, "ttl": 300, "changetype": "REPLACE", "records": recs}
	}
	var serials []uint32
	for _, changes := range [][]map[string]any{
		{replace("www", "A", "192.0.2.1")},
		{replace("www", "A", "192.0.2.2"), replace("txt", "TXT", `"two"`)},
		{replace("www", "A", "192.0.2.3"), replace("other", "A", "192.0.2.9")},
	} {
		r := s.do("PATCH", rrsets, map[string]any{"rrsets": changes})
		s.expect(r, http.StatusOK, "")
		serials = append(serials, serialOf(t, r, "serial"))
	}
	s1, s2, s3 := serials[0], serials[1], serials[2]

	// The history, newest first, in pages.
	r := s.do("GET", base+"/history?limit=2", nil)
	s.expect(r, http.StatusOK, "")
	var page struct {
		Zone    string
		Changes []struct {
			FromSerial, ToSerial uint32
			Added, Removed       int
			Actor                any
		}
		Next *uint32
	}
	if err := json.Unmarshal([]byte(r.Raw), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Changes) != 2 || page.Changes[0].ToSerial != s3 || page.Changes[1].ToSerial != s2 || page.Next == nil || *page.Next != s1 {
		t.Fatalf("first page: %s (serials %v)", r.Raw, serials)
	}
	if c := page.Changes[0]; c.FromSerial != s2 || c.Added != 2 || c.Removed != 1 || !madeBy(c.Actor, "shared-token") {
		t.Errorf("newest change: %+v", c)
	}
	r = s.do("GET", base+"/history?before="+itoa(int(*page.Next)), nil)
	s.expect(r, http.StatusOK, "")
	if chs, _ := r.Body["changes"].([]any); len(chs) != 1 || r.Body["next"] != nil {
		t.Fatalf("second page: %s", r.Raw)
	}

	// One change as RRsets.
	r = s.do("GET", base+"/history/"+itoa(int(s2)), nil)
	s.expect(r, http.StatusOK, "")
	var detail struct{ Removed, Added []map[string]any }
	if err := json.Unmarshal([]byte(r.Raw), &detail); err != nil {
		t.Fatal(err)
	}
	if len(detail.Added) != 2 || detail.Added[0]["name"] != "txt.hist.test." || len(detail.Removed) != 1 {
		t.Errorf("change %d: %s", s2, r.Raw)
	}
	s.expect(s.do("GET", base+"/history/12345", nil), http.StatusNotFound, "Change not found: zone hist.test has no retained change ending at serial 12345")

	// Roll back to the serial after the first change: a dry run sends nothing.
	r = s.do("POST", base+"/rollback", map[string]any{"toSerial": s1, "dryRun": true})
	s.expect(r, http.StatusOK, "")
	if r.Body["applied"] != false || serialOf(t, r, "toSerial") != s3 {
		t.Fatalf("dry run: %s", r.Raw)
	}
	want(t, lookup(t, s, "www."+zone, dns.TypeA), "192.0.2.3")
	if got, _ := soa(t, s.named.DNSAddr, zone); got != s3 {
		t.Fatalf("a dry run moved the serial to %d", got)
	}

	r = s.do("POST", base+"/rollback", map[string]any{"toSerial": s1})
	s.expect(r, http.StatusOK, "")
	if r.Body["applied"] != true || serialOf(t, r, "fromSerial") != s3 || serialOf(t, r, "toSerial") != s3+1 {
		t.Fatalf("rollback: %s", r.Raw)
	}
	want(t, lookup(t, s, "www."+zone, dns.TypeA), "192.0.2.1")
	want(t, lookup(t, s, "txt."+zone, dns.TypeTXT))
	want(t, lookup(t, s, "other."+zone, dns.TypeA))

	// The copy recorded the rollback itself, as a change made through the API.
	r = s.do("GET", base+"/history?limit=1", nil)
	s.expect(r, http.StatusOK, "")
	if chs, _ := r.Body["changes"].([]any); len(chs) != 1 || serialOf(t, response{Body: chs[0].(map[string]any)}, "toSerial") != s3+1 {
		t.Fatalf("history after the rollback: %s", r.Raw)
	}
	s.expect(s.do("POST", base+"/rollback", map[string]any{"toSerial": 7}), http.StatusNotFound, "Serial not found: zone hist.test has no retained state at serial 7")
	r = s.do("POST", base+"/rollback", map[string]any{"toSerial": s3 + 1})
	s.expect(r, http.StatusOK, "")
	if r.Body["applied"] != false {
		t.Errorf("rollback to the current serial: %s", r.Raw)
	}
}

// madeBy reports whether a history entry's actor is principal (an API change), not "external".
func madeBy(actor any, principal string) bool {
	m, ok := actor.(map[string]any)
	return ok && m["principal"] == principal && m["requestId"] != ""
}
