package api

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bindgate/bindgate/internal/access"
	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/pdnsapi"
	"github.com/bindgate/bindgate/internal/records"
	"github.com/bindgate/bindgate/internal/zones"
)

// Facts makes fakeZones a pdnsapi.ZoneService: every zone is a primary.
func (f *fakeZones) Facts(ctx context.Context, z string) (zones.Facts, error) {
	err := f.record(ctx, call{"Facts", z, nil})
	return zones.Facts{Type: "primary"}, err
}

func newPDNS(t *testing.T, z *fakeZones, r *fakeRecords) *pdnsapi.API {
	t.Helper()
	a, err := pdnsapi.New(pdnsapi.Config{Zones: z, Records: r, Version: testVersion, UpdateKey: func() string { return "tsig-key" },
		// a.com has a copy, b.com none (a secondary not transferred yet): the list says 0.
		Serial: func(z string) (uint32, bool) { return 2026120701, z == "a.com" }})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// pdnsEnv is an env with the PowerDNS API on, over rec.
func pdnsEnv(t *testing.T, rec *fakeRecords, edit ...func(*Config)) *env {
	t.Helper()
	return newEnv(t, append([]func(*Config){func(c *Config) {
		c.Records = rec
		c.PowerDNS = newPDNS(t, c.Zones.(*fakeZones), rec)
	}}, edit...)...)
}

// key sends the test token as X-API-Key, as PowerDNS clients do.
var key = map[string]string{"X-API-Key": testToken}

const zoneJSON = `{"id":"example.com.","name":"example.com.","type":"Zone","url":"/api/v1/servers/localhost/zones/example.com.",` +
	`"kind":"Master","serial":7,"notified_serial":0,"edited_serial":7,"masters":[],"dnssec":false,"account":"",` +
	`"rrsets":[{"name":"www.example.com.","type":"A","ttl":300,"records":[{"content":"192.0.2.1","disabled":false}],"comments":[]}]}` + "\n"

func pdnsErr(msg string) string { return `{"error":` + quoteJSON(msg) + "}\n" }

// TestPDNSEndpoints: every PowerDNS route, its status, body and exact Content-Type; errors in
// PowerDNS's body; X-API-Key and bearer both authenticate; a bad or missing key is 401 in
// PowerDNS's body.
func TestPDNSEndpoints(t *testing.T) {
	t.Parallel()
	const base = "/api/v1/servers/localhost"
	tests := []struct {
		name       string
		req        req
		zoneErr    error
		recErr     error
		status     int
		body       string // exact, when set
		wantZones  []string
		wantRecord string // the Patch request, as Go syntax, when set
	}{
		{name: "api versions", req: req{method: "GET", target: "/api", auth: "-", hdr: key}, status: 200, body: `[{"url":"/api/v1","version":1}]` + "\n"},
		{name: "bearer works too", req: req{method: "GET", target: "/api"}, status: 200},
		{name: "no key", req: req{method: "GET", target: "/api", auth: "-"}, status: 401, body: pdnsErr("Unauthorized")},
		{name: "bad key", req: req{method: "GET", target: base + "/zones", auth: "-", hdr: map[string]string{"X-API-Key": "nope"}}, status: 401, body: pdnsErr("Unauthorized")},
		{name: "servers", req: req{method: "GET", target: "/api/v1/servers", auth: "-", hdr: key}, status: 200},
		{name: "server", req: req{method: "GET", target: base, auth: "-", hdr: key}, status: 200},
		{name: "unknown server", req: req{method: "GET", target: "/api/v1/servers/other/zones", auth: "-", hdr: key}, status: 404, body: pdnsErr("Not found")},
		{name: "list", req: req{method: "GET", target: base + "/zones", auth: "-", hdr: key}, status: 200,
			body: `[{"id":"a.com.","name":"a.com.","type":"Zone","url":"/api/v1/servers/localhost/zones/a.com.","kind":"Master","serial":2026120701,"notified_serial":0,"edited_serial":2026120701,"masters":[],"dnssec":false,"account":""},` +
				`{"id":"b.com.","name":"b.com.","type":"Zone","url":"/api/v1/servers/localhost/zones/b.com.","kind":"Master","serial":0,"notified_serial":0,"edited_serial":0,"masters":[],"dnssec":false,"account":""}]` + "\n"},
		{name: "get with dot", req: req{method: "GET", target: base + "/zones/example.com.", auth: "-", hdr: key}, status: 200, body: zoneJSON},
		{name: "get without dot", req: req{method: "GET", target: base + "/zones/Example.COM", auth: "-", hdr: key}, status: 200, body: zoneJSON},
		{name: "get unknown", req: req{method: "GET", target: base + "/zones/nope.com.", auth: "-", hdr: key},
			zoneErr: errs.New(errs.NotFound, "Zone not found: nope.com"), status: 404, body: pdnsErr("Zone not found: nope.com")},
		{name: "get invalid name", req: req{method: "GET", target: base + "/zones/a..b", auth: "-", hdr: key}, status: 422},
		{name: "patch: dnscontrol's shape, ignored fields", req: req{method: "PATCH", target: base + "/zones/example.com.", auth: "-", hdr: key,
			body: `{"name":"example.com.","type":"Zone","nameservers":null,"rrsets":[` +
				`{"name":"www.example.com.","type":"A","ttl":300,"changetype":"REPLACE","records":[{"content":"192.0.2.9","disabled":false,"name":"x","type":"A"}],"comments":[]},` +
				`{"name":"old.example.com.","type":"TXT","ttl":0,"changetype":"DELETE","records":null,"comments":null}]}`},
			status: 204, body: "",
			wantRecord: `{RRsets:[{www.example.com. A 300 REPLACE [192.0.2.9]} {old.example.com. TXT <nil> DELETE []}]}`},
		{name: "patch: lexicon's REPLACE with records [] deletes", req: req{method: "PATCH", target: base + "/zones/example.com", auth: "-", hdr: key, ctype: "-",
			body: `{"rrsets":[{"name":"_acme-challenge.example.com.","type":"TXT","ttl":3600,"changetype":"REPLACE","records":[]}]}`},
			status: 204, wantRecord: `{RRsets:[{_acme-challenge.example.com. TXT <nil> DELETE []}]}`},
		{name: "patch: quoted TXT passes as is", req: req{method: "PATCH", target: base + "/zones/example.com", auth: "-", hdr: key,
			body: `{"rrsets":[{"name":"t.example.com.","type":"TXT","ttl":60,"changetype":"REPLACE","records":[{"content":"\"v=spf1 -all\"","disabled":false}]}]}`},
			status: 204, wantRecord: `{RRsets:[{t.example.com. TXT 60 REPLACE ["v=spf1 -all"]}]}`},
		{name: "patch: empty rrsets is a no-op", req: req{method: "PATCH", target: base + "/zones/example.com", auth: "-", hdr: key, body: `{"rrsets":[]}`}, status: 204},
		{name: "patch: disabled refused", req: req{method: "PATCH", target: base + "/zones/example.com", auth: "-", hdr: key,
			body: `{"rrsets":[{"name":"a.example.com.","type":"A","ttl":60,"changetype":"REPLACE","records":[{"content":"192.0.2.1","disabled":true}]}]}`},
			status: 422, body: pdnsErr("rrsets[0].records[0]: disabled records are not supported (BIND serves every record it holds)")},
		{name: "patch: bad changetype", req: req{method: "PATCH", target: base + "/zones/example.com", auth: "-", hdr: key,
			body: `{"rrsets":[{"name":"a.example.com.","type":"A","changetype":"EXTEND","records":[]}]}`}, status: 422},
		{name: "patch: malformed JSON", req: req{method: "PATCH", target: base + "/zones/example.com", auth: "-", hdr: key, body: `{"rrsets":[`},
			status: 400, body: pdnsErr("could not parse the JSON body")},
		{name: "patch: SOA refused is 422", req: req{method: "PATCH", target: base + "/zones/example.com", auth: "-", hdr: key,
			body: `{"rrsets":[{"name":"example.com.","type":"SOA","changetype":"DELETE"}]}`},
			recErr: errs.New(errs.Invalid, "Invalid record: the SOA record of example.com is maintained by BIND and cannot be changed through this API"),
			status: 422, body: pdnsErr("Invalid record: the SOA record of example.com is maintained by BIND and cannot be changed through this API")},
		{name: "patch: conflict is 409", req: req{method: "PATCH", target: base + "/zones/example.com", auth: "-", hdr: key,
			body: `{"rrsets":[{"name":"a.example.com.","type":"A","changetype":"DELETE"}]}`},
			recErr: errs.New(errs.Conflict, "busy"), status: 409, body: pdnsErr("busy")},
		{name: "patch: unavailable is 503", req: req{method: "PATCH", target: base + "/zones/example.com", auth: "-", hdr: key,
			body: `{"rrsets":[{"name":"a.example.com.","type":"A","changetype":"DELETE"}]}`},
			recErr: errs.New(errs.Unavailable, ""), status: 503, body: pdnsErr("Service unavailable")},
		{name: "create", req: req{method: "POST", target: base + "/zones", auth: "-", hdr: key,
			body: `{"name":"example.com.","kind":"Native","nameservers":["ns1.example.com."],"masters":[],"rrsets":[` +
				`{"name":"ns1.example.com.","type":"A","ttl":300,"records":[{"content":"192.0.2.53","disabled":false}]},` +
				`{"name":"example.com.","type":"SOA","ttl":300,"records":[{"content":"x y 1 2 3 4 5","disabled":false}]}]}`},
			status: 201, body: strings.ReplaceAll(zoneJSON, ":7,", ":8,"), wantZones: []string{"Create", "Facts"},
			wantRecord: `{RRsets:[{ns1.example.com. A 300 REPLACE [192.0.2.53]}]}`},
		{name: "create: exists", req: req{method: "POST", target: base + "/zones", auth: "-", hdr: key,
			body: `{"name":"example.com","kind":"Master","nameservers":["ns1.other.net."]}`},
			zoneErr: errs.New(errs.Conflict, "Zone example.com already exists"), status: 409, body: pdnsErr("Zone example.com already exists")},
		{name: "create: invalid rrsets refused before creating", req: req{method: "POST", target: base + "/zones", auth: "-", hdr: key,
			body: `{"name":"example.com","kind":"Master","nameservers":["ns1.other.net."],"rrsets":[{"name":"w.example.com.","type":"A","ttl":1,"records":[{"content":"not-an-ip"}]}]}`},
			status: 422, wantZones: []string{}},
		{name: "create: no nameservers", req: req{method: "POST", target: base + "/zones", auth: "-", hdr: key, body: `{"name":"example.com","kind":"Native"}`},
			status: 422, wantZones: []string{}},
		{name: "delete", req: req{method: "DELETE", target: base + "/zones/example.com.", auth: "-", hdr: key}, status: 204, body: "", wantZones: []string{"Delete"}},
		{name: "notify", req: req{method: "PUT", target: base + "/zones/example.com./notify", auth: "-", hdr: key}, status: 200,
			body: `{"result":"Notification queued"}` + "\n", wantZones: []string{"Act"}},
		{name: "cryptokeys of an unsigned zone", req: req{method: "GET", target: base + "/zones/example.com./cryptokeys", auth: "-", hdr: key}, status: 200, body: "[]\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &fakeRecords{serial: 7, err: tc.recErr}
			e := pdnsEnv(t, rec)
			e.z.list = []string{"b.com", "a.com"}
			if tc.zoneErr != nil {
				e.z.err = tc.zoneErr
			}
			w := e.do(tc.req)
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tc.status, w.Body)
			}
			if tc.status != 204 && w.Header().Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type = %q", w.Header().Get("Content-Type"))
			}
			if tc.status == 401 && w.Header().Get("WWW-Authenticate") != "" {
				t.Errorf("WWW-Authenticate on a PowerDNS route: %q", w.Header().Get("WWW-Authenticate"))
			}
			if tc.body != "" || tc.status == 204 {
				if diff := cmp.Diff(tc.body, w.Body.String()); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
			}
			if tc.status >= 400 && !strings.HasPrefix(w.Body.String(), `{"error":`) {
				t.Errorf("error body %s", w.Body)
			}
			if tc.wantZones != nil {
				var got []string
				for _, c := range e.z.Calls() {
					if c.Method != "Facts" || len(tc.wantZones) > 0 && tc.wantZones[len(tc.wantZones)-1] == "Facts" {
						got = append(got, c.Method)
					}
				}
				if got == nil {
					got = []string{}
				}
				if diff := cmp.Diff(tc.wantZones, got); diff != "" {
					t.Errorf("zone calls (-want +got):\n%s", diff)
				}
			}
			if tc.wantRecord != "" {
				var got string
				for _, c := range rec.Calls() {
					if c.Method == "Patch" {
						got = patchString(c.Arg.(records.PatchRequest))
					}
				}
				if got != tc.wantRecord {
					t.Errorf("Patch got %s, want %s", got, tc.wantRecord)
				}
			}
		})
	}
}

// patchString renders a PatchRequest compactly for comparisons.
func patchString(p records.PatchRequest) string {
	var parts []string
	for _, c := range p.RRsets {
		ttl := "<nil>"
		if c.TTL != nil {
			ttl = strconv.FormatUint(uint64(*c.TTL), 10)
		}
		parts = append(parts, "{"+str(c.Name)+" "+str(c.Type)+" "+ttl+" "+str(c.ChangeType)+" ["+strings.Join(c.Records, " ")+"]}")
	}
	return "{RRsets:[" + strings.Join(parts, " ") + "]}"
}

// TestPDNSCreateRequest: a create is POST /api/v1/zones's request: a primary with the SOA and
// NS from nameservers, glue from the rrsets, allow-update for bindgate's key.
func TestPDNSCreateRequest(t *testing.T) {
	t.Parallel()
	e := pdnsEnv(t, &fakeRecords{serial: 1})
	w := e.do(req{method: "POST", target: "/api/v1/servers/localhost/zones", auth: "-", hdr: key,
		body: `{"name":"example.com.","kind":"Master","nameservers":["ns1.example.com.","ns2.other.net."],` +
			`"rrsets":[{"name":"ns1.example.com.","type":"A","ttl":300,"records":[{"content":"192.0.2.53"}]}]}`})
	if w.Code != 201 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	cr := e.z.Calls()[0].Arg.(zones.CreateRequest)
	zc := cr.ZoneConfig
	got := []string{*cr.ZoneName, *cr.ZoneType, *cr.UpdateKeyName, *zc.SOA.PrimaryNS, *zc.SOA.AdminEmail,
		strings.Join(zc.NameServers, ","), zc.NameServerIPs["ns1.example.com."]}
	want := []string{"example.com", "primary", "tsig-key", "ns1.example.com.", "hostmaster.example.com.",
		"ns1.example.com.,ns2.other.net.", "192.0.2.53"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("create request (-want +got):\n%s", diff)
	}
}

// TestPDNSScopes: zone scopes apply on the PowerDNS routes: 403 in PowerDNS's body outside the
// principal's zones, the listing filtered, create checked against the body's zone; the audit
// line names the principal.
func TestPDNSScopes(t *testing.T) {
	t.Parallel()
	pol, err := access.Parse([]byte(`{"principals":[{"name":"shared-token","access":"read-write","zones":["a.com"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	audit := &syncBuffer{}
	e := pdnsEnv(t, &fakeRecords{serial: 1}, func(c *Config) { c.Access = pol; c.Audit = newJSONLogger(audit) })
	e.z.list = []string{"a.com", "b.com"}
	const base = "/api/v1/servers/localhost/zones"
	for _, tc := range []struct {
		method, target, body string
		status               int
		body2                string
	}{
		{"GET", base, "", 200, ""},
		{"GET", base + "/b.com.", "", 403, pdnsErr("Forbidden")},
		{"PATCH", base + "/b.com.", `{"rrsets":[{"name":"x.b.com.","type":"A","changetype":"DELETE"}]}`, 403, pdnsErr("Forbidden")},
		{"POST", base, `{"name":"b.com.","kind":"Native","nameservers":["ns.a.com."]}`, 403, pdnsErr("Forbidden")},
		{"PATCH", base + "/a.com.", `{"rrsets":[{"name":"x.a.com.","type":"A","changetype":"DELETE"}]}`, 204, ""},
		{"GET", "/api", "", 200, ""},
	} {
		w := e.do(req{method: tc.method, target: tc.target, body: tc.body, auth: "-", hdr: key})
		if w.Code != tc.status || tc.body2 != "" && w.Body.String() != tc.body2 {
			t.Errorf("%s %s = %d %s, want %d %s", tc.method, tc.target, w.Code, w.Body, tc.status, tc.body2)
		}
		if tc.method == "GET" && tc.target == base && !strings.Contains(w.Body.String(), `"a.com."`) || strings.Contains(w.Body.String(), `"b.com."`) {
			t.Errorf("listing not filtered: %s", w.Body)
		}
	}
	for _, c := range e.z.Calls() {
		if c.Method == "Create" {
			t.Error("a create outside the scope reached the zone service")
		}
	}
	lines := strings.Split(strings.TrimSpace(audit.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d audit lines:\n%s", len(lines), audit)
	}
	for i, l := range lines {
		var m map[string]any
		_ = json.Unmarshal([]byte(l), &m)
		if m["principal"] != "shared-token" {
			t.Errorf("line %d lacks the principal: %s", i, l)
		}
	}
	if !strings.Contains(lines[3], `"changes":"DELETE x.a.com. A"`) || !strings.Contains(lines[3], `"zone":"a.com"`) || !strings.Contains(lines[3], `"result":"ok"`) {
		t.Errorf("write line: %s", lines[3])
	}
	if strings.Contains(audit.String(), testToken) {
		t.Error("the key reached the audit log")
	}
}
