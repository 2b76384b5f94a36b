package api

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/records"
)

// fakeHistory is an in-package HistoryService double: it records calls and answers err, or
// a fixed page, change or rollback.
type fakeHistory struct {
	mu    sync.Mutex
	calls []recordCall
	err   error
}

func (f *fakeHistory) record(c recordCall) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
	return f.err
}

var changedAt = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func (f *fakeHistory) ListHistory(_ context.Context, z string, before uint32, limit int) (records.HistoryPage, error) {
	err := f.record(recordCall{Method: "ListHistory", Zone: z, Arg: []int{int(before), limit}})
	next := uint32(101)
	return records.HistoryPage{Zone: z, Next: &next, Changes: []records.HistoryEntry{
		{FromSerial: 102, ToSerial: 103, Time: changedAt, Added: 2, Removed: 1, Actor: records.Actor{Principal: "bob", RequestID: "r3"}},
		{FromSerial: 101, ToSerial: 102, Time: changedAt, Added: 1, Removed: 1},
	}}, err
}

func (f *fakeHistory) HistoryChange(_ context.Context, z string, serial uint32) (records.ChangeDetail, error) {
	err := f.record(recordCall{Method: "HistoryChange", Zone: z, Arg: serial})
	return records.ChangeDetail{Zone: z, FromSerial: serial - 1, ToSerial: serial, Time: changedAt,
		Actor:   records.Actor{Principal: "alice", RequestID: "r1"},
		Removed: []records.ChangeRRset{{RRset: records.RRset{Name: "www." + z + ".", Type: "A", TTL: 300, Records: []string{"192.0.2.1"}}}},
		Added:   []records.ChangeRRset{{RRset: records.RRset{Name: "www." + z + ".", Type: "RRSIG", TTL: 300, Records: []string{"A 13 3 300 …"}}, DNSSEC: true}},
	}, err
}

func (f *fakeHistory) Rollback(_ context.Context, z string, r records.RollbackRequest) (records.RollbackResult, error) {
	err := f.record(recordCall{Method: "Rollback", Zone: z, Arg: r})
	dry := r.DryRun != nil && *r.DryRun
	res := records.RollbackResult{Zone: z, FromSerial: 103, ToSerial: 104, TargetSerial: *r.ToSerial, Applied: !dry,
		Removed: []records.ChangeRRset{{RRset: records.RRset{Name: "new." + z + ".", Type: "A", TTL: 300, Records: []string{"192.0.2.7"}}}},
		Added:   []records.ChangeRRset{}}
	if dry {
		res.ToSerial = 103
	}
	return res, err
}

// TestHistoryRoutes checks the history and rollback routes: request -> service mapping,
// status and exact JSON (docs/contract.md §12.6), and the error statuses the kinds map to.
func TestHistoryRoutes(t *testing.T) {
	t.Parallel()
	const zonePath = "/api/v1/zones/example.com"
	listBody := `{"zone":"example.com","changes":[` +
		`{"fromSerial":102,"toSerial":103,"time":"2026-03-04T05:06:07Z","added":2,"removed":1,"actor":{"principal":"bob","requestId":"r3"}},` +
		`{"fromSerial":101,"toSerial":102,"time":"2026-03-04T05:06:07Z","added":1,"removed":1,"actor":"external"}],"next":101}`
	for _, tc := range []struct {
		name   string
		r      req
		err    error
		status int
		body   string
		calls  []recordCall
	}{
		{name: "list with defaults", r: req{method: "GET", target: zonePath + "/history"}, status: 200, body: listBody,
			calls: []recordCall{{Method: "ListHistory", Zone: "example.com", Arg: []int{0, 0}}}},
		{name: "list paged", r: req{method: "GET", target: zonePath + "/history?before=103&limit=2"}, status: 200, body: listBody,
			calls: []recordCall{{Method: "ListHistory", Zone: "example.com", Arg: []int{103, 2}}}},
		{name: "limit too large", r: req{method: "GET", target: zonePath + "/history?limit=1001"}, status: 400,
			body: errJSON("Invalid request: limit must be from 1 to 1000")},
		{name: "limit zero", r: req{method: "GET", target: zonePath + "/history?limit=0"}, status: 400,
			body: errJSON("Invalid request: limit must be from 1 to 1000")},
		{name: "before not a serial", r: req{method: "GET", target: zonePath + "/history?before=-1"}, status: 400,
			body: errJSON("Invalid request: before must be a serial (0-4294967295)")},
		{name: "list of an unknown zone", r: req{method: "GET", target: "/api/v1/zones/other.com/history"}, status: 404,
			err: errs.New(errs.NotFound, "Zone not found: other.com"), body: errJSON("Zone not found: other.com"),
			calls: []recordCall{{Method: "ListHistory", Zone: "other.com", Arg: []int{0, 0}}}},
		{name: "one change as RRsets", r: req{method: "GET", target: zonePath + "/history/102"}, status: 200,
			body: `{"zone":"example.com","fromSerial":101,"toSerial":102,"time":"2026-03-04T05:06:07Z","actor":{"principal":"alice","requestId":"r1"},` +
				`"removed":[{"name":"www.example.com.","type":"A","ttl":300,"records":["192.0.2.1"]}],` +
				`"added":[{"name":"www.example.com.","type":"RRSIG","ttl":300,"records":["A 13 3 300 …"],"dnssec":true}]}`,
			calls: []recordCall{{Method: "HistoryChange", Zone: "example.com", Arg: uint32(102)}}},
		{name: "change not retained", r: req{method: "GET", target: zonePath + "/history/7"}, status: 404,
			err:   errs.New(errs.NotFound, "Change not found: zone example.com has no retained change ending at serial 7"),
			body:  errJSON("Change not found: zone example.com has no retained change ending at serial 7"),
			calls: []recordCall{{Method: "HistoryChange", Zone: "example.com", Arg: uint32(7)}}},
		{name: "serial not a number", r: req{method: "GET", target: zonePath + "/history/abc"}, status: 400,
			body: errJSON("Invalid request: the serial in the path must be a number from 0 to 4294967295")},
		{name: "rollback", r: req{method: "POST", target: zonePath + "/rollback", body: `{"toSerial":101}`}, status: 200,
			body: `{"zone":"example.com","fromSerial":103,"toSerial":104,"targetSerial":101,` +
				`"removed":[{"name":"new.example.com.","type":"A","ttl":300,"records":["192.0.2.7"]}],"added":[],"applied":true}`,
			calls: []recordCall{{Method: "Rollback", Zone: "example.com", Arg: records.RollbackRequest{ToSerial: ptr[uint32](101)}}}},
		{name: "rollback dry run", r: req{method: "POST", target: zonePath + "/rollback", body: `{"toSerial":101,"dryRun":true}`}, status: 200,
			body: `{"zone":"example.com","fromSerial":103,"toSerial":103,"targetSerial":101,` +
				`"removed":[{"name":"new.example.com.","type":"A","ttl":300,"records":["192.0.2.7"]}],"added":[],"applied":false}`,
			calls: []recordCall{{Method: "Rollback", Zone: "example.com", Arg: records.RollbackRequest{ToSerial: ptr[uint32](101), DryRun: ptr(true)}}}},
		{name: "rollback: zone moved is 412", r: req{method: "POST", target: zonePath + "/rollback", body: `{"toSerial":101}`}, status: 412,
			err:   errs.New(errs.PreconditionFailed, "Zone example.com moved from serial 103 to 104 while the rollback was computed; nothing was applied, retry"),
			body:  errJSON("Zone example.com moved from serial 103 to 104 while the rollback was computed; nothing was applied, retry"),
			calls: []recordCall{{Method: "Rollback", Zone: "example.com", Arg: records.RollbackRequest{ToSerial: ptr[uint32](101)}}}},
		{name: "rollback: copy behind is 503", r: req{method: "POST", target: zonePath + "/rollback", body: `{"toSerial":101}`}, status: 503,
			err:   errs.New(errs.Unavailable, "Zone copy not current: example.com; retry"),
			body:  errJSON("Zone copy not current: example.com; retry"),
			calls: []recordCall{{Method: "Rollback", Zone: "example.com", Arg: records.RollbackRequest{ToSerial: ptr[uint32](101)}}}},
		{name: "rollback: too large is 413", r: req{method: "POST", target: zonePath + "/rollback", body: `{"toSerial":101}`}, status: 413,
			err: errs.New(errs.TooLarge, "Invalid request: too large"), body: errJSON("Invalid request: too large"),
			calls: []recordCall{{Method: "Rollback", Zone: "example.com", Arg: records.RollbackRequest{ToSerial: ptr[uint32](101)}}}},
		{name: "rollback: wrong JSON type is 422", r: req{method: "POST", target: zonePath + "/rollback", body: `{"toSerial":"101"}`}, status: 422},
		{name: "rollback: GET is 405", r: req{method: "GET", target: zonePath + "/rollback"}, status: 405},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeHistory{err: tc.err}
			e := newEnv(t, func(c *Config) { c.History = f })
			w := e.do(tc.r)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d; body %s", w.Code, tc.status, w.Body.String())
			}
			if tc.body != "" && strings.TrimSuffix(w.Body.String(), "\n") != strings.TrimSuffix(tc.body, "\n") {
				t.Errorf("body\n got %s\nwant %s", w.Body.String(), tc.body)
			}
			if diff := cmp.Diff(tc.calls, f.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHistoryRoutesAbsent: without a HistoryService the routes are the mux's 404.
func TestHistoryRoutesAbsent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if w := e.do(req{method: "GET", target: "/api/v1/zones/example.com/history"}); w.Code != 404 {
		t.Errorf("status %d, want 404", w.Code)
	}
}
