package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
)

const webhookMedia = "application/external.dns.webhook+json;version=1"

// webhookCall sends one webhook request as ExternalDNS does and returns status, content type
// and body.
func webhookCall(t *testing.T, s *stack, method, path, body string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.webhookURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", webhookMedia)
	if body != "" {
		req.Header.Set("Content-Type", webhookMedia)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

type whEndpoint struct {
	DNSName       string   `json:"dnsName"`
	Targets       []string `json:"targets"`
	RecordType    string   `json:"recordType"`
	SetIdentifier string   `json:"setIdentifier,omitempty"`
	RecordTTL     int64    `json:"recordTTL,omitempty"`
}

// TestWebhookFlow drives the ExternalDNS webhook against real named the way one ExternalDNS
// run after another does (issue 12): negotiate, create, a repeated plan that changes nothing,
// update + delete, again nothing; each answer checked over DNS and the serial; a change
// outside the principal's scopes is 403; audit lines name the principal.
func TestWebhookFlow(t *testing.T) {
	const zone, other = "wh.example.com", "other.example.com"
	pol := filepath.Join(t.TempDir(), "access.json")
	if err := os.WriteFile(pol, []byte(`{"principals":[
		{"name":"shared-token","access":"read-write","zones":["*"]},
		{"name":"externaldns","access":"read-write","zones":["`+zone+`"]},
		{"name":"externaldns","access":"read-only","zones":["`+other+`"]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startStackWith(t, func(env map[string]string) {
		env["BINDGATE_WEBHOOK"] = "true"
		env["BINDGATE_WEBHOOK_PRINCIPAL"] = "externaldns"
		env["BINDGATE_ACCESS_FILE"] = pol
	})
	recordZone(t, s, zone)
	recordZone(t, s, other)

	// Negotiate: the zones externaldns may write, with the exact media type.
	st, ct, body := webhookCall(t, s, "GET", "/", "")
	if st != 200 || ct != webhookMedia || strings.TrimSpace(body) != `{"include":["`+zone+`"]}` {
		t.Fatalf("GET / = %d %q %s", st, ct, body)
	}
	if st, _, _ := webhookCall(t, s, "GET", "/healthz", ""); st != 200 {
		t.Fatalf("GET /healthz = %d", st)
	}

	// What a source wants, as ExternalDNS's fake source sends it (setIdentifier, no TTL).
	owner := `"heritage=external-dns,external-dns/owner=itest,external-dns/resource=service/default/www"`
	desired, _ := json.Marshal([]whEndpoint{
		{DNSName: "www." + zone, Targets: []string{"192.0.2.10"}, RecordType: "A", SetIdentifier: "set-1"},
		{DNSName: "alias." + zone, Targets: []string{"www." + zone}, RecordType: "CNAME"},
		{DNSName: "a-www." + zone, Targets: []string{owner}, RecordType: "TXT"},
	})
	st, ct, body = webhookCall(t, s, "POST", "/adjustendpoints", string(desired))
	if st != 200 || ct != webhookMedia {
		t.Fatalf("POST /adjustendpoints = %d %q %s", st, ct, body)
	}
	var adjusted []whEndpoint
	if err := json.Unmarshal([]byte(body), &adjusted); err != nil {
		t.Fatal(err)
	}
	for _, e := range adjusted {
		if e.SetIdentifier != "" || e.RecordTTL != 3600 {
			t.Errorf("adjusted %+v: want no setIdentifier and the default TTL", e)
		}
	}
	plan := func(field string, eps ...whEndpoint) string {
		b, _ := json.Marshal(map[string][]whEndpoint{field: eps})
		return string(b)
	}
	apply := func(p string, wantStatus int) string {
		t.Helper()
		st, _, body := webhookCall(t, s, "POST", "/records", p)
		if st != wantStatus {
			t.Fatalf("POST /records = %d %s, want %d", st, body, wantStatus)
		}
		return body
	}
	serial := func() uint32 { t.Helper(); v, _ := soa(t, s.named.DNSAddr, zone); return v }

	// Create.
	create := plan("create", adjusted...)
	apply(create, http.StatusNoContent)
	want(t, lookup(t, s, "www."+zone, dns.TypeA), "192.0.2.10")
	want(t, lookup(t, s, "alias."+zone, dns.TypeCNAME), "www."+zone+".")
	want(t, lookup(t, s, "a-www."+zone, dns.TypeTXT), owner)

	// GET /records lists them exactly as adjustendpoints answered: ExternalDNS plans nothing.
	list := func() []whEndpoint {
		t.Helper()
		st, ct, body := webhookCall(t, s, "GET", "/records", "")
		if st != 200 || ct != webhookMedia {
			t.Fatalf("GET /records = %d %q %s", st, ct, body)
		}
		var eps []whEndpoint
		if err := json.Unmarshal([]byte(body), &eps); err != nil {
			t.Fatal(err)
		}
		return eps
	}
	got := list()
	for _, a := range adjusted {
		i := slices.IndexFunc(got, func(e whEndpoint) bool { return e.DNSName == a.DNSName && e.RecordType == a.RecordType })
		if i < 0 {
			t.Fatalf("%s %s not in GET /records: %+v", a.DNSName, a.RecordType, got)
		}
		if d := cmp.Diff(a, got[i]); d != "" {
			t.Errorf("GET /records differs from adjustendpoints (-adjusted +listed):\n%s", d)
		}
	}

	// The same plan again (a retried run): nothing changes in named.
	before := serial()
	apply(create, http.StatusNoContent)
	if after := serial(); after != before {
		t.Errorf("a repeated plan moved the serial %d -> %d", before, after)
	}

	// Update + delete in one plan.
	www := adjusted[0]
	newWWW := www
	newWWW.Targets = []string{"192.0.2.11"}
	alias := adjusted[1]
	ud, _ := json.Marshal(map[string][]whEndpoint{"updateOld": {www}, "updateNew": {newWWW}, "delete": {alias}})
	apply(string(ud), http.StatusNoContent)
	want(t, lookup(t, s, "www."+zone, dns.TypeA), "192.0.2.11")
	want(t, lookup(t, s, "alias."+zone, dns.TypeCNAME))
	before = serial()
	apply(string(ud), http.StatusNoContent)
	if after := serial(); after != before {
		t.Errorf("a repeated update+delete moved the serial %d -> %d", before, after)
	}

	// Outside the scopes: 403, nothing changed.
	body = apply(plan("create", whEndpoint{DNSName: "x." + other, Targets: []string{"192.0.2.12"}, RecordType: "A", RecordTTL: 60}), http.StatusForbidden)
	if !strings.Contains(body, "externaldns") {
		t.Errorf("403 body does not say why: %s", body)
	}
	want(t, lookup(t, s, "x."+other, dns.TypeA))
	for _, e := range list() {
		if strings.HasSuffix(e.DNSName, other) {
			t.Errorf("GET /records lists %s, outside the writable scope", e.DNSName)
		}
	}

	audit, _ := os.ReadFile(filepath.Join(s.named.Dir, "audit.log"))
	var ok, denied bool
	for _, l := range strings.Split(string(audit), "\n") {
		if strings.Contains(l, `"principal":"externaldns"`) && strings.Contains(l, `"route":"webhook /records"`) {
			ok = ok || strings.Contains(l, `"result":"ok"`) && strings.Contains(l, "REPLACE www."+zone+". A")
			denied = denied || strings.Contains(l, `"result":"denied"`) && strings.Contains(l, `"status":403`)
		}
	}
	if !ok || !denied {
		t.Errorf("audit log lacks the webhook's lines (ok %v, denied %v):\n%s", ok, denied, audit)
	}
}
