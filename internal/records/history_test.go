package records_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bindgate/bindgate/internal/dnsclient/dnsclienttest"
	"github.com/bindgate/bindgate/internal/records"
	"github.com/bindgate/bindgate/internal/zonecopy"
)

// seen is when the fake copy-sync saw every change (the store's clock).
var seen = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// historyFixture is the records fixture with a zone copy in t.TempDir, taken at serial 100.
type historyFixture struct {
	*fixture
	copies *zonecopy.Store
}

func newHistoryService(t *testing.T, conf string) *historyFixture {
	t.Helper()
	store, err := zonecopy.Open(t.Context(), zonecopy.Config{Dir: t.TempDir(), Now: func() time.Time { return seen }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	h := &historyFixture{fixture: newTestServiceWith(t, conf, func(c *records.Config) { c.History = store }), copies: store}
	h.feed(t)
	return h
}

// feed takes the zone by AXFR into the copy, as issue 9's copy-sync will after each NOTIFY.
func (h *historyFixture) feed(t *testing.T, actors ...zonecopy.Actor) {
	t.Helper()
	rrs, err := h.client.Transfer(t.Context(), "example.test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.copies.Replace(t.Context(), "example.test", rrs, actors); err != nil {
		t.Fatal(err)
	}
}

// patch applies one PATCH and feeds the copy: a change through the API.
func (h *historyFixture) patch(t *testing.T, actor zonecopy.Actor, changes ...records.RRsetChange) {
	t.Helper()
	if _, err := h.svc.Patch(t.Context(), "example.test", records.PatchRequest{RRsets: changes}, nil); err != nil {
		t.Fatal(err)
	}
	h.feed(t, actor)
}

func replaceSet(name, typ string, recs ...string) records.RRsetChange {
	return records.RRsetChange{Name: ptr(name), Type: ptr(typ), TTL: ptr[uint32](300), ChangeType: ptr("REPLACE"), Records: recs}
}

func deleteSet(name, typ string) records.RRsetChange {
	return records.RRsetChange{Name: ptr(name), Type: ptr(typ), ChangeType: ptr("DELETE")}
}

// threeChanges moves the zone from 100 to 103: 101 www A, 102 TXT added and the CNAME
// removed, 103 the MX replaced and an A added.
func (h *historyFixture) threeChanges(t *testing.T) {
	t.Helper()
	h.patch(t, zonecopy.Actor{Principal: "alice", RequestID: "req-1"}, replaceSet("www", "A", "192.0.2.9"))
	h.patch(t, zonecopy.Actor{}, replaceSet("txt", "TXT", `"v1"`), deleteSet("alias", "CNAME"))
	h.patch(t, zonecopy.Actor{Principal: "bob", RequestID: "req-3"}, replaceSet("mail", "MX", "20 ns1.example.test."), replaceSet("new", "A", "192.0.2.7"))
}

func set(name, typ string, recs ...string) records.ChangeRRset {
	return records.ChangeRRset{RRset: records.RRset{Name: name, Type: typ, TTL: 300, Records: recs}}
}

// TestHistoryList covers GET …/history: newest first, paging with before and next, limits, 404s.
func TestHistoryList(t *testing.T) {
	t.Parallel()
	entry := func(from, to uint32, added, removed int, actor records.Actor) records.HistoryEntry {
		return records.HistoryEntry{FromSerial: from, ToSerial: to, Time: seen, Added: added, Removed: removed, Actor: actor}
	}
	e103 := entry(102, 103, 2, 1, records.Actor{Principal: "bob", RequestID: "req-3"})
	e102 := entry(101, 102, 1, 1, records.Actor{})
	e101 := entry(100, 101, 1, 2, records.Actor{Principal: "alice", RequestID: "req-1"})
	for _, tc := range []struct {
		name          string
		zone          string
		before        uint32
		limit         int
		want          records.HistoryPage
		kind, msg     string
		withoutCopy   bool
		unknownToBIND bool
	}{
		{name: "all, newest first", want: records.HistoryPage{Zone: "example.test", Changes: []records.HistoryEntry{e103, e102, e101}}},
		{name: "first page", limit: 2, want: records.HistoryPage{Zone: "example.test", Changes: []records.HistoryEntry{e103, e102}, Next: ptr[uint32](101)}},
		{name: "last page", before: 101, limit: 2, want: records.HistoryPage{Zone: "example.test", Changes: []records.HistoryEntry{e101}}},
		{name: "exact page has no next", before: 102, limit: 2, want: records.HistoryPage{Zone: "example.test", Changes: []records.HistoryEntry{e102, e101}}},
		{name: "before the oldest", before: 100, want: records.HistoryPage{Zone: "example.test", Changes: []records.HistoryEntry{}}},
		{name: "before the current serial", before: 103, limit: 1, want: records.HistoryPage{Zone: "example.test", Changes: []records.HistoryEntry{e103}, Next: ptr[uint32](102)}},
		{name: "serial not retained", before: 99, kind: "not found", msg: "Serial not found: zone example.test"},
		{name: "limit too large", limit: 1001, kind: "invalid", msg: "limit must be from 1 to 1000"},
		{name: "zone unknown", zone: "other.test", unknownToBIND: true, kind: "not found", msg: "Zone not found: other.test"},
		{name: "no copy yet", withoutCopy: true, kind: "not found", msg: "History not found: bindgate holds no copy of zone example.test yet"},
		{name: "bad zone name", zone: "bad..name", kind: "invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHistoryService(t, updatable)
			h.threeChanges(t)
			if tc.withoutCopy {
				if err := h.copies.Delete(t.Context(), "example.test"); err != nil {
					t.Fatal(err)
				}
			}
			if tc.unknownToBIND {
				h.setConf("")
			}
			zone := cmpOr(tc.zone, "example.test")
			got, err := h.svc.ListHistory(t.Context(), zone, tc.before, tc.limit)
			checkErr(t, err, tc.kind, tc.msg)
			if err == nil {
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("page (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestHistoryChange covers GET …/history/{serial}: the change as RRsets, DNSSEC marked, and
// the JSON shape.
func TestHistoryChange(t *testing.T) {
	t.Parallel()
	h := newHistoryService(t, updatable)
	h.threeChanges(t)

	got, err := h.svc.HistoryChange(t.Context(), "example.test", 102)
	if err != nil {
		t.Fatal(err)
	}
	want := records.ChangeDetail{Zone: "example.test", FromSerial: 101, ToSerial: 102, Time: seen,
		Removed: []records.ChangeRRset{set("alias.example.test.", "CNAME", "www.example.test.")},
		Added:   []records.ChangeRRset{set("txt.example.test.", "TXT", `"v1"`)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("change (-want +got):\n%s", diff)
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	const wantJSON = `{"zone":"example.test","fromSerial":101,"toSerial":102,"time":"2026-03-04T05:06:07Z","actor":"external",` +
		`"removed":[{"name":"alias.example.test.","type":"CNAME","ttl":300,"records":["www.example.test."]}],` +
		`"added":[{"name":"txt.example.test.","type":"TXT","ttl":300,"records":["\"v1\""]}]}`
	if string(b) != wantJSON {
		t.Errorf("JSON\n got %s\nwant %s", b, wantJSON)
	}

	// A signing step named made by itself: every record kept, DNSSEC types marked.
	h.zone.Add(t,
		"www.example.test. 300 IN RRSIG A 13 3 300 20260401000000 20260301000000 12345 example.test. dGVzdA==",
		"example.test. 300 IN DNSKEY 257 3 13 dGVzdGtleQ==",
		"www.example.test. 300 IN AAAA 2001:db8::1")
	h.feed(t)
	got, err = h.svc.HistoryChange(t.Context(), "example.test", 104)
	if err != nil {
		t.Fatal(err)
	}
	dnssec := func(s records.ChangeRRset) records.ChangeRRset { s.DNSSEC = true; return s }
	wantAdded := []records.ChangeRRset{
		dnssec(set("example.test.", "DNSKEY", "257 3 13 dGVzdGtleQ==")),
		set("www.example.test.", "AAAA", "2001:db8::1"),
		dnssec(set("www.example.test.", "RRSIG", "A 13 3 300 20260401000000 20260301000000 12345 example.test. dGVzdA==")),
	}
	if diff := cmp.Diff(wantAdded, got.Added); diff != "" {
		t.Errorf("signing step (-want +got):\n%s", diff)
	}

	for serial, msg := range map[uint32]string{100: "Change not found", 99: "Change not found"} {
		_, err := h.svc.HistoryChange(t.Context(), "example.test", serial)
		checkErr(t, err, "not found", msg)
	}
}

// zoneData is the fake zone's data without its SOA, for comparing with a StateAt.
func zoneData(lines []string) []string {
	return slices.DeleteFunc(slices.Clone(lines), func(l string) bool { return strings.Contains(l, " IN SOA ") })
}

// stateAt is the copy's state at serial without its SOA, as zoneData.
func (h *historyFixture) stateAt(t *testing.T, serial uint32) []string {
	t.Helper()
	rrs, err := h.copies.StateAt("example.test", serial)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, rr := range rrs[1:] {
		out = append(out, dnsclienttest.Line(rr))
	}
	slices.Sort(out)
	return out
}

// TestRollback covers POST …/rollback: the inverse diff applied as one UPDATE guarded by the
// SOA, dryRun, the 412 of a zone that moved in flight, 404, 503 for a copy behind, 413.
func TestRollback(t *testing.T) {
	t.Parallel()
	diffTo101 := records.RollbackResult{
		Zone: "example.test", FromSerial: 103, ToSerial: 104, TargetSerial: 101, Applied: true,
		Removed: []records.ChangeRRset{
			set("mail.example.test.", "MX", "20 ns1.example.test."),
			set("new.example.test.", "A", "192.0.2.7"),
			set("txt.example.test.", "TXT", `"v1"`),
		},
		Added: []records.ChangeRRset{
			set("alias.example.test.", "CNAME", "www.example.test."),
			set("mail.example.test.", "MX", "10 www.example.test."),
		},
	}
	dry := diffTo101
	dry.ToSerial, dry.Applied = 103, false
	for _, tc := range []struct {
		name      string
		conf      string
		to        uint32
		dryRun    bool
		setup     func(t *testing.T, h *historyFixture)
		writer    string // a record another writer adds as the update arrives
		want      records.RollbackResult
		kind, msg string
		sends     int
	}{
		{name: "to the serial after the first change", to: 101, want: diffTo101, sends: 1},
		{name: "dry run sends nothing", to: 101, dryRun: true, want: dry},
		{name: "to the oldest retained state", to: 100, sends: 1, want: records.RollbackResult{
			Zone: "example.test", FromSerial: 103, ToSerial: 104, TargetSerial: 100, Applied: true,
			Removed: append(slices.Clone(diffTo101.Removed[:2]), set("txt.example.test.", "TXT", `"v1"`), set("www.example.test.", "A", "192.0.2.9")),
			Added:   append(slices.Clone(diffTo101.Added), set("www.example.test.", "A", "192.0.2.1", "192.0.2.2")),
		}},
		{name: "to the current serial", to: 103, want: records.RollbackResult{Zone: "example.test", FromSerial: 103, ToSerial: 103, TargetSerial: 103,
			Removed: []records.ChangeRRset{}, Added: []records.ChangeRRset{}}},
		{name: "zone moved in flight", to: 101, writer: "other.example.test. 300 IN A 192.0.2.3", sends: 1,
			kind: "precondition failed", msg: "moved from serial 103 to 104 while the rollback was computed"},
		{name: "serial not retained", to: 42, kind: "not found", msg: "Serial not found: zone example.test has no retained state at serial 42"},
		{name: "copy behind named", to: 101, kind: "unavailable", msg: "Zone copy not current: example.test; retry",
			setup: func(t *testing.T, h *historyFixture) { h.zone.Add(t, "late.example.test. 300 IN A 192.0.2.4") }},
		{name: "zone without updates", conf: readOnly, to: 101, kind: "invalid", msg: "Dynamic updates not enabled"},
		{name: "zone unknown", conf: "-", to: 101, kind: "not found", msg: "Zone not found: example.test"},
		{name: "DNSSEC records named maintains are left alone", to: 103, sends: 1,
			setup: func(t *testing.T, h *historyFixture) {
				h.zone.Add(t,
					"www.example.test. 300 IN RRSIG A 13 3 300 20260401000000 20260301000000 12345 example.test. dGVzdA==",
					"www.example.test. 300 IN NSEC x.example.test. A RRSIG NSEC",
					"example.test. 300 IN DNSKEY 257 3 13 dGVzdGtleQ==",
					"example.test. 300 IN TYPE65534 \\# 5 0d30390001",
					"late.example.test. 300 IN A 192.0.2.4")
				h.feed(t)
			},
			want: records.RollbackResult{Zone: "example.test", FromSerial: 104, ToSerial: 105, TargetSerial: 103, Applied: true,
				Removed: []records.ChangeRRset{set("late.example.test.", "A", "192.0.2.4")}, Added: []records.ChangeRRset{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHistoryService(t, updatable)
			h.threeChanges(t)
			if tc.setup != nil {
				tc.setup(t, h)
			}
			switch tc.conf {
			case "-":
				h.setConf("")
			case "":
			default:
				h.setConf(tc.conf)
			}
			before := len(h.updates())
			if tc.writer != "" {
				w := once(func() { h.zone.Add(t, tc.writer) })
				h.onUpdate(func() dnsclienttest.Answer { w(); return dnsclienttest.Answer{} })
			}
			data := zoneData(h.zone.Records())
			got, err := h.svc.Rollback(t.Context(), "example.test", records.RollbackRequest{ToSerial: ptr(tc.to), DryRun: ptr(tc.dryRun)})
			checkErr(t, err, tc.kind, tc.msg)
			sent := h.updates()[before:]
			if len(sent) != tc.sends {
				t.Fatalf("sent %d updates, want %d: %v", len(sent), tc.sends, sent)
			}
			for _, s := range sent {
				for _, l := range s.Update {
					for _, typ := range []string{" RRSIG", " NSEC", " DNSKEY", " TYPE65534", " SOA"} {
						if strings.Contains(l, typ) {
							t.Errorf("the rollback touched %q", l)
						}
					}
				}
				if !slices.ContainsFunc(s.Prereq, func(p string) bool { return strings.Contains(p, " IN SOA ") }) {
					t.Errorf("no SOA prerequisite in %v", s.Prereq)
				}
			}
			if err != nil {
				if tc.writer == "" && !slices.Equal(zoneData(h.zone.Records()), data) {
					t.Errorf("a refused rollback changed the zone")
				}
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if !got.Applied {
				if !slices.Equal(zoneData(h.zone.Records()), data) {
					t.Errorf("a dry run changed the zone")
				}
				return
			}
			// The zone now holds the state at the target serial, apart from the SOA and the
			// DNSSEC records named maintains.
			now := slices.DeleteFunc(zoneData(h.zone.Records()), isDNSSEC)
			if diff := cmp.Diff(h.stateAt(t, tc.to), now); diff != "" {
				t.Errorf("zone after rollback vs StateAt(%d) (-want +got):\n%s", tc.to, diff)
			}
		})
	}
}

func isDNSSEC(line string) bool {
	for _, typ := range []string{" RRSIG ", " NSEC ", " DNSKEY ", " TYPE65534 "} {
		if strings.Contains(line, typ) {
			return true
		}
	}
	return false
}

// TestRollbackTooLarge: a diff that does not fit one UPDATE message is the records package's
// 413, and nothing is sent.
func TestRollbackTooLarge(t *testing.T) {
	t.Parallel()
	h := newHistoryService(t, updatable)
	var many []string
	for i := range 5000 {
		many = append(many, fmt.Sprintf("host-%04d.example.test. 300 IN TXT \"%s\"", i, strings.Repeat("x", 20)))
	}
	h.zone.PerMessage = 500 // an AXFR message holds at most 64 KiB
	h.zone.Add(t, many...)
	h.feed(t)
	_, err := h.svc.Rollback(t.Context(), "example.test", records.RollbackRequest{ToSerial: ptr[uint32](100)})
	checkErr(t, err, "too large", "does not fit one atomic DNS update")
	if n := len(h.updates()); n != 0 {
		t.Errorf("sent %d updates", n)
	}
}
