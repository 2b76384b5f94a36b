package zonefile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func u32(v uint32) *uint32 { return &v }
func u16(v uint16) *uint16 { return &v }

func bindySpec() Spec {
	return Spec{Zone: "example.com", TTL: 300,
		SOA:           SOA{PrimaryNS: "ns1.example.com.", AdminEmail: "admin.example.com.", Serial: 2025010101, Refresh: 3600, Retry: 600, Expire: 604800, NegativeTTL: 86400},
		NameServers:   []string{"ns1.example.com.", "ns2.example.com."},
		NameServerIPs: map[string]string{"ns2.example.com.": "10.0.0.2", "ns3.example.com.": "2001:db8::53", "ns.other.org.": "192.0.2.1"},
	}
}

func TestRenderBindyPrimary(t *testing.T) {
	t.Parallel()
	out, err := Render(bindySpec())
	if err != nil {
		t.Fatal(err)
	}
	want := `$ORIGIN example.com.
$TTL 300
@ IN SOA ns1.example.com. admin.example.com. ( 2025010101 3600 600 604800 86400 )
@ IN NS ns1.example.com.
@ IN NS ns2.example.com.
ns2.example.com. IN A 10.0.0.2
ns3.example.com. IN AAAA 2001:db8::53
`
	if diff := cmp.Diff(want, string(out.Data)); diff != "" {
		t.Errorf("zone file (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ns.other.org."}, out.SkippedGlue); diff != "" {
		t.Errorf("skipped glue: %s", diff)
	}
}

func TestRenderRecords(t *testing.T) {
	t.Parallel()
	s := bindySpec()
	s.NameServerIPs = nil
	s.Records = []Record{
		{Name: "www", Type: "a", Value: "192.0.2.1"},
		{Name: "@", Type: "MX", Value: "mail.example.com.", Priority: u16(10)},
		{Name: "mx2.example.com", Type: "MX", Value: "20 mail2.example.com.", TTL: u32(60)},
		{Name: "_sip._tcp.example.com.", Type: "SRV", Value: "5 5060 sip.example.com.", Priority: u16(10)},
		{Name: "txt", Type: "TXT", Value: `"v=spf1 -all" "second; string"`},
		{Name: "*", Type: "CNAME", Value: "www.example.com."},
		{Name: "@", Type: "CAA", Value: `0 issue "letsencrypt.org"`},
	}
	out, err := Render(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"www.example.com.\t300\tIN\tA\t192.0.2.1", "example.com.\t300\tIN\tMX\t10 mail.example.com.",
		"mx2.example.com.\t60\tIN\tMX\t20 mail2.example.com.", "_sip._tcp.example.com.\t300\tIN\tSRV\t10 5 5060 sip.example.com.",
		`txt.example.com.	300	IN	TXT	"v=spf1 -all" "second; string"`, "*.example.com.\t300\tIN\tCNAME\twww.example.com.",
	} {
		if !strings.Contains(string(out.Data), want) {
			t.Errorf("missing %q in\n%s", want, out.Data)
		}
	}
}

func TestRenderRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mod  func(*Spec)
	}{
		{"adminEmail with @", func(s *Spec) { s.SOA.AdminEmail = "admin@example.com" }},
		{"ttl over RFC 2181", func(s *Spec) { s.TTL = 2147483648 }},
		{"primaryNs injection", func(s *Spec) { s.SOA.PrimaryNS = "ns1.example.com.\n$INCLUDE /etc/passwd" }},
		{"ns injection", func(s *Spec) { s.NameServers = []string{"ns1. ; x"} }},
		{"glue not an IP", func(s *Spec) { s.NameServerIPs = map[string]string{"ns2.example.com.": "ns1"} }},
		{"glue zone id", func(s *Spec) { s.NameServerIPs = map[string]string{"ns2.example.com.": "fe80::1%eth0"} }},
		{"record out of zone (label boundary)", func(s *Spec) { s.Records = []Record{{Name: "fooexample.com.", Type: "A", Value: "192.0.2.1"}} }},
		{"record $INCLUDE by newline", func(s *Spec) {
			s.Records = []Record{{Name: "www", Type: "TXT", Value: "\"a\"\n$INCLUDE /etc/passwd"}}
		}},
		{"record $GENERATE unquoted", func(s *Spec) { s.Records = []Record{{Name: "www", Type: "TXT", Value: "$GENERATE 1-9 x A 1.2.3.4"}} }},
		{"record comment drops text", func(s *Spec) { s.Records = []Record{{Name: "www", Type: "A", Value: "192.0.2.1 ; 192.0.2.2"}} }},
		{"record parens", func(s *Spec) { s.Records = []Record{{Name: "www", Type: "TXT", Value: `( "a" )`}} }},
		{"MX without priority", func(s *Spec) { s.Records = []Record{{Name: "@", Type: "MX", Value: "mail.example.com."}} }},
		{"MX priority twice", func(s *Spec) {
			s.Records = []Record{{Name: "@", Type: "MX", Value: "10 mail.example.com.", Priority: u16(5)}}
		}},
		{"SRV three numbers no priority", func(s *Spec) { s.Records = []Record{{Name: "_s._tcp", Type: "SRV", Value: "5 5060 sip.example.com."}} }},
		{"CNAME relative target", func(s *Spec) { s.Records = []Record{{Name: "a", Type: "CNAME", Value: "www"}} }},
		{"TXT 256 bytes", func(s *Spec) {
			s.Records = []Record{{Name: "t", Type: "TXT", Value: `"` + strings.Repeat("x", 256) + `"`}}
		}},
		{"control character", func(s *Spec) { s.Records = []Record{{Name: "t", Type: "TXT", Value: "\"a\x00b\""}} }},
		{"unknown type", func(s *Spec) { s.Records = []Record{{Name: "t", Type: "HINFO", Value: `"a" "b"`}} }},
		{"A value not an address", func(s *Spec) { s.Records = []Record{{Name: "t", Type: "A", Value: "example.com."}} }},
		{"wildcard in the middle", func(s *Spec) { s.Records = []Record{{Name: "a.*", Type: "A", Value: "192.0.2.1"}} }},
		{"unterminated quote", func(s *Spec) { s.Records = []Record{{Name: "t", Type: "TXT", Value: `"abc`}} }},
		{"record ttl too big", func(s *Spec) { s.Records = []Record{{Name: "t", Type: "A", Value: "192.0.2.1", TTL: u32(1 << 31)}} }},
		{"zone not normalised", func(s *Spec) { s.Zone = "Example.com" }},
	}
	for _, tc := range tests {
		s := bindySpec()
		tc.mod(&s)
		if _, err := Render(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", tc.name, err)
		}
	}
}

func TestStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	if s.Path("a.test") != filepath.Join(dir, "a.test.zone") {
		t.Fatal(s.Path("a.test"))
	}
	if err := s.Write(ctx, "a.test", []byte("x")); err != nil {
		t.Fatal(err)
	}
	for _, suf := range []string{".jnl", ".jbk", ".signed", ".signed.jnl"} {
		os.WriteFile(filepath.Join(dir, "a.test.zone"+suf), nil, 0o644)
	}
	os.WriteFile(filepath.Join(dir, "Ka.test.+013+12345.key"), nil, 0o644)
	if err := s.RemoveJournals(ctx, "a.test"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Exists("a.test"); !ok {
		t.Fatal("RemoveJournals removed the zone file")
	}
	if zs, _ := s.List(); !cmp.Equal(zs, []string{"a.test"}) {
		t.Fatalf("List = %v", zs)
	}
	if err := s.Remove(ctx, "a.test"); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != "Ka.test.+013+12345.key" {
		t.Fatalf("after Remove: %v (DNSSEC keys must stay)", ents)
	}
	for _, bad := range []string{"../x", "a/b", "A.test", "", "a..b"} {
		if err := s.Write(ctx, bad, nil); err == nil {
			t.Errorf("Write(%q) accepted", bad)
		}
	}
	if err := s.CheckWritable(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenStore("relative/dir"); err == nil {
		t.Error("relative dir accepted")
	}
}

func FuzzRecordValue(f *testing.F) {
	for _, s := range [][2]string{{"A", "192.0.2.1"}, {"TXT", `"a;b" c`}, {"MX", "10 mx.example.com."}, {"SRV", "1 2 3 t.example.com."},
		{"CAA", `0 issue "x"`}, {"TXT", "\"a\"\n$INCLUDE x"}, {"CNAME", "a.b."}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, typ, value string) {
		rr, err := ParseRecord("example.com", "www", typ, value, nil, nil, 300)
		if err != nil {
			return
		}
		text := rr.String()
		if strings.ContainsAny(text, "\n\r") || strings.Contains(text, "$INCLUDE") && !strings.Contains(text, `"`) {
			t.Fatalf("unsafe rendering %q of %s %q", text, typ, value)
		}
		if err := parseBack("$ORIGIN example.com.\n@ IN SOA a. b. 1 1 1 1 1\n"+text+"\n", "example.com.", 2); err != nil {
			t.Fatalf("rendering of %s %q does not parse back as one record: %v", typ, value, err)
		}
	})
}
