package zoneconf

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseEndpoint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string // rendered; "" = invalid
	}{
		{"192.0.2.1", "192.0.2.1"},
		{"2001:db8::1", "2001:db8::1"},
		{"192.0.2.1:5353", "192.0.2.1 port 5353"},
		{"[2001:db8::1]:5353", "2001:db8::1 port 5353"},
		{"192.0.2.1 port 5353", "192.0.2.1 port 5353"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"192.0.2.1:0", ""},
		{"192.0.2.1:65536", ""},
		{"192.0.2.1 port 0", ""},
		{"fe80::1%eth0", ""},
		{"[fe80::1%eth0]:53", ""},
		{"ns1.example.com", ""},
		{"10.0.0.0/24", ""},
		{"key foo", ""},
		{"192.0.2.1; 10.0.0.1", ""},
		{"", ""},
		{"2001:db8::1:5353", "2001:db8::1:5353"}, // a valid IPv6 address, not address:port
	}
	for _, tc := range tests {
		e, err := ParseEndpoint(tc.in)
		got := ""
		if err == nil {
			got = e.String()
		} else if !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: error %v does not wrap ErrInvalid", tc.in, err)
		}
		if got != tc.want {
			t.Errorf("ParseEndpoint(%q) = %q (%v), want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestParseEndpointsMessages(t *testing.T) {
	t.Parallel()
	_, err := ParseEndpoints("primaries", []string{"192.0.2.1", "x"})
	want := `primaries contains an invalid entry: "x" (expected "<ip>", "<ip>:<port>" or "[<ipv6>]:<port>")`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
	eps, err := ParseEndpoints("also-notify", []string{"192.0.2.1", "192.0.2.1", "192.0.2.1:53"})
	if err != nil || len(eps) != 2 {
		t.Errorf("duplicates: %v %v", eps, err)
	}
	many := make([]string, MaxEntries+1)
	for i := range many {
		many[i] = fmt.Sprintf("10.0.0.%d", i)
	}
	if _, err := ParseEndpoints("primaries", many); err == nil {
		t.Error("65 entries accepted")
	}
}

func TestParseACL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"10.0.0.7", "10.0.0.7"},
		{"10.0.0.0/24", "10.0.0.0/24"},
		{"fd00::/64", "fd00::/64"},
		{"2001:db8::1", "2001:db8::1"},
		{"10.0.0.1/24", ""}, // host bits: BIND says "address/prefix length mismatch"
		{"10.0.0.0/33", ""},
		{"10.0.0.7:53", ""},
		{"!10.0.0.7", ""},
		{"any", ""},
		{"none", ""},
		{"key foo", ""},
		{"localhost", ""},
		{"10.0.0.7; any", ""},
	}
	for _, tc := range tests {
		e, err := ParseACLEntry(tc.in)
		got := ""
		if err == nil {
			got = e.String()
		}
		if got != tc.want {
			t.Errorf("ParseACLEntry(%q) = %q (%v), want %q", tc.in, got, err, tc.want)
		}
	}
	_, err := ParseACL("allow-transfer", []string{"bad"})
	if err == nil || err.Error() != `allow-transfer contains an invalid address: "bad"` {
		t.Errorf("message = %v", err)
	}
}

func TestIsIdentifier(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{"bindy-operator": true, "a.b_c-1": true, "": false, `a"b`: false, "a b": false,
		"a;b": false, strings.Repeat("a", 254): false, "key}": false} {
		if IsIdentifier(s) != want {
			t.Errorf("IsIdentifier(%q) = %v", s, !want)
		}
	}
}

func ep(s string) Endpoint  { e, _ := ParseEndpoint(s); return e }
func acl(s string) ACLEntry { e, _ := ParseACLEntry(s); return e }
func ptr[T any](v T) *T     { return &v }

func TestRender(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{
			name: "CONTRACT §7.1 example",
			spec: Spec{Type: "primary", File: "/var/cache/bind/example.com.zone", UpdateKey: "bindy-operator",
				AlsoNotify: []Endpoint{ep("10.244.2.7:5353")}, AllowTransfer: []ACLEntry{acl("10.244.2.7")},
				DNSSECPolicy: "default", InlineSigning: ptr(true)},
			want: `{ type primary; file "/var/cache/bind/example.com.zone"; allow-update { key "bindy-operator"; }; also-notify { 10.244.2.7 port 5353; }; allow-transfer { 10.244.2.7; }; dnssec-policy "default"; inline-signing yes; };`,
		},
		{
			name: "secondary never gets file or allow-update",
			spec: Spec{Type: "secondary", File: "/x", UpdateKey: "k", Primaries: []Endpoint{ep("10.244.1.5:5353"), ep("[fd00::5]:5353")}},
			want: `{ type secondary; primaries { 10.244.1.5 port 5353; fd00::5 port 5353; }; };`,
		},
		{
			name: "allowTransfer [] is none",
			spec: Spec{Type: "primary", File: "/z/a.zone", AllowTransferSet: true},
			want: `{ type primary; file "/z/a.zone"; allow-transfer { none; }; };`,
		},
	}
	for _, tc := range tests {
		got, err := Render(tc.spec)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
	for _, bad := range []Spec{
		{Type: "forward"},
		{Type: "primary", File: `/z/a".zone`},
		{Type: "primary", File: "/z/a.zone", UpdateKey: `k"; }; allow-update { any`},
		{Type: "primary", File: "/z/a.zone", DNSSECPolicy: "a b"},
		{Type: "secondary"},
	} {
		if _, err := Render(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Render(%+v) = %v, want ErrInvalid", bad, err)
		}
	}
}

// showzoneText is shaped as BIND 9.18.x prints it (see the real-named round trip test).
const showzoneText = `zone "example.test" { type master; file "/var/cache/bind/example.test.zone"; allow-transfer  { key "xfr"; 10.0.0.7/32; 10.1.0.0/16; }; allow-update { key "ddns-key"; 10.9.9.9/32; }; also-notify { 192.0.2.1 port 5353; }; dnssec-policy "default"; notify explicit; ixfr-from-differences yes; zone-statistics full; };`

func TestParseShowzone(t *testing.T) {
	t.Parallel()
	z, err := ParseShowzone(showzoneText)
	if err != nil {
		t.Fatal(err)
	}
	if z.Name != "example.test" || z.Type() != "primary" || len(z.Statements) != 9 {
		t.Fatalf("parsed %+v", z)
	}
	if z.Statements[2].Raw != `allow-transfer  { key "xfr"; 10.0.0.7/32; 10.1.0.0/16; };` {
		t.Errorf("raw not kept: %q", z.Statements[2].Raw)
	}
	for _, bad := range []string{"", "zone", `zone "x"`, `zone "x" { type primary; `, `zone "x { };`, `zone "x" { type primary };`, `zone "x" { }; extra`} {
		if _, err := ParseShowzone(bad); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseShowzone(%q) = %v, want ErrSyntax", bad, err)
		}
	}
	z2, err := ParseShowzone(`zone "in.test" IN { type slave; masters { 10.0.0.1 port 53; }; };`)
	if err != nil || z2.Class != "IN" || z2.Type() != "secondary" {
		t.Errorf("class form: %+v %v", z2, err)
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	z, err := ParseShowzone(showzoneText)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		mod     Modification
		want    string
		changed bool
		err     error
	}{
		{
			name:    "alsoNotify replaces only also-notify",
			mod:     Modification{AlsoNotify: &[]Endpoint{ep("[2001:db8::1]:5353")}},
			want:    `{ type master; file "/var/cache/bind/example.test.zone"; allow-transfer  { key "xfr"; 10.0.0.7/32; 10.1.0.0/16; }; allow-update { key "ddns-key"; 10.9.9.9/32; }; also-notify { 2001:db8::1 port 5353; }; dnssec-policy "default"; notify explicit; ixfr-from-differences yes; zone-statistics full; };`,
			changed: true,
		},
		{
			name:    "allowTransfer keeps key elements",
			mod:     Modification{AllowTransfer: &[]ACLEntry{acl("10.2.0.0/16")}},
			want:    `{ type master; file "/var/cache/bind/example.test.zone"; allow-transfer { key "xfr"; 10.2.0.0/16; }; allow-update { key "ddns-key"; 10.9.9.9/32; }; also-notify { 192.0.2.1 port 5353; }; dnssec-policy "default"; notify explicit; ixfr-from-differences yes; zone-statistics full; };`,
			changed: true,
		},
		{
			name:    "same values are unchanged (showzone's /32 equals a bare address)",
			mod:     Modification{AlsoNotify: &[]Endpoint{ep("192.0.2.1:5353")}, AllowUpdate: &[]ACLEntry{acl("10.9.9.9")}},
			changed: false,
		},
		{
			name:    "allowUpdate [] keeps the key grant",
			mod:     Modification{AllowUpdate: &[]ACLEntry{}},
			want:    `{ type master; file "/var/cache/bind/example.test.zone"; allow-transfer  { key "xfr"; 10.0.0.7/32; 10.1.0.0/16; }; allow-update { key "ddns-key"; }; also-notify { 192.0.2.1 port 5353; }; dnssec-policy "default"; notify explicit; ixfr-from-differences yes; zone-statistics full; };`,
			changed: true,
		},
		{
			name:    "alsoNotify [] removes it; new statements appended",
			mod:     Modification{AlsoNotify: &[]Endpoint{}, InlineSigning: ptr(true)},
			want:    `{ type master; file "/var/cache/bind/example.test.zone"; allow-transfer  { key "xfr"; 10.0.0.7/32; 10.1.0.0/16; }; allow-update { key "ddns-key"; 10.9.9.9/32; }; dnssec-policy "default"; notify explicit; ixfr-from-differences yes; zone-statistics full; inline-signing yes; };`,
			changed: true,
		},
		{name: "primaries on a primary", mod: Modification{Primaries: &[]Endpoint{ep("10.0.0.1")}}, err: ErrNotSecondary},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, changed, err := Merge(z, tc.mod)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if changed != tc.changed {
				t.Errorf("changed = %v, want %v", changed, tc.changed)
			}
			if tc.want != "" {
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("block (-want +got):\n%s", diff)
				}
			}
		})
	}
	// Errors by zone kind.
	sec, _ := ParseShowzone(`zone "s.test" { type secondary; primaries { 10.0.0.1; }; };`)
	if _, _, err := Merge(sec, Modification{AllowUpdate: &[]ACLEntry{}}); !errors.Is(err, ErrNotPrimary) {
		t.Errorf("allowUpdate on a secondary: %v", err)
	}
	pol, _ := ParseShowzone(`zone "p.test" { type primary; file "f"; update-policy { grant k zonesub ANY; }; };`)
	if _, _, err := Merge(pol, Modification{AllowUpdate: &[]ACLEntry{}}); !errors.Is(err, ErrUpdatePolicy) {
		t.Errorf("allowUpdate with update-policy: %v", err)
	}
	got, changed, err := Merge(sec, Modification{Primaries: &[]Endpoint{ep("10.0.0.2:5353")}})
	if err != nil || !changed || got != `{ type secondary; primaries { 10.0.0.2 port 5353; }; };` {
		t.Errorf("primaries: %q %v %v", got, changed, err)
	}
	none, _ := ParseShowzone(`zone "n.test" { type primary; file "f"; allow-transfer  { "none"; }; };`)
	if _, changed, err := Merge(none, Modification{AllowTransfer: &[]ACLEntry{}}); err != nil || changed {
		t.Errorf("9.18's quoted none vs []: changed=%v err=%v", changed, err)
	}
	dup, _ := ParseShowzone(`zone "d.test" { type primary; file "f"; also-notify { 10.0.0.1; }; also-notify { 10.0.0.2; }; };`)
	got, _, _ = Merge(dup, Modification{DNSSECPolicy: ptr("p")})
	if strings.Count(got, "also-notify") != 1 {
		t.Errorf("duplicate keyword emitted twice: %s", got)
	}
}

func FuzzParseShowzone(f *testing.F) {
	for _, s := range []string{showzoneText, `zone "x" IN { type slave; masters { 1.2.3.4; }; };`, `zone "a\"b" { x "y\\z"; };`, `zone "x" { { { }; }; };`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		z, err := ParseShowzone(s)
		if err != nil {
			return
		}
		var raws []string
		for _, st := range z.Statements {
			raws = append(raws, st.Raw)
		}
		again, err := ParseShowzone(`zone "x" { ` + strings.Join(raws, " ") + ` };`)
		if err != nil || len(again.Statements) != len(z.Statements) {
			t.Fatalf("re-parse of %q: %v (%d vs %d statements)", s, err, len(again.Statements), len(z.Statements))
		}
		for i := range z.Statements {
			if again.Statements[i] != z.Statements[i] {
				t.Fatalf("statement %d changed: %q vs %q", i, z.Statements[i].Raw, again.Statements[i].Raw)
			}
		}
		_, _, _ = Merge(z, Modification{AlsoNotify: &[]Endpoint{}, AllowTransfer: &[]ACLEntry{}})
	})
}

func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "[2001:db8::1]:53", "1.2.3.4 port 99", "fe80::1%eth0", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseEndpoint(s)
		if err != nil {
			return
		}
		r := e.String()
		if strings.ContainsAny(r, `;{}"`+"\n") {
			t.Fatalf("unsafe rendering %q of %q", r, s)
		}
		if back, err := ParseEndpoint(r); err != nil || back != e {
			t.Fatalf("rendering %q of %q does not parse back: %v", r, s, err)
		}
	})
}

func FuzzParseACL(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "::1", "10.0.0.1/24", "any", "key x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseACLEntry(s)
		if err != nil {
			return
		}
		r := e.String()
		if strings.ContainsAny(r, `;{}"! `+"\n") {
			t.Fatalf("unsafe rendering %q of %q", r, s)
		}
		if back, err := ParseACLEntry(r); err != nil || back != e {
			t.Fatalf("rendering %q of %q does not parse back: %v", r, s, err)
		}
	})
}
