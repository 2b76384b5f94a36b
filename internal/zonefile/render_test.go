package zonefile

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func u32(v uint32) *uint32 { return &v }
func u16(v uint16) *uint16 { return &v }

// bindyPrimary is what bindy sends for a primary (docs/contract.md §5), as the zones package passes it on.
func bindyPrimary() Spec {
	return Spec{
		Zone: "example.com", TTL: 300,
		SOA: SOA{PrimaryNS: "ns1.example.com.", AdminEmail: "admin.example.com.",
			Serial: 2025010101, Refresh: 3600, Retry: 600, Expire: 604800, NegativeTTL: 86400},
		NameServers:   []string{"ns1.example.com.", "ns2.example.com."},
		NameServerIPs: map[string]string{"ns2.example.com.": "10.0.0.2"},
		Records:       []Record{},
	}
}

func TestRenderGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		golden      string
		mod         func(*Spec)
		skippedGlue []string
	}{
		{golden: "bindy_primary", mod: func(*Spec) {}},
		{golden: "glue", mod: func(s *Spec) {
			s.NameServers = append(s.NameServers, "ns3.example.com.", "ns.other.org.", "ns4")
			s.NameServerIPs = map[string]string{
				"ns3.example.com.":  "2001:DB8::53", // [fix] §18.13: AAAA, written canonically
				"ns2.example.com.":  "10.0.0.2",
				"ns1.example.com.":  "10.0.0.1",
				"ns.other.org.":     "192.0.2.1", // outside the zone: skipped
				"ns4":               "::ffff:192.0.2.4",
				"a.example.com.au.": "192.0.2.9", // outside on a label boundary
			}
		}},
		{golden: "no_name_servers", mod: func(s *Spec) {
			s.NameServers, s.NameServerIPs, s.SOA.PrimaryNS = []string{}, map[string]string{}, "ns1"
		}},
		{golden: "records", mod: func(s *Spec) {
			s.NameServerIPs = map[string]string{"ns1.example.com.": "10.0.0.1", "ns2.example.com.": "10.0.0.2"}
			s.Records = []Record{
				{Name: "www", Type: "a", Value: "192.0.2.1"},
				{Name: "www", Type: "AAAA", Value: "2001:DB8::1", TTL: u32(60)},
				{Name: "@", Type: "MX", Value: "mail.example.com.", Priority: u16(10)},
				{Name: "example.com", Type: "MX", Value: "20 mail2.example.com."},
				{Name: "_sip._tcp.Example.COM.", Type: "SRV", Value: "5 5060 sip.example.com.", Priority: u16(10)},
				{Name: "_ldap._tcp", Type: "srv", Value: "0 5 389 ldap.example.com."},
				{Name: "txt", Type: "TXT", Value: `"v=spf1 -all" "second; string with $ and ( )"`},
				{Name: "words", Type: "TXT", Value: `two words`},
				{Name: "*.wild", Type: "CNAME", Value: "www.example.com."},
				{Name: "*.sub.example.com", Type: "A", Value: "192.0.2.3", Priority: u16(7)},
				{Name: "@", Type: "CAA", Value: `0 issue "letsencrypt.org"`},
				{Name: "sub", Type: "NS", Value: "ns.sub.example.com."},
				{Name: "1", Type: "PTR", Value: "host.example.net."},
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			t.Parallel()
			s := bindyPrimary()
			tc.mod(&s)
			out, err := Render(s)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.golden+".zone")
			if *update {
				if err := os.WriteFile(path, out.Data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(out.Data)); diff != "" {
				t.Errorf("zone file (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGoldenNamedCheckzone has BIND's own loader read every golden file. Two are refused on
// purpose, and the test pins why: named 9.18 (check-integrity, on by default for primaries,
// seen with a real named as well) refuses a zone without NS records and one whose in-zone name
// server has no address record, which is the case of docs/contract.md §5's example (no glue for
// ns1.example.com.); addzone then fails with "bad zone".
func TestGoldenNamedCheckzone(t *testing.T) {
	t.Parallel()
	bin := findTool(t, "named-checkzone")
	tests := []struct {
		golden, refusal string
	}{
		{"bindy_primary", "NS 'ns1.example.com' has no address records"},
		{"glue", ""},
		{"no_name_servers", "has no NS records"},
		{"records", ""},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			t.Parallel()
			f := filepath.Join("testdata", tc.golden+".zone")
			out, err := exec.CommandContext(t.Context(), bin, "-k", "fail", "example.com", f).CombinedOutput()
			switch {
			case tc.refusal == "" && err != nil:
				t.Errorf("named-checkzone %s: %v\n%s", f, err, out)
			case tc.refusal != "" && (err == nil || !strings.Contains(string(out), tc.refusal)):
				t.Errorf("named-checkzone %s: %v, want a refusal with %q\n%s", f, err, tc.refusal, out)
			}
		})
	}
}

// findTool finds a BIND tool on PATH or where Debian puts it, or fails (CI=true) or skips.
func findTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin"} {
		if p := filepath.Join(dir, name); fileExists(p) {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and %s not found (apt-get install bind9-utils)", name)
	}
	t.Skipf("%s not found; apt-get install bind9-utils to run this check", name)
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func TestRenderSkippedGlue(t *testing.T) {
	t.Parallel()
	s := bindyPrimary()
	s.NameServerIPs = map[string]string{"ns.other.org.": "192.0.2.1", "ns2.example.com.": "10.0.0.2", "fooexample.com.": "192.0.2.2"}
	out, err := Render(s)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"fooexample.com.", "ns.other.org."}, out.SkippedGlue); diff != "" {
		t.Errorf("SkippedGlue (-want +got):\n%s", diff)
	}
}

// TestRenderRefuses covers every kind of bad input; msg is the start of the public message.
func TestRenderRefuses(t *testing.T) {
	t.Parallel()
	rec := func(r Record) func(*Spec) {
		return func(s *Spec) { s.Records = []Record{{Name: "ok", Type: "A", Value: "192.0.2.1"}, r} }
	}
	tests := []struct {
		name string
		mod  func(*Spec)
		msg  string
	}{
		{"zone not normalised", func(s *Spec) { s.Zone = "Example.com" }, `zone name "Example.com" is not`},
		{"zone traversal", func(s *Spec) { s.Zone = "../etc" }, `zone name "../etc"`},
		{"ttl over RFC 2181", func(s *Spec) { s.TTL = 2147483648 }, "ttl 2147483648 exceeds 2147483647"},
		{"adminEmail with @", func(s *Spec) { s.SOA.AdminEmail = "admin@example.com" },
			"soa.adminEmail must be a DNS mailbox like admin.example.com., not an email address"},
		{"adminEmail empty", func(s *Spec) { s.SOA.AdminEmail = "" }, "soa.adminEmail must be"},
		{"primaryNs with $INCLUDE line", func(s *Spec) { s.SOA.PrimaryNS = "ns1.example.com.\n$INCLUDE /etc/passwd" }, "soa.primaryNs"},
		{"primaryNs with space", func(s *Spec) { s.SOA.PrimaryNS = "ns1 . ; x" }, "soa.primaryNs"},
		{"name server with comment", func(s *Spec) { s.NameServers = []string{"ns1.example.com.", "ns2. ; x"} }, `nameServers[1] "ns2. ; x"`},
		{"name server with $ line", func(s *Spec) { s.NameServers = []string{"ns1.\n$GENERATE 1-9 $ A 1.2.3.4"} }, "nameServers[0]"},
		{"name server empty label", func(s *Spec) { s.NameServers = []string{"ns1..example.com."} }, "nameServers[0]"},
		{"glue host not a name", func(s *Spec) { s.NameServerIPs = map[string]string{"ns2 IN A 1.2.3.4\n$INCLUDE x": "10.0.0.2"} }, "nameServerIps:"},
		{"glue not an IP", func(s *Spec) { s.NameServerIPs = map[string]string{"ns2.example.com.": "ns1"} }, `nameServerIps["ns2.example.com."]: "ns1" is not`},
		{"glue zone id", func(s *Spec) { s.NameServerIPs = map[string]string{"ns2.example.com.": "fe80::1%eth0"} }, "nameServerIps["},
		{"glue prefix", func(s *Spec) { s.NameServerIPs = map[string]string{"ns2.example.com.": "10.0.0.0/8"} }, "nameServerIps["},

		{"owner outside on no label boundary", rec(Record{Name: "fooexample.com.", Type: "A", Value: "192.0.2.1"}),
			`records[1]: name "fooexample.com." is outside zone example.com`},
		{"owner outside", rec(Record{Name: "www.example.org.", Type: "A", Value: "192.0.2.1"}), "records[1]: name"},
		{"owner with newline and $INCLUDE", rec(Record{Name: "www\n$INCLUDE /etc/passwd\nx", Type: "A", Value: "192.0.2.1"}), "records[1]: name"},
		{"owner starting with $", rec(Record{Name: "$INCLUDE", Type: "A", Value: "192.0.2.1"}), "records[1]: name"},
		{"owner empty", rec(Record{Name: "", Type: "A", Value: "192.0.2.1"}), "records[1]: name is required"},
		{"owner dot", rec(Record{Name: ".", Type: "A", Value: "192.0.2.1"}), "records[1]: name"},
		{"owner @ inside", rec(Record{Name: "a.@", Type: "A", Value: "192.0.2.1"}), "records[1]: name"},
		{"wildcard in the middle", rec(Record{Name: "a.*", Type: "A", Value: "192.0.2.1"}), "records[1]: name"},
		{"wildcard partial label", rec(Record{Name: "*a", Type: "A", Value: "192.0.2.1"}), "records[1]: name"},
		{"owner too long", rec(Record{Name: strings.Repeat("a23456789.", 25), Type: "A", Value: "192.0.2.1"}), "records[1]: name"},
		{"owner label too long", rec(Record{Name: strings.Repeat("a", 64), Type: "A", Value: "192.0.2.1"}), "records[1]: name"},
		{"owner escaped", rec(Record{Name: `a\.b`, Type: "A", Value: "192.0.2.1"}), "records[1]: name"},

		{"unknown type", rec(Record{Name: "t", Type: "HINFO", Value: `"a" "b"`}), `records[1]: type "HINFO" is not one of A AAAA CNAME MX TXT NS PTR SRV CAA`},
		{"type by unicode folding", rec(Record{Name: "t", Type: "ſrv", Value: "1 2 3 t.example.com."}), "records[1]: type"},
		{"type empty", rec(Record{Name: "t", Type: "", Value: "x"}), "records[1]: type"},

		{"value empty", rec(Record{Name: "t", Type: "TXT", Value: " "}), "records[1]: TXT value is required"},
		{"value with newline and $INCLUDE", rec(Record{Name: "www", Type: "TXT", Value: "\"a\"\n$INCLUDE /etc/passwd"}), "records[1]: TXT value contains a control character"},
		{"value with CR", rec(Record{Name: "www", Type: "A", Value: "192.0.2.1\r"}), "records[1]: A value contains a control character"},
		{"value with NUL", rec(Record{Name: "t", Type: "TXT", Value: "\"a\x00b\""}), "records[1]: TXT value contains a control character"},
		{"value with tab", rec(Record{Name: "t", Type: "TXT", Value: "a\tb"}), "records[1]: TXT value contains a control character"},
		{"value with DEL", rec(Record{Name: "t", Type: "TXT", Value: "\"a\x7f\""}), "records[1]: TXT value contains a control character"},
		{"$GENERATE unquoted", rec(Record{Name: "www", Type: "TXT", Value: "$GENERATE 1-9 x A 1.2.3.4"}), `records[1]: TXT value "$GENERATE`},
		{"comment drops text", rec(Record{Name: "www", Type: "A", Value: "192.0.2.1 ; 192.0.2.2"}), "records[1]: A value"},
		{"comment in TXT", rec(Record{Name: "www", Type: "TXT", Value: `"a" ; "b"`}), "records[1]: TXT value"},
		{"parentheses", rec(Record{Name: "www", Type: "TXT", Value: `( "a" )`}), "records[1]: TXT value"},
		{"backslash outside quotes", rec(Record{Name: "www", Type: "TXT", Value: `a\010b`}), "records[1]: TXT value"},
		{"unterminated quote", rec(Record{Name: "t", Type: "TXT", Value: `"abc`}), `records[1]: TXT value "\"abc": unterminated double quote`},
		{"record ttl too big", rec(Record{Name: "t", Type: "A", Value: "192.0.2.1", TTL: u32(1 << 31)}), "records[1]: ttl 2147483648 exceeds"},

		{"A not an address", rec(Record{Name: "t", Type: "A", Value: "example.com."}), `records[1]: A value "example.com.": does not parse as A`},
		{"A with IPv6", rec(Record{Name: "t", Type: "A", Value: "2001:db8::1"}), "records[1]: A value"},
		{"A with two addresses", rec(Record{Name: "t", Type: "A", Value: "192.0.2.1 192.0.2.2"}), "records[1]: A value"},
		{"AAAA with IPv4", rec(Record{Name: "t", Type: "AAAA", Value: "192.0.2.1"}), "records[1]: AAAA value"},
		{"CNAME relative target", rec(Record{Name: "a", Type: "CNAME", Value: "www"}), `records[1]: CNAME value "www": the target must be an absolute name`},
		{"CNAME two targets", rec(Record{Name: "a", Type: "CNAME", Value: "a.example.com. b.example.com."}), "records[1]: CNAME value"},
		{"NS relative", rec(Record{Name: "sub", Type: "NS", Value: "ns1"}), "records[1]: NS value"},
		{"PTR relative", rec(Record{Name: "1", Type: "PTR", Value: "host"}), "records[1]: PTR value"},
		{"MX without priority", rec(Record{Name: "@", Type: "MX", Value: "mail.example.com."}),
			`records[1]: MX value "mail.example.com.": give "<host>." with priority, or "<preference> <host>." without`},
		{"MX priority twice", rec(Record{Name: "@", Type: "MX", Value: "10 mail.example.com.", Priority: u16(5)}), "records[1]: MX value"},
		{"MX relative host", rec(Record{Name: "@", Type: "MX", Value: "10 mail"}), "records[1]: MX value"},
		{"MX preference too big", rec(Record{Name: "@", Type: "MX", Value: "65536 mail.example.com."}), "records[1]: MX value"},
		{"SRV three numbers no priority", rec(Record{Name: "_s._tcp", Type: "SRV", Value: "5 5060 sip.example.com."}),
			`records[1]: SRV value "5 5060 sip.example.com.": give "<weight> <port> <target>." with priority`},
		{"SRV four numbers and priority", rec(Record{Name: "_s._tcp", Type: "SRV", Value: "1 5 5060 sip.example.com.", Priority: u16(1)}), "records[1]: SRV value"},
		{"SRV port not a number", rec(Record{Name: "_s._tcp", Type: "SRV", Value: "1 5 http sip.example.com."}), "records[1]: SRV value"},
		{"TXT 256 bytes quoted", rec(Record{Name: "t", Type: "TXT", Value: `"` + strings.Repeat("x", 256) + `"`}), "records[1]: TXT value"},
		{"TXT 256 bytes unquoted", rec(Record{Name: "t", Type: "TXT", Value: strings.Repeat("x", 256)}), "records[1]: TXT value"},
		{"TXT 256 bytes by escapes", rec(Record{Name: "t", Type: "TXT", Value: `"` + strings.Repeat("x", 254) + `\"\065"`}), "records[1]: TXT value"},
		{"TXT adjacent strings", rec(Record{Name: "t", Type: "TXT", Value: `"a""b"`}), "records[1]: TXT value"},
		{"TXT quote inside a word", rec(Record{Name: "t", Type: "TXT", Value: `a"b c"`}), "records[1]: TXT value"},
		{"CAA bad tag", rec(Record{Name: "@", Type: "CAA", Value: `0 is-sue "x"`}), "records[1]: CAA value"},
		{"CAA two values", rec(Record{Name: "@", Type: "CAA", Value: `0 issue "x" "y"`}), "records[1]: CAA value"},
		{"CAA flag too big", rec(Record{Name: "@", Type: "CAA", Value: `256 issue "x"`}), "records[1]: CAA value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := bindyPrimary()
			tc.mod(&s)
			out, err := Render(s)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Render = %q, %v; want ErrInvalid", out.Data, err)
			}
			if _, ok := errors.AsType[*InputError](err); !ok {
				t.Errorf("error %T is not an *InputError", err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, tc.msg) || strings.ContainsAny(msg, "\r\n\x00") {
				t.Errorf("message %q, want it to start with %q and hold no control character", msg, tc.msg)
			}
		})
	}
}

func TestReadBackRefuses(t *testing.T) {
	t.Parallel()
	soa := "$ORIGIN example.com.\n$TTL 300\n@ IN SOA ns1 admin ( 1 2 3 4 5 )\n"
	want, err := ParseRecord("example.com", Record{Name: "www", Type: "A", Value: "192.0.2.1"}, 300)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Render(Spec{Zone: "example.com", TTL: 300, SOA: SOA{PrimaryNS: "ns1", AdminEmail: "admin", Serial: 1, Refresh: 2, Retry: 3, Expire: 4, NegativeTTL: 5}})
	if err != nil {
		t.Fatal(err)
	}
	soaRR := mustParse(t, string(s.Data))
	tests := []struct {
		name, text string
	}{
		{"SOA not first", "$ORIGIN example.com.\nwww 300 IN A 192.0.2.1\n@ IN SOA ns1 admin ( 1 2 3 4 5 )\n"},
		{"$INCLUDE", soa + "$INCLUDE /etc/hosts\n"},
		{"extra record", soa + "www IN A 192.0.2.1\nwww IN A 192.0.2.2\n"},
		{"missing record", soa},
		{"other data", soa + "www IN A 192.0.2.2\n"},
		{"other TTL", soa + "www 60 IN A 192.0.2.1\n"},
		{"out of zone", soa + "www.example.org. IN A 192.0.2.1\n"},
		{"syntax error", soa + "www IN A nonsense\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := readBack(tc.text, "example.com.", append(soaRR, want)); !errors.Is(err, ErrInvalid) {
				t.Errorf("readBack = %v, want ErrInvalid", err)
			}
		})
	}
}

// TestRenderRecordsFromRRData checks the zone-file side of rrdata: an IDN owner is written in
// punycode, and the records API's extra types stay out of a create request (docs/contract.md §5).
func TestRenderRecordsFromRRData(t *testing.T) {
	t.Parallel()
	s := bindyPrimary()
	s.Records = []Record{{Name: "bücher", Type: "A", Value: "192.0.2.1"}, {Name: "Straße.example.com", Type: "TXT", Value: "x"}}
	out, err := Render(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"\nxn--bcher-kva.example.com. IN A 192.0.2.1\n", "\nxn--strae-oqa.example.com. IN TXT \"x\"\n"} {
		if !strings.Contains(string(out.Data), line) {
			t.Errorf("zone file lacks %q:\n%s", line, out.Data)
		}
	}
	s.Records = []Record{{Name: "_443._tcp", Type: "TLSA", Value: "3 1 1 d2abde240d7cd3ee6b4b28c54df034b97983a1d16e8a410e4561cb106618e971"}}
	if _, err := Render(s); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `type "TLSA" is not one of A AAAA CNAME MX TXT NS PTR SRV CAA`) {
		t.Errorf("TLSA in a create request: %v", err)
	}
}
