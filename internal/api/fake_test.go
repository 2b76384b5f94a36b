package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/bindgate/bindgate/internal/auth"
	"github.com/bindgate/bindgate/internal/logbuf"
	"github.com/bindgate/bindgate/internal/metrics"
	"github.com/bindgate/bindgate/internal/zones"
)

// call is one recorded ZoneService call.
type call struct {
	Method string
	Zone   string
	Arg    any
}

// fakeZones is an in-package ZoneService test double: it records calls and answers what the
// test scripted. Every method returns err; panicWith makes them panic; block makes them wait
// for the context and return its error.
type fakeZones struct {
	mu        sync.Mutex
	calls     []call
	err       error
	panicWith any
	block     bool
	gate      chan struct{} // when set, calls wait for it to close, whatever the context says
	list      []string
	dnssec    *zones.DNSSECStatus
	report    zones.ReconcileReport
	checks    []zones.Check
}

func (f *fakeZones) record(ctx context.Context, c call) error {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	err, p, block, gate := f.err, f.panicWith, f.block, f.gate
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if p != nil {
		panic(p)
	}
	if block {
		<-ctx.Done()
		return ctx.Err()
	}
	return err
}

func (f *fakeZones) Calls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

func (f *fakeZones) Create(ctx context.Context, r zones.CreateRequest) (zones.Result, error) {
	name := "<nil>"
	if r.ZoneName != nil {
		name = *r.ZoneName
	}
	err := f.record(ctx, call{"Create", name, r})
	return zones.Result{Message: "Zone " + name + " created successfully", Details: "rndc addzone text"}, err
}

func (f *fakeZones) Delete(ctx context.Context, z string) (zones.Result, error) {
	err := f.record(ctx, call{"Delete", z, nil})
	return zones.Result{Message: "Zone " + z + " deleted successfully"}, err
}

func (f *fakeZones) Modify(ctx context.Context, z string, r zones.ModifyRequest) (zones.Result, error) {
	err := f.record(ctx, call{"Modify", z, r})
	return zones.Result{Message: "Zone " + z + " modified successfully"}, err
}

func (f *fakeZones) Get(ctx context.Context, z string) (zones.Info, error) {
	err := f.record(ctx, call{"Get", z, nil})
	serial := uint32(2025010101)
	return zones.Info{Name: z, ZoneType: "primary", Serial: &serial, FilePath: "/var/cache/bind/" + z + ".zone"}, err
}

func (f *fakeZones) Status(ctx context.Context, z string) (zones.Status, error) {
	err := f.record(ctx, call{"Status", z, nil})
	return zones.Status{Result: zones.Result{Message: "Zone " + z + " status retrieved", Details: "serial: 7"}, DNSSEC: f.dnssec}, err
}

func (f *fakeZones) Act(ctx context.Context, z string, a zones.Action) (zones.Result, error) {
	err := f.record(ctx, call{"Act", z, a})
	return zones.Result{Message: string(a) + " done for zone " + z, Details: "zone " + string(a) + " queued"}, err
}

func (f *fakeZones) List(ctx context.Context) ([]string, error) {
	err := f.record(ctx, call{Method: "List"})
	return f.list, err
}

func (f *fakeZones) ServerStatus(ctx context.Context) (string, error) {
	err := f.record(ctx, call{Method: "ServerStatus"})
	return "version: BIND 9.18\nserver is up and running", err
}

func (f *fakeZones) ServerReload(ctx context.Context) (zones.Result, error) {
	err := f.record(ctx, call{Method: "ServerReload"})
	return zones.Result{Message: "Server reloaded successfully", Details: "server reload successful"}, err
}

func (f *fakeZones) Reconcile(ctx context.Context) (zones.ReconcileReport, error) {
	err := f.record(ctx, call{Method: "Reconcile"})
	return f.report, err
}

func (f *fakeZones) Ready(ctx context.Context) []zones.Check {
	_ = f.record(ctx, call{Method: "Ready"})
	return f.checks
}

const (
	testToken   = "test-token-0123456789"
	testVersion = "v1.2.3-test"
	testReqID   = "req-1"
)

// env is one Server over a fake, with its metrics and captured logs.
type env struct {
	t    *testing.T
	h    http.Handler
	z    *fakeZones
	m    *metrics.Metrics
	logs *syncBuffer
}

// syncBuffer is a log sink safe for the concurrent writes of a JSON slog handler.
type syncBuffer = logbuf.Buffer

func newEnv(t *testing.T, edit ...func(*Config)) *env {
	t.Helper()
	e := &env{t: t, z: &fakeZones{checks: []zones.Check{{Name: "zone_dir", OK: true}, {Name: "rndc", OK: true}}},
		m: metrics.New(testVersion), logs: &syncBuffer{}}
	cfg := Config{
		Zones: e.z, Auth: auth.NewStatic(testToken), Metrics: e.m, Version: testVersion,
		Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, f := range edit {
		f(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.h = s.Handler()
	return e
}

// req describes a test request. auth "" sends the valid token, "-" no header, anything else
// that header value. ctype "" sends application/json when there is a body, "-" none.
type req struct {
	method, target, body, ctype, auth string
	hdr                               map[string]string
}

func (e *env) do(r req) *httptest.ResponseRecorder {
	e.t.Helper()
	hr := httptest.NewRequestWithContext(e.t.Context(), r.method, r.target, strings.NewReader(r.body))
	switch r.auth {
	case "":
		hr.Header.Set("Authorization", "Bearer "+testToken)
	case "-":
	default:
		hr.Header.Set("Authorization", r.auth)
	}
	switch {
	case r.ctype == "-":
	case r.ctype != "":
		hr.Header.Set("Content-Type", r.ctype)
	case r.body != "":
		hr.Header.Set("Content-Type", "application/json")
	}
	hr.Header.Set("X-Request-Id", testReqID)
	for k, v := range r.hdr {
		hr.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, hr)
	return w
}

// errJSON is the exact error body for msg with the test's request id.
func errJSON(msg string) string {
	return `{"error":` + quoteJSON(msg) + `,"details":null,"requestId":"` + testReqID + `"}` + "\n"
}

func quoteJSON(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}
