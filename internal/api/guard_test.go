package api

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/bindgate/bindgate/internal/access"
	"github.com/bindgate/bindgate/internal/ratelimit"
)

// TestRateLimitBeforeAuth: the bucket is per TCP peer, checked before authentication, 429
// with Retry-After, never keyed on X-Forwarded-For; probes are not limited.
func TestRateLimitBeforeAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) {
		c.Limiter = ratelimit.New(ratelimit.Config{Requests: 60, Period: time.Minute, Burst: 2})
	})
	for i := range 2 {
		if w := e.do(req{method: "GET", target: "/api/v1/zones", auth: "Bearer wrong"}); w.Code != 401 {
			t.Fatalf("request %d: %d", i, w.Code)
		}
	}
	// A forged X-Forwarded-For does not buy a new bucket.
	w := e.do(req{method: "GET", target: "/api/v1/zones", hdr: map[string]string{"X-Forwarded-For": "203.0.113.9"}})
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" || w.Body.String() != errJSON("Too many requests") {
		t.Fatalf("third request: %d %q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	if w := e.do(req{method: "GET", target: "/api/v1/health"}); w.Code != 200 {
		t.Errorf("health limited: %d", w.Code)
	}
	if got := len(e.z.Calls()); got != 0 {
		t.Errorf("%d service calls", got)
	}
}

// TestAllowlist: a peer outside the prefixes is refused before authentication (a valid token
// does not help, an invalid one is not even checked), probes stay open.
func TestAllowlist(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.AllowedCIDRs = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")} })
	for _, a := range []string{"", "Bearer wrong", "-"} {
		if w := e.do(req{method: "GET", target: "/api/v1/zones", auth: a}); w.Code != http.StatusForbidden || w.Body.String() != errJSON("Forbidden") {
			t.Errorf("auth %q: %d %s", a, w.Code, w.Body)
		}
	}
	if w := e.do(req{method: "GET", target: "/api/v1/health"}); w.Code != 200 {
		t.Errorf("health: %d", w.Code)
	}
	inside := newEnv(t, func(c *Config) { c.AllowedCIDRs = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")} })
	if w := inside.do(req{method: "GET", target: "/api/v1/zones"}); w.Code != 200 {
		t.Errorf("allowed peer: %d %s", w.Code, w.Body)
	}
}

// TestScopes: out of scope is 403 with no service call, identical for a zone that exists and
// one that does not; read-only cannot write; list is filtered; server routes need "*".
func TestScopes(t *testing.T) {
	t.Parallel()
	pol, err := access.Parse([]byte(`{"principals":[{"name":"shared-token","access":"read-write","zones":["*.team-a.test"]},
		{"name":"shared-token","access":"read-only","zones":["ro.test"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) { c.Access = pol })
	e.z.list = []string{"a.team-a.test", "b.team-b.test", "ro.test"}
	cases := []struct {
		method, target, body string
		want                 int
	}{
		{"GET", "/api/v1/zones/a.team-a.test", "", 200},
		{"DELETE", "/api/v1/zones/a.team-a.test", "", 200},
		{"DELETE", "/api/v1/zones/b.team-b.test", "", 403},
		{"DELETE", "/api/v1/zones/does-not-exist.test", "", 403},
		{"GET", "/api/v1/zones/ro.test/status", "", 200},
		{"POST", "/api/v1/zones/ro.test/freeze", "", 403},
		{"POST", "/api/v1/zones", `{"zoneName":"x.team-b.test","zoneType":"primary","zoneConfig":{}}`, 403},
		{"POST", "/api/v1/server/reload", "", 403},
		{"GET", "/api/v1/server/status", "", 403},
	}
	for _, c := range cases {
		before := len(e.z.Calls())
		w := e.do(req{method: c.method, target: c.target, body: c.body})
		if w.Code != c.want {
			t.Errorf("%s %s: %d, want %d: %s", c.method, c.target, w.Code, c.want, w.Body)
		}
		if c.want == 403 {
			if w.Body.String() != errJSON("Forbidden") {
				t.Errorf("%s %s: body %s", c.method, c.target, w.Body)
			}
			if len(e.z.Calls()) != before {
				t.Errorf("%s %s: a refused request reached the service", c.method, c.target)
			}
		}
	}
	w := e.do(req{method: "GET", target: "/api/v1/zones"})
	var list zoneList
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil || strings.Join(list.Zones, " ") != "a.team-a.test ro.test" || list.Count != 2 {
		t.Errorf("list = %s", w.Body)
	}
}

// TestAuditLine: a write and a refusal each write one audit line naming principal, peer,
// route, zone and status; never the token.
func TestAuditLine(t *testing.T) {
	t.Parallel()
	audit := &syncBuffer{}
	e := newEnv(t, func(c *Config) { c.Audit = newJSONLogger(audit) })
	e.do(req{method: "DELETE", target: "/api/v1/zones/Example.COM"})
	e.do(req{method: "GET", target: "/api/v1/zones/example.com"}) // a read: no line
	e.do(req{method: "POST", target: "/api/v1/zones/example.com/notify", auth: "Bearer not-the-token"})
	lines := strings.Split(strings.TrimSpace(audit.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d audit lines:\n%s", len(lines), audit)
	}
	var first, second map[string]any
	_ = json.Unmarshal([]byte(lines[0]), &first)
	_ = json.Unmarshal([]byte(lines[1]), &second)
	if first["principal"] != "shared-token" || first["zone"] != "example.com" || first["route"] != "/api/v1/zones/{name}" ||
		first["status"] != float64(200) || first["result"] != "ok" || first["source_ip"] != "192.0.2.1" || first["request_id"] != testReqID {
		t.Errorf("write line: %s", lines[0])
	}
	if second["status"] != float64(401) || second["result"] != "denied" || second["reason"] != "unauthenticated" {
		t.Errorf("denied line: %s", lines[1])
	}
	if strings.Contains(audit.String(), testToken) || strings.Contains(audit.String(), "not-the-token") {
		t.Error("a token reached the audit log")
	}
}

// TestInFlightBound: with every slot taken, a request waits for its deadline and gets 503.
func TestInFlightBound(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.MaxInFlight = 1; c.RequestTimeout = 200 * time.Millisecond })
	gate := make(chan struct{})
	e.z.gate = gate
	done := make(chan int)
	go func() { done <- e.do(req{method: "GET", target: "/api/v1/zones/a.test"}).Code }()
	for range 200 { // bounded wait until the first request holds the slot
		if len(e.z.Calls()) == 1 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	w := e.do(req{method: "GET", target: "/api/v1/zones/b.test"})
	if w.Code != http.StatusServiceUnavailable || w.Body.String() != errJSON("Service unavailable") {
		t.Errorf("second request: %d %s", w.Code, w.Body)
	}
	if n := len(e.z.Calls()); n != 1 {
		t.Errorf("%d service calls, want 1 (the second never got a slot)", n)
	}
	close(gate)
	<-done
}

func newJSONLogger(w *syncBuffer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }
