package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/bindgate/bindgate/internal/auth"
	"github.com/bindgate/bindgate/internal/metrics"
	"github.com/bindgate/bindgate/internal/zones"
)

// fakeZones records calls and answers what the test scripted.
type fakeZones struct {
	mu    sync.Mutex
	calls []string
	err   error
}

func (f *fakeZones) record(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
	return f.err
}

func (f *fakeZones) Create(_ context.Context, r zones.CreateRequest) (zones.Result, error) {
	name := "<nil>"
	if r.ZoneName != nil {
		name = *r.ZoneName
	}
	return zones.Result{Message: "Zone " + name + " created successfully", Details: "rndc text"}, f.record("create " + name)
}
func (f *fakeZones) Delete(_ context.Context, z string) (zones.Result, error) {
	return zones.Result{Message: "Zone " + z + " deleted successfully"}, f.record("delete " + z)
}
func (f *fakeZones) Modify(_ context.Context, z string, r zones.ModifyRequest) (zones.Result, error) {
	return zones.Result{Message: "Zone " + z + " modified successfully"}, f.record(fmt.Sprintf("modify %s %v", z, r.AlsoNotify))
}
func (f *fakeZones) Get(_ context.Context, z string) (zones.Info, error) {
	s := uint32(7)
	return zones.Info{Name: z, ZoneType: "primary", Serial: &s}, f.record("get " + z)
}
func (f *fakeZones) Status(_ context.Context, z string) (zones.Status, error) {
	return zones.Status{Result: zones.Result{Message: "Zone " + z + " status retrieved", Details: "serial: 7"}}, f.record("status " + z)
}
func (f *fakeZones) Act(_ context.Context, z string, a zones.Action) (zones.Result, error) {
	return zones.Result{Message: string(a) + " " + z}, f.record(string(a) + " " + z)
}
func (f *fakeZones) List(context.Context) ([]string, error) { return nil, f.record("list") }
func (f *fakeZones) ServerStatus(context.Context) (string, error) {
	return "server is up and running", f.record("serverstatus")
}
func (f *fakeZones) ServerReload(context.Context) (zones.Result, error) {
	return zones.Result{Message: "Server reloaded successfully"}, f.record("serverreload")
}
func (f *fakeZones) Reconcile(context.Context) (zones.ReconcileReport, error) {
	return zones.ReconcileReport{Readded: []string{}, Failed: []zones.ReconcileError{}}, f.record("reconcile")
}
func (f *fakeZones) Ready(context.Context) []zones.Check {
	f.mu.Lock()
	defer f.mu.Unlock()
	return []zones.Check{{Name: "zone_dir", OK: true}, {Name: "rndc", OK: f.err == nil}}
}

const tok = "test-token"

type env struct {
	h    http.Handler
	z    *fakeZones
	m    *metrics.Metrics
	logs *bytes.Buffer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{z: &fakeZones{}, m: metrics.New("v1.2.3"), logs: &bytes.Buffer{}}
	s, err := New(Config{Zones: e.z, Auth: auth.NewStatic(tok), Metrics: e.m, Version: "v1.2.3",
		Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	e.h = s.Handler()
	return e
}

type req struct {
	method, path, body, ctype, auth string
	hdr                             map[string]string
}

func (e *env) do(r req) *httptest.ResponseRecorder {
	hr := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
	if r.auth != "-" {
		a := r.auth
		if a == "" {
			a = "Bearer " + tok
		}
		hr.Header.Set("Authorization", a)
	}
	if r.body != "" {
		ct := r.ctype
		if ct == "" {
			ct = "application/json"
		}
		hr.Header.Set("Content-Type", ct)
	}
	for k, v := range r.hdr {
		hr.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, hr)
	return w
}

func body(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("body %q is not JSON: %v", w.Body.String(), err)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	return m
}

func TestRoutes(t *testing.T) {
	t.Parallel()
	create := `{"zoneName":"example.com","zoneType":"primary","zoneConfig":{}}`
	tests := []struct {
		r      req
		status int
		field  string // JSON field to check
		want   any
		call   string
	}{
		{req{method: "POST", path: "/api/v1/zones", body: create}, 201, "message", "Zone example.com created successfully", "create example.com"},
		{req{method: "POST", path: "/api/v1/zones", body: create, ctype: "application/merge-patch+json; charset=utf-8"}, 201, "success", true, "create example.com"},
		{req{method: "GET", path: "/api/v1/zones"}, 200, "count", float64(0), "list"},
		{req{method: "GET", path: "/api/v1/zones/Example.COM."}, 200, "name", "example.com", "get example.com"},
		{req{method: "PATCH", path: "/api/v1/zones/example.com", body: `{"alsoNotify":["10.0.0.1:5353"]}`}, 200, "message", "Zone example.com modified successfully", "modify example.com [10.0.0.1:5353]"},
		{req{method: "DELETE", path: "/api/v1/zones/example.com"}, 200, "message", "Zone example.com deleted successfully", "delete example.com"},
		{req{method: "GET", path: "/api/v1/zones/example.com/status"}, 200, "details", "serial: 7", "status example.com"},
		{req{method: "POST", path: "/api/v1/zones/example.com/freeze"}, 200, "success", true, "freeze example.com"},
		{req{method: "POST", path: "/api/v1/zones/example.com/retransfer"}, 200, "success", true, "retransfer example.com"},
		{req{method: "GET", path: "/api/v1/server/status"}, 200, "status", "server is up and running", "serverstatus"},
		{req{method: "POST", path: "/api/v1/server/reload"}, 200, "message", "Server reloaded successfully", "serverreload"},
		{req{method: "POST", path: "/api/v1/server/reconcile"}, 200, "readded", []any{}, "reconcile"},
		{req{method: "GET", path: "/api/v1/health", auth: "-"}, 200, "version", "v1.2.3", ""},
		{req{method: "GET", path: "/api/v1/ready", auth: "-"}, 200, "ready", true, ""},
	}
	for _, tc := range tests {
		e := newEnv(t)
		w := e.do(tc.r)
		if w.Code != tc.status {
			t.Errorf("%s %s = %d %s", tc.r.method, tc.r.path, w.Code, w.Body)
			continue
		}
		b := body(t, w)
		if got, _ := json.Marshal(b[tc.field]); string(got) != mustJSON(tc.want) {
			t.Errorf("%s %s: %s = %s, want %s", tc.r.method, tc.r.path, tc.field, got, mustJSON(tc.want))
		}
		if tc.call != "" && (len(e.z.calls) != 1 || e.z.calls[0] != tc.call) {
			t.Errorf("%s %s: calls %v, want %q", tc.r.method, tc.r.path, e.z.calls, tc.call)
		}
		if w.Header().Get("X-Request-Id") == "" {
			t.Errorf("%s %s: no X-Request-Id", tc.r.method, tc.r.path)
		}
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		r      req
		err    error // the service's answer
		status int
		msg    string
	}{
		{"no token", req{method: "GET", path: "/api/v1/zones", auth: "-"}, nil, 401, "Unauthorized"},
		{"wrong token", req{method: "GET", path: "/api/v1/zones", auth: "Bearer nope"}, nil, 401, "Unauthorized"},
		{"wrong scheme", req{method: "GET", path: "/api/v1/zones", auth: "Basic " + tok}, nil, 401, "Unauthorized"},
		{"unknown route", req{method: "GET", path: "/api/v1/nope"}, nil, 404, "Not found"},
		{"unknown route, no auth needed to learn it", req{method: "GET", path: "/api/v2/zones", auth: "-"}, nil, 404, "Not found"},
		{"wrong method", req{method: "PUT", path: "/api/v1/zones/example.com"}, nil, 405, "Method not allowed"},
		{"bad zone name", req{method: "GET", path: "/api/v1/zones/a..b/status"}, nil, 400, "Invalid request: Invalid zone name: empty label"},
		{"encoded slash", req{method: "DELETE", path: "/api/v1/zones/a%2Fb"}, nil, 400, "Invalid request: Invalid zone name: character '/' not allowed"},
		{"quote in name", req{method: "DELETE", path: "/api/v1/zones/a%22b"}, nil, 400, `Invalid request: Invalid zone name: character '"' not allowed`},
		{"not json", req{method: "POST", path: "/api/v1/zones", body: "{}", ctype: "text/plain"}, nil, 415, "Invalid request: Content-Type must be application/json"},
		{"malformed", req{method: "POST", path: "/api/v1/zones", body: `{"zoneName":`}, nil, 400, "Invalid request: malformed JSON"},
		{"trailing data", req{method: "POST", path: "/api/v1/zones", body: `{} {}`}, nil, 400, "Invalid request: trailing data after the JSON value"},
		{"empty body", req{method: "PATCH", path: "/api/v1/zones/a.b", body: " ", ctype: "application/json"}, nil, 400, "Invalid request: empty body"},
		{"negative ttl", req{method: "POST", path: "/api/v1/zones", body: `{"zoneConfig":{"ttl":-1}}`}, nil, 422, "Invalid request: zoneConfig.ttl: expected uint32, got number -1"},
		{"fraction", req{method: "POST", path: "/api/v1/zones", body: `{"zoneConfig":{"ttl":1.5}}`}, nil, 422, "Invalid request: zoneConfig.ttl: expected uint32, got number 1.5"},
		{"ttl overflow", req{method: "POST", path: "/api/v1/zones", body: `{"zoneConfig":{"ttl":4294967296}}`}, nil, 422, "Invalid request: zoneConfig.ttl: expected uint32, got number 4294967296"},
		{"string for number", req{method: "POST", path: "/api/v1/zones", body: `{"zoneConfig":{"ttl":"300"}}`}, nil, 422, "Invalid request: zoneConfig.ttl: expected uint32, got string"},
		{"too large", req{method: "POST", path: "/api/v1/zones", body: `{"zoneName":"` + strings.Repeat("a", 3<<20) + `"}`}, nil, 413, "Invalid request: body larger than 2097152 bytes"},
		{"service 404", req{method: "GET", path: "/api/v1/zones/x.test/status"}, zones.NotFound("x.test"), 404, "Zone not found: x.test"},
		{"service 409", req{method: "POST", path: "/api/v1/zones", body: `{}`}, zones.Exists("x.test"), 409, "Zone already exists: x.test"},
		{"service 400", req{method: "PATCH", path: "/api/v1/zones/x.test", body: `{}`}, zones.Invalid("At least one field"), 400, "Invalid request: At least one field"},
		{"service not loaded", req{method: "GET", path: "/api/v1/zones/x.test/status"}, zones.NotLoaded("x.test"), 503, "Zone not loaded: x.test"},
		{"bind unavailable", req{method: "GET", path: "/api/v1/zones/x.test/status"}, fmt.Errorf("%w: dial 127.0.0.1:953: refused", zones.ErrUnavailable), 503, "Service unavailable"},
		{"deadline", req{method: "DELETE", path: "/api/v1/zones/x.test"}, context.DeadlineExceeded, 503, "Service unavailable"},
		{"internal", req{method: "DELETE", path: "/api/v1/zones/x.test"}, errors.New("open /var/cache/bind/x.zone: secret=abc"), 500, "Internal server error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.z.err = tc.err
			w := e.do(tc.r)
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d; %s", w.Code, tc.status, w.Body)
			}
			b := body(t, w)
			if b["error"] != tc.msg {
				t.Errorf("error = %q, want %q", b["error"], tc.msg)
			}
			if _, ok := b["details"]; !ok || b["details"] != nil {
				t.Errorf("details = %v, want null", b["details"])
			}
			if b["requestId"] != w.Header().Get("X-Request-Id") {
				t.Errorf("requestId %v != header %q", b["requestId"], w.Header().Get("X-Request-Id"))
			}
			if tc.status == 405 && w.Header().Get("Allow") == "" {
				t.Error("405 without Allow")
			}
			if tc.status == 500 {
				if strings.Contains(w.Body.String(), "secret=abc") || strings.Contains(w.Body.String(), "/var/cache") {
					t.Errorf("5xx body leaks: %s", w.Body)
				}
				if n := strings.Count(e.logs.String(), "secret=abc"); n != 1 {
					t.Errorf("cause logged %d times, want once", n)
				}
			}
			if tc.status == 401 && len(e.z.calls) != 0 {
				t.Errorf("service called without authentication: %v", e.z.calls)
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for in, reuse := range map[string]bool{"abc-123_X.y": true, strings.Repeat("a", 64): true, strings.Repeat("a", 65): false, "bad id": false, "x\ny": false, "": false} {
		w := e.do(req{method: "GET", path: "/api/v1/health", auth: "-", hdr: map[string]string{"X-Request-Id": in}})
		got := w.Header().Get("X-Request-Id")
		if reuse != (got == in) || got == "" {
			t.Errorf("incoming %q -> %q", in, got)
		}
	}
}

func TestReadyAndMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.z.err = errors.New("rndc down")
	w := e.do(req{method: "GET", path: "/api/v1/ready", auth: "-"})
	b := body(t, w)
	if w.Code != 503 || b["ready"] != false || mustJSON(b["checks"]) != `["zone_dir: ok","rndc: error"]` {
		t.Fatalf("ready = %d %s", w.Code, w.Body)
	}
	e.z.err = nil
	e.do(req{method: "GET", path: "/api/v1/zones/a.test/status"})
	e.do(req{method: "GET", path: "/nope"})
	e.do(req{method: "POST", path: "/api/v1/zones", body: `{}`})
	m := e.do(req{method: "GET", path: "/metrics", auth: "-"})
	if m.Code != 200 {
		t.Fatalf("metrics %d", m.Code)
	}
	text := m.Body.String()
	for _, want := range []string{
		`bindcar_http_requests_total{method="GET",path="/api/v1/zones/{name}/status",status="200"} 1`,
		`bindcar_http_requests_total{method="GET",path="<unmatched>",status="404"} 1`,
		`bindcar_http_requests_total{method="GET",path="/api/v1/ready",status="503"} 1`,
		`bindcar_zone_operations_total{operation="create",result="success"} 1`,
		`bindcar_app_info{version="v1.2.3"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(text, "a.test") {
		t.Error("a zone name reached a metric label (A-4)")
	}
	if n := testutil.ToFloat64(e.m.AuthFailures.WithLabelValues("missing")); n != 0 {
		t.Errorf("auth failures %v", n)
	}
}
