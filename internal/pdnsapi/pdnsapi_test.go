package pdnsapi

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/records"
)

func p(s string) *string { return &s }
func u(n uint32) *uint32 { return &n }

// TestToPatch: the PATCH bodies the real clients send, mapped onto the records engine. The
// bodies are the shapes captured from dnscontrol (go-powerdns), lexicon and lego.
func TestToPatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want []records.RRsetChange
		kind errs.Kind // of the refusal, when not Internal
	}{
		{name: "dnscontrol: zone fields, comments, ttl 0 and records null on DELETE",
			body: `{"name":"example.com.","type":"Zone","nameservers":null,"rrsets":[` +
				`{"name":"www.example.com.","type":"A","ttl":300,"changetype":"REPLACE","records":[{"content":"192.0.2.1","disabled":false}],"comments":[]},` +
				`{"name":"old.example.com.","type":"CNAME","ttl":0,"changetype":"DELETE","records":null,"comments":null}]}`,
			want: []records.RRsetChange{
				{Name: p("www.example.com."), Type: p("A"), TTL: u(300), ChangeType: p("REPLACE"), Records: []string{"192.0.2.1"}},
				{Name: p("old.example.com."), Type: p("CNAME"), ChangeType: p("DELETE")},
			}},
		{name: "dnscontrol v4.24.0 push, as captured (comments null, zone name empty, nameservers [])",
			body: `{"name":"","type":"Zone","rrsets":[{"name":"dnsc.com.","type":"NS","ttl":300,"changetype":"REPLACE","records":[{"content":"ns1.dnsc.com.","disabled":false}],"comments":null},` +
				`{"name":"txt.dnsc.com.","type":"TXT","ttl":300,"changetype":"REPLACE","records":[{"content":"\"v=spf1 -all\"","disabled":false}],"comments":null}],"nameservers":[]}`,
			want: []records.RRsetChange{
				{Name: p("dnsc.com."), Type: p("NS"), TTL: u(300), ChangeType: p("REPLACE"), Records: []string{"ns1.dnsc.com."}},
				{Name: p("txt.dnsc.com."), Type: p("TXT"), TTL: u(300), ChangeType: p("REPLACE"), Records: []string{`"v=spf1 -all"`}},
			}},
		{name: "dnscontrol v4.24.0 first push without IGNORE SOA, as captured: passed on, for the engine's 422",
			body: `{"name":"","type":"Zone","rrsets":[{"name":"dnscsoa.com.","type":"SOA","ttl":0,"changetype":"DELETE","records":null,"comments":null}],"nameservers":[]}`,
			want: []records.RRsetChange{{Name: p("dnscsoa.com."), Type: p("SOA"), ChangeType: p("DELETE")}}},
		{name: "lexicon: REPLACE with records [] deletes",
			body: `{"rrsets":[{"name":"t.example.com.","type":"TXT","ttl":3600,"changetype":"REPLACE","records":[]}]}`,
			want: []records.RRsetChange{{Name: p("t.example.com."), Type: p("TXT"), ChangeType: p("DELETE")}}},
		{name: "lego: quoted TXT, per-record name and type ignored",
			body: `{"rrsets":[{"name":"_acme-challenge.example.com.","type":"TXT","ttl":120,"changetype":"REPLACE",` +
				`"records":[{"content":"\"abc\"","disabled":false,"name":"_acme-challenge.example.com.","type":"TXT"}]}]}`,
			want: []records.RRsetChange{{Name: p("_acme-challenge.example.com."), Type: p("TXT"), TTL: u(120), ChangeType: p("REPLACE"), Records: []string{`"abc"`}}}},
		{name: "lego 4.9.1 present, as captured (kind, per-record name, type, ttl)",
			body: `{"rrsets":[{"name":"_acme-challenge.api.legotest.com.","type":"TXT","kind":"Master","changetype":"REPLACE","records":[{"content":"\"kG1Sbu\"","disabled":false,"name":"_acme-challenge.api.legotest.com.","type":"TXT","ttl":120}],"ttl":120}]}`,
			want: []records.RRsetChange{{Name: p("_acme-challenge.api.legotest.com."), Type: p("TXT"), TTL: u(120), ChangeType: p("REPLACE"), Records: []string{`"kG1Sbu"`}}}},
		{name: "lego 4.9.1 cleanup, as captured", body: `{"rrsets":[{"name":"_acme-challenge.api.legotest.com.","type":"TXT","kind":"","changetype":"DELETE"}]}`,
			want: []records.RRsetChange{{Name: p("_acme-challenge.api.legotest.com."), Type: p("TXT"), ChangeType: p("DELETE")}}},
		{name: "lexicon 3.11.7 delete of the last value, as captured",
			body: `{"rrsets": [{"name": "cap.lexi.com.", "type": "TXT", "ttl": 3600, "records": [], "changetype": "REPLACE"}]}`,
			want: []records.RRsetChange{{Name: p("cap.lexi.com."), Type: p("TXT"), ChangeType: p("DELETE")}}},
		{name: "lower-case changetype", body: `{"rrsets":[{"name":"a.example.com.","type":"A","changetype":"delete"}]}`,
			want: []records.RRsetChange{{Name: p("a.example.com."), Type: p("A"), ChangeType: p("DELETE")}}},
		{name: "disabled", body: `{"rrsets":[{"name":"a.example.com.","type":"A","changetype":"REPLACE","records":[{"content":"192.0.2.1","disabled":true}]}]}`, kind: errs.Unprocessable},
		{name: "no content", body: `{"rrsets":[{"name":"a.example.com.","type":"A","changetype":"REPLACE","records":[{"disabled":false}]}]}`, kind: errs.Unprocessable},
		{name: "no changetype", body: `{"rrsets":[{"name":"a.example.com.","type":"A"}]}`, kind: errs.Unprocessable},
		{name: "other changetype", body: `{"rrsets":[{"name":"a.example.com.","type":"A","changetype":"EXTEND"}]}`, kind: errs.Unprocessable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var req PatchRequest
			if err := json.Unmarshal([]byte(tc.body), &req); err != nil {
				t.Fatal(err)
			}
			got, err := toPatch(req.RRsets)
			if tc.kind != errs.Internal {
				if errs.KindOf(err) != tc.kind {
					t.Fatalf("err = %v, want kind %v", err, tc.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got.RRsets); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestPrimary: a create's request: SOA and NS from nameservers (or the apex NS of rrsets),
// glue for in-zone name servers, the apex SOA dropped, invalid data refused before anything.
func TestPrimary(t *testing.T) {
	t.Parallel()
	x := &handlers{API: &API{cfg: Config{UpdateKey: func() string { return "k" }}}}
	var req CreateRequest
	_ = json.Unmarshal([]byte(`{"name":"example.com.","kind":"Native","rrsets":[`+
		`{"name":"example.com.","type":"SOA","ttl":60,"records":[{"content":"a. b. 1 2 3 4 5"}]},`+
		`{"name":"example.com.","type":"NS","ttl":60,"records":[{"content":"ns.example.com."}]},`+
		`{"name":"ns.example.com.","type":"A","ttl":60,"records":[{"content":"192.0.2.53"}]}]}`), &req)
	cr, pr, err := x.primary("example.com", req)
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{*cr.ZoneConfig.SOA.PrimaryNS, cr.ZoneConfig.NameServerIPs["ns.example.com."], *cr.UpdateKeyName}; !cmp.Equal(got, []string{"ns.example.com.", "192.0.2.53", "k"}) {
		t.Errorf("create request: %v", got)
	}
	if len(pr.RRsets) != 2 {
		t.Errorf("rrsets to load: %+v", pr.RRsets)
	}
	for _, body := range []string{
		`{"name":"example.com.","kind":"Native"}`,
		`{"name":"example.com.","nameservers":["ns.example.net."],"rrsets":[{"name":"a.example.com.","type":"A","ttl":1,"records":[{"content":"x"}]}]}`,
		`{"name":"example.com.","nameservers":["ns.example.net."],"rrsets":[{"name":"a.other.org.","type":"A","ttl":1,"records":[{"content":"192.0.2.1"}]}]}`,
	} {
		var req CreateRequest
		_ = json.Unmarshal([]byte(body), &req)
		if _, _, err := x.primary("example.com", req); err == nil {
			t.Errorf("%s: accepted", body)
		}
	}
}
