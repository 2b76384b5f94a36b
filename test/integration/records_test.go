package integration

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/namedtest"
)

// recordZone creates a primary that accepts updates with the stack's key.
func recordZone(t *testing.T, s *stack, zone string) {
	t.Helper()
	s.expect(s.do("POST", "/api/v1/zones", primaryBody(zone, s.named.Key.Name, nil)), http.StatusCreated, "")
	waitSOA(t, s.named.DNSAddr, zone, 2025010101)
}

// recordStack starts a stack with zone created as recordZone does, and returns the zone's
// record and RRset paths.
func recordStack(t *testing.T, zone string) (s *stack, records, rrsets string) {
	t.Helper()
	s = startStack(t)
	recordZone(t, s, zone)
	return s, "/api/v1/zones/" + zone + "/records", "/api/v1/zones/" + zone + "/rrsets"
}

// lookup asks named over DNS for name/qtype and returns the answer's data of that type,
// sorted, in presentation form.
func lookup(t *testing.T, s *stack, name string, qtype uint16) []string {
	t.Helper()
	r := namedtest.Query(t, s.named.DNSAddr, dns.Fqdn(name), qtype)
	var out []string
	for _, rr := range append(r.Answer, r.Ns...) { // a delegation's NS come as a referral
		if rr.Header().Rrtype == qtype && strings.EqualFold(rr.Header().Name, dns.Fqdn(name)) {
			out = append(out, strings.TrimPrefix(rr.String(), rr.Header().String()))
		}
	}
	slices.Sort(out)
	return out
}

// axfr reads the whole zone straight from named, signed with the stack's key, as one
// comparable text (for "the zone is unchanged" checks).
func axfr(t *testing.T, s *stack, zone string) string {
	t.Helper()
	kn := dns.Fqdn(s.named.Key.Name)
	m := new(dns.Msg)
	m.SetAxfr(dns.Fqdn(zone))
	m.SetTsig(kn, dns.HmacSHA256, 300, time.Now().Unix())
	tr := &dns.Transfer{TsigSecret: map[string]string{kn: s.named.Key.SecretBase64()}}
	ch, err := tr.In(m, s.named.DNSAddr)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for e := range ch {
		if e.Error != nil {
			t.Fatalf("AXFR %s: %v", zone, e.Error)
		}
		for _, rr := range e.RR {
			lines = append(lines, rr.String())
		}
	}
	return strings.Join(lines, "\n")
}

func want(t *testing.T, got []string, w ...string) {
	t.Helper()
	slices.Sort(w)
	if !slices.Equal(got, w) {
		t.Fatalf("DNS answer = %q, want %q", got, w)
	}
}

// TestRecordRoutes drives bindcar's three record routes (docs/contract.md §12) for every type the API
// accepts, checking each answer over DNS.
func TestRecordRoutes(t *testing.T) {
	t.Parallel()
	const z = "rec.test"
	s, path, _ := recordStack(t, z)

	types := []struct {
		name, typ, value string
		prio             int
		dnsWant          string
	}{
		{"a", "A", "192.0.2.1", -1, "192.0.2.1"},
		{"aaaa", "aaaa", "2001:db8::1", -1, "2001:db8::1"},
		{"alias", "CNAME", "www.example.org.", -1, "www.example.org."},
		{"mx", "MX", "mail.example.org.", 10, "10 mail.example.org."},
		{"mx2", "MX", "20 mail.example.org.", -1, "20 mail.example.org."},
		{"txt", "TXT", `"hello world" second`, -1, `"hello world" "second"`},
		{"sub", "NS", "ns.example.org.", -1, "ns.example.org."},
		{"ptr", "PTR", "host.example.org.", -1, "host.example.org."},
		{"_sip._tcp", "SRV", "5 5060 sip.example.org.", 10, "10 5 5060 sip.example.org."},
		{"caa", "CAA", `0 issue "letsencrypt.org"`, -1, `0 issue "letsencrypt.org"`},
		{"_443._tcp", "TLSA", "3 1 1 " + strings.Repeat("ab", 32), -1, "3 1 1 " + strings.Repeat("ab", 32)},
		{"ssh", "SSHFP", "4 2 " + strings.Repeat("cd", 32), -1, "4 2 " + strings.Repeat("cd", 32)},
		{"naptr", "NAPTR", `100 10 "S" "SIP+D2U" "" _sip._udp.example.org.`, -1, `100 10 "S" "SIP+D2U" "" _sip._udp.example.org.`},
		{"sub", "DS", "12345 13 2 " + strings.Repeat("EF", 32), -1, "12345 13 2 " + strings.Repeat("ef", 32)},
		{"svc", "SVCB", `1 svc.example.org. alpn="h2"`, -1, `1 svc.example.org. alpn="h2"`},
		{"web", "HTTPS", `1 . alpn="h2,h3"`, -1, `1 . alpn="h2,h3"`},
	}
	for _, tc := range types {
		body := map[string]any{"name": tc.name, "type": tc.typ, "value": tc.value, "ttl": 600}
		if tc.prio >= 0 {
			body["priority"] = tc.prio
		}
		r := s.do("POST", path, body)
		s.expect(r, http.StatusCreated, "Record added to zone "+z)
		qt := dns.StringToType[strings.ToUpper(tc.typ)]
		got := lookup(t, s, tc.name+"."+z, qt)
		if !slices.ContainsFunc(got, func(g string) bool { return strings.EqualFold(g, tc.dnsWant) }) {
			t.Errorf("%s %s: DNS has %q, want %q", tc.name, tc.typ, got, tc.dnsWant)
		}
	}
	// The echo (docs/contract.md §3.2).
	r := s.do("POST", path, map[string]any{"name": "www", "type": "a", "value": "192.0.2.10"})
	s.expect(r, http.StatusCreated, "")
	rec := r.Body["details"].(map[string]any)["record"].(map[string]any)
	if rec["name"] != "www" || rec["type"] != "A" || rec["value"] != "192.0.2.10" || rec["ttl"] != float64(3600) {
		t.Errorf("add echo = %v", rec)
	}
	// The same record again is a DNS no-op, still 201.
	s.expect(s.do("POST", path, map[string]any{"name": "www", "type": "A", "value": "192.0.2.10"}), http.StatusCreated, "")
	s.expect(s.do("POST", path, map[string]any{"name": "www", "type": "A", "value": "192.0.2.11"}), http.StatusCreated, "")
	want(t, lookup(t, s, "www."+z, dns.TypeA), "192.0.2.10", "192.0.2.11")

	// Update: one message, prerequisite on the RRset read just before.
	r = s.do("PUT", path, map[string]any{"name": "www", "type": "A", "currentValue": "192.0.2.10", "newValue": "192.0.2.12", "ttl": 120})
	s.expect(r, http.StatusOK, "Record updated in zone "+z)
	want(t, lookup(t, s, "www."+z, dns.TypeA), "192.0.2.11", "192.0.2.12")
	// [fix] an absent currentValue is 404, never a duplicate.
	before := axfr(t, s, z)
	r = s.do("PUT", path, map[string]any{"name": "www", "type": "A", "currentValue": "192.0.2.99", "newValue": "192.0.2.13"})
	s.expect(r, http.StatusNotFound, "")
	if !strings.HasPrefix(r.Body["error"].(string), "Record not found: ") {
		t.Errorf("404 text = %q", r.Body["error"])
	}
	if axfr(t, s, z) != before {
		t.Error("a PUT of an absent record changed the zone")
	}
	// MX update with priority on both values.
	s.expect(s.do("PUT", path, map[string]any{"name": "mx", "type": "MX", "currentValue": "mail.example.org.", "newValue": "mx.example.org.", "priority": 10}), http.StatusOK, "")
	want(t, lookup(t, s, "mx."+z, dns.TypeMX), "10 mx.example.org.")

	// Remove one record, then a whole RRset.
	r = s.do("DELETE", path, map[string]any{"name": "www", "type": "A", "value": "192.0.2.11"})
	s.expect(r, http.StatusOK, "Record removed from zone "+z)
	want(t, lookup(t, s, "www."+z, dns.TypeA), "192.0.2.12")
	r = s.do("DELETE", path, map[string]any{"name": "txt", "type": "TXT"})
	s.expect(r, http.StatusOK, "Record removed from zone "+z)
	if v, ok := r.Body["details"].(map[string]any)["record"].(map[string]any)["value"]; !ok || v != nil {
		t.Errorf("remove echo value = %v, want null", v)
	}
	want(t, lookup(t, s, "txt."+z, dns.TypeTXT))

	// Preconditions (docs/contract.md §12.2).
	s.expect(s.do("POST", "/api/v1/zones/missing.test/records", map[string]any{"name": "a", "type": "A", "value": "192.0.2.1"}),
		http.StatusNotFound, "Zone not found: missing.test")
	body := primaryBody("static.test", "", nil)
	delete(body, "updateKeyName")
	s.expect(s.do("POST", "/api/v1/zones", body), http.StatusCreated, "")
	s.expect(s.do("POST", "/api/v1/zones/static.test/records", map[string]any{"name": "a", "type": "A", "value": "192.0.2.1"}),
		http.StatusBadRequest, "Dynamic updates not enabled: Zone static.test does not have allow-update configured. Create zone with updateKeyName or modify zone to enable dynamic updates")
	s.expect(s.do("POST", "/api/v1/zones", secondaryBody("sec.test", s.named.DNSAddr)), http.StatusCreated, "")
	s.expect(s.do("POST", "/api/v1/zones/sec.test/records", map[string]any{"name": "a", "type": "A", "value": "192.0.2.1"}),
		http.StatusBadRequest, "Dynamic updates not enabled: Zone sec.test is secondary type. Dynamic updates only supported on primary zones")
	// Missing required field: 422.
	s.expect(s.do("POST", path, map[string]any{"name": "a", "type": "A"}), http.StatusUnprocessableEntity, "")
}

// TestRecordsFrozenZone: BIND refuses updates to a frozen zone; the answer is a 409 that says
// why, and thawing makes it work again.
func TestRecordsFrozenZone(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	const z = "frozen.test"
	recordZone(t, s, z)
	s.expect(s.do("POST", "/api/v1/zones/"+z+"/freeze", nil), http.StatusOK, "")
	r := s.do("POST", "/api/v1/zones/"+z+"/records", map[string]any{"name": "a", "type": "A", "value": "192.0.2.1"})
	s.expect(r, http.StatusConflict, "Update refused by BIND: zone frozen.test does not accept updates with this key (or it is frozen, or the key may not change this name)")
	s.expect(s.do("POST", "/api/v1/zones/"+z+"/thaw", nil), http.StatusOK, "")
	s.expect(s.do("POST", "/api/v1/zones/"+z+"/records", map[string]any{"name": "a", "type": "A", "value": "192.0.2.1"}), http.StatusCreated, "")
	want(t, lookup(t, s, "a."+z, dns.TypeA), "192.0.2.1")
}

// TestRRsetAPI covers GET, PATCH (atomic, If-Match), PUT sync with dryRun, and export.
func TestRRsetAPI(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	const z = "rrset.test"
	recordZone(t, s, z)
	base := "/api/v1/zones/" + z

	// PATCH: two changes in one message, answered with the new serial.
	r := s.do("PATCH", base+"/rrsets", map[string]any{"rrsets": []any{
		map[string]any{"name": "www", "type": "A", "ttl": 300, "changetype": "REPLACE", "records": []string{"192.0.2.1", "192.0.2.2"}},
		map[string]any{"name": "old.rrset.test.", "type": "TXT", "ttl": 60, "changetype": "REPLACE", "records": []string{`"x"`}},
	}})
	s.expect(r, http.StatusOK, "")
	serial := uint32(r.Body["serial"].(float64))
	if got, _ := soa(t, s.named.DNSAddr, z); got != serial {
		t.Fatalf("PATCH answered serial %d, DNS says %d", serial, got)
	}
	want(t, lookup(t, s, "www."+z, dns.TypeA), "192.0.2.1", "192.0.2.2")

	// GET: the data as RRsets, filters, ETag.
	g := s.do("GET", base+"/rrsets?name=www&type=a", nil)
	s.expect(g, http.StatusOK, "")
	sets := g.Body["rrsets"].([]any)
	if len(sets) != 1 || sets[0].(map[string]any)["name"] != "www.rrset.test." || sets[0].(map[string]any)["ttl"] != float64(300) {
		t.Fatalf("GET filtered = %s", g.Raw)
	}
	if g.Header.Get("ETag") != strconv.Quote(strconv.FormatUint(uint64(serial), 10)) {
		t.Errorf("ETag = %q, serial %d", g.Header.Get("ETag"), serial)
	}

	// If-Match: a stale serial is 412 and nothing changes; the current one works.
	before := axfr(t, s, z)
	stale := s.doWith("PATCH", base+"/rrsets", map[string]any{"rrsets": []any{
		map[string]any{"name": "old", "type": "TXT", "changetype": "DELETE"}}}, map[string]string{"If-Match": `"1"`})
	s.expect(stale, http.StatusPreconditionFailed, "")
	if axfr(t, s, z) != before {
		t.Fatal("a 412 changed the zone")
	}
	ok := s.doWith("PATCH", base+"/rrsets", map[string]any{"rrsets": []any{
		map[string]any{"name": "old", "type": "TXT", "changetype": "DELETE"}}}, map[string]string{"If-Match": g.Header.Get("ETag")})
	s.expect(ok, http.StatusOK, "")
	want(t, lookup(t, s, "old."+z, dns.TypeTXT))

	// All or nothing: one bad change refuses the whole request.
	before = axfr(t, s, z)
	bad := s.do("PATCH", base+"/rrsets", map[string]any{"rrsets": []any{
		map[string]any{"name": "fine", "type": "A", "changetype": "REPLACE", "records": []string{"192.0.2.5"}},
		map[string]any{"name": "broken", "type": "A", "changetype": "REPLACE", "records": []string{"192.0.2.300"}},
	}})
	s.expect(bad, http.StatusBadRequest, "")
	if !strings.Contains(bad.Body["error"].(string), "192.0.2.300") {
		t.Errorf("400 does not name the record: %s", bad.Raw)
	}
	if axfr(t, s, z) != before {
		t.Fatal("a refused PATCH changed the zone")
	}

	// A CNAME <-> A swap in one message works (deletions go first).
	s.expect(s.do("PATCH", base+"/rrsets", map[string]any{"rrsets": []any{
		map[string]any{"name": "www", "type": "A", "changetype": "DELETE"},
		map[string]any{"name": "www", "type": "CNAME", "changetype": "REPLACE", "records": []string{"target.example.org."}},
	}}), http.StatusOK, "")
	want(t, lookup(t, s, "www."+z, dns.TypeCNAME), "target.example.org.")
	s.expect(s.do("PATCH", base+"/rrsets", map[string]any{"rrsets": []any{
		map[string]any{"name": "www", "type": "CNAME", "changetype": "DELETE"},
		map[string]any{"name": "www", "type": "A", "changetype": "REPLACE", "records": []string{"192.0.2.7"}},
	}}), http.StatusOK, "")
	want(t, lookup(t, s, "www."+z, dns.TypeA), "192.0.2.7")
	want(t, lookup(t, s, "www."+z, dns.TypeCNAME))

	// Apex NS: replaced as a set (BIND would otherwise refuse to delete the last NS).
	s.expect(s.do("PATCH", base+"/rrsets", map[string]any{"rrsets": []any{
		map[string]any{"name": "@", "type": "NS", "ttl": 300, "changetype": "REPLACE", "records": []string{"ns3.example.org."}},
	}}), http.StatusOK, "")
	want(t, lookup(t, s, z, dns.TypeNS), "ns3.example.org.")

	// Declarative sync: dryRun shows the diff and applies nothing.
	desired := map[string]any{"rrsets": []any{
		map[string]any{"name": "www.rrset.test.", "type": "A", "ttl": 300, "records": []string{"192.0.2.8"}},
		map[string]any{"name": "mail", "type": "MX", "ttl": 300, "records": []string{"10 mx.example.org."}},
		map[string]any{"name": "ns1", "type": "A", "ttl": 300, "records": []string{"127.0.0.1"}},
	}}
	before = axfr(t, s, z)
	dry := s.do("PUT", base+"/rrsets?dryRun=true", desired)
	s.expect(dry, http.StatusOK, "")
	if dry.Body["applied"] != false {
		t.Fatalf("dryRun applied: %s", dry.Raw)
	}
	if axfr(t, s, z) != before {
		t.Fatal("dryRun changed the zone")
	}
	changes := dry.Body["changes"].([]any)
	var summary []string
	for _, c := range changes {
		m := c.(map[string]any)
		summary = append(summary, fmt.Sprintf("%s %s %s", m["changetype"], m["name"], m["type"]))
	}
	slices.Sort(summary)
	wantSummary := []string{"DELETE ns2.rrset.test. A", "REPLACE mail.rrset.test. MX", "REPLACE www.rrset.test. A"}
	if !slices.Equal(summary, wantSummary) {
		t.Fatalf("dryRun diff = %q, want %q", summary, wantSummary)
	}
	applied := s.do("PUT", base+"/rrsets", desired)
	s.expect(applied, http.StatusOK, "")
	if applied.Body["applied"] != true {
		t.Fatalf("sync not applied: %s", applied.Raw)
	}
	want(t, lookup(t, s, "www."+z, dns.TypeA), "192.0.2.8")
	want(t, lookup(t, s, "mail."+z, dns.TypeMX), "10 mx.example.org.")
	want(t, lookup(t, s, "ns2."+z, dns.TypeA))
	want(t, lookup(t, s, "fine."+z, dns.TypeA))
	want(t, lookup(t, s, z, dns.TypeNS), "ns3.example.org.") // apex NS not given: untouched
	// Syncing again is a no-op.
	again := s.do("PUT", base+"/rrsets", desired)
	s.expect(again, http.StatusOK, "")
	if n := len(again.Body["changes"].([]any)); n != 0 {
		t.Errorf("second sync has %d changes: %s", n, again.Raw)
	}
	// GET's output is valid PUT input and changes nothing.
	full := s.do("GET", base+"/rrsets", nil)
	round := s.do("PUT", base+"/rrsets", map[string]any{"rrsets": full.Body["rrsets"]})
	s.expect(round, http.StatusOK, "")
	if n := len(round.Body["changes"].([]any)); n != 0 {
		t.Errorf("PUT of GET's output has %d changes: %s", n, round.Raw)
	}

	// Export: a master file that parses back to the same data.
	ex := s.do("GET", base+"/export", nil)
	s.expect(ex, http.StatusOK, "")
	if ct := ex.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/dns") {
		t.Errorf("export Content-Type = %q", ct)
	}
	zp := dns.NewZoneParser(strings.NewReader(ex.Raw), "", "")
	zp.SetIncludeAllowed(false)
	n := 0
	for _, ok := zp.Next(); ok; _, ok = zp.Next() {
		n++
	}
	if err := zp.Err(); err != nil || n < 4 || !strings.Contains(ex.Raw, "www.rrset.test.\t300\tIN\tA\t192.0.2.8") {
		t.Fatalf("export does not parse (%v, %d records):\n%s", err, n, ex.Raw)
	}
	s.expect(s.do("GET", "/api/v1/zones/missing.test/rrsets", nil), http.StatusNotFound, "Zone not found: missing.test")
	s.expect(s.do("GET", "/api/v1/zones/missing.test/export", nil), http.StatusNotFound, "Zone not found: missing.test")
}

// TestRecordValidation sends each kind of bad input and checks the 400 (or 409 for changes
// BIND would ignore) and that the zone did not change.
func TestRecordValidation(t *testing.T) {
	t.Parallel()
	const z = "valid.test"
	s, records, rrsets := recordStack(t, z)
	s.expect(s.do("POST", records, map[string]any{"name": "has-cname", "type": "CNAME", "value": "x.example.org."}), http.StatusCreated, "")
	s.expect(s.do("POST", records, map[string]any{"name": "has-a", "type": "A", "value": "192.0.2.1"}), http.StatusCreated, "")
	many := make([]string, 1001)
	for i := range many {
		many[i] = fmt.Sprintf("10.0.%d.%d", i/256, i%256)
	}
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		text   string // in the error message
	}{
		{"bad IPv4", "POST", records, map[string]any{"name": "x", "type": "A", "value": "192.0.2.256"}, 400, `"192.0.2.256"`},
		{"IPv6 as A", "POST", records, map[string]any{"name": "x", "type": "A", "value": "2001:db8::1"}, 400, "A value"},
		{"relative CNAME target", "POST", records, map[string]any{"name": "x", "type": "CNAME", "value": "target"}, 400, "absolute"},
		{"out of zone", "POST", records, map[string]any{"name": "www.example.org.", "type": "A", "value": "192.0.2.1"}, 400, "outside zone"},
		{"suffix but not label boundary", "POST", records, map[string]any{"name": "fooexample.valid.test.x.", "type": "A", "value": "192.0.2.1"}, 400, "outside"},
		{"control character", "POST", records, map[string]any{"name": "x", "type": "TXT", "value": "a\nb"}, 400, "control character"},
		{"$INCLUDE", "POST", records, map[string]any{"name": "x", "type": "TXT", "value": "$INCLUDE /etc/passwd"}, 400, "'$'"},
		{"$GENERATE", "POST", records, map[string]any{"name": "x", "type": "A", "value": "$GENERATE 1-9 x A 1.2.3.4"}, 400, "'$'"},
		{"comment drops data", "POST", records, map[string]any{"name": "x", "type": "TXT", "value": "a ; b"}, 400, "';'"},
		{"TTL too large", "POST", records, map[string]any{"name": "x", "type": "A", "value": "192.0.2.1", "ttl": 2147483648}, 400, "ttl"},
		{"TXT string over 255", "POST", records, map[string]any{"name": "x", "type": "TXT", "value": `"` + strings.Repeat("a", 256) + `"`}, 400, "255"},
		{"unsupported type", "POST", records, map[string]any{"name": "x", "type": "LOC", "value": "1 2 3"}, 400, "type"},
		{"MX without priority", "POST", records, map[string]any{"name": "x", "type": "MX", "value": "mail.example.org."}, 400, "MX value"},
		{"bad name", "POST", records, map[string]any{"name": "a..b", "type": "A", "value": "192.0.2.1"}, 400, "labels"},
		{"SOA write", "PATCH", rrsets, map[string]any{"rrsets": []any{map[string]any{"name": "@", "type": "SOA", "changetype": "REPLACE", "records": []string{"a. b. 1 2 3 4 5"}}}}, 400, "SOA"},
		{"CNAME at apex", "PATCH", rrsets, map[string]any{"rrsets": []any{map[string]any{"name": "@", "type": "CNAME", "changetype": "REPLACE", "records": []string{"x.example.org."}}}}, 400, "apex"},
		{"delete apex NS", "PATCH", rrsets, map[string]any{"rrsets": []any{map[string]any{"name": "@", "type": "NS", "changetype": "DELETE"}}}, 400, "NS"},
		{"delete apex NS by record route", "DELETE", records, map[string]any{"name": "@", "type": "NS"}, 400, "NS"},
		{"two CNAMEs", "PATCH", rrsets, map[string]any{"rrsets": []any{map[string]any{"name": "c", "type": "CNAME", "changetype": "REPLACE", "records": []string{"a.example.org.", "b.example.org."}}}}, 400, "exactly one"},
		{"too many records", "PATCH", rrsets, map[string]any{"rrsets": []any{map[string]any{"name": "big", "type": "A", "changetype": "REPLACE", "records": many}}}, 413, "1000"},
		{"duplicate RRset", "PATCH", rrsets, map[string]any{"rrsets": []any{
			map[string]any{"name": "d", "type": "A", "changetype": "DELETE"}, map[string]any{"name": "d.valid.test.", "type": "A", "changetype": "DELETE"}}}, 400, "already"},
		{"bad changetype", "PATCH", rrsets, map[string]any{"rrsets": []any{map[string]any{"name": "d", "type": "A", "changetype": "UPSERT"}}}, 400, "changetype"},
		{"CNAME beside data (PATCH)", "PATCH", rrsets, map[string]any{"rrsets": []any{map[string]any{"name": "has-a", "type": "CNAME", "changetype": "REPLACE", "records": []string{"x.example.org."}}}}, 409, "CNAME"},
		{"data beside CNAME (POST)", "POST", records, map[string]any{"name": "has-cname", "type": "A", "value": "192.0.2.1"}, 409, ""},
		{"CNAME beside data (POST)", "POST", records, map[string]any{"name": "has-a", "type": "CNAME", "value": "x.example.org."}, 409, "CNAME"},
		{"wildcard NS", "POST", records, map[string]any{"name": "*.w", "type": "NS", "value": "ns.example.org."}, 409, "wildcard"},
		{"DS at apex", "POST", records, map[string]any{"name": "@", "type": "DS", "value": "1 13 2 " + strings.Repeat("ab", 32)}, 400, "parent"},
		{"last apex NS", "DELETE", records, map[string]any{"name": "@", "type": "NS", "value": "ns1.valid.test."}, 200, ""}, // two exist: fine
		{"then the last one", "DELETE", records, map[string]any{"name": "@", "type": "NS", "value": "ns2.valid.test."}, 409, "last NS"},
		{"sync with CNAME beside data", "PUT", rrsets, map[string]any{"rrsets": []any{
			map[string]any{"name": "q", "type": "A", "records": []string{"192.0.2.1"}}, map[string]any{"name": "q", "type": "CNAME", "records": []string{"x.example.org."}}}}, 400, "CNAME"},
	}
	for _, tc := range tests {
		before := axfr(t, s, z)
		r := s.do(tc.method, tc.path, tc.body)
		if r.Status != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.name, r.Status, tc.status, r.Raw)
			continue
		}
		if tc.status >= 400 {
			msg, _ := r.Body["error"].(string)
			if !strings.Contains(msg, tc.text) {
				t.Errorf("%s: error %q does not mention %q", tc.name, msg, tc.text)
			}
			if after := axfr(t, s, z); after != before {
				t.Errorf("%s: the zone changed:\n%s\n---\n%s", tc.name, before, after)
			}
		}
	}
	// IDN names become punycode.
	s.expect(s.do("POST", records, map[string]any{"name": "bücher", "type": "A", "value": "192.0.2.9"}), http.StatusCreated, "")
	want(t, lookup(t, s, "xn--bcher-kva."+z, dns.TypeA), "192.0.2.9")
}

// TestConcurrentWriters: 64 writers x 100 records on one zone through the group committer;
// every record is present afterwards.
func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	const z = "load.test"
	recordZone(t, s, z)
	const writers, each = 64, 100
	var wg sync.WaitGroup
	errs := make(chan string, writers)
	deadline := time.Now().Add(2 * time.Minute)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if time.Now().After(deadline) {
					errs <- "deadline passed"
					return
				}
				r := s.doQuiet("POST", "/api/v1/zones/"+z+"/records",
					map[string]any{"name": fmt.Sprintf("w%d-%d", w, i), "type": "A", "value": fmt.Sprintf("10.%d.%d.1", w, i)})
				if r.Status != http.StatusCreated {
					errs <- fmt.Sprintf("writer %d record %d: %d %s", w, i, r.Status, r.Raw)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	g := s.do("GET", "/api/v1/zones/"+z+"/rrsets?type=A", nil)
	s.expect(g, http.StatusOK, "")
	found := 0
	for _, set := range g.Body["rrsets"].([]any) {
		if strings.HasPrefix(set.(map[string]any)["name"].(string), "w") {
			found += len(set.(map[string]any)["records"].([]any))
		}
	}
	if found != writers*each {
		t.Fatalf("%d records in the zone, want %d", found, writers*each)
	}
	// And over DNS, a sample.
	want(t, lookup(t, s, "w63-99."+z, dns.TypeA), "10.63.99.1")
}

// TestRRsetsReadableWithAllowTransfer: a zone whose allowTransfer names only other addresses
// (bindy sends its secondaries' IPs), or none at all, still answers GET /rrsets, because
// bindgate's TSIG key is always admitted; an unsigned AXFR from loopback stays refused.
func TestRRsetsReadableWithAllowTransfer(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	for z, list := range map[string][]string{"only-other.test": {"10.9.9.9"}, "empty.test": {}} {
		s.expect(s.do("POST", "/api/v1/zones", primaryBody(z, s.named.Key.Name, map[string]any{"allowTransfer": list})), http.StatusCreated, "")
		g := s.do("GET", "/api/v1/zones/"+z+"/rrsets?type=SOA", nil)
		s.expect(g, http.StatusOK, "")
		if n := len(g.Body["rrsets"].([]any)); n != 1 {
			t.Fatalf("%s: %d SOA RRsets: %s", z, n, g.Raw)
		}
		m := new(dns.Msg)
		m.SetAxfr(z + ".")
		ch, err := new(dns.Transfer).In(m, s.named.DNSAddr)
		if err == nil {
			for env := range ch {
				if env.Error == nil {
					t.Fatalf("%s: unsigned AXFR allowed", z)
				}
			}
		}
	}
}

// TestRecordsUpdatePolicyZone: a zone that grants updates with update-policy (not
// allow-update) accepts record changes ([fix] docs/contract.md §18.17).
func TestRecordsUpdatePolicyZone(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	const z = "policy.test"
	zoneFile := s.named.ZoneDir + "/" + z + ".zone"
	if err := os.WriteFile(zoneFile, []byte("$TTL 300\n@ IN SOA ns1 admin 1 3600 600 604800 86400\n@ IN NS ns1\nns1 IN A 127.0.0.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	block := fmt.Sprintf(`{ type primary; file "%s"; update-policy { grant "%s" zonesub ANY; }; };`, zoneFile, s.named.Key.Name)
	if _, err := s.rndc.Zone(t.Context(), "addzone", z, block); err != nil {
		t.Fatal(err)
	}
	s.expect(s.do("POST", "/api/v1/zones/"+z+"/records", map[string]any{"name": "www", "type": "A", "value": "192.0.2.4"}), http.StatusCreated, "")
	want(t, lookup(t, s, "www."+z, dns.TypeA), "192.0.2.4")
}

// TestRecordsWrongTSIGKey: a TSIG key BIND does not accept is a 500 whose body says nothing,
// and a log line that names the key but never its secret.
func TestRecordsWrongTSIGKey(t *testing.T) {
	t.Parallel()
	const wrong = "d3JvbmctYnV0LXZhbGlkLWJhc2U2NC1zZWNyZXQtMTIzNA=="
	s := startStackWith(t, func(env map[string]string) { env["NSUPDATE_SECRET"] = wrong })
	n := s.named
	recordZone(t, s, "tsig.test")
	r := s.do("POST", "/api/v1/zones/tsig.test/records", map[string]any{"name": "a", "type": "A", "value": "192.0.2.1"})
	s.expect(r, http.StatusInternalServerError, "Internal server error")
	logs := s.logs.String()
	if strings.Contains(r.Raw, n.Key.Name) || strings.Contains(r.Raw, "TSIG") {
		t.Errorf("the 500 body leaks detail: %s", r.Raw)
	}
	if !strings.Contains(logs, `\"`+n.Key.Name+`\"`) && !strings.Contains(logs, n.Key.Name) {
		t.Errorf("no log line names the key:\n%s", logs)
	}
	if strings.Contains(logs, wrong) || strings.Contains(logs, n.Key.SecretBase64()) {
		t.Error("a secret reached the log")
	}
	want(t, lookup(t, s, "a.tsig.test", dns.TypeA))
}
