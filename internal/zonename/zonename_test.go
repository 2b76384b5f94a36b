package zonename

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"example.com", "example.com", true},
		{"Example.COM.", "example.com", true},
		{"a", "a", true},
		{"_dmarc.example.com", "", false}, // docs/contract.md §4: first character alphanumeric
		{"a_b-c.example.com", "a_b-c.example.com", true},
		{"xn--bcher-kva.example", "xn--bcher-kva.example", true},
		{"1.0.0.127.in-addr.arpa", "1.0.0.127.in-addr.arpa", true},
		{strings.Repeat("a", 63) + ".com", strings.Repeat("a", 63) + ".com", true},
		{"", "", false},
		{".", "", false},
		{"..", "", false},
		{".example.com", "", false},
		{"example..com", "", false},
		{"example.com..", "", false},
		{"-example.com", "", false},
		{"_x", "", false},
		{"exa mple.com", "", false},
		{"example.com\n", "", false},
		{"../etc/passwd", "", false},
		{"a/b", "", false},
		{"a\\b", "", false},
		{"0/25.2.0.192.in-addr.arpa", "", false},
		{`ex"ample`, "", false},
		{"ex{ample", "", false},
		{"ex;ample", "", false},
		{"exämple.com", "", false},
		{"*.example.com", "", false},
		{strings.Repeat("a", 64) + ".com", "", false},
		{strings.Repeat("abcdefghi.", 25) + "abcd", "", false}, // 254 characters
	}
	for _, tc := range tests {
		got, err := Normalize(tc.in)
		if tc.ok != (err == nil) {
			t.Errorf("Normalize(%q) error = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("Normalize(%q) error %v does not wrap ErrInvalid", tc.in, err)
		}
		if got != tc.want {
			t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestInZone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		owner, zone string
		want        bool
	}{
		{"example.com", "example.com", true},
		{"www.example.com.", "example.com", true},
		{"WWW.Example.Com", "example.com", true},
		{"fooexample.com", "example.com", false},
		{"example.org", "example.com", false},
	}
	for _, tc := range tests {
		if got := InZone(tc.owner, tc.zone); got != tc.want {
			t.Errorf("InZone(%q, %q) = %v, want %v", tc.owner, tc.zone, got, tc.want)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"example.com", "Example.COM.", "../x", "a..b", "x\x00y", strings.Repeat("a.", 130)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Normalize(s)
		if err != nil {
			return
		}
		if len(n) == 0 || len(n) > MaxLen || strings.ContainsAny(n, "/\\ \t\r\n\"{};'") || n != strings.ToLower(n) {
			t.Fatalf("Normalize(%q) = %q: unsafe result", s, n)
		}
		if again, err := Normalize(n); err != nil || again != n {
			t.Fatalf("Normalize not idempotent on %q: %q, %v", n, again, err)
		}
	})
}

// Every refusal is a *Error whose Reason is the public words, and matches ErrInvalid.
func TestErrorReason(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, reason string }{
		{"", "empty"},
		{".", "empty"},
		{"a..b", "empty label"},
		{"-a.test", "a label must start with a letter or digit"},
		{"a/b", "character '/' not allowed"},
		{strings.Repeat("a", 64), "label longer than 63 characters"},
		{strings.Repeat("a.", 127) + "a", "longer than 253 characters"},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			t.Parallel()
			_, err := Normalize(tc.name)
			ze, ok := errors.AsType[*Error](fmt.Errorf("wrapped: %w", err))
			if !ok || ze.Reason != tc.reason {
				t.Fatalf("Normalize(%q) = %v, want reason %q", tc.name, err, tc.reason)
			}
			if !errors.Is(err, ErrInvalid) || err.Error() != "invalid zone name: "+tc.reason {
				t.Errorf("err = %q, want ErrInvalid and its text", err)
			}
		})
	}
}
