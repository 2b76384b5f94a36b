package integration

// The hostile-input suite (issue 4): each finding of bindcar's audits (docs/contract.md §19) replayed
// against a real named through the HTTP API, checking the status, that BIND's state did not
// change, and that no secret reached a response, a log line, the audit log or /metrics.
//
// Where each audit ID is covered (this file unless a package is named):
//
//	B-1  path traversal in zone names ......... TestHostileZoneNames; zonefile.TestStoreRefusesNames (os.Root)
//	B-2  control characters, no subprocess .... TestHostileZoneNames, TestHostileRecords; namedproc env
//	B-3  identifiers in rndc text ............. TestHostileInjection (updateKeyName, dnssecPolicy)
//	B-4  every mode verifies the token ........ TestHostileAuth; config.TestGuard
//	B-7  secrets never in text ................ TestHostileSecrets
//	B-8  values re-rendered by bindgate ....... TestHostileInjection, TestHostileRecords
//	C-1  ACL and endpoint injection ........... TestHostileInjection
//	C-2  zone-file lines, $INCLUDE/$GENERATE .. TestHostileRecords
//	C-3  ready/metrics show no detail ......... TestHostileSecrets
//	A-1  X-Forwarded-For ignored .............. TestHostileForwardedFor
//	A-3  5xx bodies fixed text ................ TestHostileSecrets; api.TestErrors
//	A-4  metric path labels bounded ........... TestHostileSecrets
//	A-5  no child processes ................... namedproc (PATH-only env); bindgate starts none
//	A1   TokenReview audience ................. auth.TestTokenReviewDecisions (fake apiserver)
//	A2   allowlist required ................... config.TestGuard, app.TestAuthenticator
//	A3   key-file errors without content ...... bindkey.TestLoadRNDCConfFileErrors
//	A4   keys and tokens redact themselves .... bindkey.TestKeyRedacts, config.TestSecretRedacts, auth.TestTokenReviewRedacts
//	A5   namespace PSA restricted ............. deploy.TestManifests
//	A6   egress policy never 0.0.0.0/0 ........ deploy.TestManifests
//	A7   bare 401 Unauthorized ................ TestHostileAuth
//	A8   TokenReview client built once ........ auth.TestTokenReviewSingleflight, TestNewTokenReviewErrors
//	A9   rndc client re-validates zones ....... rndc.TestZoneArguments
//	A10  ClusterRole create tokenreviews only . deploy.TestManifests
//	A11  image pinned by digest ............... deploy.TestManifests
//	A12  md5/sha1 refused ..................... bindkey.TestParseAlgorithm, config.TestLoadErrorsNameTheSetting
//	A13  docs off by default .................. TestHostileSecrets (docs routes 404)
//	A14  /metrics on the API port ............. README, deploy/README.md
//	A15  constant-time over digests ........... auth.TestStatic, auth.TestTokenFile
//	A16  out-of-range numbers stop startup .... config.TestLoadErrorsNameTheSetting
//	A17  include depth and cycles ............. bindkey.TestGrammarNesting, TestParseRNDCConf
//	A18  several keys need default-key ........ bindkey.TestResolveKey, config.TestRNDCResolution
//	A19  empty or non-base64 secret ........... bindkey.TestDecodeSecret, config.TestLoadErrorsNameTheSetting
//	A20  DISABLE_AUTH exposure ................ config.TestGuard
//	K-1..K-3 image, RBAC, securityContext ..... deploy.TestManifests

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// zoneState is what must not change: the zones BIND serves (by showzone of known names) and
// the files in the zone directory.
func zoneState(t *testing.T, s *stack, zones ...string) string {
	t.Helper()
	var b strings.Builder
	for _, z := range zones {
		resp, err := s.rndc.Zone(t.Context(), "showzone", z)
		fmt.Fprintf(&b, "%s: %q %v\n", z, resp.Text, err != nil)
	}
	entries, _ := os.ReadDir(s.named.ZoneDir)
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".nzd") && !strings.HasSuffix(e.Name(), ".nzd-lock") && e.Name() != "managed-keys.bind" &&
			!strings.HasPrefix(e.Name(), "managed-keys.bind") {
			fmt.Fprintf(&b, "file %s\n", e.Name())
		}
	}
	return b.String()
}

func TestHostileZoneNames(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	recordZone(t, s, "victim.test")
	before := zoneState(t, s, "victim.test", "evil.test", "etc")
	paths := []string{
		"/api/v1/zones/..%2f..%2fetc%2fpasswd", "/api/v1/zones/%2e%2e", "/api/v1/zones/a%2fb",
		"/api/v1/zones/victim.test%0a", "/api/v1/zones/victim.test%22%3b", "/api/v1/zones/%7bvictim%7d",
		"/api/v1/zones/victim%E2%80%AEtset", "/api/v1/zones/victim%EF%BC%8Etest", "/api/v1/zones/vi%D1%81tim.test",
		"/api/v1/zones/" + strings.Repeat("a", 64) + ".test",
	}
	for _, p := range paths {
		for _, m := range []string{"GET", "DELETE"} {
			r := s.do(m, p, nil)
			if r.Status != 400 && r.Status != 404 {
				t.Errorf("%s %s: %d %s", m, p, r.Status, r.Raw)
			}
		}
	}
	for _, name := range []string{"../../etc/passwd", "a/b.test", "evil.test\n", "evil.test\"; }; zone \"x", "ｅvil.test", "evil.test\u200b", "-evil.test"} {
		r := s.do("POST", "/api/v1/zones", primaryBody(name, s.named.Key.Name, nil))
		if r.Status != 400 {
			t.Errorf("create %q: %d %s", name, r.Status, r.Raw)
		}
	}
	if after := zoneState(t, s, "victim.test", "evil.test", "etc"); after != before {
		t.Fatalf("BIND state changed:\n%s\n---\n%s", before, after)
	}
}

func TestHostileInjection(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	recordZone(t, s, "victim.test")
	before := zoneState(t, s, "victim.test", "evil.test")
	bodies := map[string]map[string]any{
		"key name with quote": {"updateKeyName": `k"; }; allow-update { any; }; #`},
		"key name with brace": {"updateKeyName": "k}"},
	}
	for name, extra := range bodies {
		b := primaryBody("new.test", "", nil)
		for k, v := range extra {
			b[k] = v
		}
		if r := s.do("POST", "/api/v1/zones", b); r.Status != 400 {
			t.Errorf("%s: %d %s", name, r.Status, r.Raw)
		}
	}
	configs := map[string]map[string]any{
		"dnssecPolicy injection": {"dnssecPolicy": `default"; allow-update { any; }; dnssec-policy "x`},
		"ACL injection":          {"allowTransfer": []string{"any; }; allow-update { any"}},
		"endpoint injection":     {"alsoNotify": []string{"192.0.2.1; }; also-notify { 198.51.100.1"}},
		"ACL newline":            {"allowTransfer": []string{"10.0.0.1\n"}},
		"SOA newline":            {"soa": map[string]any{"primaryNs": "ns1.new.test.\n$INCLUDE /etc/passwd", "adminEmail": "a.new.test."}},
		"NS newline":             {"nameServers": []string{"ns1.new.test.\n@ IN A 6.6.6.6"}},
		"huge port":              {"alsoNotify": []string{"192.0.2.1:99999"}},
	}
	for name, zc := range configs {
		if r := s.do("POST", "/api/v1/zones", primaryBody("new.test", s.named.Key.Name, zc)); r.Status != 400 && r.Status != 422 {
			t.Errorf("%s: %d %s", name, r.Status, r.Raw)
		}
	}
	for name, patch := range map[string]map[string]any{
		"PATCH ACL injection":    {"allowUpdate": []string{"any; }; allow-transfer { any"}},
		"PATCH policy injection": {"dnssecPolicy": "a b"},
		"PATCH primaries":        {"primaries": []string{"127.0.0.1; }; #"}},
	} {
		if r := s.do("PATCH", "/api/v1/zones/victim.test", patch); r.Status != 400 {
			t.Errorf("%s: %d %s", name, r.Status, r.Raw)
		}
	}
	if _, err := s.rndc.Zone(t.Context(), "showzone", "new.test"); err == nil {
		t.Fatal("a refused create left zone new.test in BIND")
	}
	if after := zoneState(t, s, "victim.test", "evil.test"); after != before {
		t.Fatalf("BIND state changed:\n%s\n---\n%s", before, after)
	}
}

func TestHostileRecords(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	recordZone(t, s, "victim.test")
	before := axfr(t, s, "victim.test")
	for _, rec := range []map[string]any{
		{"name": "x", "type": "TXT", "value": "a\n$INCLUDE /etc/passwd"},
		{"name": "x", "type": "A", "value": "1.2.3.4\n@ IN NS evil."},
		{"name": "x\n@", "type": "A", "value": "1.2.3.4"},
		{"name": "x", "type": "TXT", "value": `"a" ; $GENERATE 1-100 $ A 1.2.3.4`},
		{"name": "x", "type": "TXT", "value": "\x00"},
		{"name": "x", "type": "A\n", "value": "1.2.3.4"},
		{"name": "x", "type": "A", "value": "1.2.3.4", "ttl": 1e20},
		{"name": "x", "type": "A", "value": "1.2.3.4", "ttl": -1},
		{"name": "x", "type": "MX", "value": "mail.", "priority": 70000},
	} {
		r := s.do("POST", "/api/v1/zones/victim.test/records", rec)
		if r.Status != 400 && r.Status != 422 {
			t.Errorf("%q: %d %s", rec, r.Status, r.Raw)
		}
	}
	// Protocol abuse: oversized, malformed, wrong media type, trailing data.
	big := `{"name":"x","type":"TXT","value":"` + strings.Repeat("a", 3<<20) + `"}`
	for _, tc := range []struct {
		body, ctype string
		want        int
	}{
		{big, "application/json", 413},
		{`{"name":`, "application/json", 400},
		{`{"name":"x","type":"A","value":"1.2.3.4"} {}`, "application/json", 400},
		{`name=x`, "application/x-www-form-urlencoded", 415},
		{`{"name":"x","type":"A","value":"1.2.3.4"}`, "text/plain", 415},
		{`{"name":["x"],"type":"A","value":"1.2.3.4"}`, "application/json", 422},
	} {
		req, _ := http.NewRequest("POST", s.url+"/api/v1/zones/victim.test/records", strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", tc.ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want || !strings.Contains(string(body), `"requestId"`) {
			t.Errorf("%.40q as %s: %d %s, want %d", tc.body, tc.ctype, resp.StatusCode, body, tc.want)
		}
	}
	if after := axfr(t, s, "victim.test"); after != before {
		t.Fatalf("zone changed:\n%s\n---\n%s", before, after)
	}
}

// TestHostileAuth: every refusal is the same bare 401, whatever was wrong, and a token that
// is merely present is never enough (B-4, A7).
func TestHostileAuth(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	var bodies []string
	for _, h := range []string{"", "Bearer", "Bearer ", "Basic " + token, "Bearer x" + token, "Bearer " + token[:len(token)-1], "bearer  wrong"} {
		req, _ := http.NewRequest("DELETE", s.url+"/api/v1/zones/victim.test", nil)
		if h != "" {
			req.Header.Set("Authorization", h)
		}
		req.Header.Set("X-Request-Id", "fixed")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("%q: %d", h, resp.StatusCode)
		}
		bodies = append(bodies, string(b))
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Errorf("401 bodies differ: %s vs %s", bodies[0], b)
		}
	}
}

// TestHostileForwardedFor: the rate limit keys on the TCP peer; a forged X-Forwarded-For does
// not reset it, and the 429 says when to retry.
func TestHostileForwardedFor(t *testing.T) {
	t.Parallel()
	s := startStackWith(t, func(env map[string]string) {
		env["RATE_LIMIT_ENABLED"], env["RATE_LIMIT_BURST"], env["RATE_LIMIT_REQUESTS"] = "true", "3", "1"
		env["RATE_LIMIT_PERIOD_SECS"] = "60"
	})
	limited := 0
	for i := range 6 {
		r := s.doWith("GET", "/api/v1/zones", nil, map[string]string{"X-Forwarded-For": fmt.Sprintf("203.0.113.%d", i)})
		if r.Status == 429 {
			limited++
			if r.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		}
	}
	if limited != 3 {
		t.Errorf("%d of 6 limited, want 3", limited)
	}
}

// TestHostileEnumeration: with zone scopes, a caller cannot tell an existing zone outside its
// scope from a missing one: same status, same body.
func TestHostileEnumeration(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	recordZone(t, s, "secret.test")
	policy := filepath.Join(s.named.Dir, "access.json")
	if err := os.WriteFile(policy, []byte(`{"principals":[{"name":"shared-token","access":"read-write","zones":["*.mine.test"]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s.stopAPI()
	s.startAPIWith(func(env map[string]string) { env["BINDGATE_ACCESS_FILE"] = policy }, 0)
	for _, m := range []string{"GET", "DELETE"} {
		a := s.doWith(m, "/api/v1/zones/secret.test", nil, map[string]string{"X-Request-Id": "same"})
		b := s.doWith(m, "/api/v1/zones/missing.test", nil, map[string]string{"X-Request-Id": "same"})
		if a.Status != 403 || a.Status != b.Status || a.Raw != b.Raw {
			t.Errorf("%s: existing %d %s, missing %d %s", m, a.Status, a.Raw, b.Status, b.Raw)
		}
	}
	if _, ok := soa(t, s.named.DNSAddr, "secret.test"); !ok {
		t.Fatal("the out-of-scope zone is gone")
	}
}

// TestHostileSecrets: after a run of failures, no secret is in any response, log line, audit
// line or metric; ready and metrics carry no zone names or BIND text; docs are off.
func TestHostileSecrets(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	recordZone(t, s, "victim.test")
	var raw []string
	for _, c := range []struct{ m, p string }{
		{"GET", "/api/v1/zones/victim.test"}, {"DELETE", "/api/v1/zones/missing.test"},
		{"POST", "/api/v1/zones/victim.test/reload"}, {"GET", "/api/v1/openapi.json"}, {"GET", "/api/v1/docs"},
		{"GET", "/api/v1/ready"}, {"GET", "/metrics"}, {"GET", "/api/v1/server/status"},
	} {
		r := s.do(c.m, c.p, nil)
		raw = append(raw, r.Raw)
		if strings.HasPrefix(c.p, "/api/v1/openapi") || strings.HasPrefix(c.p, "/api/v1/docs") {
			if r.Status != 404 {
				t.Errorf("%s is served without BIND_ENABLE_DOCS: %d", c.p, r.Status)
			}
		}
		if c.p == "/metrics" && (strings.Contains(r.Raw, "victim.test") || strings.Contains(r.Raw, "missing.test")) {
			t.Error("a zone name is a metric label")
		}
		if c.p == "/api/v1/ready" && (strings.Contains(r.Raw, "/") || strings.Contains(r.Raw, "victim")) {
			t.Errorf("ready leaks detail: %s", r.Raw)
		}
	}
	// Stop BIND: 5xx bodies are fixed text.
	s.named.Stop()
	r := s.do("GET", "/api/v1/zones/victim.test", nil)
	if r.Status != 503 || r.Body["error"] != "Service unavailable" {
		t.Errorf("BIND down: %d %s", r.Status, r.Raw)
	}
	raw = append(raw, r.Raw)
	audit, _ := os.ReadFile(filepath.Join(s.named.Dir, "audit.log"))
	secrets := map[string]string{"API token": token, "rndc/TSIG secret": s.named.Key.SecretBase64()}
	for what, secret := range secrets {
		for _, text := range append(raw, s.logs.String(), string(audit)) {
			if strings.Contains(text, secret) {
				t.Errorf("the %s leaked: %.200s", what, text)
			}
		}
	}
}
