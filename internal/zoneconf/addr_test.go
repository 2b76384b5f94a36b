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
		want string // String() of the result; "" = must fail with ErrInvalid
	}{
		{"192.0.2.1", "192.0.2.1"},
		{"2001:db8::1", "2001:db8::1"},
		{"2001:DB8:0:0::1", "2001:db8::1"},
		{"192.0.2.1:5353", "192.0.2.1 port 5353"},
		{"[2001:db8::1]:5353", "2001:db8::1 port 5353"},
		{"192.0.2.1 port 5353", "192.0.2.1 port 5353"},
		{"2001:db8::1 port 5353", "2001:db8::1 port 5353"},
		{"192.0.2.1:1", "192.0.2.1 port 1"},
		{"192.0.2.1:65535", "192.0.2.1 port 65535"},
		{"192.0.2.1:053", "192.0.2.1 port 53"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"[::ffff:192.0.2.1]:53", "192.0.2.1 port 53"},
		{"2001:db8::1:5353", "2001:db8::1:5353"}, // a valid IPv6 address, not address:port
		{"192.0.2.1:0", ""},
		{"192.0.2.1:65536", ""},
		{"192.0.2.1:+53", ""},
		{"192.0.2.1:", ""},
		{"192.0.2.1 port 0", ""},
		{"192.0.2.1 port 65536", ""},
		{"192.0.2.1 port", ""},
		{"192.0.2.1  port 53", ""},
		{"192.0.2.1 port 53 port 54", ""},
		{"[192.0.2.1]:53", ""},
		{"[2001:db8::1]", ""},
		{"[2001:db8::1]:", ""},
		{"2001:db8::1]:53", ""},
		{"[2001:db8::1", ""},
		{"[x", ""},
		{"fe80::1%eth0", ""},
		{"[fe80::1%eth0]:53", ""},
		{"fe80::1%eth0 port 53", ""},
		{"ns1.example.com", ""},
		{"ns1.example.com:53", ""},
		{"localhost", ""},
		{"10.0.0.0/24", ""},
		{"10.0.0.1/32", ""},
		{"key foo", ""},
		{`192.0.2.1 key "k"`, ""},
		{"192.0.2.1; 10.0.0.1", ""},
		{"192.0.2.1;", ""},
		{" 192.0.2.1", ""},
		{"192.0.2.1\n", ""},
		{"010.0.0.1", ""},
		{"any", ""},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			e, err := ParseEndpoint(tc.in)
			if tc.want == "" {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("ParseEndpoint(%q) = %v, %v; want an ErrInvalid", tc.in, e, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := e.String(); got != tc.want {
				t.Errorf("ParseEndpoint(%q).String() = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseEndpoints(t *testing.T) {
	t.Parallel()
	many := func(n int) []string {
		l := make([]string, n)
		for i := range l {
			l[i] = fmt.Sprintf("10.0.%d.%d", i/256, i%256)
		}
		return l
	}
	tests := []struct {
		name    string
		field   string
		in      []string
		want    []string // rendered
		wantErr string
	}{
		{name: "empty", field: "alsoNotify", in: []string{}, want: []string{}},
		{name: "exact duplicates collapse", field: "alsoNotify", in: []string{"192.0.2.1", "192.0.2.1", "192.0.2.1:53", "192.0.2.1 port 53", "[2001:db8::1]:53", "2001:db8::1 port 53"},
			want: []string{"192.0.2.1", "192.0.2.1 port 53", "2001:db8::1 port 53"}},
		{name: "64 entries", field: "primaries", in: many(64), want: many(64)},
		{name: "65 entries", field: "primaries", in: many(65), wantErr: "primaries has 65 entries; at most 64 are allowed"},
		{name: "contract message", field: "primaries", in: []string{"192.0.2.1", "x"},
			wantErr: `primaries contains an invalid entry: "x" (expected "<ip>", "<ip>:<port>" or "[<ipv6>]:<port>")`},
		{name: "message quotes the entry", field: "alsoNotify", in: []string{`a"b`},
			wantErr: `alsoNotify contains an invalid entry: "a\"b" (expected "<ip>", "<ip>:<port>" or "[<ipv6>]:<port>")`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseEndpoints(tc.field, tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || !errors.Is(err, ErrInvalid) {
					t.Fatalf("error = %v, want %q wrapping ErrInvalid", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, render(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseACLEntry(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"10.0.0.7", "10.0.0.7"},
		{"2001:db8::1", "2001:db8::1"},
		{"10.0.0.0/24", "10.0.0.0/24"},
		{"10.0.0.7/32", "10.0.0.7/32"},
		{"fd00::/64", "fd00::/64"},
		{"0.0.0.0/0", "0.0.0.0/0"},
		{"::/0", "::/0"},
		{"::ffff:10.0.0.7", "10.0.0.7"},
		{"::ffff:10.0.0.0/104", "10.0.0.0/8"},
		{"::ffff:0:0/95", ""},
		{"10.0.0.1/24", ""}, // host bits: BIND says "address/prefix length mismatch"
		{"fd00::1/64", ""},
		{"10.0.0.0/33", ""},
		{"10.0.0.0/", ""},
		{"10.0.0.0/-1", ""},
		{"10.0.0.7:53", ""},
		{"[2001:db8::1]:53", ""},
		{"10.0.0.7 port 53", ""},
		{"fe80::1%eth0", ""},
		{"fe80::%eth0/64", ""},
		{"!10.0.0.1", ""},
		{"! 10.0.0.1", ""},
		{"any", ""},
		{"none", ""},
		{"localhost", ""},
		{"localnets", ""},
		{"key foo", ""},
		{`key "foo"`, ""},
		{"host.example", ""},
		{"10.0.0.7; any", ""},
		{"{ 10.0.0.7; }", ""},
		{" 10.0.0.7", ""},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			e, err := ParseACLEntry(tc.in)
			if tc.want == "" {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("ParseACLEntry(%q) = %v, %v; want an ErrInvalid", tc.in, e, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := e.String(); got != tc.want {
				t.Errorf("ParseACLEntry(%q).String() = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseACL(t *testing.T) {
	t.Parallel()
	many := make([]string, 65)
	for i := range many {
		many[i] = fmt.Sprintf("10.0.0.%d", i)
	}
	tests := []struct {
		name    string
		in      []string
		want    []string
		wantErr string
	}{
		{name: "empty", in: []string{}, want: []string{}},
		{name: "same prefix collapses, first form kept", in: []string{"10.0.0.7", "10.0.0.7/32", "fd00::/64", "fd00::/64"}, want: []string{"10.0.0.7", "fd00::/64"}},
		{name: "64 entries", in: many[:64], want: many[:64]},
		{name: "65 entries", in: many, wantErr: "allow-transfer has 65 entries; at most 64 are allowed"},
		{name: "contract message", in: []string{"10.0.0.7", "x"}, wantErr: `allow-transfer contains an invalid address: "x"`},
		{name: "host bits", in: []string{"10.0.0.1/24"}, wantErr: `allow-transfer contains an invalid address: "10.0.0.1/24"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseACL("allow-transfer", tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || !errors.Is(err, ErrInvalid) {
					t.Fatalf("error = %v, want %q wrapping ErrInvalid", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, render(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestIsIdentifier(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want bool
	}{
		{"bindy-operator", true},
		{"a.b_c-1", true},
		{"A", true},
		{strings.Repeat("a", 253), true},
		{strings.Repeat("a", 254), false},
		{"", false},
		{`a"b`, false},
		{"a b", false},
		{"a;b", false},
		{"key}", false},
		{"a\\b", false},
		{"a\nb", false},
		{"é", false},
		{`k"; }; allow-update { any`, false},
	}
	for _, tc := range tests {
		if got := IsIdentifier(tc.in); got != tc.want {
			t.Errorf("IsIdentifier(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func render[T fmt.Stringer](l []T) []string {
	out := make([]string, len(l))
	for i, v := range l {
		out[i] = v.String()
	}
	return out
}
