package zoneconf

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustZone(t *testing.T, text string) Zone {
	t.Helper()
	z, err := ParseShowzone(text)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

func TestMerge(t *testing.T) {
	t.Parallel()
	const (
		opts = `zone "o.test" { type primary; check-names ignore; file "/f"; update-policy { grant "k" zonesub "ANY"; }; allow-transfer port 853 transport "tls" { 10.0.0.1/32; key "k"; }; also-notify port 5300 { 192.0.2.2 key "k"; }; max-journal-size 1048576; notify explicit; };`
		sec  = `zone "s.test" { type secondary; primaries port 5353 { 192.0.2.30 key "k"; }; };`
		pair = `zone "p.test" { type secondary; masters { 192.0.2.41; }; file "/b"; primaries { 192.0.2.40; }; };`
	)
	tests := []struct {
		name    string
		zone    string
		mod     Modification
		want    string
		changed bool
	}{
		{
			name: "alsoNotify replaces only also-notify, in place", zone: fixtureShow("legacy.test"),
			mod:     Modification{AlsoNotify: eps("[2001:db8::1]:5353", "192.0.2.9")},
			want:    `{ type master; file "/var/cache/bind/legacy.test.zone"; allow-transfer  { key "bindgate-key"; "localnets"; !10.9.1.1/32; 10.9.0.0/16; { 10.5.5.5/32; 10.6.6.6/32; }; }; allow-update { key "bindgate-key"; 10.9.9.9/32; 10.8.0.0/16; }; also-notify { 2001:db8::1 port 5353; 192.0.2.9; }; };`,
			changed: true,
		},
		{
			name: "alsoNotify [] removes it", zone: fixtureShow("legacy.test"),
			mod:     Modification{AlsoNotify: eps()},
			want:    `{ type master; file "/var/cache/bind/legacy.test.zone"; allow-transfer  { key "bindgate-key"; "localnets"; !10.9.1.1/32; 10.9.0.0/16; { 10.5.5.5/32; 10.6.6.6/32; }; }; allow-update { key "bindgate-key"; 10.9.9.9/32; 10.8.0.0/16; }; };`,
			changed: true,
		},
		{
			name: "allowTransfer keeps key elements, drops the rest", zone: fixtureShow("legacy.test"),
			mod:     Modification{AllowTransfer: acls("10.2.0.0/16", "2001:db8::7")},
			want:    `{ type master; file "/var/cache/bind/legacy.test.zone"; allow-transfer { key "bindgate-key"; 10.2.0.0/16; 2001:db8::7; }; allow-update { key "bindgate-key"; 10.9.9.9/32; 10.8.0.0/16; }; also-notify { 192.0.2.3; }; };`,
			changed: true,
		},
		{
			name: "allowTransfer [] with a key left is just the key", zone: fixtureShow("legacy.test"),
			mod:     Modification{AllowTransfer: acls()},
			want:    `{ type master; file "/var/cache/bind/legacy.test.zone"; allow-transfer { key "bindgate-key"; }; allow-update { key "bindgate-key"; 10.9.9.9/32; 10.8.0.0/16; }; also-notify { 192.0.2.3; }; };`,
			changed: true,
		},
		{
			name: "allowTransfer [] with nothing left is none", zone: fixtureShow("addr.test"),
			mod:     Modification{AllowTransfer: acls()},
			want:    `{ type primary; file "/var/cache/bind/addr.test.zone"; allow-transfer { none; }; also-notify { 192.0.2.1; 2001:db8::1; 192.0.2.2 port 5353; 2001:db8::2 port 5353; }; };`,
			changed: true,
		},
		{
			name: "allowTransfer on a zone without it is appended", zone: fixtureShow("slave.test"),
			mod:     Modification{AllowTransfer: acls()},
			want:    `{ type slave; masters { 192.0.2.20; }; allow-transfer { none; }; };`,
			changed: true,
		},
		{
			name: "allowTransfer keeps the port/transport filter", zone: opts,
			mod:     Modification{AllowTransfer: acls("10.3.0.0/16")},
			want:    `{ type primary; check-names ignore; file "/f"; update-policy { grant "k" zonesub "ANY"; }; allow-transfer port 853 transport "tls" { key "k"; 10.3.0.0/16; }; also-notify port 5300 { 192.0.2.2 key "k"; }; max-journal-size 1048576; notify explicit; };`,
			changed: true,
		},
		{
			name: "alsoNotify replaces the whole list, filter and key included", zone: opts,
			mod:     Modification{AlsoNotify: eps("192.0.2.5")},
			want:    `{ type primary; check-names ignore; file "/f"; update-policy { grant "k" zonesub "ANY"; }; allow-transfer port 853 transport "tls" { 10.0.0.1/32; key "k"; }; also-notify { 192.0.2.5; }; max-journal-size 1048576; notify explicit; };`,
			changed: true,
		},
		{
			name: "allowUpdate [] keeps the key grant ([fix] §18.11)", zone: fixtureShow("legacy.test"),
			mod:     Modification{AllowUpdate: acls()},
			want:    `{ type master; file "/var/cache/bind/legacy.test.zone"; allow-transfer  { key "bindgate-key"; "localnets"; !10.9.1.1/32; 10.9.0.0/16; { 10.5.5.5/32; 10.6.6.6/32; }; }; allow-update { key "bindgate-key"; }; also-notify { 192.0.2.3; }; };`,
			changed: true,
		},
		{
			name: "allowUpdate [] with nothing left removes it", zone: `zone "x" { type primary; file "/f"; allow-update { 10.0.0.1/32; }; notify yes; };`,
			mod:     Modification{AllowUpdate: acls()},
			want:    `{ type primary; file "/f"; notify yes; };`,
			changed: true,
		},
		{
			name: "allowUpdate [] on a zone without it is no change", zone: `zone "x" { type primary; file "/f"; };`,
			mod:     Modification{AllowUpdate: acls()},
			want:    `{ type primary; file "/f"; };`,
			changed: false,
		},
		{
			name: "primaries replaces masters, written as primaries", zone: fixtureShow("slave.test"),
			mod:     Modification{Primaries: eps("192.0.2.21:5353")},
			want:    `{ type slave; primaries { 192.0.2.21 port 5353; }; };`,
			changed: true,
		},
		{
			name: "primaries replaces a masters+primaries pair with one statement", zone: pair,
			mod:     Modification{Primaries: eps("192.0.2.42")},
			want:    `{ type secondary; primaries { 192.0.2.42; }; file "/b"; };`,
			changed: true,
		},
		{
			name: "the pair is left alone when primaries is not named", zone: pair,
			mod:     Modification{DNSSECPolicy: ptr("none")},
			want:    `{ type secondary; masters { 192.0.2.41; }; file "/b"; primaries { 192.0.2.40; }; dnssec-policy "none"; };`,
			changed: true,
		},
		{
			name: "primaries drops the port filter and per-server key", zone: sec,
			mod:     Modification{Primaries: eps("192.0.2.30")},
			want:    `{ type secondary; primaries { 192.0.2.30; }; };`,
			changed: true,
		},
		{
			name: "new statements are appended in §7.1 order", zone: `zone "x" { type primary; file "/f"; notify yes; };`,
			mod:     Modification{InlineSigning: ptr(false), DNSSECPolicy: ptr("p"), AllowTransfer: acls("10.0.0.1"), AlsoNotify: eps("192.0.2.1"), AllowUpdate: acls("10.0.0.2")},
			want:    `{ type primary; file "/f"; notify yes; allow-update { 10.0.0.2; }; also-notify { 192.0.2.1; }; allow-transfer { 10.0.0.1; }; dnssec-policy "p"; inline-signing no; };`,
			changed: true,
		},
		{
			name: "dnssecPolicy and inlineSigning replace in place", zone: fixtureShow("contract.test"),
			mod:     Modification{DNSSECPolicy: ptr("custom"), InlineSigning: ptr(false)},
			want:    `{ type primary; file "/var/cache/bind/contract.test.zone"; inline-signing no; allow-transfer  { 192.0.2.7/32; }; allow-update { key "bindgate-key"; }; also-notify { 192.0.2.7 port 5353; }; dnssec-policy "custom"; };`,
			changed: true,
		},
		{
			name: "a restored secondary keeps file and masterfile-format through a PATCH, once", zone: fixtureShow("restsec.test"),
			mod:     Modification{AlsoNotify: eps("192.0.2.9"), SelfNotify: &NotifyTarget{Endpoint: mustEndpoint("127.0.0.1:5399"), Key: "bindgate-key"}},
			want:    `{ type secondary; file "/var/cache/bind/restsec.test.zone"; primaries { 192.0.2.50 port 5353; }; also-notify { 127.0.0.1 port 5399 key "bindgate-key"; 192.0.2.9; }; masterfile-format text; max-ixfr-ratio unlimited; notify-delay 0; };`,
			changed: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, changed, err := Merge(mustZone(t, tc.zone), tc.mod)
			if err != nil {
				t.Fatal(err)
			}
			if changed != tc.changed {
				t.Errorf("changed = %v, want %v", changed, tc.changed)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("block (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMergeUnchanged: values that equal what showzone prints, by parsed value, are no change.
func TestMergeUnchanged(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		zone    string
		mod     Modification
		changed bool
	}{
		{"nothing named", fixtureShow("legacy.test"), Modification{}, false},
		{"showzone's /32 and /128 equal bare addresses", fixtureShow("addr.test"),
			Modification{AllowTransfer: acls("10.0.0.7", "2001:db8::5", "10.1.0.0/16", "fd00::/64", "0.0.0.0/0", "::/0")}, false},
		{"explicit /32 equals too", fixtureShow("addr.test"),
			Modification{AllowTransfer: acls("10.0.0.7/32", "2001:db8::5/128", "10.1.0.0/16", "fd00::/64", "0.0.0.0/0", "::/0")}, false},
		{"ACL order does not matter without negation", fixtureShow("addr.test"),
			Modification{AllowTransfer: acls("::/0", "0.0.0.0/0", "fd00::/64", "10.1.0.0/16", "2001:db8::5", "10.0.0.7")}, false},
		{"a prefix is never folded into an address", fixtureShow("addr.test"),
			Modification{AllowTransfer: acls("10.0.0.7", "2001:db8::5", "10.1.0.0", "fd00::/64", "0.0.0.0/0", "::/0")}, true},
		{"quoted none equals []", fixtureShow("none.test"), Modification{AllowTransfer: acls()}, false},
		{"[] vs no statement is a change (none, not inherit)", fixtureShow("slave.test"), Modification{AllowTransfer: acls()}, true},
		{"key grant kept, nothing else: allowUpdate []", fixtureShow("none.test"), Modification{AllowUpdate: acls()}, false},
		{"key after addresses in showzone", confZone, Modification{AllowTransfer: acls("10.0.0.1")}, false},
		{"endpoint with port", fixtureShow("contract.test"), Modification{AlsoNotify: eps("192.0.2.7 port 5353"), DNSSECPolicy: ptr("default"), InlineSigning: ptr(true)}, false},
		{"port 53 is not the same text as no port", fixtureShow("contract.test"), Modification{AlsoNotify: eps("192.0.2.7")}, true},
		{"endpoint order matters", fixtureShow("addr.test"), Modification{AlsoNotify: eps("2001:db8::1", "192.0.2.1", "192.0.2.2:5353", "[2001:db8::2]:5353")}, true},
		{"masters equals primaries", fixtureShow("slave.test"), Modification{Primaries: eps("192.0.2.20")}, false},
		{"IPv6 primaries with ports", fixtureShow("sec.test"), Modification{Primaries: eps("192.0.2.10:5353", "[2001:db8::10]:5353", "192.0.2.11", "2001:db8::11")}, false},
		{"inline-signing true equals yes", `zone "x" { type primary; inline-signing true; };`, Modification{InlineSigning: ptr(true)}, false},
		{"policy differs", fixtureShow("contract.test"), Modification{DNSSECPolicy: ptr("Default")}, true},
		{"negated ACL keeps order semantics", `zone "x" { type primary; allow-transfer  { !10.0.0.1/32; 10.0.0.0/8; }; };`, Modification{AllowTransfer: acls("10.0.0.0/8")}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, changed, err := Merge(mustZone(t, tc.zone), tc.mod)
			if err != nil {
				t.Fatal(err)
			}
			if changed != tc.changed {
				t.Errorf("changed = %v, want %v", changed, tc.changed)
			}
		})
	}
}

func TestMergeErrors(t *testing.T) {
	t.Parallel()
	bad := []ACLEntry{{}}
	tests := []struct {
		name string
		zone string
		mod  Modification
		want error
	}{
		{"primaries on a primary", fixtureShow("legacy.test"), Modification{Primaries: eps("10.0.0.1")}, ErrNotSecondary},
		{"primaries empty", fixtureShow("slave.test"), Modification{Primaries: eps()}, ErrInvalid},
		{"allowUpdate on a secondary", fixtureShow("slave.test"), Modification{AllowUpdate: acls()}, ErrNotPrimary},
		{"allowUpdate on a zone without type", `zone "x" { in-view "v"; };`, Modification{AllowUpdate: acls()}, ErrNotPrimary},
		{"allowUpdate with update-policy", fixtureShow("opts.test"), Modification{AllowUpdate: acls()}, ErrUpdatePolicy},
		{"bad policy name", fixtureShow("legacy.test"), Modification{DNSSECPolicy: ptr(`x"; }; allow-update { any; }; #`)}, ErrInvalid},
		{"hand-built bad ACL", fixtureShow("legacy.test"), Modification{AllowTransfer: &bad}, ErrInvalid},
		{"hand-built bad endpoint", fixtureShow("legacy.test"), Modification{AlsoNotify: &[]Endpoint{{}}}, ErrInvalid},
		{"repeated keyword", `zone "x" { type primary; also-notify { 10.0.0.1; }; ALSO-NOTIFY { 10.0.0.2; }; };`, Modification{DNSSECPolicy: ptr("p")}, ErrSyntax},
		{"allow-transfer that is not a list", `zone "x" { type primary; allow-transfer none; };`, Modification{AllowTransfer: acls()}, ErrSyntax},
		{"allow-transfer with text after the list", `zone "x" { type primary; allow-transfer { any; } x; };`, Modification{AllowTransfer: acls()}, ErrSyntax},
		{"too large", `zone "x" { type primary; notify-source "` + strings.Repeat("a", maxBlock) + `"; };`, Modification{AlsoNotify: eps("10.0.0.1")}, ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, changed, err := Merge(mustZone(t, tc.zone), tc.mod)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Merge = %q, %v, %v; want %v", got, changed, err, tc.want)
			}
			if errors.Is(err, ErrSyntax) == errors.Is(err, ErrInvalid) {
				t.Errorf("%v: ErrSyntax and ErrInvalid must not go together", err)
			}
		})
	}
}

// TestMergeLossless applies every kind of modification to every real showzone text and
// checks the invariants: statements not named are byte for byte the same and in the same
// order; a replaced statement keeps its position; no keyword appears twice; the block parses.
func TestMergeLossless(t *testing.T) {
	t.Parallel()
	mods := []Modification{
		{AlsoNotify: eps("192.0.2.99:5353")},
		{AlsoNotify: eps()},
		{AllowTransfer: acls("10.99.0.0/16")},
		{AllowTransfer: acls()},
		{AllowUpdate: acls("10.98.0.1")},
		{AllowUpdate: acls()},
		{Primaries: eps("192.0.2.98")},
		{DNSSECPolicy: ptr("p")},
		{InlineSigning: ptr(true)},
		{AlsoNotify: eps("192.0.2.1"), AllowTransfer: acls("10.0.0.0/8"), DNSSECPolicy: ptr("default"), InlineSigning: ptr(false)},
	}
	texts := []string{confZone}
	for _, f := range fixtures() {
		texts = append(texts, f.show)
	}
	for _, text := range texts {
		z := mustZone(t, text)
		for _, m := range mods {
			block, _, err := Merge(z, m)
			if errors.Is(err, ErrNotPrimary) || errors.Is(err, ErrNotSecondary) || errors.Is(err, ErrUpdatePolicy) {
				continue
			}
			if err != nil {
				t.Fatalf("Merge(%s, %+v): %v", text, m, err)
			}
			out := mustZone(t, `zone "`+z.Name+`" `+block)
			named := namedKeywords(m)
			var wantKept, gotKept []Statement
			pos := map[string]int{}
			for i, st := range out.Statements {
				pos[st.Keyword] = i
				if !named[canonicalKeyword(st.Keyword)] {
					gotKept = append(gotKept, st)
				}
			}
			for _, st := range z.Statements {
				if !named[canonicalKeyword(st.Keyword)] {
					wantKept = append(wantKept, st)
				}
			}
			if diff := cmp.Diff(wantKept, gotKept); diff != "" {
				t.Errorf("%s with %+v: unnamed statements changed (-want +got):\n%s", z.Name, m, diff)
			}
			// No keyword twice; masters beside primaries only where the zone had both and
			// primaries was not named.
			seen := map[string]bool{}
			for _, st := range out.Statements {
				kw := st.Keyword
				if named[canonicalKeyword(kw)] {
					kw = canonicalKeyword(kw)
				}
				if seen[kw] {
					t.Errorf("%s: %q emitted twice in %s", z.Name, kw, block)
				}
				seen[kw] = true
			}
			for i, st := range z.Statements {
				if kw := st.Keyword; named[canonicalKeyword(kw)] && kw != "masters" {
					if j, ok := pos[kw]; ok && j > i {
						t.Errorf("%s: %s moved from %d to %d in %s", z.Name, kw, i, j, block)
					}
				}
			}
		}
	}
}
