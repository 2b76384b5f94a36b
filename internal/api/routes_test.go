package api

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bindgate/bindgate/internal/auth"
	"github.com/bindgate/bindgate/internal/zones"
)

func ptr[T any](v T) *T { return &v }

// TestRoutes checks every route's success status, exact body (docs/contract.md §3.2) and the call the
// service received.
func TestRoutes(t *testing.T) {
	t.Parallel()
	const create = `{"zoneName":"example.com","zoneType":"primary","zoneConfig":{"ttl":300},"unknownField":1}`
	dnssec := &zones.DNSSECStatus{Policy: "default", Signed: true, Keys: []zones.DNSSECKey{{
		Tag: 33306, Algorithm: "ECDSAP256SHA256", Role: "CSK", Published: true, KeySigning: true, ZoneSigning: true,
		Goal: "omnipresent",
	}}}
	tests := []struct {
		name   string
		setup  func(*fakeZones)
		r      req
		status int
		body   string
		calls  []call
	}{
		{
			name: "create", r: req{method: "POST", target: "/api/v1/zones", body: create}, status: 201,
			body: `{"success":true,"message":"Zone example.com created successfully","details":"rndc addzone text"}`,
			calls: []call{{"Create", "example.com", zones.CreateRequest{ZoneName: ptr("example.com"), ZoneType: ptr("primary"),
				ZoneConfig: &zones.ZoneConfig{TTL: ptr[uint32](300)}}}},
		},
		{
			name:   "create with +json media type and parameters",
			r:      req{method: "POST", target: "/api/v1/zones", body: `{"zoneName":"a.test","updateKeyName":null}`, ctype: "Application/Merge-Patch+JSON; charset=utf-8"},
			status: 201, body: `{"success":true,"message":"Zone a.test created successfully","details":"rndc addzone text"}`,
			calls: []call{{"Create", "a.test", zones.CreateRequest{ZoneName: ptr("a.test")}}},
		},
		{
			name: "list sorted", setup: func(f *fakeZones) { f.list = []string{"b.example", "a.example", "c.example"} },
			r: req{method: "GET", target: "/api/v1/zones"}, status: 200,
			body: `{"zones":["a.example","b.example","c.example"],"count":3}`, calls: []call{{Method: "List"}},
		},
		{
			name: "list empty is never null", r: req{method: "GET", target: "/api/v1/zones"}, status: 200,
			body: `{"zones":[],"count":0}`, calls: []call{{Method: "List"}},
		},
		{
			name: "get", r: req{method: "GET", target: "/api/v1/zones/example.com"}, status: 200,
			body:  `{"name":"example.com","zoneType":"primary","serial":2025010101,"filePath":"/var/cache/bind/example.com.zone"}`,
			calls: []call{{"Get", "example.com", nil}},
		},
		{
			name: "modify", r: req{method: "PATCH", target: "/api/v1/zones/example.com", body: `{"alsoNotify":["10.0.0.1:5353"],"allowTransfer":[],"dnssecPolicy":null}`},
			status: 200, body: `{"success":true,"message":"Zone example.com modified successfully","details":""}`,
			calls: []call{{"Modify", "example.com", zones.ModifyRequest{AlsoNotify: []string{"10.0.0.1:5353"}, AllowTransfer: []string{}}}},
		},
		{
			name: "delete is 200", r: req{method: "DELETE", target: "/api/v1/zones/example.com"}, status: 200,
			body: `{"success":true,"message":"Zone example.com deleted successfully","details":""}`, calls: []call{{"Delete", "example.com", nil}},
		},
		{
			name: "status without dnssec", r: req{method: "GET", target: "/api/v1/zones/example.com/status"}, status: 200,
			body: `{"success":true,"message":"Zone example.com status retrieved","details":"serial: 7"}`, calls: []call{{"Status", "example.com", nil}},
		},
		{
			name: "status with dnssec", setup: func(f *fakeZones) { f.dnssec = dnssec },
			r: req{method: "GET", target: "/api/v1/zones/example.com/status"}, status: 200,
			body: `{"success":true,"message":"Zone example.com status retrieved","details":"serial: 7","dnssec":{"policy":"default","signed":true,` +
				`"keys":[{"tag":33306,"algorithm":"ECDSAP256SHA256","role":"CSK","published":true,"keySigning":true,"zoneSigning":true,"removed":false,"goal":"omnipresent"}]}}`,
			calls: []call{{"Status", "example.com", nil}},
		},
		{
			name: "server status", r: req{method: "GET", target: "/api/v1/server/status"}, status: 200,
			body: `{"status":"version: BIND 9.18\nserver is up and running"}`, calls: []call{{Method: "ServerStatus"}},
		},
		{
			name: "server reload", r: req{method: "POST", target: "/api/v1/server/reload"}, status: 200,
			body: `{"success":true,"message":"Server reloaded successfully","details":"server reload successful"}`, calls: []call{{Method: "ServerReload"}},
		},
		{
			name: "reconcile", setup: func(f *fakeZones) {
				f.report = zones.ReconcileReport{Registered: 3, Present: 1, Readded: []string{"a.test"}, Failed: []zones.ReconcileError{{Zone: "b.test", Reason: "zone file missing"}},
					Restored: []zones.RestoredZone{{Zone: "a.test", Source: zones.SourceCopy, Serial: new(uint32(7)), CopyAgeSeconds: new(int64(3)), Stale: true}}}
			},
			r: req{method: "POST", target: "/api/v1/server/reconcile"}, status: 200,
			body:  `{"registered":3,"present":1,"readded":["a.test"],"failed":[{"zone":"b.test","reason":"zone file missing"}],"restored":[{"zone":"a.test","source":"copy","serial":7,"copyAgeSeconds":3,"stale":true}],"removed":[]}`,
			calls: []call{{Method: "Reconcile"}},
		},
		{
			name: "reconcile with nothing to do has empty lists", r: req{method: "POST", target: "/api/v1/server/reconcile"}, status: 200,
			body: `{"registered":0,"present":0,"readded":[],"failed":[],"restored":[],"removed":[]}`, calls: []call{{Method: "Reconcile"}},
		},
		{
			name: "health needs no token", r: req{method: "GET", target: "/api/v1/health", auth: "-"}, status: 200,
			body: `{"status":"healthy","version":"v1.2.3-test"}`,
		},
		{
			name: "ready", r: req{method: "GET", target: "/api/v1/ready", auth: "-"}, status: 200,
			body: `{"ready":true,"checks":["zone_dir: ok","rndc: ok"]}`, calls: []call{{Method: "Ready"}},
		},
		{
			name: "not ready is 503", setup: func(f *fakeZones) { f.checks[1].OK = false },
			r: req{method: "GET", target: "/api/v1/ready", auth: "-"}, status: 503,
			body: `{"ready":false,"checks":["zone_dir: ok","rndc: error"]}`, calls: []call{{Method: "Ready"}},
		},
		{
			name: "ready ignores a bad token", r: req{method: "GET", target: "/api/v1/ready", auth: "Bearer wrong"}, status: 200,
			body: `{"ready":true,"checks":["zone_dir: ok","rndc: ok"]}`, calls: []call{{Method: "Ready"}},
		},
		{
			name: "lower-case bearer", r: req{method: "GET", target: "/api/v1/zones", auth: "bearer " + testToken}, status: 200,
			body: `{"zones":[],"count":0}`, calls: []call{{Method: "List"}},
		},
	}
	for _, a := range []zones.Action{zones.ActionReload, zones.ActionFreeze, zones.ActionThaw, zones.ActionNotify, zones.ActionRetransfer} {
		tests = append(tests, struct {
			name   string
			setup  func(*fakeZones)
			r      req
			status int
			body   string
			calls  []call
		}{
			name: "action " + string(a), r: req{method: "POST", target: "/api/v1/zones/example.com/" + string(a)}, status: 200,
			body:  `{"success":true,"message":"` + string(a) + ` done for zone example.com","details":"zone ` + string(a) + ` queued"}`,
			calls: []call{{"Act", "example.com", a}},
		})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			if tc.setup != nil {
				tc.setup(e.z)
			}
			w := e.do(tc.r)
			if w.Code != tc.status {
				t.Errorf("status = %d, want %d", w.Code, tc.status)
			}
			if diff := cmp.Diff(tc.body+"\n", w.Body.String()); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if id := w.Header().Get("X-Request-Id"); id != testReqID {
				t.Errorf("X-Request-Id = %q", id)
			}
			if diff := cmp.Diff(tc.calls, e.z.Calls()); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

// TestZoneNameNormalised: every {name} route hands the service the normalised name (docs/contract.md §4).
func TestZoneNameNormalised(t *testing.T) {
	t.Parallel()
	tests := []req{
		{method: "GET", target: "/api/v1/zones/Example.COM."},
		{method: "GET", target: "/api/v1/zones/Example.COM./status"},
		{method: "PATCH", target: "/api/v1/zones/Example.COM.", body: `{"inlineSigning":true}`},
		{method: "DELETE", target: "/api/v1/zones/Example.COM."},
		{method: "POST", target: "/api/v1/zones/Example.COM./reload"},
		{method: "POST", target: "/api/v1/zones/EXAMPLE.com/notify"},
	}
	for _, r := range tests {
		t.Run(r.method+" "+r.target, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			if w := e.do(r); w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			calls := e.z.Calls()
			if len(calls) != 1 || calls[0].Zone != "example.com" {
				t.Errorf("calls = %+v, want one with zone example.com", calls)
			}
		})
	}
}

// TestRouteAuthMatrix: every route except health, ready and metrics refuses a request without a
// token, before the service is called (docs/contract.md §2, §15.1).
func TestRouteAuthMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s, err := New(Config{Zones: e.z, Auth: nil, Metrics: e.m})
	if err == nil || s != nil {
		t.Fatal("New without Auth succeeded")
	}
	srv, err := New(Config{Zones: &fakeZones{}, Auth: authStub{}, Metrics: e.m})
	if err != nil {
		t.Fatal(err)
	}
	public := map[string]bool{"GET /api/v1/health": true, "GET /api/v1/ready": true, "GET /metrics": true}
	for _, rt := range srv.routes() {
		t.Run(rt.pattern, func(t *testing.T) {
			t.Parallel()
			if rt.public != public[rt.pattern] {
				t.Errorf("public = %v", rt.public)
			}
			e := newEnv(t)
			method, target := splitPattern(rt.pattern)
			w := e.do(req{method: method, target: target, auth: "-", body: "{}"})
			want := 401
			if rt.public {
				want = 200
			}
			if w.Code != want {
				t.Fatalf("status %d, want %d: %s", w.Code, want, w.Body)
			}
			if !rt.public {
				if diff := cmp.Diff(errJSON("Unauthorized"), w.Body.String()); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
				if got := w.Header().Get("WWW-Authenticate"); got != "Bearer" {
					t.Errorf("WWW-Authenticate = %q", got)
				}
				if calls := e.z.Calls(); len(calls) != 0 {
					t.Errorf("service called without authentication: %+v", calls)
				}
			}
		})
	}
}

// authStub refuses everything; it only proves New accepts any Authenticator.
type authStub struct{}

func (authStub) Authenticate(*http.Request) (auth.Principal, error) {
	return auth.Principal{}, errors.New("no")
}

func splitPattern(p string) (method, target string) {
	method, target, _ = strings.Cut(p, " ")
	return method, strings.ReplaceAll(target, "{name}", "example.com")
}
