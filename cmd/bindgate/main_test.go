package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// The startup guards stop the process with a message that says what to set (docs/contract.md §15.3).
func TestRunRefusesUnsafeStart(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"version", nil, []string{"--version"}, 0, "bindgate 0.0.0-dev"},
		{"help lists every variable", nil, []string{"--help"}, 0, "RNDC_SECRET_FILE"},
		{"auth off on all interfaces", map[string]string{"DISABLE_AUTH": "true", "RNDC_SECRET": "dGVzdA==", "RNDC_CONF": "/nonexistent"}, nil, 1, "--i-know-this-is-insecure"},
		{"no allowlist for TokenReview", map[string]string{"RNDC_SECRET": "dGVzdA==", "RNDC_CONF": "/nonexistent"}, nil, 1, "BIND_ALLOWED_SERVICE_ACCOUNTS"},
		{"bad number", map[string]string{"API_PORT": "eighty"}, nil, 1, "API_PORT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			for _, k := range []string{"BIND_API_TOKEN", "BIND_ALLOW_ANY_SERVICEACCOUNT"} {
				if _, ok := tc.env[k]; !ok {
					t.Setenv(k, "")
					os.Unsetenv(k)
				}
			}
			var out, errb bytes.Buffer
			code := run(tc.args, &out, &errb)
			if code != tc.code || !strings.Contains(out.String()+errb.String(), tc.want) {
				t.Fatalf("exit %d, output %q %q; want %d and %q", code, out.String(), errb.String(), tc.code, tc.want)
			}
		})
	}
}

// The client commands go to internal/cli; --help shows both groups and still every server
// variable; everything else stays the server's.
func TestRunDispatchesClientCommands(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"help groups server and client", []string{"--help"}, 0, []string{"Server commands", "Client commands", "zone", "RNDC_SECRET_FILE"}},
		{"help command", []string{"help"}, 0, []string{"Server commands", "Client commands", "RNDC_SECRET_FILE"}},
		{"client usage error", []string{"zone", "get"}, 2, []string{"want ZONE"}},
		{"client unreachable", []string{"zone", "list", "--url", "http://127.0.0.1:1"}, 3, []string{"unreachable"}},
		{"completion", []string{"completion", "bash"}, 0, []string{"bash completion"}},
		{"run --help is the server's", []string{"run", "--help"}, 0, []string{"RNDC_SECRET_FILE"}},
		{"rotate-key is its own", []string{"rotate-key", "--help"}, 0, []string{"Usage: bindgate rotate-key"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tc.args, &out, &errb)
			for _, w := range tc.want {
				if code != tc.code || !strings.Contains(out.String()+errb.String(), w) {
					t.Fatalf("exit %d, output %q %q; want %d and %q", code, out.String(), errb.String(), tc.code, w)
				}
			}
		})
	}
}
