package records_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/dnsclient/dnsclienttest"
	"github.com/bindgate/bindgate/internal/records"
)

// soaPrereq is the value-dependent prerequisite on the apex SOA at serial 100.
const soaPrereq = "example.test. 0 IN SOA ns1.example.test. admin.example.test. 100 3600 600 604800 86400"

// TestPatch covers PATCH …/rrsets: every change in one message, deletions before additions,
// If-Match as a SOA prerequisite (docs/contract.md §12.5).
func TestPatch(t *testing.T) {
	t.Parallel()
	replace := func(name, typ string, ttl uint32, recs ...string) records.RRsetChange {
		return records.RRsetChange{Name: ptr(name), Type: ptr(typ), TTL: &ttl, ChangeType: ptr("REPLACE"), Records: recs}
	}
	del := func(name, typ string) records.RRsetChange {
		return records.RRsetChange{Name: ptr(name), Type: ptr(typ), ChangeType: ptr("DELETE")}
	}
	three := []records.RRsetChange{replace("www", "A", 60, "192.0.2.5"), del("mail", "MX"), replace("txt", "TXT", 300, `"hello"`)}
	threeSent := sent{
		Prereq: []string{"www.example.test. 0 NONE CNAME", "txt.example.test. 0 NONE CNAME"},
		Update: []string{"www.example.test. 0 CLASS255 A", "mail.example.test. 0 CLASS255 MX", "txt.example.test. 0 CLASS255 TXT",
			"www.example.test. 60 IN A 192.0.2.5", `txt.example.test. 300 IN TXT "hello"`},
	}
	threeApplied := []records.Applied{
		{Name: "www.example.test.", Type: "A", ChangeType: "REPLACE", TTL: ptr[uint32](60), Records: []string{"192.0.2.5"}},
		{Name: "mail.example.test.", Type: "MX", ChangeType: "DELETE", Records: []string{}},
		{Name: "txt.example.test.", Type: "TXT", ChangeType: "REPLACE", TTL: ptr[uint32](300), Records: []string{`"hello"`}},
	}
	for _, tc := range []struct {
		name    string
		changes []records.RRsetChange
		ifMatch *uint32
		writer  string // a record another writer adds as the update arrives
		kind    string
		msg     string
		sent    []sent
		want    records.PatchResult
	}{
		{
			name: "one atomic message", changes: three, sent: []sent{threeSent},
			want: records.PatchResult{Zone: "example.test", Serial: 101, Changes: threeApplied},
		},
		{
			name: "If-Match current", changes: three, ifMatch: ptr[uint32](100),
			sent: []sent{{Prereq: append(append([]string{}, threeSent.Prereq...), soaPrereq), Update: threeSent.Update}},
			want: records.PatchResult{Zone: "example.test", Serial: 101, Changes: threeApplied},
		},
		{
			name: "If-Match stale", changes: three, ifMatch: ptr[uint32](99),
			kind: "precondition failed", msg: "Zone example.test is at serial 100, not 99 (If-Match)",
		},
		{
			name: "If-Match current, zone moved in flight", changes: three, ifMatch: ptr[uint32](100), writer: "other.example.test. 300 IN A 192.0.2.3",
			kind: "precondition failed", msg: "is at serial 101, not 100",
			sent: []sent{{Prereq: append(append([]string{}, threeSent.Prereq...), soaPrereq), Update: threeSent.Update}},
		},
		{
			name: "changes already true are left out", changes: []records.RRsetChange{replace("www", "A", 300, "192.0.2.2", "192.0.2.1"), del("nothing", "A")},
			want: records.PatchResult{Zone: "example.test", Serial: 100, Changes: []records.Applied{}},
		},
		{name: "CNAME beside data", changes: []records.RRsetChange{replace("www", "CNAME", 300, "ns1.example.test.")}, kind: "conflict", msg: "cannot coexist"},
		{name: "CNAME at the apex", changes: []records.RRsetChange{replace("@", "CNAME", 300, "www.example.test.")}, kind: "invalid", msg: "zone apex"},
		{name: "SOA", changes: []records.RRsetChange{del("@", "SOA")}, kind: "invalid", msg: "maintained by BIND"},
		{name: "apex NS delete", changes: []records.RRsetChange{del("@", "NS")}, kind: "invalid", msg: "replace it instead"},
		{name: "duplicate entry", changes: []records.RRsetChange{del("x", "A"), del("x.example.test.", "A")}, kind: "invalid", msg: "already in rrsets[0]"},
		{name: "no changetype", changes: []records.RRsetChange{{Name: ptr("x"), Type: ptr("A")}}, kind: "unprocessable", msg: "changetype is required"},
		{name: "REPLACE without records", changes: []records.RRsetChange{replace("x", "A", 300)}, kind: "invalid", msg: "needs at least one record"},
		{name: "no changes", kind: "unprocessable", msg: "at least one change"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newTestService(t, updatable)
			if tc.writer != "" {
				w := once(func() { f.zone.Add(t, tc.writer) })
				f.onUpdate(func() dnsclienttest.Answer { w(); return dnsclienttest.Answer{} })
			}
			res, err := f.svc.Patch(t.Context(), "example.test", records.PatchRequest{RRsets: tc.changes}, tc.ifMatch)
			checkErr(t, err, tc.kind, tc.msg)
			if diff := cmp.Diff(tc.sent, f.updates()); diff != "" {
				t.Errorf("sent (-want +got):\n%s", diff)
			}
			if err == nil {
				if diff := cmp.Diff(tc.want, res); diff != "" {
					t.Errorf("result (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestSync covers PUT …/rrsets: the minimal diff in one message that requires the SOA as
// read, dryRun sending nothing, and the apex SOA and NS left alone.
func TestSync(t *testing.T) {
	t.Parallel()
	set := func(name, typ string, recs ...string) records.RRsetChange {
		return records.RRsetChange{Name: ptr(name), Type: ptr(typ), TTL: ptr[uint32](300), Records: recs}
	}
	desired := []records.RRsetChange{
		set("example.test.", "SOA", "ns1.example.test. admin.example.test. 1 2 3 4 5"), // GET's output: skipped
		set("ns1", "A", "127.0.0.1"),
		set("www", "A", "192.0.2.1"),
		set("new", "A", "192.0.2.8"),
	}
	changes := []records.Applied{
		{Name: "alias.example.test.", Type: "CNAME", ChangeType: "DELETE", Records: []string{}},
		{Name: "mail.example.test.", Type: "MX", ChangeType: "DELETE", Records: []string{}},
		{Name: "www.example.test.", Type: "A", ChangeType: "REPLACE", TTL: ptr[uint32](300), Records: []string{"192.0.2.1"}},
		{Name: "new.example.test.", Type: "A", ChangeType: "REPLACE", TTL: ptr[uint32](300), Records: []string{"192.0.2.8"}},
	}
	message := sent{
		Prereq: []string{"www.example.test. 0 NONE CNAME", "new.example.test. 0 NONE CNAME", soaPrereq},
		Update: []string{"alias.example.test. 0 CLASS255 CNAME", "mail.example.test. 0 CLASS255 MX", "www.example.test. 0 CLASS255 A",
			"new.example.test. 0 CLASS255 A", "www.example.test. 300 IN A 192.0.2.1", "new.example.test. 300 IN A 192.0.2.8"},
	}
	synced := []string{
		"example.test. 300 IN NS ns1.example.test.",
		"example.test. 300 IN SOA ns1.example.test. admin.example.test. 101 3600 600 604800 86400",
		"new.example.test. 300 IN A 192.0.2.8",
		"ns1.example.test. 300 IN A 127.0.0.1",
		"www.example.test. 300 IN A 192.0.2.1",
	}
	for _, tc := range []struct {
		name     string
		rrsets   []records.RRsetChange
		dryRun   bool
		ifMatch  *uint32
		writer   string
		kind     string
		msg      string
		sent     []sent
		want     records.SyncResult
		wantData []string // nil: unchanged
	}{
		{name: "dry run sends nothing", rrsets: desired, dryRun: true, want: records.SyncResult{Zone: "example.test", Serial: 100, Changes: changes}},
		{
			name: "applies the diff in one message", rrsets: desired, sent: []sent{message},
			want: records.SyncResult{Zone: "example.test", Serial: 101, Changes: changes, Applied: true}, wantData: synced,
		},
		{
			name: "If-Match current", rrsets: desired, ifMatch: ptr[uint32](100), sent: []sent{message},
			want: records.SyncResult{Zone: "example.test", Serial: 101, Changes: changes, Applied: true}, wantData: synced,
		},
		{name: "If-Match stale", rrsets: desired, ifMatch: ptr[uint32](7), kind: "precondition failed", msg: "not 7"},
		{name: "dry run with If-Match stale", rrsets: desired, dryRun: true, ifMatch: ptr[uint32](7), kind: "precondition failed"},
		{
			name: "zone moved in flight", rrsets: desired, writer: "other.example.test. 300 IN A 192.0.2.3", sent: []sent{message},
			kind: "conflict", msg: "changed while it was being synced; nothing was applied",
		},
		{
			name: "nothing to do", rrsets: []records.RRsetChange{set("ns1", "A", "127.0.0.1"), set("www", "A", "192.0.2.1", "192.0.2.2"),
				set("mail", "MX", "10 www.example.test."), set("alias", "CNAME", "www.example.test.")},
			want: records.SyncResult{Zone: "example.test", Serial: 100, Changes: []records.Applied{}},
		},
		{name: "CNAME beside data in the body", rrsets: []records.RRsetChange{set("x", "A", "192.0.2.1"), set("x", "CNAME", "www.example.test.")}, kind: "invalid", msg: "cannot coexist"},
		{name: "changetype DELETE", rrsets: []records.RRsetChange{{Name: ptr("x"), Type: ptr("A"), ChangeType: ptr("DELETE")}}, kind: "invalid", msg: "is not REPLACE"},
		{name: "no rrsets", kind: "unprocessable", msg: "rrsets is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newTestService(t, updatable)
			before := f.zone.Records()
			if tc.writer != "" {
				w := once(func() { f.zone.Add(t, tc.writer) })
				f.onUpdate(func() dnsclienttest.Answer { w(); return dnsclienttest.Answer{} })
			}
			res, err := f.svc.Sync(t.Context(), "example.test", records.SyncRequest{RRsets: tc.rrsets}, tc.dryRun, tc.ifMatch)
			checkErr(t, err, tc.kind, tc.msg)
			if diff := cmp.Diff(tc.sent, f.updates()); diff != "" {
				t.Errorf("sent (-want +got):\n%s", diff)
			}
			if err == nil {
				if diff := cmp.Diff(tc.want, res); diff != "" {
					t.Errorf("result (-want +got):\n%s", diff)
				}
			}
			want := tc.wantData
			if want == nil {
				want = before
				if tc.writer != "" {
					want = nil // another writer changed it; only the message matters
				}
			}
			if got := f.zone.Records(); want != nil {
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("zone (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestReads covers GET …/rrsets and …/export over AXFR, and how a refused or failed
// transfer is reported (docs/contract.md §12.5).
func TestReads(t *testing.T) {
	t.Parallel()
	f := newTestService(t, updatable)
	got, err := f.svc.RRsets(t.Context(), "example.test", "www", "a")
	if err != nil {
		t.Fatal(err)
	}
	want := records.ZoneData{Zone: "example.test", Serial: 100, RRsets: []records.RRset{{Name: "www.example.test.", Type: "A", TTL: 300, Records: []string{"192.0.2.1", "192.0.2.2"}}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RRsets (-want +got):\n%s", diff)
	}
	all, err := f.svc.RRsets(t.Context(), "example.test", "", "")
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, s := range all.RRsets {
		order = append(order, s.Name+" "+s.Type)
	}
	wantOrder := []string{"example.test. NS", "example.test. SOA", "alias.example.test. CNAME", "mail.example.test. MX", "ns1.example.test. A", "www.example.test. A"}
	if diff := cmp.Diff(wantOrder, order); diff != "" {
		t.Errorf("canonical order (-want +got):\n%s", diff)
	}
	text, err := f.svc.Export(t.Context(), "example.test")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, "; zone example.test, serial 100, exported by bindgate\n$ORIGIN example.test.\n") ||
		!strings.Contains(text, "alias.example.test.\t300\tIN\tCNAME\twww.example.test.\n") {
		t.Errorf("export:\n%s", text)
	}
	if _, err := f.svc.RRsets(t.Context(), "example.test", "", "NOPE"); kindOf(err) != "invalid" {
		t.Errorf("unknown type: %v", err)
	}

	for _, tc := range []struct {
		name   string
		answer dnsclienttest.Answer
		kind   string
		msg    string
	}{
		{"REFUSED", dnsclienttest.Answer{Rcode: dns.RcodeRefused}, "conflict", "refuses zone transfers (AXFR) to bindgate"},
		{"NOTAUTH", dnsclienttest.Answer{Rcode: dns.RcodeNotAuth}, "conflict", "allow-transfer"},
		{"SERVFAIL", dnsclienttest.Answer{Rcode: dns.RcodeServerFailure}, "unavailable", "Zone not loaded: example.test"},
		{"dropped", dnsclienttest.Answer{Drop: true}, "unavailable", ""},
		{"BADSIG", dnsclienttest.Answer{Rcode: dns.RcodeNotAuth, TSIGError: dns.RcodeBadSig}, "internal", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newTestService(t, updatable)
			f.zone.Script(func(*dns.Msg) dnsclienttest.Answer { return tc.answer })
			_, err := f.svc.RRsets(t.Context(), "example.test", "", "")
			checkErr(t, err, tc.kind, tc.msg)
			_, err = f.svc.Export(t.Context(), "example.test")
			checkErr(t, err, tc.kind, tc.msg)
		})
	}
	t.Run("unknown zone", func(t *testing.T) {
		t.Parallel()
		f := newTestService(t, "")
		_, err := f.svc.RRsets(t.Context(), "example.test", "", "")
		checkErr(t, err, "not found", "Zone not found")
		if n := len(f.zone.Messages()); n != 0 {
			t.Errorf("%d DNS messages for an unknown zone", n)
		}
	})
}
