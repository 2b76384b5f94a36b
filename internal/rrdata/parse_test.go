package rrdata

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
)

func u16(v uint16) *uint16 { return &v }
func u32(v uint32) *uint32 { return &v }

const (
	sha256hex = "d2abde240d7cd3ee6b4b28c54df034b97983a1d16e8a410e4561cb106618e971"
	sha1hex   = "2bb183af5f22588179a53b0a98631fad1a292118"
)

// TestParse covers every type; want is the RR's String(), "" = refused with an *InputError.
func TestParse(t *testing.T) {
	t.Parallel()
	x := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name string
		r    Record
		want string
	}{
		{"A", Record{Name: "www", Type: "a", Value: " 192.0.2.1 "}, "www.example.com.\t300\tIN\tA\t192.0.2.1"},
		{"A not an address", Record{Name: "t", Type: "A", Value: "example.com."}, ""},
		{"A with IPv6", Record{Name: "t", Type: "A", Value: "2001:db8::1"}, ""},
		{"A two addresses", Record{Name: "t", Type: "A", Value: "192.0.2.1 192.0.2.2"}, ""},
		{"AAAA", Record{Name: "www", Type: "AAAA", Value: "2001:DB8::1", TTL: u32(0)}, "www.example.com.\t0\tIN\tAAAA\t2001:db8::1"},
		{"AAAA with IPv4", Record{Name: "t", Type: "AAAA", Value: "192.0.2.1"}, ""},

		{"CNAME", Record{Name: "a", Type: "cname", Value: "www.example.org."}, "a.example.com.\t300\tIN\tCNAME\twww.example.org."},
		{"CNAME relative", Record{Name: "a", Type: "CNAME", Value: "www"}, ""},
		{"CNAME two targets", Record{Name: "a", Type: "CNAME", Value: "a.example.com. b.example.com."}, ""},
		{"NS", Record{Name: "sub", Type: "NS", Value: "ns1.example.net."}, "sub.example.com.\t300\tIN\tNS\tns1.example.net."},
		{"NS root", Record{Name: "sub", Type: "NS", Value: "."}, ""},
		{"CNAME root", Record{Name: "a", Type: "CNAME", Value: "."}, ""},
		{"PTR escaped target", Record{Name: "1", Type: "PTR", Value: "@."}, ""},
		{"PTR target with a space in quotes", Record{Name: "1", Type: "PTR", Value: `"a b".`}, ""},
		{"NS relative", Record{Name: "sub", Type: "NS", Value: "ns1"}, ""},
		{"PTR", Record{Name: "1", Type: "PTR", Value: "host.example.com."}, "1.example.com.\t300\tIN\tPTR\thost.example.com."},
		{"PTR relative", Record{Name: "1", Type: "PTR", Value: "host"}, ""},

		{"MX with priority", Record{Name: "@", Type: "mx", Value: "Mail.example.com.", Priority: u16(0)}, "example.com.\t300\tIN\tMX\t0 Mail.example.com."},
		{"MX in value", Record{Name: "@", Type: "MX", Value: "65535 mail.example.com."}, "example.com.\t300\tIN\tMX\t65535 mail.example.com."},
		{"MX null", Record{Name: "@", Type: "MX", Value: "0 ."}, "example.com.\t300\tIN\tMX\t0 ."},
		{"MX without priority", Record{Name: "@", Type: "MX", Value: "mail.example.com."}, ""},
		{"MX priority twice", Record{Name: "@", Type: "MX", Value: "10 mail.example.com.", Priority: u16(5)}, ""},
		{"MX relative", Record{Name: "@", Type: "MX", Value: "10 mail"}, ""},
		{"MX preference too big", Record{Name: "@", Type: "MX", Value: "65536 mail.example.com."}, ""},

		{"SRV with priority", Record{Name: "_s._tcp", Type: "SRV", Value: "0 0 .", Priority: u16(0)}, "_s._tcp.example.com.\t300\tIN\tSRV\t0 0 0 ."},
		{"SRV in value", Record{Name: "_sip._tcp", Type: "srv", Value: "10 5 5060 sip.example.com."}, "_sip._tcp.example.com.\t300\tIN\tSRV\t10 5 5060 sip.example.com."},
		{"SRV three numbers", Record{Name: "_s._tcp", Type: "SRV", Value: "5 5060 sip.example.com."}, ""},
		{"SRV four and priority", Record{Name: "_s._tcp", Type: "SRV", Value: "1 5 5060 sip.example.com.", Priority: u16(1)}, ""},
		{"SRV port not a number", Record{Name: "_s._tcp", Type: "SRV", Value: "1 5 http sip.example.com."}, ""},
		{"SRV relative", Record{Name: "_s._tcp", Type: "SRV", Value: "1 5 80 sip"}, ""},

		{"TXT empty string", Record{Name: "t", Type: "TXT", Value: `""`}, "t.example.com.\t300\tIN\tTXT\t\"\""},
		{"TXT words", Record{Name: "t", Type: "txt", Value: `a "b c"`}, "t.example.com.\t300\tIN\tTXT\t\"a\" \"b c\""},
		{"TXT 255", Record{Name: "t", Type: "TXT", Value: `"` + x(255) + `"`}, "t.example.com.\t300\tIN\tTXT\t\"" + x(255) + "\""},
		{"TXT 255 with escapes", Record{Name: "t", Type: "TXT", Value: `"` + x(253) + `\"\065"`}, "t.example.com.\t300\tIN\tTXT\t\"" + x(253) + `\"A"`},
		{"TXT specials quoted", Record{Name: "t", Type: "TXT", Value: `"café $HOME ; (x)"`}, "t.example.com.\t300\tIN\tTXT\t\"caf\\195\\169 $HOME ; (x)\""},
		{"TXT $INCLUDE quoted", Record{Name: "t", Type: "TXT", Value: `"$INCLUDE /etc/passwd"`}, "t.example.com.\t300\tIN\tTXT\t\"$INCLUDE /etc/passwd\""},
		{"TXT 256 quoted", Record{Name: "t", Type: "TXT", Value: `"` + x(256) + `"`}, ""},
		{"TXT 256 unquoted", Record{Name: "t", Type: "TXT", Value: x(256)}, ""},
		{"TXT 256 by escapes", Record{Name: "t", Type: "TXT", Value: `"` + x(254) + `\"\065"`}, ""},
		{"TXT adjacent strings", Record{Name: "t", Type: "TXT", Value: `"a""b"`}, ""},
		{"TXT quote in a word", Record{Name: "t", Type: "TXT", Value: `a"b c"`}, ""},
		{"TXT backslash outside quotes", Record{Name: "t", Type: "TXT", Value: `"a \"quoted\" word" and\;more`}, ""},

		{"CAA", Record{Name: "@", Type: "caa", Value: `0 issue "letsencrypt.org"`}, "example.com.\t300\tIN\tCAA\t0 issue \"letsencrypt.org\""},
		{"CAA iodef", Record{Name: "@", Type: "CAA", Value: `128 iodef "mailto:security@example.com"`}, "example.com.\t300\tIN\tCAA\t128 iodef \"mailto:security@example.com\""},
		{"CAA semicolon quoted", Record{Name: "@", Type: "CAA", Value: `0 issue ";"`}, "example.com.\t300\tIN\tCAA\t0 issue \";\""},
		{"CAA bad tag", Record{Name: "@", Type: "CAA", Value: `0 is-sue "x"`}, ""},
		{"CAA two values", Record{Name: "@", Type: "CAA", Value: `0 issue "x" "y"`}, ""},
		{"CAA flag too big", Record{Name: "@", Type: "CAA", Value: `256 issue "x"`}, ""},

		{"TLSA SHA-256", Record{Name: "_443._tcp.www", Type: "tlsa", Value: "3 1 1 " + sha256hex}, "_443._tcp.www.example.com.\t300\tIN\tTLSA\t3 1 1 " + sha256hex},
		{"TLSA full", Record{Name: "_443._tcp", Type: "TLSA", Value: "2 0 0 3082"}, "_443._tcp.example.com.\t300\tIN\tTLSA\t2 0 0 3082"},
		{"TLSA SHA-512", Record{Name: "_443._tcp", Type: "TLSA", Value: "3 1 2 " + sha256hex + sha256hex}, "_443._tcp.example.com.\t300\tIN\tTLSA\t3 1 2 " + sha256hex + sha256hex},
		{"TLSA not hex", Record{Name: "_443._tcp", Type: "TLSA", Value: "3 1 1 zz"}, ""},
		{"TLSA odd hex", Record{Name: "_443._tcp", Type: "TLSA", Value: "3 1 0 abc"}, ""},
		{"TLSA SHA-256 short", Record{Name: "_443._tcp", Type: "TLSA", Value: "3 1 1 " + sha1hex}, ""},
		{"TLSA usage 4", Record{Name: "_443._tcp", Type: "TLSA", Value: "4 1 1 " + sha256hex}, ""},
		{"TLSA selector 2", Record{Name: "_443._tcp", Type: "TLSA", Value: "3 2 1 " + sha256hex}, ""},
		{"TLSA matching 3", Record{Name: "_443._tcp", Type: "TLSA", Value: "3 1 3 " + sha256hex}, ""},
		{"TLSA no data", Record{Name: "_443._tcp", Type: "TLSA", Value: "3 1 1"}, ""},

		{"SSHFP SHA-256", Record{Name: "host", Type: "sshfp", Value: "4 2 " + sha256hex}, "host.example.com.\t300\tIN\tSSHFP\t4 2 " + strings.ToUpper(sha256hex)},
		{"SSHFP SHA-1", Record{Name: "host", Type: "SSHFP", Value: "1 1 " + sha1hex}, "host.example.com.\t300\tIN\tSSHFP\t1 1 " + strings.ToUpper(sha1hex)},
		{"SSHFP Ed448", Record{Name: "host", Type: "SSHFP", Value: "6 2 " + sha256hex}, "host.example.com.\t300\tIN\tSSHFP\t6 2 " + strings.ToUpper(sha256hex)},
		{"SSHFP algorithm 5", Record{Name: "host", Type: "SSHFP", Value: "5 2 " + sha256hex}, ""},
		{"SSHFP type 3", Record{Name: "host", Type: "SSHFP", Value: "4 3 " + sha256hex}, ""},
		{"SSHFP wrong length", Record{Name: "host", Type: "SSHFP", Value: "4 2 " + sha1hex}, ""},
		{"SSHFP not hex", Record{Name: "host", Type: "SSHFP", Value: "4 2 zz"}, ""},

		{"NAPTR regexp", Record{Name: "@", Type: "naptr", Value: `100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .`},
			"example.com.\t300\tIN\tNAPTR\t100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" ."},
		{"NAPTR replacement", Record{Name: "@", Type: "NAPTR", Value: `100 10 "S" "SIP+D2U" "" _sip._udp.example.com.`},
			"example.com.\t300\tIN\tNAPTR\t100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.com."},
		{"NAPTR both", Record{Name: "@", Type: "NAPTR", Value: `100 10 "S" "SIP+D2U" "!a!b!" _sip._udp.example.com.`}, ""},
		{"NAPTR relative", Record{Name: "@", Type: "NAPTR", Value: `100 10 "S" "SIP+D2U" "" _sip._udp`}, ""},
		{"NAPTR bad flags", Record{Name: "@", Type: "NAPTR", Value: `100 10 "S!" "SIP+D2U" "" _sip._udp.example.com.`}, ""},
		{"NAPTR short", Record{Name: "@", Type: "NAPTR", Value: `100 10 "S"`}, ""},

		{"DS SHA-1", Record{Name: "sub", Type: "ds", Value: "60485 5 1 " + sha1hex}, "sub.example.com.\t300\tIN\tDS\t60485 5 1 " + strings.ToUpper(sha1hex)},
		{"DS SHA-256", Record{Name: "sub", Type: "DS", Value: "2371 13 2 " + sha256hex}, "sub.example.com.\t300\tIN\tDS\t2371 13 2 " + strings.ToUpper(sha256hex)},
		{"DS SHA-384", Record{Name: "sub", Type: "DS", Value: "2371 14 4 " + sha256hex + sha256hex[:32]}, "sub.example.com.\t300\tIN\tDS\t2371 14 4 " + strings.ToUpper(sha256hex+sha256hex[:32])},
		{"DS digest type 3", Record{Name: "sub", Type: "DS", Value: "2371 13 3 " + sha256hex}, ""},
		{"DS wrong length", Record{Name: "sub", Type: "DS", Value: "2371 13 2 " + sha1hex}, ""},
		{"DS algorithm 0", Record{Name: "sub", Type: "DS", Value: "2371 0 2 " + sha256hex}, ""},
		{"DS key tag too big", Record{Name: "sub", Type: "DS", Value: "65536 13 2 " + sha256hex}, ""},
		{"DS not hex", Record{Name: "sub", Type: "DS", Value: "2371 13 1 zz"}, ""},

		{"HTTPS service", Record{Name: "@", Type: "https", Value: "1 . alpn=h2,h3 port=443"}, "example.com.\t300\tIN\tHTTPS\t1 . alpn=\"h2,h3\" port=\"443\""},
		{"HTTPS alias", Record{Name: "www", Type: "HTTPS", Value: "0 cdn.example.net."}, "www.example.com.\t300\tIN\tHTTPS\t0 cdn.example.net."},
		{"HTTPS alias without target", Record{Name: "www", Type: "HTTPS", Value: "0 ."}, ""},
		{"HTTPS alias with params", Record{Name: "www", Type: "HTTPS", Value: "0 cdn.example.net. alpn=h2"}, ""},
		{"HTTPS relative target", Record{Name: "www", Type: "HTTPS", Value: "1 cdn alpn=h2"}, ""},
		{"HTTPS bad param", Record{Name: "www", Type: "HTTPS", Value: "1 . port=http"}, ""},
		{"SVCB", Record{Name: "_dns", Type: "svcb", Value: `1 dns.example.net. alpn="dot" ipv4hint=192.0.2.53`}, "_dns.example.com.\t300\tIN\tSVCB\t1 dns.example.net. alpn=\"dot\" ipv4hint=\"192.0.2.53\""},
		{"SVCB alias", Record{Name: "_dns", Type: "SVCB", Value: "0 dns.example.net."}, "_dns.example.com.\t300\tIN\tSVCB\t0 dns.example.net."},
		{"SVCB priority only", Record{Name: "_dns", Type: "SVCB", Value: "1"}, ""},

		{"type unknown", Record{Name: "t", Type: "HINFO", Value: `"a" "b"`}, ""},
		{"type by unicode folding", Record{Name: "t", Type: "ſrv", Value: "1 2 3 t.example.com."}, ""},
		{"type empty", Record{Name: "t", Type: "", Value: "x"}, ""},
		{"type TYPE1", Record{Name: "t", Type: "TYPE1", Value: `\# 4 c0000201`}, ""},
		{"name outside", Record{Name: "fooexample.com.", Type: "A", Value: "192.0.2.1"}, ""},
		{"name IDN", Record{Name: "bücher", Type: "A", Value: "192.0.2.1"}, "xn--bcher-kva.example.com.\t300\tIN\tA\t192.0.2.1"},

		{"value empty", Record{Name: "t", Type: "TXT", Value: " "}, ""},
		{"value too long when rendered", Record{Name: "t", Type: "TXT", Value: strings.Repeat(`"`+strings.Repeat("é", 127)+`" `, 9)}, ""},
		{"SVCB too long when rendered", Record{Name: "t", Type: "SVCB", Value: `1 . key10="` + strings.Repeat("é", 1100) + `"`}, ""},
		{"value too long", Record{Name: "t", Type: "TXT", Value: strings.Repeat(`"`+x(200)+`" `, 21)}, ""},
		{"newline and $INCLUDE", Record{Name: "www", Type: "TXT", Value: "\"a\"\n$INCLUDE /etc/passwd"}, ""},
		{"CR", Record{Name: "www", Type: "A", Value: "192.0.2.1\r"}, ""},
		{"NUL", Record{Name: "t", Type: "TXT", Value: "\"a\x00b\""}, ""},
		{"tab", Record{Name: "t", Type: "TXT", Value: "a\tb"}, ""},
		{"DEL", Record{Name: "t", Type: "TXT", Value: "\"a\x7f\""}, ""},
		{"$INCLUDE unquoted", Record{Name: "www", Type: "TXT", Value: "$INCLUDE /etc/passwd"}, ""},
		{"$GENERATE unquoted", Record{Name: "www", Type: "TXT", Value: "$GENERATE 1-9 x A 1.2.3.4"}, ""},
		{"$ORIGIN in a name", Record{Name: "www", Type: "CNAME", Value: "$ORIGIN."}, ""},
		{"comment", Record{Name: "www", Type: "A", Value: "192.0.2.1 ; 192.0.2.2"}, ""},
		{"comment in TXT", Record{Name: "www", Type: "TXT", Value: `"a" ; "b"`}, ""},
		{"parentheses", Record{Name: "www", Type: "TXT", Value: `( "a" )`}, ""},
		{"parentheses in MX", Record{Name: "www", Type: "MX", Value: `( 10 mx.example.com. )`}, ""},
		{"unterminated quote", Record{Name: "t", Type: "TXT", Value: `"abc`}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rr, err := Parse("example.com", tc.r, 300, nil)
			if tc.want == "" {
				if _, ok := errors.AsType[*InputError](err); !ok {
					t.Fatalf("Parse(%+v) = %v, %v; want an *InputError", tc.r, rr, err)
				}
				if msg := err.Error(); strings.ContainsAny(msg, "\r\n\x00\x7f") {
					t.Errorf("message %q holds a control character", msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%+v): %v", tc.r, err)
			}
			if diff := cmp.Diff(tc.want, rr.String()); diff != "" {
				t.Errorf("Parse(%+v) (-want +got):\n%s", tc.r, diff)
			}
		})
	}
}

func TestParseMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		r   Record
		msg string
	}{
		{Record{Name: "t", Type: "TLSA", Value: "3 1 1 zz"}, `TLSA value "3 1 1 zz": the certificate data must be hexadecimal`},
		{Record{Name: "t", Type: "A", Value: "example.com."}, `A value "example.com.": does not parse as A`},
		{Record{Name: "t", Type: "SSHFP", Value: "4 2 " + sha1hex}, `SSHFP value "4 2 ` + sha1hex + `": the fingerprint must be 32 bytes (64 hex digits), not 20`},
		{Record{Name: "t", Type: "HINFO", Value: "x"}, `type "HINFO" is not one of A AAAA CNAME MX TXT NS PTR SRV CAA TLSA SSHFP NAPTR DS HTTPS SVCB`},
		{Record{Name: "t", Type: "TXT", Value: "\"a\"\n$INCLUDE x"}, "TXT value contains a control character"},
		{Record{Name: "t", Type: "TXT", Value: `"a" ; b`}, `TXT value "\"a\" ; b": ';', '(', ')', '$' and '\' are only allowed inside double quotes`},
		{Record{Name: "t", Type: "CNAME", Value: "www"}, `CNAME value "www": the target must be an absolute name ending in "."`},
		{Record{Name: "t", Type: "TXT", Value: x300()}, `TXT value "` + x300()[:64] + `"...: a character-string is longer than 255 bytes`},
		{Record{Name: "a.*", Type: "A", Value: "192.0.2.1"}, `name "a.*": label "*": labels are`},
		{Record{Name: "t", Type: "A", Value: "192.0.2.1", TTL: u32(MaxTTL + 1)}, "ttl 2147483648 exceeds 2147483647 (RFC 2181)"},
	}
	for _, tc := range tests {
		_, err := Parse("example.com", tc.r, 300, nil)
		if err == nil || !strings.HasPrefix(err.Error(), tc.msg) {
			t.Errorf("Parse(%+v) = %v,\nwant a message starting %q", tc.r, err, tc.msg)
		}
	}
}

func x300() string { return strings.Repeat("x", 300) }

func TestParseTTL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ttl    *uint32
		defTTL uint32
		want   uint32
		ok     bool
	}{
		{nil, 300, 300, true},
		{u32(0), 300, 0, true},
		{u32(MaxTTL), 300, MaxTTL, true},
		{u32(MaxTTL + 1), 300, 0, false},
		{u32(1<<32 - 1), 300, 0, false},
		{nil, MaxTTL, MaxTTL, true},
		{nil, MaxTTL + 1, 0, false},
		{u32(60), MaxTTL + 1, 60, true}, // the record's own TTL wins
	}
	for _, tc := range tests {
		rr, err := Parse("example.com", Record{Name: "www", Type: "A", Value: "192.0.2.1", TTL: tc.ttl}, tc.defTTL, nil)
		switch {
		case tc.ok && err != nil:
			t.Errorf("TTL %v default %d: %v", tc.ttl, tc.defTTL, err)
		case tc.ok && rr.Header().Ttl != tc.want:
			t.Errorf("TTL %v default %d: got %d, want %d", tc.ttl, tc.defTTL, rr.Header().Ttl, tc.want)
		case !tc.ok && err == nil:
			t.Errorf("TTL %v default %d accepted", tc.ttl, tc.defTTL)
		}
	}
}

func TestParseTypes(t *testing.T) {
	t.Parallel()
	tlsa := Record{Name: "_443._tcp", Type: "TLSA", Value: "3 1 1 " + sha256hex}
	if _, err := Parse("example.com", tlsa, 300, ZoneFileTypes()); err == nil || !strings.Contains(err.Error(), "is not one of A AAAA CNAME MX TXT NS PTR SRV CAA") {
		t.Errorf("TLSA with ZoneFileTypes: %v", err)
	}
	if _, err := Parse("example.com", tlsa, 300, []string{"TLSA"}); err != nil {
		t.Errorf("TLSA with [TLSA]: %v", err)
	}
	// A type outside AllTypes stays refused even if the caller lists it.
	if _, err := Parse("example.com", Record{Name: "t", Type: "HINFO", Value: `"a" "b"`}, 300, []string{"HINFO"}); err == nil {
		t.Error("HINFO accepted")
	}
	for _, typ := range ZoneFileTypes() {
		if !containsStr(AllTypes(), typ) {
			t.Errorf("zone-file type %s not in AllTypes", typ)
		}
	}
	for _, typ := range AllTypes() {
		if _, ok := dns.StringToType[typ]; !ok {
			t.Errorf("%s unknown to miekg/dns", typ)
		}
	}
}

// TestAllTypesParse checks that every type in AllTypes has a value that parses.
func TestAllTypesParse(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"A": "192.0.2.1", "AAAA": "2001:db8::1", "CNAME": "a.example.net.", "MX": "10 mx.example.net.",
		"TXT": `"v=spf1 -all"`, "NS": "ns.example.net.", "PTR": "h.example.net.", "SRV": "1 2 3 s.example.net.",
		"CAA": `0 issue "ca.example"`, "TLSA": "3 1 1 " + sha256hex, "SSHFP": "4 2 " + sha256hex,
		"NAPTR": `1 1 "S" "SIP+D2T" "" _sip._tcp.example.net.`, "DS": "1 13 2 " + sha256hex,
		"HTTPS": "1 . alpn=h2", "SVCB": "0 svc.example.net.",
	}
	for _, typ := range AllTypes() {
		if _, err := Parse("example.com", Record{Name: "x", Type: typ, Value: good[typ]}, 300, nil); err != nil {
			t.Errorf("%s %q: %v", typ, good[typ], err)
		}
	}
}

func containsStr(s []string, v string) bool {
	for _, e := range s {
		if e == v {
			return true
		}
	}
	return false
}

func TestTargetAndValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		r             Record
		target, value string
	}{
		{Record{Name: "a", Type: "A", Value: "192.0.2.1"}, "", "192.0.2.1"},
		{Record{Name: "a", Type: "CNAME", Value: "b.example.com."}, "b.example.com.", "b.example.com."},
		{Record{Name: "a", Type: "NS", Value: "ns.example.com."}, "ns.example.com.", "ns.example.com."},
		{Record{Name: "a", Type: "PTR", Value: "h.example.com."}, "h.example.com.", "h.example.com."},
		{Record{Name: "@", Type: "MX", Value: "mail.example.com.", Priority: u16(10)}, "mail.example.com.", "10 mail.example.com."},
		{Record{Name: "@", Type: "MX", Value: "0 ."}, ".", "0 ."},
		{Record{Name: "_s._tcp", Type: "SRV", Value: "1 2 3 s.example.com."}, "s.example.com.", "1 2 3 s.example.com."},
		{Record{Name: "@", Type: "NAPTR", Value: `1 2 "S" "SIP+D2T" "" _sip._tcp.example.com.`}, "_sip._tcp.example.com.", `1 2 "S" "SIP+D2T" "" _sip._tcp.example.com.`},
		{Record{Name: "@", Type: "HTTPS", Value: "0 cdn.example.net."}, "cdn.example.net.", "0 cdn.example.net."},
		{Record{Name: "@", Type: "SVCB", Value: "1 . alpn=h2"}, ".", `1 . alpn="h2"`},
		{Record{Name: "t", Type: "TXT", Value: `a "b c"`}, "", `"a" "b c"`},
	}
	for _, tc := range tests {
		rr, err := Parse("example.com", tc.r, 300, nil)
		if err != nil {
			t.Errorf("Parse(%+v): %v", tc.r, err)
			continue
		}
		if got := targetName(rr); got != tc.target {
			t.Errorf("targetName(%v) = %q, want %q", rr, got, tc.target)
		}
		if got := Value(rr); got != tc.value {
			t.Errorf("Value(%v) = %q, want %q", rr, got, tc.value)
		}
	}
}

func TestTxtStrings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []int
		ok   bool
	}{
		{`a`, []int{1}, true},
		{`a b`, []int{1, 1}, true},
		{`"a b"`, []int{3}, true},
		{`"a b"  c`, []int{3, 1}, true},
		{`""`, []int{0}, true},
		{`"\065\"x"`, []int{3}, true},
		{`"a""b"`, nil, false},
		{`a"b"`, nil, false},
		{`"a`, nil, false},
		{` `, nil, false},
	}
	for _, tc := range tests {
		got, ok := txtStrings(tc.in)
		if ok != tc.ok || !cmp.Equal(got, tc.want) {
			t.Errorf("txtStrings(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// TestPlainAddress checks Parse's shortcut for A and AAAA against the zone parser it stands in
// for: where it takes a value it gives exactly the RR dns.NewRR gives, and it leaves every
// value the parser refuses (or renders in a form of its own) to the parser.
func TestPlainAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ, value string
		taken      bool
	}{
		{"A", "192.0.2.1", true},
		{"A", "0.0.0.0", true},
		{"A", "255.255.255.255", true},
		{"A", "256.0.0.1", false},
		{"A", "01.2.3.4", false},
		{"A", "1.2.3", false},
		{"A", "1.2.3.4.", false},
		{"A", "1..2.3", false},
		{"A", " 192.0.2.1", false},
		{"A", "192.0.2.1 ; x", false},
		{"A", "", false},
		{"A", "2001:db8::1", false},
		{"AAAA", "2001:db8::1", true},
		{"AAAA", "2001:DB8::1", true},
		{"AAAA", "::", true},
		{"AAAA", "::1", true},
		{"AAAA", "fe80:0:0:0:0:0:0:1", true},
		{"AAAA", "::ffff:c000:201", false}, // IPv4-mapped
		{"AAAA", "::ffff:192.0.2.1", false},
		{"AAAA", "2001:db8:::1", false},
		{"AAAA", "2001:db8::1%eth0", false},
		{"AAAA", "192.0.2.1", false},
		{"AAAA", ":", false},
		{"MX", "10", false},
	}
	for _, tc := range tests {
		t.Run(tc.typ+" "+tc.value, func(t *testing.T) {
			t.Parallel()
			got, ok := plainAddress("www.example.com.", 300, tc.typ, tc.value)
			if ok != tc.taken {
				t.Fatalf("plainAddress(%q %q) taken = %v, want %v", tc.typ, tc.value, ok, tc.taken)
			}
			if !ok {
				return
			}
			want, err := dns.NewRR("www.example.com. 300 IN " + tc.typ + " " + tc.value)
			if err != nil {
				t.Fatalf("the zone parser refuses what the shortcut took: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("shortcut and zone parser differ (-parser +shortcut):\n%s", diff)
			}
			parsed, err := Parse("example.com", Record{Name: "www", Type: tc.typ, Value: tc.value}, 300, nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, parsed); diff != "" {
				t.Errorf("Parse differs from the zone parser (-parser +Parse):\n%s", diff)
			}
		})
	}
}

// FuzzPlainAddress checks that whatever Parse's shortcut takes, the zone parser takes too and
// turns into the same RR. Its seeds run in every plain go test.
func FuzzPlainAddress(f *testing.F) {
	for _, s := range [][2]string{{"A", "192.0.2.1"}, {"A", "1.2.3"}, {"AAAA", "2001:db8::1"}, {"AAAA", "::ffff:1:2"}, {"AAAA", "1::"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, typ, value string) {
		got, ok := plainAddress("www.example.com.", 300, typ, value)
		if !ok {
			return
		}
		want, err := dns.NewRR("www.example.com. 300 IN " + typ + " " + value)
		if err != nil {
			t.Fatalf("the zone parser refuses %s %q, which the shortcut took: %v", typ, value, err)
		}
		if !cmp.Equal(want, got) {
			t.Fatalf("%s %q: shortcut %v, zone parser %v", typ, value, got, want)
		}
	})
}

// TestValueAddress checks Value's direct rendering of A and AAAA against the general one
// (the record's String without its header's), including the forms only a hand-made RR has.
func TestValueAddress(t *testing.T) {
	t.Parallel()
	hdr := func(rt uint16) dns.RR_Header {
		return dns.RR_Header{Name: "www.example.com.", Rrtype: rt, Class: dns.ClassINET, Ttl: 300}
	}
	tests := []struct {
		name string
		rr   dns.RR
	}{
		{"A", &dns.A{Hdr: hdr(dns.TypeA), A: net.ParseIP("192.0.2.1")}},
		{"A 4-byte", &dns.A{Hdr: hdr(dns.TypeA), A: net.IPv4(192, 0, 2, 1).To4()}},
		{"A nil", &dns.A{Hdr: hdr(dns.TypeA)}},
		{"A odd length", &dns.A{Hdr: hdr(dns.TypeA), A: net.IP{1, 2, 3}}},
		{"AAAA", &dns.AAAA{Hdr: hdr(dns.TypeAAAA), AAAA: net.ParseIP("2001:db8::1")}},
		{"AAAA mapped", &dns.AAAA{Hdr: hdr(dns.TypeAAAA), AAAA: net.ParseIP("::ffff:192.0.2.1")}},
		{"AAAA unspecified", &dns.AAAA{Hdr: hdr(dns.TypeAAAA), AAAA: net.IPv6unspecified}},
		{"AAAA nil", &dns.AAAA{Hdr: hdr(dns.TypeAAAA)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got, want := Value(tc.rr), valueOf(tc.rr); got != want {
				t.Errorf("Value = %q, the general rendering %q", got, want)
			}
		})
	}
}
