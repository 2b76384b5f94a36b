package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bindgate/bindgate/internal/access"
	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/records"
)

// fakeRecords holds RRsets by zone and applies Patch to them as BIND would (REPLACE, DELETE).
type fakeRecords struct {
	data    map[string][]records.RRset
	patches map[string][]records.PatchRequest
	err     error // returned by Patch when set
}

func (f *fakeRecords) RRsets(_ context.Context, zone, _, _ string) (records.ZoneData, error) {
	d, ok := f.data[zone]
	if !ok {
		return records.ZoneData{}, errs.New(errs.NotFound, "Zone %s not found", zone)
	}
	return records.ZoneData{Zone: zone, RRsets: d}, nil
}

func (f *fakeRecords) Patch(_ context.Context, zone string, req records.PatchRequest, _ *uint32) (records.PatchResult, error) {
	if f.err != nil {
		return records.PatchResult{}, f.err
	}
	f.patches[zone] = append(f.patches[zone], req)
	for _, c := range req.RRsets {
		sets := slices.DeleteFunc(f.data[zone], func(s records.RRset) bool { return s.Name == *c.Name && s.Type == *c.Type })
		if *c.ChangeType == records.ChangeReplace {
			recs := slices.Clone(c.Records)
			slices.Sort(recs)
			sets = append(sets, records.RRset{Name: *c.Name, Type: *c.Type, TTL: *c.TTL, Records: recs})
		}
		f.data[zone] = sets
	}
	return records.PatchResult{Zone: zone}, nil
}

type fakeZones []string

func (z fakeZones) List(context.Context) ([]string, error) { return z, nil }

// policy: the principal "edns" writes example.com and reads example.org; other.test is managed
// but outside its scopes.
const policy = `{"principals":[
 {"name":"edns","access":"read-write","zones":["example.com"]},
 {"name":"edns","access":"read-only","zones":["example.org"]}]}`

type fixture struct {
	h     http.Handler
	recs  *fakeRecords
	audit *bytes.Buffer
}

func newFixture(t *testing.T, domains ...string) *fixture {
	t.Helper()
	pol, err := access.Parse([]byte(policy))
	if err != nil {
		t.Fatal(err)
	}
	recs := &fakeRecords{patches: map[string][]records.PatchRequest{}, data: map[string][]records.RRset{
		"example.com": {
			{Name: "example.com.", Type: "SOA", TTL: 3600, Records: []string{"ns1.example.com. admin.example.com. 1 3600 600 86400 300"}},
			{Name: "example.com.", Type: "NS", TTL: 3600, Records: []string{"ns1.example.com."}},
			{Name: "a-www.example.com.", Type: "TXT", TTL: 300, Records: []string{`"heritage=external-dns,external-dns/owner=k8s,external-dns/resource=service/default/www"`}},
			{Name: "alias.example.com.", Type: "CNAME", TTL: 300, Records: []string{"www.example.com."}},
			{Name: "www.example.com.", Type: "A", TTL: 300, Records: []string{"192.0.2.1", "192.0.2.2"}},
		},
		"example.org": {{Name: "www.example.org.", Type: "A", TTL: 300, Records: []string{"192.0.2.9"}}},
		"other.test":  {{Name: "www.other.test.", Type: "A", TTL: 300, Records: []string{"192.0.2.8"}}},
	}}
	audit := &bytes.Buffer{}
	s, err := New(Config{Principal: "edns", Domains: domains, Records: recs, Zones: fakeZones{"example.com", "example.org", "other.test"},
		Access: pol, Audit: slog.New(slog.NewJSONHandler(audit, nil)), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{h: s.Handler(), recs: recs, audit: audit}
}

func (f *fixture) call(t *testing.T, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Accept", MediaType)
	if body != "" {
		r.Header.Set("Content-Type", MediaType)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

func TestNegotiate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		domains []string
		want    string
	}{
		{nil, `{"include":["example.com"]}`}, // the zones "edns" may write
		{[]string{"Example.com.", "sub.example.org"}, `{"include":["example.com","sub.example.org"]}`},
	} {
		w := newFixture(t, tc.domains...).call(t, "GET", "/", "")
		if w.Code != 200 || w.Header().Get("Content-Type") != "application/external.dns.webhook+json;version=1" {
			t.Fatalf("GET / = %d %q", w.Code, w.Header().Get("Content-Type"))
		}
		if got := strings.TrimSpace(w.Body.String()); got != tc.want {
			t.Errorf("GET / with domains %v = %s, want %s", tc.domains, got, tc.want)
		}
	}
	if w := newFixture(t).call(t, "GET", "/healthz", ""); w.Code != 200 {
		t.Errorf("GET /healthz = %d", w.Code)
	}
}

func TestRecordsList(t *testing.T) {
	t.Parallel()
	w := newFixture(t).call(t, "GET", "/records", "")
	if w.Code != 200 || w.Header().Get("Content-Type") != MediaType {
		t.Fatalf("GET /records = %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	// No SOA; names and CNAME targets without the dot; the TXT ownership record with its
	// quotes, as ExternalDNS wrote it; nothing from example.org (read-only) or other.test.
	want := `[{"dnsName":"example.com","targets":["ns1.example.com"],"recordType":"NS","recordTTL":3600},` +
		`{"dnsName":"a-www.example.com","targets":["\"heritage=external-dns,external-dns/owner=k8s,external-dns/resource=service/default/www\""],"recordType":"TXT","recordTTL":300},` +
		`{"dnsName":"alias.example.com","targets":["www.example.com"],"recordType":"CNAME","recordTTL":300},` +
		`{"dnsName":"www.example.com","targets":["192.0.2.1","192.0.2.2"],"recordType":"A","recordTTL":300}]`
	if d := cmp.Diff(want, strings.TrimSpace(w.Body.String())); d != "" {
		t.Errorf("GET /records (-want +got):\n%s", d)
	}
}

// fromFakeSource is POST /adjustendpoints as ExternalDNS v0.22.0 sends it with --source=fake
// (captured): a setIdentifier and no TTL on every endpoint.
const fromFakeSource = `[{"dnsName":"xmpl.example.com","targets":["10.0.0.1"],"recordType":"A","setIdentifier":"test-set-1","labels":{}},` +
	`{"dnsName":"Web.Example.com.","targets":["app.example.com","app.example.com"],"recordType":"CNAME","recordTTL":60,"providerSpecific":[{"name":"alias","value":"true"}]},` +
	`{"dnsName":"t.example.com","targets":["v=spf1 -all","\"already quoted\""],"recordType":"TXT"},` +
	`{"dnsName":"v6.example.com","targets":["2001:DB8:0:0::1"],"recordType":"aaaa"}]`

func TestAdjustEndpoints(t *testing.T) {
	t.Parallel()
	w := newFixture(t).call(t, "POST", "/adjustendpoints", fromFakeSource)
	if w.Code != 200 || w.Header().Get("Content-Type") != MediaType {
		t.Fatalf("POST /adjustendpoints = %d %q %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	var got []Endpoint
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := []Endpoint{
		{DNSName: "xmpl.example.com", Targets: []string{"10.0.0.1"}, RecordType: "A", RecordTTL: 3600}, // empty labels are omitted
		{DNSName: "web.example.com", Targets: []string{"app.example.com"}, RecordType: "CNAME", RecordTTL: 60},
		{DNSName: "t.example.com", Targets: []string{`"v=spf1 -all"`, `"already quoted"`}, RecordType: "TXT", RecordTTL: 3600},
		{DNSName: "v6.example.com", Targets: []string{"2001:db8::1"}, RecordType: "AAAA", RecordTTL: 3600},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("adjusted (-want +got):\n%s", d)
	}
}

func TestApplyPlan(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// As ExternalDNS's TXT registry sends a plan: the record and its ownership TXT record.
	plan := `{"create":[{"dnsName":"new.example.com","targets":["192.0.2.7"],"recordType":"A","recordTTL":3600,"labels":{"owner":"k8s"}},` +
		`{"dnsName":"a-new.example.com","targets":["\"heritage=external-dns,external-dns/owner=k8s\""],"recordType":"TXT","recordTTL":3600,"labels":{}}],` +
		`"updateOld":[{"dnsName":"www.example.com","targets":["192.0.2.1","192.0.2.2"],"recordType":"A","recordTTL":300}],` +
		`"updateNew":[{"dnsName":"www.example.com","targets":["192.0.2.3"],"recordType":"A"}],` +
		`"delete":[{"dnsName":"alias.example.com","targets":["www.example.com"],"recordType":"CNAME","recordTTL":300}]}`
	w := f.call(t, "POST", "/records", plan)
	if w.Code != http.StatusNoContent {
		t.Fatalf("POST /records = %d %s", w.Code, w.Body)
	}
	p := f.recs.patches["example.com"]
	if len(p) != 1 {
		t.Fatalf("patches of example.com: %d, want exactly one (one atomic change)", len(p))
	}
	type ch struct {
		Name, Type, Kind string
		TTL              uint32
		Records          []string
	}
	var got []ch
	for _, c := range p[0].RRsets {
		var ttl uint32
		if c.TTL != nil {
			ttl = *c.TTL
		}
		got = append(got, ch{*c.Name, *c.Type, *c.ChangeType, ttl, c.Records})
	}
	want := []ch{
		{"alias.example.com.", "CNAME", "DELETE", 0, nil},
		{"www.example.com.", "A", "REPLACE", 300, []string{"192.0.2.3"}}, // the old TTL kept
		{"new.example.com.", "A", "REPLACE", 3600, []string{"192.0.2.7"}},
		{"a-new.example.com.", "TXT", "REPLACE", 3600, []string{`"heritage=external-dns,external-dns/owner=k8s"`}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("patch (-want +got):\n%s", d)
	}
	line := f.audit.String()
	for _, s := range []string{`"principal":"edns"`, `"zone":"example.com"`, `"status":204`, `"result":"ok"`, "REPLACE new.example.com. A", "DELETE alias.example.com. CNAME"} {
		if !strings.Contains(line, s) {
			t.Errorf("audit line lacks %s: %s", s, line)
		}
	}
}

// TestRoundTrip: what ExternalDNS wants, once applied, lists exactly as adjustendpoints
// answered it, so the next run plans nothing (TXT quotes, a missing TTL, names without dots).
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	desired := `[{"dnsName":"rt.example.com","targets":["target.example.net"],"recordType":"CNAME"},` +
		`{"dnsName":"a-rt.example.com","targets":["\"heritage=external-dns,external-dns/owner=k8s,external-dns/resource=service/default/rt\""],"recordType":"TXT"},` +
		`{"dnsName":"txt.example.com","targets":["plain text; with \"quotes\" and \\ backslash"],"recordType":"TXT"},` +
		`{"dnsName":"mx.example.com","targets":["10 mail.example.com"],"recordType":"MX"},` +
		`{"dnsName":"srv.example.com","targets":["0 5 443 svc.example.com"],"recordType":"SRV"}]`
	w := f.call(t, "POST", "/adjustendpoints", desired)
	var adjusted []Endpoint
	if err := json.Unmarshal(w.Body.Bytes(), &adjusted); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(Changes{Create: adjusted})
	if w := f.call(t, "POST", "/records", string(b)); w.Code != http.StatusNoContent {
		t.Fatalf("POST /records = %d %s", w.Code, w.Body)
	}
	var listed []Endpoint
	if err := json.Unmarshal(f.call(t, "GET", "/records", "").Body.Bytes(), &listed); err != nil {
		t.Fatal(err)
	}
	for _, a := range adjusted {
		i := slices.IndexFunc(listed, func(l Endpoint) bool { return l.DNSName == a.DNSName && l.RecordType == a.RecordType })
		if i < 0 {
			t.Errorf("%s %s not listed", a.DNSName, a.RecordType)
			continue
		}
		if d := cmp.Diff(a, listed[i]); d != "" {
			t.Errorf("%s %s: listed differs from adjusted (-adjusted +listed):\n%s", a.DNSName, a.RecordType, d)
		}
	}
}

func TestApplyRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body string
		recErr     error
		status     int
		msg        string
	}{
		{name: "read-only zone", body: `{"create":[{"dnsName":"x.example.org","targets":["192.0.2.1"],"recordType":"A"}]}`,
			status: 403, msg: "principal edns may not change x.example.org in zone example.org"},
		{name: "zone outside every scope", body: `{"delete":[{"dnsName":"www.other.test","recordType":"A"}]}`, status: 403, msg: "other.test"},
		{name: "unmanaged name", body: `{"create":[{"dnsName":"x.nowhere.test","targets":["192.0.2.1"],"recordType":"A"}]}`,
			status: 403, msg: "in no zone bindgate manages"},
		{name: "not JSON", body: `{"create":`, status: 400, msg: "not valid JSON"},
		{name: "no targets", body: `{"create":[{"dnsName":"x.example.com","recordType":"A"}]}`, status: 400, msg: "has no targets"},
		{name: "refused by records", body: `{"create":[{"dnsName":"x.example.com","targets":["nope"],"recordType":"A"}]}`,
			recErr: errs.New(errs.Invalid, "A value \"nope\": does not parse as A"), status: 400, msg: "does not parse as A"},
		{name: "conflict", body: `{"create":[{"dnsName":"x.example.com","targets":["192.0.2.1"],"recordType":"A"}]}`,
			recErr: errs.New(errs.Conflict, "changed concurrently"), status: 409, msg: "changed concurrently"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.recs.err = tc.recErr
			w := f.call(t, "POST", "/records", tc.body)
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.msg) {
				t.Errorf("POST /records = %d %q, want %d with %q", w.Code, w.Body, tc.status, tc.msg)
			}
			if tc.recErr == nil && len(f.recs.patches) > 0 {
				t.Errorf("a refused plan changed something: %v", f.recs.patches)
			}
			if tc.status == 403 && !strings.Contains(f.audit.String(), `"principal":"edns","source_ip"`) {
				t.Errorf("no denied audit line naming the principal: %s", f.audit)
			}
		})
	}
}
