package config

import (
	"log/slog"
	"testing"
)

func TestParseServer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		host string
		port uint16
		ok   bool
	}{
		{"127.0.0.1", "127.0.0.1", 0, true},
		{"127.0.0.1:9530", "127.0.0.1", 9530, true},
		{"localhost", "localhost", 0, true},
		{"named.dns.svc:953", "named.dns.svc", 953, true},
		{"::1", "::1", 0, true},
		{"2001:db8::53", "2001:db8::53", 0, true},
		{"[::1]", "::1", 0, true},
		{"[::1]:9530", "::1", 9530, true},
		{"[fe80::1%eth0]:953", "fe80::1%eth0", 953, true},
		{"[::1]:0", "", 0, false},
		{"[::1]:65536", "", 0, false},
		{"host:x", "", 0, false},
		{"[1.2.3.4]:53", "", 0, false},
		{"a b", "", 0, false},
		{"", "", 0, false},
		{"[::1", "", 0, false},
		{"-bad-.example", "", 0, true}, // host names are not policed beyond their characters
	}
	for _, tc := range tests {
		h, p, err := parseServer(tc.in)
		if (err == nil) != tc.ok || (tc.host != "" && (h != tc.host || p != tc.port)) {
			t.Errorf("parseServer(%q) = %q, %d, %v; want %q, %d ok=%v", tc.in, h, p, err, tc.host, tc.port, tc.ok)
		}
	}
}

func TestParseRustLog(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want slog.Level
		ok   bool
	}{
		{"", slog.LevelInfo, true},
		{"info", slog.LevelInfo, true},
		{"info,bindcar=debug", slog.LevelDebug, true},
		{"bindcar=trace", slog.LevelDebug, true},
		{"error,tower_http=warn", slog.LevelWarn, true},
		{"bindcar", slog.LevelInfo, true},
		{"bindcar[req{id=1}]", slog.LevelInfo, true},
		{"bindcar[req{id=1}]=debug", slog.LevelDebug, true},
		{"off", slog.LevelError, true},
		{"WARN", slog.LevelWarn, true},
		{"bindcar=loud", 0, false},
		{"info,x=", 0, false},
	}
	for _, tc := range tests {
		got, err := parseRustLog(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("parseRustLog(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseBool(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{"true": true, "TRUE": true, "1": true, "yes": true, "Yes": true, "false": false, "0": false, "NO": false, " true ": true} {
		if got, err := parseBool(in); err != nil || got != want {
			t.Errorf("parseBool(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"on", "off", "y", "n", "2", "t", "f", "truee"} {
		if _, err := parseBool(in); err == nil {
			t.Errorf("parseBool(%q) accepted", in)
		}
	}
}

func TestLoopback(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "127.0.0.1": true, "127.255.0.9": true, "::1": true, "::ffff:127.0.0.1": true,
		"0.0.0.0": false, "::": false, "10.0.0.1": false, "": false, "example.com": false, "localhost.example": false,
	} {
		if got := loopback(host); got != want {
			t.Errorf("loopback(%q) = %v", host, got)
		}
	}
}

func TestValidServiceAccount(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{
		"system:serviceaccount:dns:bindy": true, "system:serviceaccount:a-b:c.d": true,
		"bindy": false, "system:serviceaccount:dns": false, "system:serviceaccount::bindy": false,
		"system:serviceaccount:dns:": false, "system:serviceaccount:DNS:bindy": false, "system:serviceaccount:dns:bindy:x": false,
	} {
		if got := validServiceAccount(in); got != want {
			t.Errorf("validServiceAccount(%q) = %v", in, got)
		}
	}
}
