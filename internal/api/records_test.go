package api

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/records"
)

// recordCall is one recorded RecordService call.
type recordCall struct {
	Method  string
	Zone    string
	Arg     any
	IfMatch *uint32
	DryRun  bool
}

// fakeRecords is an in-package RecordService test double, like fakeZones: it records every
// call and answers from a zone at serial. A PATCH or an applied sync moves the serial; a
// stale If-Match is the service's 412; a dry run changes nothing (sent stays 0).
type fakeRecords struct {
	mu     sync.Mutex
	calls  []recordCall
	serial uint32
	sent   int // changes applied, as updates would have been sent
	err    error
	// encoded, when set, is the Encoded body of an unfiltered RRsets answer (the read cache's).
	encoded []byte
}

func (f *fakeRecords) record(c recordCall) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
	return f.err
}

func (f *fakeRecords) Calls() []recordCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recordCall(nil), f.calls...)
}

// precondition is the service's If-Match check against the fake's serial.
func (f *fakeRecords) precondition(ifMatch *uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ifMatch != nil && *ifMatch != f.serial {
		return errs.New(errs.PreconditionFailed, "Zone example.com is at serial %d, not %d (If-Match); read it again", f.serial, *ifMatch)
	}
	return nil
}

// apply moves the serial, as an applied update does.
func (f *fakeRecords) apply() uint32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent++
	f.serial++
	return f.serial
}

func (f *fakeRecords) Add(_ context.Context, z string, r records.AddRequest) (records.RecordResult, error) {
	err := f.record(recordCall{Method: "Add", Zone: z, Arg: r})
	return records.RecordResult{Message: "Record added to zone " + z, Zone: z,
		Record: records.AddedRecord{Name: *r.Name, Type: *r.Type, Value: *r.Value, TTL: 3600}}, err
}

func (f *fakeRecords) Remove(_ context.Context, z string, r records.RemoveRequest) (records.RecordResult, error) {
	err := f.record(recordCall{Method: "Remove", Zone: z, Arg: r})
	return records.RecordResult{Message: "Record removed from zone " + z, Zone: z,
		Record: records.RemovedRecord{Name: *r.Name, Type: *r.Type, Value: r.Value, Removed: 1}}, err
}

func (f *fakeRecords) Update(_ context.Context, z string, r records.UpdateRequest) (records.RecordResult, error) {
	err := f.record(recordCall{Method: "Update", Zone: z, Arg: r})
	return records.RecordResult{Message: "Record updated in zone " + z, Zone: z,
		Record: records.UpdatedRecord{Name: *r.Name, Type: *r.Type, CurrentValue: *r.CurrentValue, NewValue: *r.NewValue, TTL: 3600}}, err
}

func (f *fakeRecords) RRsets(_ context.Context, z, name, typ string) (records.ZoneData, error) {
	err := f.record(recordCall{Method: "RRsets", Zone: z, Arg: []string{name, typ}})
	f.mu.Lock()
	defer f.mu.Unlock()
	d := records.ZoneData{Zone: z, Serial: f.serial, RRsets: []records.RRset{
		{Name: "www." + z + ".", Type: "A", TTL: 300, Records: []string{"192.0.2.1"}}}}
	if name == "" && typ == "" {
		d.Encoded = f.encoded
	}
	return d, err
}

func (f *fakeRecords) Patch(_ context.Context, z string, r records.PatchRequest, ifMatch *uint32) (records.PatchResult, error) {
	if err := f.record(recordCall{Method: "Patch", Zone: z, Arg: r, IfMatch: ifMatch}); err != nil {
		return records.PatchResult{}, err
	}
	if err := f.precondition(ifMatch); err != nil {
		return records.PatchResult{}, err
	}
	return records.PatchResult{Zone: z, Serial: f.apply(), Changes: []records.Applied{}}, nil
}

func (f *fakeRecords) Sync(_ context.Context, z string, r records.SyncRequest, dryRun bool, ifMatch *uint32) (records.SyncResult, error) {
	if err := f.record(recordCall{Method: "Sync", Zone: z, Arg: r, IfMatch: ifMatch, DryRun: dryRun}); err != nil {
		return records.SyncResult{}, err
	}
	if err := f.precondition(ifMatch); err != nil {
		return records.SyncResult{}, err
	}
	changes := []records.Applied{{Name: "www." + z + ".", Type: "A", ChangeType: "DELETE", Records: []string{}}}
	if dryRun {
		f.mu.Lock()
		defer f.mu.Unlock()
		return records.SyncResult{Zone: z, Serial: f.serial, Changes: changes}, nil
	}
	return records.SyncResult{Zone: z, Serial: f.apply(), Changes: changes, Applied: true}, nil
}

func (f *fakeRecords) Export(_ context.Context, z string) (string, error) {
	err := f.record(recordCall{Method: "Export", Zone: z})
	return "$ORIGIN " + z + ".\n", err
}

// newRecordEnv is newEnv with the record routes served by a fake at serial 100.
func newRecordEnv(t *testing.T) (*env, *fakeRecords) {
	t.Helper()
	f := &fakeRecords{serial: 100}
	return newEnv(t, func(c *Config) { c.Records = f }), f
}

// TestRecordRoutes checks each record route's request -> service mapping, status, body and
// ETag, with If-Match and dryRun (docs/contract.md §12, §12.5), without named.
func TestRecordRoutes(t *testing.T) {
	t.Parallel()
	const zonePath = "/api/v1/zones/example.com"
	patchBody := `{"rrsets":[{"name":"www","type":"A","ttl":60,"changetype":"REPLACE","records":["192.0.2.9"]}]}`
	patchReq := records.PatchRequest{RRsets: []records.RRsetChange{{Name: ptr("www"), Type: ptr("A"), TTL: ptr[uint32](60), ChangeType: ptr("REPLACE"), Records: []string{"192.0.2.9"}}}}
	syncBody := `{"rrsets":[]}`
	syncReq := records.SyncRequest{RRsets: []records.RRsetChange{}}
	syncChanges := `"changes":[{"name":"www.example.com.","type":"A","changetype":"DELETE","records":[]}]`
	for _, tc := range []struct {
		name   string
		r      req
		status int
		body   string // exact, without the trailing newline
		etag   string
		calls  []recordCall
		sent   int // changes the service applied
	}{
		{
			name: "add is 201", r: req{method: "POST", target: zonePath + "/records", body: `{"name":"www","type":"A","value":"192.0.2.1"}`}, status: 201,
			body:  `{"success":true,"message":"Record added to zone example.com","details":{"zone":"example.com","record":{"name":"www","type":"A","value":"192.0.2.1","ttl":3600}}}`,
			calls: []recordCall{{Method: "Add", Zone: "example.com", Arg: records.AddRequest{Name: ptr("www"), Type: ptr("A"), Value: ptr("192.0.2.1")}}},
		},
		{
			name: "update", r: req{method: "PUT", target: zonePath + "/records", body: `{"name":"www","type":"A","currentValue":"192.0.2.1","newValue":"192.0.2.2","ttl":60}`}, status: 200,
			body: `{"success":true,"message":"Record updated in zone example.com","details":{"zone":"example.com","record":{"name":"www","type":"A","currentValue":"192.0.2.1","newValue":"192.0.2.2","ttl":3600}}}`,
			calls: []recordCall{{Method: "Update", Zone: "example.com", Arg: records.UpdateRequest{Name: ptr("www"), Type: ptr("A"),
				CurrentValue: ptr("192.0.2.1"), NewValue: ptr("192.0.2.2"), TTL: ptr[uint32](60)}}},
		},
		{
			name: "remove with a body", r: req{method: "DELETE", target: zonePath + "/records", body: `{"name":"www","type":"A"}`}, status: 200,
			body:  `{"success":true,"message":"Record removed from zone example.com","details":{"zone":"example.com","record":{"name":"www","type":"A","value":null,"removed":1}}}`,
			calls: []recordCall{{Method: "Remove", Zone: "example.com", Arg: records.RemoveRequest{Name: ptr("www"), Type: ptr("A")}}},
		},
		{
			name: "rrsets with filters and ETag", r: req{method: "GET", target: zonePath + "/rrsets?name=www&type=A"}, status: 200, etag: `"100"`,
			body:  `{"zone":"example.com","serial":100,"rrsets":[{"name":"www.example.com.","type":"A","ttl":300,"records":["192.0.2.1"]}]}`,
			calls: []recordCall{{Method: "RRsets", Zone: "example.com", Arg: []string{"www", "A"}}},
		},
		{
			name: "patch without If-Match", r: req{method: "PATCH", target: zonePath + "/rrsets", body: patchBody}, status: 200, etag: `"101"`,
			body:  `{"zone":"example.com","serial":101,"changes":[]}`,
			calls: []recordCall{{Method: "Patch", Zone: "example.com", Arg: patchReq}}, sent: 1,
		},
		{
			name: "patch with the ETag as If-Match", r: req{method: "PATCH", target: zonePath + "/rrsets", body: patchBody, hdr: map[string]string{"If-Match": `"100"`}},
			status: 200, etag: `"101"`, body: `{"zone":"example.com","serial":101,"changes":[]}`,
			calls: []recordCall{{Method: "Patch", Zone: "example.com", Arg: patchReq, IfMatch: ptr[uint32](100)}}, sent: 1,
		},
		{
			name: "patch with a bare serial as If-Match", r: req{method: "PATCH", target: zonePath + "/rrsets", body: patchBody, hdr: map[string]string{"If-Match": `100`}},
			status: 200, etag: `"101"`, body: `{"zone":"example.com","serial":101,"changes":[]}`,
			calls: []recordCall{{Method: "Patch", Zone: "example.com", Arg: patchReq, IfMatch: ptr[uint32](100)}}, sent: 1,
		},
		{
			name: "patch with a stale If-Match is 412", r: req{method: "PATCH", target: zonePath + "/rrsets", body: patchBody, hdr: map[string]string{"If-Match": `"99"`}},
			status: 412, body: strings.TrimSuffix(errJSON("Zone example.com is at serial 100, not 99 (If-Match); read it again"), "\n"),
			calls: []recordCall{{Method: "Patch", Zone: "example.com", Arg: patchReq, IfMatch: ptr[uint32](99)}},
		},
		{
			name: "a weak If-Match is 400", r: req{method: "PATCH", target: zonePath + "/rrsets", body: patchBody, hdr: map[string]string{"If-Match": `W/"100"`}},
			status: 400, body: strings.TrimSuffix(errJSON("Invalid request: If-Match must be the zone's SOA serial, as the ETag of GET /rrsets"), "\n"),
		},
		{
			name: "sync applies", r: req{method: "PUT", target: zonePath + "/rrsets", body: syncBody}, status: 200, etag: `"101"`,
			body:  `{"zone":"example.com","serial":101,` + syncChanges + `,"applied":true}`,
			calls: []recordCall{{Method: "Sync", Zone: "example.com", Arg: syncReq}}, sent: 1,
		},
		{
			name: "sync dryRun sends nothing", r: req{method: "PUT", target: zonePath + "/rrsets?dryRun=true", body: syncBody}, status: 200, etag: `"100"`,
			body:  `{"zone":"example.com","serial":100,` + syncChanges + `,"applied":false}`,
			calls: []recordCall{{Method: "Sync", Zone: "example.com", Arg: syncReq, DryRun: true}},
		},
		{
			name: "sync dryRun with a stale If-Match is 412", r: req{method: "PUT", target: zonePath + "/rrsets?dryRun=1", body: syncBody, hdr: map[string]string{"If-Match": `"7"`}},
			status: 412, body: strings.TrimSuffix(errJSON("Zone example.com is at serial 100, not 7 (If-Match); read it again"), "\n"),
			calls: []recordCall{{Method: "Sync", Zone: "example.com", Arg: syncReq, DryRun: true, IfMatch: ptr[uint32](7)}},
		},
		{
			name: "sync with a bad dryRun is 400", r: req{method: "PUT", target: zonePath + "/rrsets?dryRun=maybe", body: syncBody}, status: 400,
			body: strings.TrimSuffix(errJSON("Invalid request: dryRun must be true or false"), "\n"),
		},
		{
			name: "export", r: req{method: "GET", target: zonePath + "/export"}, status: 200, body: "$ORIGIN example.com.",
			calls: []recordCall{{Method: "Export", Zone: "example.com"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, f := newRecordEnv(t)
			w := e.do(tc.r)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if diff := cmp.Diff(tc.body, strings.TrimSuffix(w.Body.String(), "\n")); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if got := w.Header().Get("ETag"); got != tc.etag {
				t.Errorf("ETag %q, want %q", got, tc.etag)
			}
			if diff := cmp.Diff(tc.calls, f.Calls()); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if f.sent != tc.sent {
				t.Errorf("%d changes applied, want %d", f.sent, tc.sent)
			}
		})
	}
}

// TestRRsetsPreparedBody: an answer that comes encoded (the read cache's) is written as it is,
// with the serial as ETag; a filtered one is encoded as always.
func TestRRsetsPreparedBody(t *testing.T) {
	t.Parallel()
	f := &fakeRecords{serial: 100, encoded: []byte(`{"prepared":true}` + "\n")}
	e := newEnv(t, func(c *Config) { c.Records = f })
	w := e.do(req{method: "GET", target: "/api/v1/zones/example.com/rrsets"})
	if w.Code != 200 || w.Body.String() != `{"prepared":true}`+"\n" || w.Header().Get("ETag") != `"100"` ||
		w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("%d %q %v", w.Code, w.Body, w.Header())
	}
	w = e.do(req{method: "GET", target: "/api/v1/zones/example.com/rrsets?type=A"})
	if want := `{"zone":"example.com","serial":100,"rrsets":[{"name":"www.example.com.","type":"A","ttl":300,"records":["192.0.2.1"]}]}` + "\n"; w.Code != 200 || w.Body.String() != want {
		t.Fatalf("filtered: %d %q", w.Code, w.Body)
	}
}

// TestRecordRoutesErrors: the records service's error kinds become the contract's statuses,
// and a bad zone name or body never reaches the service.
func TestRecordRoutesErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		err    error
		r      req
		status int
		calls  int
	}{
		{"not found", errs.New(errs.NotFound, "Zone not found: example.com"), req{method: "POST", target: "/api/v1/zones/example.com/records", body: `{"name":"a","type":"A","value":"192.0.2.1"}`}, 404, 1},
		{"conflict", errs.New(errs.Conflict, "changed"), req{method: "PUT", target: "/api/v1/zones/example.com/records", body: `{"name":"a","type":"A","currentValue":"192.0.2.1","newValue":"192.0.2.2"}`}, 409, 1},
		{"unprocessable", errs.New(errs.Unprocessable, "Invalid request: missing field `value`"), req{method: "POST", target: "/api/v1/zones/example.com/records", body: `{"name":"a","type":"A","value":"x"}`}, 422, 1},
		{"unavailable", errs.New(errs.Unavailable, "Service unavailable"), req{method: "GET", target: "/api/v1/zones/example.com/rrsets"}, 503, 1},
		{"too large", errs.New(errs.TooLarge, "big"), req{method: "PATCH", target: "/api/v1/zones/example.com/rrsets", body: `{"rrsets":[]}`}, 413, 1},
		{"bad zone name", nil, req{method: "GET", target: "/api/v1/zones/bad..name/export"}, 400, 0},
		{"bad JSON", nil, req{method: "POST", target: "/api/v1/zones/example.com/records", body: `{"name":`}, 400, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, f := newRecordEnv(t)
			f.err = tc.err
			w := e.do(tc.r)
			if w.Code != tc.status {
				t.Errorf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if n := len(f.Calls()); n != tc.calls {
				t.Errorf("%d service calls, want %d", n, tc.calls)
			}
			if w.Header().Get("ETag") != "" {
				t.Error("an error carries an ETag")
			}
		})
	}
}
