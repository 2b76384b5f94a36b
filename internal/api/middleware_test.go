package api

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// logLines decodes the captured JSON log.
func logLines(t *testing.T, e *env) []map[string]any {
	t.Helper()
	var out []map[string]any
	for l := range strings.Lines(e.logs.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// linesWith returns the log lines whose msg is msg.
func linesWith(t *testing.T, e *env, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range logLines(t, e) {
		if l["msg"] == msg {
			out = append(out, l)
		}
	}
	return out
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	hexID := regexp.MustCompile(`^[0-9a-f]{16}$`)
	tests := []struct {
		name, in string
		reused   bool
	}{
		{"simple", "abc-123_X.y", true},
		{"64 characters", strings.Repeat("a", 64), true},
		{"65 characters", strings.Repeat("a", 65), false},
		{"space", "bad id", false},
		{"slash", "a/b", false},
		{"non-ASCII", "idé", false},
		{"empty", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			for _, target := range []string{"/api/v1/health", "/api/v1/nope"} {
				w := e.do(req{method: "GET", target: target, auth: "-", hdr: map[string]string{"X-Request-Id": tc.in}})
				got := w.Header().Get("X-Request-Id")
				if tc.reused && got != tc.in || !tc.reused && !hexID.MatchString(got) {
					t.Errorf("%s: incoming %q -> %q (reuse %v)", target, tc.in, got, tc.reused)
				}
				if w.Code == 404 {
					var b errorBody
					if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil || b.RequestID != got {
						t.Errorf("error body requestId %q, header %q (%v)", b.RequestID, got, err)
					}
				}
			}
			for _, l := range linesWith(t, e, "request") {
				if id, _ := l["request_id"].(string); id == "" || id == tc.in && !tc.reused {
					t.Errorf("log line request_id %q", id)
				}
			}
		})
	}
	// Generated ids differ.
	e := newEnv(t)
	a := e.do(req{method: "GET", target: "/api/v1/health", hdr: map[string]string{"X-Request-Id": ""}}).Header().Get("X-Request-Id")
	b := e.do(req{method: "GET", target: "/api/v1/health", hdr: map[string]string{"X-Request-Id": ""}}).Header().Get("X-Request-Id")
	if a == b {
		t.Errorf("two generated ids are equal: %q", a)
	}
}

// TestInternalErrorLoggedOnce: a 5xx body is generic, and the cause is in the log exactly once,
// at error level, with request id, route and zone (docs/contract.md §19 A-3).
func TestInternalErrorLoggedOnce(t *testing.T) {
	t.Parallel()
	const secret = "secret=abc"
	e := newEnv(t)
	e.z.err = errors.New("rndc delzone: /var/cache/bind/x.test.zone: " + secret)
	w := e.do(req{method: "DELETE", target: "/api/v1/zones/X.Test."})
	if diff := cmp.Diff(errJSON("Internal server error"), w.Body.String()); diff != "" {
		t.Fatalf("body (-want +got):\n%s", diff)
	}
	logs := e.logs.String()
	if n := strings.Count(logs, secret); n != 1 {
		t.Fatalf("cause logged %d times, want once:\n%s", n, logs)
	}
	got := linesWith(t, e, "request failed")
	if len(got) != 1 {
		t.Fatalf("%d error lines", len(got))
	}
	want := map[string]any{"level": "ERROR", "request_id": testReqID, "route": "/api/v1/zones/{name}", "zone": "x.test",
		"method": "DELETE", "status": float64(500)}
	for k, v := range want {
		if got[0][k] != v {
			t.Errorf("error line %s = %v, want %v", k, got[0][k], v)
		}
	}
	if !strings.Contains(got[0]["err"].(string), secret) {
		t.Errorf("error line lacks the cause: %v", got[0])
	}
}

func TestRequestLog(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.do(req{method: "GET", target: "/api/v1/zones/example.com/status"})
	e.do(req{method: "GET", target: "/api/v1/health", auth: "-"})
	e.do(req{method: "GET", target: "/api/v1/zones", auth: "Bearer wrong-token-value"})
	lines := linesWith(t, e, "request")
	if len(lines) != 3 {
		t.Fatalf("%d request lines, want one per request", len(lines))
	}
	type line struct{ Level, Route, Method, RequestID, Remote, Principal string }
	var got []line
	for _, l := range lines {
		if _, ok := l["duration_ms"].(float64); !ok {
			t.Errorf("no duration: %v", l)
		}
		p, _ := l["principal"].(string)
		got = append(got, line{l["level"].(string), l["route"].(string), l["method"].(string), l["request_id"].(string), l["remote"].(string), p})
	}
	want := []line{
		{"INFO", "/api/v1/zones/{name}/status", "GET", testReqID, "192.0.2.1:1234", "shared-token"},
		{"DEBUG", "/api/v1/health", "GET", testReqID, "192.0.2.1:1234", ""},
		{"INFO", "/api/v1/zones", "GET", testReqID, "192.0.2.1:1234", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request lines (-want +got):\n%s", diff)
	}
	warn := linesWith(t, e, "authentication refused")
	if len(warn) != 1 || warn[0]["level"] != "WARN" || warn[0]["request_id"] != testReqID ||
		!strings.Contains(warn[0]["err"].(string), "mismatch") {
		t.Errorf("auth refusal lines = %v", warn)
	}
	for _, secret := range []string{testToken, "wrong-token-value"} {
		if strings.Contains(e.logs.String(), secret) {
			t.Errorf("a token reached the log")
		}
	}
}

func TestPanic(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.z.panicWith = "kaboom"
	w := e.do(req{method: "GET", target: "/api/v1/zones/a.test"})
	if w.Code != 500 {
		t.Fatalf("status %d", w.Code)
	}
	if diff := cmp.Diff(errJSON("Internal server error"), w.Body.String()); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	failed := linesWith(t, e, "request failed")
	if len(failed) != 1 || !strings.Contains(failed[0]["err"].(string), "kaboom") ||
		!strings.Contains(failed[0]["stack"].(string), "fakeZones") {
		t.Errorf("panic log lines = %v", failed)
	}
	if n := testutil.ToFloat64(e.m.HTTPRequests.WithLabelValues("GET", "/api/v1/zones/{name}", "500")); n != 1 {
		t.Errorf("panic counted %v times as 500", n)
	}
	if lines := linesWith(t, e, "request"); len(lines) != 1 || lines[0]["status"] != float64(500) {
		t.Errorf("request lines = %v", lines)
	}
}

// TestTimeout: the per-request deadline turns a hung service into a 503 (docs/contract.md §1).
func TestTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.RequestTimeout = 20 * time.Millisecond })
	e.z.block = true
	w := e.do(req{method: "POST", target: "/api/v1/zones/a.test/retransfer"})
	if diff := cmp.Diff(errJSON("Service unavailable"), w.Body.String()); w.Code != 503 || diff != "" {
		t.Errorf("status %d, body (-want +got):\n%s", w.Code, diff)
	}
}

// TestHTTPMetrics checks bindcar_http_requests_total labels: route templates, "<unmatched>",
// status text, and no zone name anywhere (docs/contract.md §17, §19 A-4).
func TestHTTPMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.do(req{method: "GET", target: "/api/v1/zones/secret-zone.test/status"})
	e.do(req{method: "GET", target: "/api/v1/zones/secret-zone.test/status"})
	e.do(req{method: "GET", target: "/api/v1/zones/other.test/status", auth: "-"})
	e.do(req{method: "GET", target: "/nope/secret-zone.test"})
	e.do(req{method: "PUT", target: "/api/v1/zones/secret-zone.test"})
	e.do(req{method: "BREW", target: "/api/v1/health"})
	e.do(req{method: "GET", target: "/api/v1/zones/../secret-zone.test"})
	e.do(req{method: "GET", target: "/api/v1/ready", auth: "-"})
	tests := []struct {
		labels []string
		want   float64
	}{
		{[]string{"GET", "/api/v1/zones/{name}/status", "200"}, 2},
		{[]string{"GET", "/api/v1/zones/{name}/status", "401"}, 1},
		{[]string{"GET", "<unmatched>", "404"}, 1},
		{[]string{"GET", "<unmatched>", "400"}, 1},
		{[]string{"PUT", "<unmatched>", "405"}, 1},
		{[]string{"OTHER", "<unmatched>", "405"}, 1},
		{[]string{"GET", "/api/v1/ready", "200"}, 1},
	}
	for _, tc := range tests {
		if got := testutil.ToFloat64(e.m.HTTPRequests.WithLabelValues(tc.labels...)); got != tc.want {
			t.Errorf("bindcar_http_requests_total%v = %v, want %v", tc.labels, got, tc.want)
		}
	}
	if n := testutil.CollectAndCount(e.m.HTTPRequests); n != len(tests) {
		t.Errorf("%d request series, want %d", n, len(tests))
	}
	if n := testutil.CollectAndCount(e.m.HTTPDuration); n != 5 {
		t.Errorf("%d duration series, want 5 (one per method and path)", n)
	}
	if got := testutil.ToFloat64(e.m.AuthFailures.WithLabelValues("missing")); got != 1 {
		t.Errorf("auth failures{missing} = %v", got)
	}
	assertNoLabelContains(t, e.m.Registry, "secret-zone")
}

func assertNoLabelContains(t *testing.T, g prometheus.Gatherer, s string) {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), s) {
					t.Errorf("%s{%s=%q} leaks a path", mf.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
}

// TestZoneOperationMetrics: the mutating zone routes count success and error; status and get
// do not (docs/contract.md §17).
func TestZoneOperationMetrics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		r       req
		svcErr  error
		op, res string
	}{
		{req{method: "POST", target: "/api/v1/zones", body: `{"zoneName":"a.test"}`}, nil, "create", "success"},
		{req{method: "POST", target: "/api/v1/zones", body: `{"zoneName":"a.test"}`}, errors.New("x"), "create", "error"},
		{req{method: "POST", target: "/api/v1/zones", body: `{`}, nil, "create", "error"},
		{req{method: "DELETE", target: "/api/v1/zones/a.test"}, nil, "delete", "success"},
		{req{method: "DELETE", target: "/api/v1/zones/a%2Fb"}, nil, "delete", "error"},
		{req{method: "PATCH", target: "/api/v1/zones/a.test", body: `{"inlineSigning":true}`}, nil, "modify", "success"},
		{req{method: "POST", target: "/api/v1/zones/a.test/reload"}, nil, "reload", "success"},
		{req{method: "POST", target: "/api/v1/zones/a.test/freeze"}, nil, "freeze", "success"},
		{req{method: "POST", target: "/api/v1/zones/a.test/thaw"}, nil, "thaw", "success"},
		{req{method: "POST", target: "/api/v1/zones/a.test/notify"}, errors.New("x"), "notify", "error"},
		{req{method: "POST", target: "/api/v1/zones/a.test/retransfer"}, nil, "retransfer", "success"},
	}
	for _, tc := range tests {
		t.Run(tc.op+"/"+tc.res+"/"+tc.r.target, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.z.err = tc.svcErr
			e.do(tc.r)
			if got := testutil.ToFloat64(e.m.ZoneOps.WithLabelValues(tc.op, tc.res)); got != 1 {
				t.Errorf("bindcar_zone_operations_total{%s,%s} = %v", tc.op, tc.res, got)
			}
			if n := testutil.CollectAndCount(e.m.ZoneOps); n != 1 {
				t.Errorf("%d series", n)
			}
		})
	}
	e := newEnv(t)
	for _, r := range []req{
		{method: "GET", target: "/api/v1/zones/a.test"}, {method: "GET", target: "/api/v1/zones/a.test/status"},
		{method: "GET", target: "/api/v1/zones"}, {method: "POST", target: "/api/v1/server/reload"},
		{method: "POST", target: "/api/v1/zones/a.test/reload", auth: "-"},
	} {
		e.do(r)
	}
	if n := testutil.CollectAndCount(e.m.ZoneOps); n != 0 {
		t.Errorf("reads, server routes or refused requests counted as zone operations: %d series", n)
	}
}

func TestReconcileMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.z.report.Readded = []string{"a.test", "b.test"}
	e.do(req{method: "POST", target: "/api/v1/server/reconcile"})
	if got := testutil.ToFloat64(e.m.Reconcile.WithLabelValues("readded")); got != 2 {
		t.Errorf("readded = %v", got)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.do(req{method: "GET", target: "/api/v1/zones/a.test/status"})
	w := e.do(req{method: "GET", target: "/metrics", auth: "-"})
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("metrics: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	for _, want := range []string{
		`bindcar_app_info{version="v1.2.3-test"} 1`,
		`bindcar_http_requests_total{method="GET",path="/api/v1/zones/{name}/status",status="200"} 1`,
		`bindcar_rate_limit_requests_total{result="rejected"} 0`,
		"go_goroutines ",
	} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("exposition lacks %s", want)
		}
	}
	if w.Header().Get("X-Request-Id") == "" {
		t.Error("no request id on /metrics")
	}

	e.m.Registry.MustRegister(failingCollector{})
	w = e.do(req{method: "GET", target: "/metrics", auth: "-"})
	if diff := cmp.Diff(errJSON("Internal server error"), w.Body.String()); w.Code != 500 || diff != "" {
		t.Errorf("gather failure: %d, body (-want +got):\n%s", w.Code, diff)
	}
	if n := len(linesWith(t, e, "request failed")); n != 1 {
		t.Errorf("gather failure logged %d times", n)
	}
}

// failingCollector makes Gather fail.
type failingCollector struct{}

var failingDesc = prometheus.NewDesc("test_failing", "Always fails.", nil, nil)

func (failingCollector) Describe(ch chan<- *prometheus.Desc) { ch <- failingDesc }
func (failingCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.NewInvalidMetric(failingDesc, errors.New("collector broke"))
}

func TestNewDefaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if _, err := New(Config{Auth: authStub{}, Metrics: e.m}); err == nil {
		t.Error("New without Zones succeeded")
	}
	if _, err := New(Config{Zones: e.z, Auth: authStub{}}); err == nil {
		t.Error("New without Metrics succeeded")
	}
	s, err := New(Config{Zones: e.z, Auth: authStub{}, Metrics: e.m})
	if err != nil {
		t.Fatal(err)
	}
	if s.maxBody != DefaultMaxBody || s.timeout != DefaultRequestTimeout || s.log == nil {
		t.Errorf("defaults: maxBody %d, timeout %v", s.maxBody, s.timeout)
	}
	small := newEnv(t, func(c *Config) { c.MaxBody = 10 })
	w := small.do(req{method: "POST", target: "/api/v1/zones", body: `{"zoneName":"a.test"}`})
	if diff := cmp.Diff(errJSON("Invalid request: body larger than 10 bytes"), w.Body.String()); w.Code != 413 || diff != "" {
		t.Errorf("MaxBody: %d (-want +got):\n%s", w.Code, diff)
	}
}
