package records_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bindgate/bindgate/internal/dnsclient/dnsclienttest"
	"github.com/bindgate/bindgate/internal/records"
)

// TestUpdate covers PUT …/records: one message that pins the RRset as read, deletes the old
// value before adding the new one; an absent value is 404 and a concurrent change 409.
func TestUpdate(t *testing.T) {
	t.Parallel()
	req := func(cur, nw string) records.UpdateRequest {
		return records.UpdateRequest{Name: ptr("www"), Type: ptr("A"), CurrentValue: ptr(cur), NewValue: ptr(nw)}
	}
	for _, tc := range []struct {
		name     string
		req      records.UpdateRequest
		writer   string // a record another writer adds as the update arrives
		kind     string
		msg      string
		sent     []sent
		wantData []string // www's data afterwards
	}{
		{
			name: "replaces one value", req: req("192.0.2.1", "192.0.2.9"),
			sent: []sent{{
				Prereq: []string{"www.example.test. 0 IN A 192.0.2.1", "www.example.test. 0 IN A 192.0.2.2", "www.example.test. 0 NONE CNAME"},
				Update: []string{"www.example.test. 0 NONE A 192.0.2.1", "www.example.test. 3600 IN A 192.0.2.9"},
			}},
			wantData: []string{"www.example.test. 300 IN A 192.0.2.2", "www.example.test. 3600 IN A 192.0.2.9"},
		},
		{
			name: "current value absent", req: req("192.0.2.50", "192.0.2.9"), kind: "not found",
			msg:      `Record not found: www.example.test. A "192.0.2.50" in zone example.test`,
			wantData: []string{"www.example.test. 300 IN A 192.0.2.1", "www.example.test. 300 IN A 192.0.2.2"},
		},
		{
			name: "RRset changed concurrently", req: req("192.0.2.1", "192.0.2.9"), writer: "www.example.test. 300 IN A 192.0.2.3",
			kind: "conflict", msg: "Record www.example.test. A changed while it was being updated",
			sent: []sent{{
				Prereq: []string{"www.example.test. 0 IN A 192.0.2.1", "www.example.test. 0 IN A 192.0.2.2", "www.example.test. 0 NONE CNAME"},
				Update: []string{"www.example.test. 0 NONE A 192.0.2.1", "www.example.test. 3600 IN A 192.0.2.9"},
			}},
			wantData: []string{"www.example.test. 300 IN A 192.0.2.1", "www.example.test. 300 IN A 192.0.2.2", "www.example.test. 300 IN A 192.0.2.3"},
		},
		{name: "missing newValue", req: records.UpdateRequest{Name: ptr("www"), Type: ptr("A"), CurrentValue: ptr("192.0.2.1")}, kind: "unprocessable", msg: "missing field `newValue`",
			wantData: []string{"www.example.test. 300 IN A 192.0.2.1", "www.example.test. 300 IN A 192.0.2.2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newTestService(t, updatable)
			if tc.writer != "" {
				w := once(func() { f.zone.Add(t, tc.writer) })
				f.onUpdate(func() dnsclienttest.Answer { w(); return dnsclienttest.Answer{} })
			}
			res, err := f.svc.Update(t.Context(), "example.test", tc.req)
			checkErr(t, err, tc.kind, tc.msg)
			if diff := cmp.Diff(tc.sent, f.updates()); diff != "" {
				t.Errorf("sent (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantData, f.at("www.example.test.")); diff != "" {
				t.Errorf("www (-want +got):\n%s", diff)
			}
			if err == nil {
				want := records.UpdatedRecord{Name: "www", Type: "A", CurrentValue: *tc.req.CurrentValue, NewValue: *tc.req.NewValue, TTL: 3600}
				if diff := cmp.Diff(want, res.Record); diff != "" {
					t.Errorf("echo (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestRemove covers DELETE …/records: one value or the whole RRset; removing nothing sends
// nothing and says removed 0.
func TestRemove(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		req      records.RemoveRequest
		kind     string
		sent     []sent
		removed  int
		wantData []string
	}{
		{
			name: "one value", req: records.RemoveRequest{Name: ptr("www"), Type: ptr("A"), Value: ptr("192.0.2.1")},
			sent:    []sent{{Update: []string{"www.example.test. 0 NONE A 192.0.2.1"}}},
			removed: 1, wantData: []string{"www.example.test. 300 IN A 192.0.2.2"},
		},
		{
			name: "the RRset", req: records.RemoveRequest{Name: ptr("www.example.test."), Type: ptr("a")},
			sent:    []sent{{Update: []string{"www.example.test. 0 CLASS255 A"}}},
			removed: 2,
		},
		{
			name: "an absent value sends nothing", req: records.RemoveRequest{Name: ptr("www"), Type: ptr("A"), Value: ptr("192.0.2.99")},
			wantData: []string{"www.example.test. 300 IN A 192.0.2.1", "www.example.test. 300 IN A 192.0.2.2"},
		},
		{
			name: "an absent RRset sends nothing", req: records.RemoveRequest{Name: ptr("www"), Type: ptr("TXT")},
			wantData: []string{"www.example.test. 300 IN A 192.0.2.1", "www.example.test. 300 IN A 192.0.2.2"},
		},
		{
			name: "the last apex NS", req: records.RemoveRequest{Name: ptr("@"), Type: ptr("NS"), Value: ptr("ns1.example.test.")}, kind: "conflict",
			wantData: []string{"www.example.test. 300 IN A 192.0.2.1", "www.example.test. 300 IN A 192.0.2.2"},
		},
		{
			name: "missing type", req: records.RemoveRequest{Name: ptr("www")}, kind: "unprocessable",
			wantData: []string{"www.example.test. 300 IN A 192.0.2.1", "www.example.test. 300 IN A 192.0.2.2"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newTestService(t, updatable)
			res, err := f.svc.Remove(t.Context(), "example.test", tc.req)
			checkErr(t, err, tc.kind, "")
			if diff := cmp.Diff(tc.sent, f.updates()); diff != "" {
				t.Errorf("sent (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantData, f.at("www.example.test.")); diff != "" {
				t.Errorf("www (-want +got):\n%s", diff)
			}
			if err == nil {
				if got := res.Record.(records.RemovedRecord).Removed; got != tc.removed {
					t.Errorf("removed = %d, want %d", got, tc.removed)
				}
			}
		})
	}
}
