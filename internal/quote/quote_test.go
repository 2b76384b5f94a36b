package quote

import (
	"strings"
	"testing"
)

func TestShort(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{"example.com", `"example.com"`},
		{"a\nb\x00", `"a\nb\x00"`},
		{"\xff", `"\xff"`},
		{strings.Repeat("a", MaxShort), `"` + strings.Repeat("a", MaxShort) + `"`},
		{strings.Repeat("a", MaxShort+1), `"` + strings.Repeat("a", MaxShort) + `"...`},
	} {
		if got := Short(tc.in); got != tc.want {
			t.Errorf("Short(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestBIND(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{"/tmp/TestX 1/001", `"/tmp/TestX 1/001"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"/tmp/ünïcode", `"/tmp/ünïcode"`},
		{`\"`, `"\\\""`},
	} {
		if got := BIND(tc.in); got != tc.want {
			t.Errorf("BIND(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
