package zoneconf

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseShowzone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want Zone
	}{
		{
			name: "9.18 reprint of the docs/contract.md §7.1 block",
			in:   fixtureShow("contract.test") + "\n",
			want: Zone{Name: "contract.test", Statements: []Statement{
				{"type", "type primary;"},
				{"file", `file "/var/cache/bind/contract.test.zone";`},
				{"inline-signing", "inline-signing yes;"},
				{"allow-transfer", "allow-transfer  { 192.0.2.7/32; };"},
				{"allow-update", `allow-update { key "bindgate-key"; };`},
				{"also-notify", "also-notify { 192.0.2.7 port 5353; };"},
				{"dnssec-policy", `dnssec-policy "default";`},
			}},
		},
		{
			name: "named.conf zone with class",
			in:   confZone,
			want: Zone{Name: "conf.test", Class: "IN", Statements: []Statement{
				{"type", "type master;"},
				{"file", `file "/var/cache/bind/conf.test.zone";`},
				{"allow-transfer", `allow-transfer  { 10.0.0.1/32; key "xfr-key"; };`},
			}},
		},
		{
			name: "nested lists, negation, quoted names",
			in:   fixtureShow("legacy.test"),
			want: Zone{Name: "legacy.test", Statements: []Statement{
				{"type", "type master;"},
				{"file", `file "/var/cache/bind/legacy.test.zone";`},
				{"allow-transfer", `allow-transfer  { key "bindgate-key"; "localnets"; !10.9.1.1/32; 10.9.0.0/16; { 10.5.5.5/32; 10.6.6.6/32; }; };`},
				{"allow-update", `allow-update { key "bindgate-key"; 10.9.9.9/32; 10.8.0.0/16; };`},
				{"also-notify", "also-notify { 192.0.2.3; };"},
			}},
		},
		{
			name: "odd spacing, newlines, tabs, no space before braces, mixed case keyword",
			in:   "zone \"x.test\"in{type\tprimary;\n  ALSO-NOTIFY{192.0.2.1;};;file \"a;b\\\"{c\" ;\n}\n;\n",
			want: Zone{Name: "x.test", Class: "in", Statements: []Statement{
				{"type", "type\tprimary;"},
				{"also-notify", "ALSO-NOTIFY{192.0.2.1;};"},
				{"file", `file "a;b\"{c" ;`},
			}},
		},
		{
			name: "bare zone name, closing ';' optional, empty block",
			in:   `zone x.test { }`,
			want: Zone{Name: "x.test", Statements: []Statement{}},
		},
		{
			name: "escaped quote in the zone name and a file",
			in:   `zone "a\"b" { file "/z/we\"ird \\ path.zone"; };`,
			want: Zone{Name: `a"b`, Statements: []Statement{{"file", `file "/z/we\"ird \\ path.zone";`}}},
		},
		{
			name: "escaped ';' in a word is not a separator",
			in:   `zone "x" { update-policy { grant k name a\;b. ANY; }; };`,
			want: Zone{Name: "x", Statements: []Statement{{"update-policy", `update-policy { grant k name a\;b. ANY; };`}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseShowzone(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseShowzoneFixtures parses every real 9.18 text and checks that the block rebuilt
// from the statements is the showzone text minus its header, byte for byte.
func TestParseShowzoneFixtures(t *testing.T) {
	t.Parallel()
	for _, f := range fixtures() {
		z, err := ParseShowzone(f.show)
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		header := `zone "` + f.zone + `" `
		if want := strings.TrimPrefix(f.show, header); z.Block() != want {
			t.Errorf("%s: Block() = %q, want %q", f.name, z.Block(), want)
		}
	}
}

func TestParseShowzoneErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"",
		"zone",
		`zone "x"`,
		`zone "x" IN`,
		`zone "x" IN CH { };`,
		`view "x" { };`,
		`zone { type primary; };`,
		`zone "x" { type primary; `,
		`zone "x { };`,
		`zone "x" { type primary };`,
		`zone "x" { type primary; }; extra`,
		`zone "x" { type primary; }; };`,
		`zone "x" { type primary; } }`,
		`zone "x" { { a; }; };`,
		`zone "x" { "type" primary; };`,
		`zone "x" { ; type primary; !x; };`,
		`zone "x" { type primary; also-notify { 10.0.0.1; }; }; zone "y" { };`,
		`zone "x" { type primary; # comment` + "\n" + `};`,
		`zone "x" { type primary; // comment` + "\n" + `};`,
		`zone "x" { type /* c */ primary; };`,
		`zone "x" { allow-transfer { 10.0.0.0//8; }; };`,
		"zone \"x\" { type\x00primary; };",
		"zone \"x\" { type primary\x7f; };",
		`zone "x" { type primary\`,
	} {
		if z, err := ParseShowzone(in); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseShowzone(%q) = %+v, %v; want ErrSyntax", in, z, err)
		}
	}
}

func TestZoneType(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`zone "x" { type primary; };`, "primary"},
		{`zone "x" { type master; };`, "primary"},
		{`zone "x" { type MASTER; };`, "primary"},
		{`zone "x" { type secondary; };`, "secondary"},
		{`zone "x" { type slave; };`, "secondary"},
		{`zone "x" { type mirror; };`, "mirror"},
		{`zone "x" { type Forward; };`, "forward"},
		{`zone "x" { file "f"; TYPE  primary ; };`, "primary"},
		{`zone "x" { in-view "v"; };`, ""},
		{`zone "x" { type; };`, ""},
	}
	for _, tc := range tests {
		z, err := ParseShowzone(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if got := z.Type(); got != tc.want {
			t.Errorf("Type() of %s = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestZoneHas(t *testing.T) {
	t.Parallel()
	z, err := ParseShowzone(`zone "x" { type slave; masters { 10.0.0.1; }; Update-Policy local; };`)
	if err != nil {
		t.Fatal(err)
	}
	for kw, want := range map[string]bool{"type": true, "masters": true, "primaries": true, "update-policy": true,
		"UPDATE-POLICY": true, "allow-update": false, "": false} {
		if got := z.Has(kw); got != want {
			t.Errorf("Has(%q) = %v, want %v", kw, got, want)
		}
	}
}

func TestParseBlockArg(t *testing.T) {
	t.Parallel()
	tests := []struct {
		block, kw, want string
	}{
		{`{ type primary; file "/z/a.zone"; dnssec-policy "default"; };`, "dnssec-policy", "default"},
		{`{ type primary; dnssec-policy none; };`, "dnssec-policy", "none"},
		{`{ type primary; DNSSEC-Policy Strict; };`, "dnssec-policy", "Strict"},
		// A file name that merely mentions the keyword is no statement (strings.Contains was fooled).
		{`{ type primary; file "/z/dnssec-policy.zone"; };`, "dnssec-policy", ""},
		{`{ type primary; allow-update { key "k"; }; };`, "allow-update", ""},
		{`{ type slave; masters { 10.0.0.1; }; };`, "type", "slave"},
	}
	for _, tc := range tests {
		z, err := ParseBlock(tc.block)
		if err != nil {
			t.Fatalf("ParseBlock(%s): %v", tc.block, err)
		}
		if got := z.Arg(tc.kw); got != tc.want {
			t.Errorf("Arg(%q) of %s = %q, want %q", tc.kw, tc.block, got, tc.want)
		}
	}
	if _, err := ParseBlock(`type primary;`); !errors.Is(err, ErrSyntax) {
		t.Errorf("ParseBlock without braces: err = %v, want ErrSyntax", err)
	}
}
