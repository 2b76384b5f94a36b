package rrdata

import (
	"errors"
	"strings"
	"testing"
)

func TestOwner(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a23456789.", 24) // 240 characters
	tests := []struct {
		name, want string // want "" = refused
	}{
		{"@", "example.com."},
		{"www", "www.example.com."},
		{"WWW", "www.example.com."},
		{"example.com", "example.com."},
		{"EXAMPLE.com", "example.com."},
		{"Example.COM.", "example.com."},
		{"a.b.example.com", "a.b.example.com."},
		{"a.b.example.com.", "a.b.example.com."},
		{"fooexample.com", "fooexample.com.example.com."}, // relative, not a suffix match
		{"fooexample.com.", ""},
		{"example.org.", ""},
		{"com.", ""},
		{"www.example.org.", ""},
		{"*", "*.example.com."},
		{"*.sub", "*.sub.example.com."},
		{"*.example.com.", "*.example.com."},
		{"a.*", ""},
		{"**", ""},
		{"*a", ""},
		{"*.*", ""},
		{"_sip._tcp", "_sip._tcp.example.com."},
		{"-", "-.example.com."}, // BIND accepts it (check-names applies to hosts only)
		{"bücher", "xn--bcher-kva.example.com."},
		{"Bücher.example.com", "xn--bcher-kva.example.com."},
		{"bücher.example.com.", "xn--bcher-kva.example.com."},
		{"é", "xn--9ca.example.com."},
		{"ｗｗｗ", "www.example.com."}, // UTS 46 width mapping
		{"_bücher", ""},             // STD3: no underscore in an IDN label
		{"a\u200db", ""},            // ZWJ outside its context (RFC 5892 A.2)
		{"a。b", ""},                 // maps to two labels
		{"\xff", ""},
		{"a b", ""},
		{"a..b", ""},
		{".a", ""},
		{"a\\.b", ""},
		{"a@", ""},
		{"a.@", ""},
		{"$INCLUDE", ""},
		{"www\n$INCLUDE /etc/passwd", ""},
		{"", ""},
		{".", ""},
		{strings.Repeat("a", 63), strings.Repeat("a", 63) + ".example.com."},
		{strings.Repeat("a", 64), ""},
		{long + "a", long + "a.example.com."}, // 253 characters in all
		{long + "ab", ""},                     // 254 characters
		{strings.Repeat("ü", 600), ""},
	}
	for _, tc := range tests {
		got, err := Owner("example.com", tc.name)
		if tc.want == "" {
			if _, ok := errors.AsType[*InputError](err); !ok {
				t.Errorf("Owner(%q) = %q, %v; want an *InputError", tc.name, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Owner(%q) = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	for _, zone := range []string{"Example.com", "example.com.", "", "a..b"} {
		if _, err := Owner(zone, "www"); err == nil {
			t.Errorf("Owner(%q, www): non-normalised zone accepted", zone)
		}
	}
}

func TestOwnerMessages(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, msg string }{
		{"fooexample.com.", `name "fooexample.com." is outside zone example.com`},
		{"", "name is required"},
		{"a\nb", `name "a\nb": label "a\nb": labels are`},
	}
	for _, tc := range tests {
		_, err := Owner("example.com", tc.name)
		if err == nil || !strings.HasPrefix(err.Error(), tc.msg) {
			t.Errorf("Owner(%q) = %v, want a message starting %q", tc.name, err, tc.msg)
		}
	}
}
