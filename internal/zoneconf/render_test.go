package zoneconf

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRender(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{
			name: "docs/contract.md §7.1 example, exactly",
			spec: Spec{Type: "primary", File: "/var/cache/bind/example.com.zone", UpdateKey: "bindy-operator",
				AlsoNotify: []Endpoint{mustEndpoint("10.244.2.7:5353")}, AllowTransfer: []ACLEntry{mustACL("10.244.2.7")},
				DNSSECPolicy: "default", InlineSigning: ptr(true)},
			want: `{ type primary; file "/var/cache/bind/example.com.zone"; allow-update { key "bindy-operator"; }; also-notify { 10.244.2.7 port 5353; }; allow-transfer { 10.244.2.7; }; dnssec-policy "default"; inline-signing yes; };`,
		},
		{
			name: "minimal primary",
			spec: Spec{Type: "primary", File: "/z/a.zone"},
			want: `{ type primary; file "/z/a.zone"; };`,
		},
		{
			name: "primary ignores primaries",
			spec: Spec{Type: "primary", File: "/z/a.zone", Primaries: []Endpoint{mustEndpoint("10.0.0.1")}},
			want: `{ type primary; file "/z/a.zone"; };`,
		},
		{
			name: "secondary never gets file or allow-update ([fix] §7.1, §18.12)",
			spec: Spec{Type: "secondary", File: "/x", UpdateKey: "k", Primaries: []Endpoint{mustEndpoint("10.244.1.5:5353"), mustEndpoint("[fd00::5]:5353")}},
			want: `{ type secondary; primaries { 10.244.1.5 port 5353; fd00::5 port 5353; }; };`,
		},
		{
			name: "allowTransfer [] is none ([fix] §6)",
			spec: Spec{Type: "primary", File: "/z/a.zone", AllowTransferSet: true},
			want: `{ type primary; file "/z/a.zone"; allow-transfer { none; }; };`,
		},
		{
			name: "allowTransfer absent is no statement",
			spec: Spec{Type: "primary", File: "/z/a.zone", AllowTransfer: []ACLEntry{}},
			want: `{ type primary; file "/z/a.zone"; };`,
		},
		{
			name: "prefixes keep their length; host prefixes stay as given",
			spec: Spec{Type: "primary", File: "/z/a.zone", AllowTransfer: []ACLEntry{mustACL("10.0.0.0/8"), mustACL("10.1.1.1/32"), mustACL("fd00::/64")}},
			want: `{ type primary; file "/z/a.zone"; allow-transfer { 10.0.0.0/8; 10.1.1.1/32; fd00::/64; }; };`,
		},
		{
			name: "inline-signing no",
			spec: Spec{Type: "primary", File: "/z/a.zone", InlineSigning: ptr(false)},
			want: `{ type primary; file "/z/a.zone"; inline-signing no; };`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Render(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestRenderFixtures checks Render against the blocks that real named 9.18 accepted.
func TestRenderFixtures(t *testing.T) {
	t.Parallel()
	for _, f := range fixtures() {
		if f.spec == nil {
			continue
		}
		got, err := Render(*f.spec)
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		if diff := cmp.Diff(f.block, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", f.name, diff)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	many := make([]Endpoint, MaxEntries+1)
	for i := range many {
		many[i] = Endpoint{Addr: netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})}
	}
	tests := []struct {
		name string
		spec Spec
		want error
	}{
		{"unknown type", Spec{Type: "forward"}, ErrInvalid},
		{"master is not accepted", Spec{Type: "master", File: "/z/a.zone"}, ErrInvalid},
		{"primary without file", Spec{Type: "primary"}, ErrInvalid},
		{"relative file", Spec{Type: "primary", File: "z/a.zone"}, ErrInvalid},
		{"quote in file", Spec{Type: "primary", File: `/z/a".zone`}, ErrInvalid},
		{"backslash in file", Spec{Type: "primary", File: `/z/a\.zone`}, ErrInvalid},
		{"newline in file", Spec{Type: "primary", File: "/z/a\n.zone"}, ErrInvalid},
		{"injected key", Spec{Type: "primary", File: "/z/a.zone", UpdateKey: `k"; }; allow-update { any`}, ErrInvalid},
		{"bad policy", Spec{Type: "primary", File: "/z/a.zone", DNSSECPolicy: "a b"}, ErrInvalid},
		{"secondary without primaries", Spec{Type: "secondary"}, ErrInvalid},
		{"zero endpoint", Spec{Type: "secondary", Primaries: []Endpoint{{}}}, ErrInvalid},
		{"zoned endpoint", Spec{Type: "secondary", Primaries: []Endpoint{{Addr: netip.MustParseAddr("fe80::1%eth0")}}}, ErrInvalid},
		{"65 also-notify", Spec{Type: "primary", File: "/z/a.zone", AlsoNotify: many}, ErrInvalid},
		{"unmasked ACL", Spec{Type: "primary", File: "/z/a.zone", AllowTransfer: []ACLEntry{{Prefix: netip.MustParsePrefix("10.0.0.1/24")}}}, ErrInvalid},
		{"bare ACL with a short prefix", Spec{Type: "primary", File: "/z/a.zone", AllowTransfer: []ACLEntry{{Prefix: netip.MustParsePrefix("10.0.0.0/24"), Bare: true}}}, ErrInvalid},
		{"zero ACL", Spec{Type: "primary", File: "/z/a.zone", AllowTransfer: []ACLEntry{{}}}, ErrInvalid},
		{"too large", Spec{Type: "primary", File: "/" + strings.Repeat("a", maxBlock)}, ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Render(tc.spec)
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Render = %q, %v; want %v (and ErrInvalid)", got, err, tc.want)
			}
		})
	}
}

// TestRenderSizeBound shows that the largest block §6 allows fits under the limit.
func TestRenderSizeBound(t *testing.T) {
	t.Parallel()
	var eps []Endpoint
	var acl []ACLEntry
	for i := range MaxEntries {
		a := netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00").Next()
		for range i {
			a = a.Next()
		}
		eps = append(eps, Endpoint{Addr: a, Port: 65535})
		acl = append(acl, ACLEntry{Prefix: netip.PrefixFrom(a, 128), Bare: true})
	}
	s := Spec{Type: "secondary", Primaries: eps, AlsoNotify: eps, AllowTransfer: acl,
		DNSSECPolicy: strings.Repeat("p", 253), InlineSigning: ptr(true)}
	got, err := Render(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) > maxBlock/2 {
		t.Errorf("largest secondary block is %d bytes", len(got))
	}
}
