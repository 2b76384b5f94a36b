package zones

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func u32(v uint32) *uint32 { return &v }

func TestParseZoneStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text string
		want       zoneStatusInfo
	}{
		{
			name: "primary added by bindgate",
			text: "name: example.test\ntype: primary\nfiles: /var/cache/bind/example.test.zone\nserial: 2025010101\n" +
				"nodes: 3\nlast loaded: Tue, 24 Nov 2026 09:00:00 GMT\nsecure: no\ndynamic: yes\nfrozen: no\nreconfigurable via modzone: yes",
			want: zoneStatusInfo{Type: "primary", Serial: u32(2025010101), Files: []string{"/var/cache/bind/example.test.zone"}, Reconfigurable: true, HasReconfig: true},
		},
		{
			name: "inline-signed: serial not signed serial",
			text: "name: s.test\ntype: primary\nfiles: s.test.zone s.test.zone.signed\nserial: 7\nsigned serial: 9\nreconfigurable via modzone: yes",
			want: zoneStatusInfo{Type: "primary", Serial: u32(7), Files: []string{"s.test.zone", "s.test.zone.signed"}, Reconfigurable: true, HasReconfig: true},
		},
		{
			name: "old keywords and named.conf zone",
			text: "type: slave\nreconfigurable via modzone: no\n",
			want: zoneStatusInfo{Type: "secondary", HasReconfig: true},
		},
		{name: "nothing parseable", text: "garbage", want: zoneStatusInfo{}},
		{name: "serial overflow ignored", text: "type: master\nserial: 99999999999", want: zoneStatusInfo{Type: "primary"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, parseZoneStatus(tc.text)); diff != "" {
				t.Errorf("parseZoneStatus mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// dnssecStatusText is the shape of 9.18's `rndc dnssec -status` (lib/dns/keymgr.c).
const dnssecStatusText = `dnssec-policy: default
current time:  Tue Nov 24 09:00:00 2026

key: 33306 (ECDSAP256SHA256), CSK
  published:      yes - since Sun Sep 27 22:07:06 2026
  key signing:    yes - since Sun Sep 27 22:07:06 2026
  zone signing:   yes - since Sun Sep 27 22:07:06 2026

  No rollover scheduled
  - goal:           omnipresent
  - dnskey:         omnipresent
  - ds:             rumoured
  - zone rrsig:     omnipresent
  - key rrsig:      omnipresent

key: 4242 (RSASHA256), ZSK
  published:      no
  key signing:    no
  zone signing:   no

  Next rollover scheduled on Wed Dec 30 01:02:03 2026
  Key has been removed from the zone
  - goal:           hidden
  - dnskey:         hidden
`

func TestParseDNSSECStatus(t *testing.T) {
	t.Parallel()
	got := parseDNSSECStatus(dnssecStatusText)
	want := &DNSSECStatus{Policy: "default", Signed: true, Keys: []DNSSECKey{
		{Tag: 33306, Algorithm: "ECDSAP256SHA256", Role: "CSK", Published: true, PublishedSince: "2026-09-27T22:07:06",
			KeySigning: true, KeySigningSince: "2026-09-27T22:07:06", ZoneSigning: true, ZoneSigningSince: "2026-09-27T22:07:06",
			Goal: "omnipresent", DNSKEYState: "omnipresent", DSState: "rumoured", ZoneRRSIGState: "omnipresent", KeyRRSIGState: "omnipresent"},
		{Tag: 4242, Algorithm: "RSASHA256", Role: "ZSK", NextRollover: "2026-12-30T01:02:03", Removed: true, Goal: "hidden", DNSKEYState: "hidden"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseDNSSECStatus mismatch (-want +got):\n%s", diff)
	}
	if parseDNSSECStatus("zone is not signed") != nil {
		t.Error("unparseable text should give nil")
	}
}
