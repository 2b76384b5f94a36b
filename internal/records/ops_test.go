package records_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/dnsclient/dnsclienttest"
	"github.com/bindgate/bindgate/internal/records"
)

// TestAdd covers POST …/records: what is sent, the preconditions of docs/contract.md §12.2 in order,
// and the changes refused before sending (docs/contract.md §12.4).
func TestAdd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		conf     string
		zone     string
		req      records.AddRequest
		kind     string // "" for success
		msg      string
		sent     []sent
		at       string   // a name whose data to check afterwards
		wantData []string // its data
		record   records.AddedRecord
	}{
		{
			name: "A record", req: records.AddRequest{Name: ptr("new"), Type: ptr("a"), Value: ptr("192.0.2.7")},
			sent: []sent{{Prereq: []string{"new.example.test. 0 NONE CNAME"}, Update: []string{"new.example.test. 3600 IN A 192.0.2.7"}}},
			at:   "new.example.test.", wantData: []string{"new.example.test. 3600 IN A 192.0.2.7"},
			record: records.AddedRecord{Name: "new", Type: "A", Value: "192.0.2.7", TTL: 3600},
		},
		{
			name: "MX with priority is echoed", req: records.AddRequest{Name: ptr("@"), Type: ptr("MX"), Value: ptr("ns1.example.test."), Priority: ptr[uint16](5), TTL: ptr[uint32](60)},
			sent:   []sent{{Prereq: []string{"example.test. 0 NONE CNAME"}, Update: []string{"example.test. 60 IN MX 5 ns1.example.test."}}},
			record: records.AddedRecord{Name: "@", Type: "MX", Value: "ns1.example.test.", TTL: 60, Priority: ptr[uint16](5)},
		},
		{
			name: "MX to an in-zone target without an address", req: records.AddRequest{Name: ptr("m"), Type: ptr("MX"), Value: ptr("10 nohost.example.test.")},
			kind: "conflict", msg: "has no A or AAAA record",
		},
		{
			name: "CNAME beside other data", req: records.AddRequest{Name: ptr("www"), Type: ptr("CNAME"), Value: ptr("ns1.example.test.")},
			kind: "conflict", msg: "cannot coexist with other data (A)",
		},
		{
			name: "CNAME at a new name is guarded by name-not-in-use", req: records.AddRequest{Name: ptr("c"), Type: ptr("CNAME"), Value: ptr("www.example.test.")},
			sent: []sent{{Prereq: []string{"c.example.test. 0 NONE ANY"}, Update: []string{"c.example.test. 3600 IN CNAME www.example.test."}}},
			at:   "c.example.test.", wantData: []string{"c.example.test. 3600 IN CNAME www.example.test."},
			record: records.AddedRecord{Name: "c", Type: "CNAME", Value: "www.example.test.", TTL: 3600},
		},
		{name: "SOA", req: records.AddRequest{Name: ptr("@"), Type: ptr("SOA"), Value: ptr("a. b. 1 2 3 4 5")}, kind: "invalid", msg: "is not one of"},
		{name: "missing value", req: records.AddRequest{Name: ptr("x"), Type: ptr("A")}, kind: "unprocessable", msg: "missing field `value`"},
		{name: "bad value", req: records.AddRequest{Name: ptr("x"), Type: ptr("A"), Value: ptr("not-an-ip")}, kind: "invalid", msg: "Invalid record"},
		{name: "outside the zone", req: records.AddRequest{Name: ptr("x.other.test."), Type: ptr("A"), Value: ptr("192.0.2.1")}, kind: "invalid"},
		{name: "bad zone name", zone: "bad..name", req: records.AddRequest{Name: ptr("x"), Type: ptr("A"), Value: ptr("192.0.2.1")}, kind: "invalid", msg: "Invalid zone name"},
		{name: "unknown zone", conf: "-", req: records.AddRequest{Name: ptr("x"), Type: ptr("A"), Value: ptr("192.0.2.1")}, kind: "not found", msg: "Zone not found: example.test"},
		{name: "secondary zone", conf: secondary, req: records.AddRequest{Name: ptr("x"), Type: ptr("A"), Value: ptr("192.0.2.1")}, kind: "invalid", msg: "is secondary type"},
		{name: "no allow-update", conf: readOnly, req: records.AddRequest{Name: ptr("x"), Type: ptr("A"), Value: ptr("192.0.2.1")}, kind: "invalid", msg: "does not have allow-update"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			conf := tc.conf
			switch conf {
			case "":
				conf = updatable
			case "-":
				conf = ""
			}
			f := newTestService(t, conf)
			z := tc.zone
			if z == "" {
				z = "example.test"
			}
			res, err := f.svc.Add(t.Context(), z, tc.req)
			checkErr(t, err, tc.kind, tc.msg)
			if diff := cmp.Diff(tc.sent, f.updates()); diff != "" {
				t.Errorf("sent (-want +got):\n%s", diff)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(records.RecordResult{Message: "Record added to zone example.test", Zone: "example.test", Record: tc.record}, res); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if tc.at != "" {
				if diff := cmp.Diff(tc.wantData, f.at(tc.at)); diff != "" {
					t.Errorf("zone data (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestRcodes maps every answer BIND can give an UPDATE to the caller's error kind (docs/contract.md
// §12.4).
func TestRcodes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		answer dnsclienttest.Answer
		conf   string // the zone's configuration once the update was answered, if changed
		kind   string
		msg    string
	}{
		{name: "NOERROR"},
		{name: "REFUSED", answer: dnsclienttest.Answer{Rcode: dns.RcodeRefused}, kind: "conflict", msg: "does not accept updates with this key"},
		{name: "REFUSED after allow-update went", answer: dnsclienttest.Answer{Rcode: dns.RcodeRefused}, conf: readOnly, kind: "invalid", msg: "does not have allow-update"},
		{name: "REFUSED after the zone went", answer: dnsclienttest.Answer{Rcode: dns.RcodeRefused}, conf: "-", kind: "not found"},
		{name: "NOTAUTH without a TSIG error", answer: dnsclienttest.Answer{Rcode: dns.RcodeNotAuth}, kind: "conflict", msg: "does not accept updates with this key"},
		{name: "NOTZONE", answer: dnsclienttest.Answer{Rcode: dns.RcodeNotZone}, kind: "conflict"},
		{name: "NOTAUTH with BADSIG", answer: dnsclienttest.Answer{Rcode: dns.RcodeNotAuth, TSIGError: dns.RcodeBadSig}, kind: "internal"},
		{name: "NOTAUTH with BADKEY", answer: dnsclienttest.Answer{Rcode: dns.RcodeNotAuth, TSIGError: dns.RcodeBadKey}, kind: "internal"},
		{name: "NOTAUTH with BADTIME", answer: dnsclienttest.Answer{Rcode: dns.RcodeNotAuth, TSIGError: dns.RcodeBadTime}, kind: "internal"},
		{name: "unsigned reply", answer: dnsclienttest.Answer{Unsigned: true}, kind: "internal"},
		{name: "YXRRSET", answer: dnsclienttest.Answer{Rcode: dns.RcodeYXRrset}, kind: "conflict", msg: "changed while the update was applied"},
		{name: "NXRRSET", answer: dnsclienttest.Answer{Rcode: dns.RcodeNXRrset}, kind: "conflict", msg: "changed while the update was applied"},
		{name: "YXDOMAIN", answer: dnsclienttest.Answer{Rcode: dns.RcodeYXDomain}, kind: "conflict"},
		{name: "NXDOMAIN", answer: dnsclienttest.Answer{Rcode: dns.RcodeNameError}, kind: "conflict"},
		{name: "SERVFAIL", answer: dnsclienttest.Answer{Rcode: dns.RcodeServerFailure}, kind: "unavailable"},
		{name: "dropped connection", answer: dnsclienttest.Answer{Drop: true}, kind: "unavailable"},
		{name: "FORMERR", answer: dnsclienttest.Answer{Rcode: dns.RcodeFormatError}, kind: "internal"},
		{name: "NOTIMP", answer: dnsclienttest.Answer{Rcode: dns.RcodeNotImplemented}, kind: "internal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newTestService(t, updatable)
			f.onUpdate(func() dnsclienttest.Answer {
				switch tc.conf {
				case "":
				case "-":
					f.setConf("")
				default:
					f.setConf(tc.conf)
				}
				return tc.answer
			})
			_, err := f.svc.Add(t.Context(), "example.test", records.AddRequest{Name: ptr("new"), Type: ptr("A"), Value: ptr("192.0.2.7")})
			checkErr(t, err, tc.kind, tc.msg)
			if n := len(f.updates()); n != 1 {
				t.Errorf("%d updates sent, want 1", n)
			}
			if err != nil && strings.Contains(fmt.Sprintf("%v %+v", err, err), key.SecretBase64()) {
				t.Error("error holds the secret")
			}
		})
	}
}
