package zoneconf

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bindgate/bindgate/internal/quote"
)

// text renders z the way showzone does, from its parsed parts.
func text(z Zone) string {
	head := "zone " + quote.BIND(z.Name) + " "
	if z.Class != "" {
		head += z.Class + " "
	}
	return head + z.Block()
}

func FuzzParseShowzone(f *testing.F) {
	for _, fx := range fixtures() {
		f.Add(fx.show)
	}
	for _, s := range []string{
		confZone,
		`zone "x" IN { type slave; masters { 1.2.3.4; }; };`,
		`zone "a\"b" { x "y\\z"; };`,
		`zone x { a { b { c; }; }; d; };`,
		"zone \"x\"in{type\tprimary;\n ALSO-NOTIFY{1.2.3.4;};;}",
		`zone "x" { update-policy { grant k name a\;b. ANY; }; };`,
		`zone "x" { type primary; also-notify { 1.1.1.1; }; also-notify { 2.2.2.2; }; };`,
		`zone "x" { type primary; # c` + "\n};",
		`zone "x" { allow-transfer { !key "k"; ! 10.0.0.0/8; { any; }; }; };`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		z, err := ParseShowzone(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v is not ErrSyntax", err)
			}
			return
		}
		// Whatever is accepted re-renders and re-parses to the same statements.
		again, err := ParseShowzone(text(z))
		if err != nil {
			t.Fatalf("re-parse of %q (from %q): %v", text(z), s, err)
		}
		if diff := cmp.Diff(z, again); diff != "" {
			t.Fatalf("re-parse of %q differs (-first +again):\n%s", s, diff)
		}
		_ = z.Type()
		mods := []Modification{
			{AlsoNotify: eps("192.0.2.1"), AllowTransfer: acls(), DNSSECPolicy: ptr("p"), InlineSigning: ptr(true)},
			{AllowUpdate: acls("10.0.0.1")},
			{Primaries: eps("192.0.2.2:5353")},
		}
		for _, m := range mods {
			block, _, err := Merge(z, m)
			if err != nil {
				continue
			}
			out, err := ParseShowzone("zone x " + block)
			if err != nil {
				t.Fatalf("merged block %q of %q does not parse: %v", block, s, err)
			}
			named := namedKeywords(m)
			seen := map[string]bool{}
			for _, st := range out.Statements {
				kw := canonicalKeyword(st.Keyword)
				if named[kw] && seen[kw] {
					t.Fatalf("%q emitted twice in %q", kw, block)
				}
				seen[kw] = true
			}
		}
	})
}

func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "2001:db8::1", "192.0.2.1:5353", "[2001:db8::1]:5353", "192.0.2.1 port 5353",
		"fe80::1%eth0", "[::ffff:1.2.3.4]:53", "1.2.3.4:0", "x", "[", "[]:", "1.2.3.4 port +1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseEndpoint(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if !e.valid() {
			t.Fatalf("ParseEndpoint(%q) = %#v, not valid", s, e)
		}
		r := e.String()
		if strings.ContainsAny(r, "\";{}!#/\\\n\r\t") {
			t.Fatalf("unsafe rendering %q of %q", r, s)
		}
		if back, err := ParseEndpoint(r); err != nil || back != e {
			t.Fatalf("rendering %q of %q parses back as %v, %v", r, s, back, err)
		}
	})
}

func FuzzParseACL(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "10.0.0.7", "::1", "fd00::/64", "10.0.0.1/24", "any", "key x", "!1.2.3.4",
		"::ffff:10.0.0.0/104", "fe80::%eth0/64", "1.2.3.4/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseACLEntry(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if !e.valid() {
			t.Fatalf("ParseACLEntry(%q) = %#v, not valid", s, e)
		}
		r := e.String()
		if strings.ContainsAny(r, "\";{}!# \\\n\r\t") {
			t.Fatalf("unsafe rendering %q of %q", r, s)
		}
		if back, err := ParseACLEntry(r); err != nil || back != e {
			t.Fatalf("rendering %q of %q parses back as %v, %v", r, s, back, err)
		}
		if l, err := ParseACL("allow-transfer", []string{s, r}); err != nil || len(l) != 1 {
			t.Fatalf("ParseACL of %q and its rendering: %v, %v", s, l, err)
		}
	})
}
