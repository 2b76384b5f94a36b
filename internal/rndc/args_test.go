package rndc_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/bindgate/bindgate/internal/rndc"
	"github.com/google/go-cmp/cmp"
)

func TestZoneArguments(t *testing.T) {
	t.Parallel()
	srv, c := fake(t, nil)
	good := []struct {
		verb, zone string
		rest       []string
		want       string
	}{
		{"zonestatus", "example.test", nil, "zonestatus example.test"},
		{"dnssec -status", "a-b_c.example", nil, "dnssec -status a-b_c.example"},
		{"addzone", "a.test", []string{`{ type primary; file "/z/a.test.zone"; };`}, `addzone a.test { type primary; file "/z/a.test.zone"; };`},
		{"delzone", "a.test", []string{""}, "delzone a.test"},
	}
	for _, tc := range good {
		if _, err := c.Zone(t.Context(), tc.verb, tc.zone, tc.rest...); err != nil {
			t.Fatalf("%s %s: %v", tc.verb, tc.zone, err)
		}
	}
	var want []string
	for _, tc := range good {
		want = append(want, tc.want)
	}
	if diff := cmp.Diff(want, srv.Commands()); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
	bad := []struct{ verb, zone, rest string }{
		{"zonestatus", "", ""}, {"zonestatus", "a b", ""}, {"zonestatus", "a\tb", ""}, {"zonestatus", "a\nb", ""},
		{"zonestatus", `a"b`, ""}, {"zonestatus", "a'b", ""}, {"zonestatus", "a{b", ""}, {"zonestatus", "a}b", ""},
		{"zonestatus", "a;b", ""}, {"zonestatus", "../x", ""}, {"zonestatus", `a\b`, ""}, {"zonestatus", "a\x00b", ""},
		{"zonestatus", "a\x7fb", ""}, {"zonestatus", "exämple.test", ""}, {"zonestatus", "a\u00a0b", ""},
		{"delzone", "-clean", ""}, {"zonestatus", strings.Repeat("a", 256), ""},
		{"addzone", "a.test", "{ type primary;\n};"}, {"zone\nstatus", "a.test", ""}, {"", "a.test", ""},
	}
	for _, tc := range bad {
		if _, err := c.Zone(t.Context(), tc.verb, tc.zone, tc.rest); !errors.Is(err, rndc.ErrBadArgument) {
			t.Errorf("Zone(%q, %q, %q) = %v, want ErrBadArgument", tc.verb, tc.zone, tc.rest, err)
		}
	}
	if n := len(srv.Commands()); n != len(good) {
		t.Errorf("%d commands reached the server, want %d", n, len(good))
	}
}

func TestRequestTooLarge(t *testing.T) {
	t.Parallel()
	srv, c := fake(t, nil)
	for _, n := range []int{32700, 40000} {
		if _, err := c.Zone(t.Context(), "addzone", "a.test", strings.Repeat("x", n)); !errors.Is(err, rndc.ErrTooLarge) {
			t.Fatalf("%d bytes: %v, want ErrTooLarge", n, err)
		}
	}
	if _, err := c.Zone(t.Context(), "addzone", "a.test", strings.Repeat("x", 32000)); err != nil {
		t.Fatalf("32000 bytes: %v", err)
	}
	if got := len(srv.Commands()); got != 1 {
		t.Fatalf("%d commands sent, want 1", got)
	}
	if a := srv.Accepted(); a != 1 {
		t.Fatalf("%d connections: a refused request closed the connection", a)
	}
}
