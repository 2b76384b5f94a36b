package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// TestPowerDNSFlow drives the PowerDNS-compatible API (issue 12) the way dnscontrol, lexicon
// and lego do, against real named, with tokens from a file as X-API-Key: discovery, create
// with rrsets, PATCH REPLACE and DELETE in the shapes those clients send, REPLACE with no
// records as a delete, the apex SOA and NS refused with 422 (the zone still answers), notify,
// cryptokeys, delete; every change checked over DNS; scopes give 403 in PowerDNS's body and
// the audit lines name the principal.
func TestPowerDNSFlow(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	digest := func(tok string) string { d := sha256.Sum256([]byte(tok)); return hex.EncodeToString(d[:]) }
	tokens, policy := filepath.Join(dir, "tokens.json"), filepath.Join(dir, "access.json")
	if err := os.WriteFile(tokens, []byte(`{"tokens":[{"name":"dns-admin","sha256":"`+digest("admin-key")+`"},{"name":"team-b","sha256":"`+digest("team-b-key")+`"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(policy, []byte(`{"principals":[{"name":"dns-admin","access":"read-write","zones":["*"]},{"name":"team-b","access":"read-write","zones":["team-b.com"]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startStackWith(t, func(env map[string]string) {
		delete(env, "BIND_API_TOKEN")
		env["BIND_API_TOKENS_FILE"], env["BINDGATE_ACCESS_FILE"] = tokens, policy
	})
	as := func(key string) map[string]string { return map[string]string{"X-API-Key": key, "Authorization": ""} }
	admin, teamB := as("admin-key"), as("team-b-key")
	const zones = "/api/v1/servers/localhost/zones"
	const zone = "pdnsflow.com"
	pdnsExpect := func(r response, status int, errMsg string) {
		t.Helper()
		if r.Status != status {
			t.Fatalf("status = %d, want %d; body %s", r.Status, status, r.Raw)
		}
		if status >= 400 {
			if r.Header.Get("Content-Type") != "application/json" || len(r.Body) != 1 || r.Body["error"] == nil {
				t.Fatalf("error answer not PowerDNS's: %q %s", r.Header.Get("Content-Type"), r.Raw)
			}
			if errMsg != "" && r.Body["error"] != errMsg {
				t.Fatalf("error = %v, want %q", r.Body["error"], errMsg)
			}
		}
	}

	r := s.doWith("GET", "/api", nil, admin)
	pdnsExpect(r, 200, "")
	if strings.TrimSpace(r.Raw) != `[{"url":"/api/v1","version":1}]` {
		t.Fatalf("GET /api = %s", r.Raw)
	}
	pdnsExpect(s.doWith("GET", zones, nil, as("wrong")), 401, "Unauthorized")

	create := map[string]any{"name": zone + ".", "kind": "Native", "nameservers": []string{"ns1." + zone + "."}, "masters": []string{},
		"rrsets": []any{
			map[string]any{"name": "ns1." + zone + ".", "type": "A", "ttl": 300, "records": []any{map[string]any{"content": "127.0.0.1", "disabled": false}}},
			map[string]any{"name": "www." + zone + ".", "type": "A", "ttl": 300, "records": []any{map[string]any{"content": "192.0.2.1", "disabled": false}}},
			map[string]any{"name": "txt." + zone + ".", "type": "TXT", "ttl": 300, "records": []any{map[string]any{"content": `"hello world"`, "disabled": false}}},
		}}
	r = s.doWith("POST", zones, create, admin)
	pdnsExpect(r, 201, "")
	if r.Body["id"] != zone+"." || r.Body["kind"] != "Master" || r.Body["url"] != zones+"/"+zone+"." {
		t.Fatalf("created zone object: %s", r.Raw)
	}
	want(t, lookup(t, s, "www."+zone, dns.TypeA), "192.0.2.1")
	want(t, lookup(t, s, "txt."+zone, dns.TypeTXT), `"hello world"`)
	pdnsExpect(s.doWith("POST", zones, create, admin), 409, "")

	r = s.doWith("GET", zones, nil, admin)
	pdnsExpect(r, 200, "")
	if !strings.Contains(r.Raw, `"id":"`+zone+`."`) {
		t.Fatalf("zone list: %s", r.Raw)
	}
	// The listed serial is the zone copy's, which a 201 leaves current: named's own.
	if serial, ok := soa(t, s.named.DNSAddr, zone); !ok || !strings.Contains(r.Raw, fmt.Sprintf(`"id":"%s.","name":"%s.","type":"Zone","url":"%s/%s.","kind":"Master","serial":%d,`, zone, zone, zones, zone, serial)) {
		t.Fatalf("zone list: want serial %d (%v): %s", serial, ok, r.Raw)
	}
	r = s.doWith("GET", zones+"/"+zone, nil, admin) // without the trailing dot
	pdnsExpect(r, 200, "")
	if !strings.Contains(r.Raw, `{"name":"www.`+zone+`.","type":"A","ttl":300,"records":[{"content":"192.0.2.1","disabled":false}],"comments":[]}`) {
		t.Fatalf("zone: %s", r.Raw)
	}

	// dnscontrol's shape: ignored zone-level fields, comments, ttl 0 and records null on DELETE.
	patch := `{"name":"` + zone + `.","type":"Zone","rrsets":[` +
		`{"name":"www.` + zone + `.","type":"A","ttl":600,"changetype":"REPLACE","records":[{"content":"192.0.2.2","disabled":false},{"content":"192.0.2.3","disabled":false}],"comments":[]},` +
		`{"name":"txt.` + zone + `.","type":"TXT","ttl":0,"changetype":"DELETE","records":null,"comments":null},` +
		`{"name":"` + zone + `.","type":"MX","ttl":300,"changetype":"REPLACE","records":[{"content":"10 mail.example.net.","disabled":false}]}]}`
	pdnsExpect(s.doWith("PATCH", zones+"/"+zone+".", patch, admin), 204, "")
	want(t, lookup(t, s, "www."+zone, dns.TypeA), "192.0.2.2", "192.0.2.3")
	want(t, lookup(t, s, "txt."+zone, dns.TypeTXT))
	want(t, lookup(t, s, zone, dns.TypeMX), "10 mail.example.net.")

	// lexicon's delete of the last value: REPLACE with records [].
	pdnsExpect(s.doWith("PATCH", zones+"/"+zone, `{"rrsets":[{"name":"www.`+zone+`.","type":"A","ttl":600,"changetype":"REPLACE","records":[]}]}`, admin), 204, "")
	want(t, lookup(t, s, "www."+zone, dns.TypeA))

	// dnscontrol's first push without IGNORE("@","SOA") deletes the SOA: refused, nothing applied.
	serial, _ := soa(t, s.named.DNSAddr, zone)
	pdnsExpect(s.doWith("PATCH", zones+"/"+zone, `{"rrsets":[{"name":"`+zone+`.","type":"SOA","ttl":0,"changetype":"DELETE","records":null},`+
		`{"name":"x.`+zone+`.","type":"A","ttl":60,"changetype":"REPLACE","records":[{"content":"192.0.2.7","disabled":false}]}]}`, admin), 422, "")
	pdnsExpect(s.doWith("PATCH", zones+"/"+zone, `{"rrsets":[{"name":"`+zone+`.","type":"NS","ttl":300,"changetype":"REPLACE","records":[]}]}`, admin), 422, "")
	if got, ok := soa(t, s.named.DNSAddr, zone); !ok || got != serial {
		t.Fatalf("after the refused changes: SOA %d %v, want %d", got, ok, serial)
	}
	want(t, lookup(t, s, "x."+zone, dns.TypeA))
	want(t, lookup(t, s, zone, dns.TypeNS), "ns1."+zone+".")

	r = s.doWith("PUT", zones+"/"+zone+"./notify", nil, admin)
	pdnsExpect(r, 200, "")
	r = s.doWith("GET", zones+"/"+zone+"./cryptokeys", nil, admin)
	pdnsExpect(r, 200, "")
	if strings.TrimSpace(r.Raw) != "[]" {
		t.Fatalf("cryptokeys = %s", r.Raw)
	}

	// Scopes: team-b sees nothing of this zone.
	pdnsExpect(s.doWith("GET", zones+"/"+zone+".", nil, teamB), 403, "Forbidden")
	pdnsExpect(s.doWith("PATCH", zones+"/"+zone+".", `{"rrsets":[{"name":"www.`+zone+`.","type":"A","changetype":"DELETE"}]}`, teamB), 403, "Forbidden")
	pdnsExpect(s.doWith("DELETE", zones+"/"+zone+".", nil, teamB), 403, "Forbidden")
	r = s.doWith("GET", zones, nil, teamB)
	pdnsExpect(r, 200, "")
	if strings.Contains(r.Raw, zone) {
		t.Fatalf("team-b's listing shows %s: %s", zone, r.Raw)
	}

	pdnsExpect(s.doWith("DELETE", zones+"/"+zone+".", nil, admin), 204, "")
	if _, ok := soa(t, s.named.DNSAddr, zone); ok {
		t.Fatal("named still serves the deleted zone")
	}
	pdnsExpect(s.doWith("GET", zones+"/"+zone+".", nil, admin), 404, "")

	// The audit lines name the principal of each write and refusal, never a key.
	audit, _ := os.ReadFile(filepath.Join(s.named.Dir, "audit.log"))
	var patched, denied bool
	for l := range strings.SplitSeq(strings.TrimSpace(string(audit)), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) != nil || !strings.HasPrefix(m["route"].(string), "/api/v1/servers/localhost/zones") {
			continue
		}
		patched = patched || m["principal"] == "dns-admin" && m["method"] == "PATCH" && m["status"] == float64(204) &&
			strings.Contains(m["changes"].(string), "REPLACE www."+zone+". A")
		denied = denied || m["principal"] == "team-b" && m["status"] == float64(403) && m["method"] == "PATCH"
	}
	if !patched || !denied {
		t.Errorf("audit log lacks the PowerDNS lines (patched %v, denied %v):\n%s", patched, denied, audit)
	}
	if strings.Contains(string(audit), "admin-key") || strings.Contains(string(audit), "team-b-key") {
		t.Error("a key reached the audit log")
	}
}
