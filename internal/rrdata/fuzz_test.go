package rrdata

import (
	"errors"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/zonename"
)

// FuzzParse checks that Parse either refuses a value with an *InputError or returns one RR of
// the requested type, inside the zone, that packs and survives a round trip through its own
// rendering. MX and SRV values are tried both with and without a separate priority. Its seeds
// run in every plain go test.
func FuzzParse(f *testing.F) {
	for _, s := range [][2]string{
		{"A", "192.0.2.1"}, {"AAAA", "2001:db8::1"}, {"TXT", `"a;b" c`}, {"TXT", `"\"$INCLUDE x\""`},
		{"MX", "10 mx.example.com."}, {"SRV", "1 2 3 t.example.com."}, {"CAA", `0 issue "x"`},
		{"TXT", "\"a\"\n$INCLUDE x"}, {"CNAME", "a.b."}, {"PTR", "@."}, {"NS", `\@.`},
		{"TXT", `"` + strings.Repeat("x", 256) + `"`}, {"TXT", `"\255\000\""`}, {"caa", `0 issue "a\"b"`},
		{"txt", `é`}, {"A", "192.0.2.1 ; x"}, {"MX", "mail."}, {"SRV", "0 0 ."}, {"A", "$GENERATE 1-2 a A 1.2.3.4"},
		{"TXT", `( "a" )`}, {"tlsa", "3 1 1 " + sha256hex}, {"TLSA", "3 1 1 zz"}, {"TLSA", "0 0 0 00"},
		{"SSHFP", "4 2 " + sha256hex}, {"SSHFP", "1 1 " + sha1hex}, {"SSHFP", "6 2 zz"},
		{"NAPTR", `100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .`}, {"NAPTR", `1 1 "S" "SIP+D2T" "" _sip._tcp.example.com.`},
		{"NAPTR", `1 1 "" "" "" .`}, {"DS", "60485 5 1 " + sha1hex}, {"DS", "1 RSASHA256 2 " + sha256hex},
		{"HTTPS", "1 . alpn=h2,h3 port=443 ipv4hint=192.0.2.1"}, {"HTTPS", "0 cdn.example.net."}, {"HTTPS", "0 ."},
		{"SVCB", `1 svc.example.com. alpn="h2,h3" mandatory=alpn ech=AEX+/w==`}, {"SVCB", "1 . no-default-alpn"},
		{"SVCB", `1 . key65000="a\044b"`}, {"SVCB", "1 . ipv6hint=2001:db8::1,::ffff:192.0.2.1"},
		{"TYPE1", `\# 4 c0000201`}, {"HINFO", `"a" "b"`},
		// Found by fuzzing: accepted, but its rendering (with \DDD escapes) exceeded the value limit.
		{"SVCB", `1 . key10="` + strings.Repeat("é", 1100) + `"`},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, typ, value string) {
		r := Record{Name: "www", Type: typ, Value: value}
		check(t, r)
		if u := strings.ToUpper(typ); u == "MX" || u == "SRV" {
			r.Priority = u16(1)
			check(t, r)
		}
	})
}

// check asserts the fuzz property for one record.
func check(t *testing.T, r Record) {
	rr, err := Parse("example.com", r, 300, nil)
	if err != nil {
		if _, ok := errors.AsType[*InputError](err); !ok {
			t.Fatalf("Parse(%+v) error %T %v is not an *InputError", r, err, err)
		}
		if strings.ContainsFunc(err.Error(), func(c rune) bool { return c < 0x20 || c == 0x7f }) {
			t.Fatalf("Parse(%+v) message %q holds a control character", r, err)
		}
		return
	}
	h := rr.Header()
	if dns.TypeToString[h.Rrtype] != strings.ToUpper(r.Type) || h.Class != dns.ClassINET || h.Ttl != 300 {
		t.Fatalf("Parse(%+v) = %v: wrong type, class or TTL", r, rr)
	}
	if !zonename.InZone(h.Name, "example.com") || !dns.IsFqdn(h.Name) {
		t.Fatalf("Parse(%+v) = %v: owner outside the zone", r, rr)
	}
	if _, ok := wireRData(rr); !ok {
		t.Fatalf("Parse(%+v) = %v: does not pack", r, rr)
	}
	again, err := dns.NewRR(rr.String())
	if err != nil || again == nil || !Same(rr, again) {
		t.Fatalf("Parse(%+v) = %v: round trip gives %v, %v", r, rr, again, err)
	}
	// What a caller reads back (Value) must be accepted again as a value of the same type.
	back, err := Parse("example.com", Record{Name: "www", Type: r.Type, Value: Value(rr)}, 300, nil)
	if err != nil || !Same(rr, back) {
		t.Fatalf("Parse(%+v) = %v, but its Value %q parses as %v, %v", r, rr, Value(rr), back, err)
	}
	if tg := targetName(rr); tg != "" && !dns.IsFqdn(tg) {
		t.Fatalf("Parse(%+v): target %q is not absolute", r, tg)
	}
}

// FuzzOwner checks that Owner either refuses a name with an *InputError or returns an
// absolute lower-case name inside the zone, at most 253 characters, of LDH labels with "*"
// only leftmost, which Owner maps to itself. Its seeds run in every plain go test.
func FuzzOwner(f *testing.F) {
	for _, s := range []string{
		"@", "www", "WWW", "example.com", "Example.COM.", "a.b.example.com.", "fooexample.com", "fooexample.com.",
		"*", "*.sub", "a.*", "**", "_sip._tcp", "-", "bücher", "Bücher.example.com", "é", "ｗｗｗ", "a。b",
		"a\u200db", "_bücher", "xn--bcher-kva", "xn--zz", "a..b", ".", "", "a b", "a\\.b", "\xff", "a\nb",
		strings.Repeat("a", 64), strings.Repeat("a23456789.", 25), strings.Repeat("ü", 100), "ß", "ΣΊΣΥΦΟΣ",
		"\u0627\u0644\u0639\u0631\u0628\u064a\u0629", "1\u0627", "@.", "a.@",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		fq, err := Owner("example.com", name)
		if err != nil {
			if _, ok := errors.AsType[*InputError](err); !ok {
				t.Fatalf("Owner(%q) error %T is not an *InputError", name, err)
			}
			if strings.ContainsFunc(err.Error(), func(c rune) bool { return c < 0x20 || c == 0x7f }) {
				t.Fatalf("Owner(%q) message %q holds a control character", name, err)
			}
			return
		}
		if !dns.IsFqdn(fq) || fq != strings.ToLower(fq) || len(fq) > zonename.MaxLen+1 || !zonename.InZone(fq, "example.com") {
			t.Fatalf("Owner(%q) = %q", name, fq)
		}
		if _, ok := dns.IsDomainName(fq); !ok {
			t.Fatalf("Owner(%q) = %q, not a domain name", name, fq)
		}
		for i, l := range strings.Split(strings.TrimSuffix(fq, "."), ".") {
			if !(ldhLabel(l) || i == 0 && l == "*") {
				t.Fatalf("Owner(%q) = %q: label %q", name, fq, l)
			}
		}
		if again, err := Owner("example.com", fq); err != nil || again != fq {
			t.Fatalf("Owner(%q) = %q, but Owner(%q) = %q, %v", name, fq, fq, again, err)
		}
	})
}
