package integration

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// echo returns the "record" echo of a one-record route's answer.
func echo(t *testing.T, r response) map[string]any {
	t.Helper()
	d, _ := r.Body["details"].(map[string]any)
	rec, _ := d["record"].(map[string]any)
	if rec == nil {
		t.Fatalf("no details.record in %s", r.Raw)
	}
	return rec
}

// A DELETE answers 200 either way (bindcar-compatible) but says how many records went
// (issue 8: "removed":0 when nothing matched).
func TestRecordDeleteSaysRemoved(t *testing.T) {
	t.Parallel()
	const z = "rm.test"
	s, records, _ := recordStack(t, z)
	for _, v := range []string{"192.0.2.1", "192.0.2.2"} {
		s.expect(s.do("POST", records, map[string]any{"name": "h", "type": "A", "value": v}), http.StatusCreated, "")
	}
	s.expect(s.do("POST", records, map[string]any{"name": "one", "type": "A", "value": "192.0.2.9"}), http.StatusCreated, "")
	tests := []struct {
		name    string
		body    map[string]any
		removed float64
	}{
		{"absent record", map[string]any{"name": "h", "type": "A", "value": "192.0.2.3"}, 0},
		{"absent name", map[string]any{"name": "nobody", "type": "A", "value": "192.0.2.3"}, 0},
		{"absent RRset", map[string]any{"name": "h", "type": "TXT"}, 0},
		{"one record", map[string]any{"name": "one", "type": "A", "value": "192.0.2.9"}, 1},
		{"the same again", map[string]any{"name": "one", "type": "A", "value": "192.0.2.9"}, 0},
		{"RRset of two", map[string]any{"name": "h", "type": "A"}, 2},
	}
	for _, tc := range tests {
		r := s.do("DELETE", records, tc.body)
		if r.Status != http.StatusOK {
			t.Errorf("%s: status %d: %s", tc.name, r.Status, r.Raw)
			continue
		}
		if got := echo(t, r)["removed"]; got != tc.removed {
			t.Errorf("%s: removed = %v, want %v: %s", tc.name, got, tc.removed, r.Raw)
		}
	}
	want(t, lookup(t, s, "h."+z, dns.TypeA))
}

// MX and SRV answers echo the priority (issue 8).
func TestRecordEchoesPriority(t *testing.T) {
	t.Parallel()
	const z = "prio.test"
	s, records, _ := recordStack(t, z)
	r := s.do("POST", records, map[string]any{"name": "@", "type": "MX", "value": "mail.example.org.", "priority": 10})
	s.expect(r, http.StatusCreated, "")
	if got := echo(t, r)["priority"]; got != float64(10) {
		t.Errorf("MX add: priority = %v: %s", got, r.Raw)
	}
	r = s.do("POST", records, map[string]any{"name": "_sip._tcp", "type": "SRV", "value": "5 5060 sip.example.org.", "priority": 20})
	s.expect(r, http.StatusCreated, "")
	if got := echo(t, r)["priority"]; got != float64(20) {
		t.Errorf("SRV add: priority = %v: %s", got, r.Raw)
	}
	r = s.do("PUT", records, map[string]any{"name": "@", "type": "MX", "currentValue": "mail.example.org.", "newValue": "mx2.example.org.", "priority": 10})
	s.expect(r, http.StatusOK, "")
	if got := echo(t, r)["priority"]; got != float64(10) {
		t.Errorf("MX update: priority = %v: %s", got, r.Raw)
	}
	r = s.do("POST", records, map[string]any{"name": "a", "type": "A", "value": "192.0.2.1"})
	s.expect(r, http.StatusCreated, "")
	if _, ok := echo(t, r)["priority"]; ok {
		t.Errorf("A add echoes a priority: %s", r.Raw)
	}
}

// One PATCH is one DNS UPDATE message, applied atomically; the real limit is that message
// (64 KiB), not a record count (issue 8). 740 RRsets with 6-character names fit once names
// are compressed; a change that does not fit is a 413 that says so, and nothing is applied.
func TestRecordPatchSize(t *testing.T) {
	t.Parallel()
	const z = "size.test"
	s, _, rrsets := recordStack(t, z)
	var sets []any
	for i := range 740 {
		sets = append(sets, map[string]any{"name": fmt.Sprintf("h%05d", i), "type": "A", "changetype": "REPLACE",
			"records": []string{fmt.Sprintf("10.0.%d.%d", i/256, i%256)}})
	}
	s.expect(s.do("PATCH", rrsets, map[string]any{"rrsets": sets}), http.StatusOK, "")
	want(t, lookup(t, s, "h00739."+z, dns.TypeA), "10.0.2.227")

	sets = sets[:0]
	for i := range 900 {
		sets = append(sets, map[string]any{"name": fmt.Sprintf("t%05d", i), "type": "TXT", "changetype": "REPLACE",
			"records": []string{`"` + strings.Repeat("x", 200) + `"`}})
	}
	before := axfr(t, s, z)
	r := s.do("PATCH", rrsets, map[string]any{"rrsets": sets})
	s.expect(r, http.StatusRequestEntityTooLarge, "")
	if msg, _ := r.Body["error"].(string); !strings.Contains(msg, "does not fit one atomic DNS update") || !strings.Contains(msg, " records in ") || !strings.Contains(msg, "bytes") {
		t.Errorf("413 message = %q", msg)
	}
	if after := axfr(t, s, z); after != before {
		t.Error("the zone changed after a 413")
	}
}

// named's integrity checks (check-integrity, lib/ns/update.c check_mx) refuse an MX whose
// in-zone target has no address; bindgate explains that as such instead of blaming the key.
// named 9.18 does not check SRV targets on update, so neither does bindgate.
func TestRecordIntegrityRefusal(t *testing.T) {
	t.Parallel()
	const z = "integ.test"
	s, records, rrsets := recordStack(t, z)
	for _, tc := range []struct {
		name   string
		method string
		path   string
		body   any
	}{
		{"MX to an in-zone name without address", "POST", records, map[string]any{"name": "@", "type": "MX", "value": "mx.integ.test.", "priority": 10}},
		{"MX in a PATCH", "PATCH", rrsets, map[string]any{"rrsets": []any{map[string]any{"name": "@", "type": "MX", "changetype": "REPLACE", "records": []string{"10 mx.integ.test."}}}}},
	} {
		r := s.do(tc.method, tc.path, tc.body)
		msg, _ := r.Body["error"].(string)
		t.Logf("%s: %d %s", tc.name, r.Status, msg)
		if r.Status != http.StatusConflict || strings.Contains(msg, "key") || !strings.Contains(msg, "no A or AAAA") {
			t.Errorf("%s: %d %q, want 409 naming the target and the missing address", tc.name, r.Status, msg)
		}
	}
	// With the address in the same PATCH, or already there, it is accepted.
	s.expect(s.do("PATCH", rrsets, map[string]any{"rrsets": []any{
		map[string]any{"name": "@", "type": "MX", "changetype": "REPLACE", "records": []string{"10 mx.integ.test."}},
		map[string]any{"name": "mx", "type": "A", "changetype": "REPLACE", "records": []string{"192.0.2.25"}},
	}}), http.StatusOK, "")
	s.expect(s.do("POST", records, map[string]any{"name": "@", "type": "MX", "value": "mx.integ.test.", "priority": 20}), http.StatusCreated, "")
	s.expect(s.do("POST", records, map[string]any{"name": "_sip._tcp", "type": "SRV", "value": "5 5060 sip.integ.test.", "priority": 10}), http.StatusCreated, "")
	// An out-of-zone target is not ours to check.
	s.expect(s.do("POST", records, map[string]any{"name": "@", "type": "MX", "value": "mail.example.org.", "priority": 30}), http.StatusCreated, "")
}
