package bindkey

import (
	"strings"
	"testing"
)

// canary is a secret appended to fuzzed input: whatever the input did to the parser, the
// canary must never appear in an error (docs/contract.md §19 A3).
const canary = "Q0FOQVJZLXNlY3JldC1tdXN0LW5ldmVyLWxlYWs="

var canaryKey = `key "canary" { algorithm "` + canary + `"; secret "` + canary + `"; };`

func keyFileSeeds() []string {
	return []string{
		keyStmt("bindy-operator"),
		"/* x */ key k { algorithm sha512; secret \"\\\"\"; };",
		"# c\nkey k { secret dGVzdA==; algorithm HMAC-SHA256; };",
		`key "k" { { { }; }; };`,
		`key "k" { algorithm hmac-md5; secret "dGVzdA=="; };`,
		`key "k" { algorithm "`,
		`key "k" { secret `,
		"key \"k\" { secret \"a\\",
		"key // x",
		"key k { algorithm /* x",
		"}",
		"",
	}
}

func FuzzParseKeyFile(f *testing.F) {
	for _, s := range keyFileSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, in := range []string{s, s + canaryKey, s + " " + canary, canaryKey + s} {
			keys, err := parseKeyFile([]byte(in), "f")
			if err != nil {
				if strings.Contains(err.Error(), canary) || !strings.HasPrefix(err.Error(), "f: ") {
					t.Fatalf("bad error for %q: %v", in, err)
				}
				continue
			}
			for _, k := range keys {
				if k.Validate() != nil || !ValidKeyName(k.Name) {
					t.Fatalf("invalid key accepted from %q", in)
				}
			}
		}
	})
}

func FuzzRNDCConf(f *testing.F) {
	for _, s := range keyFileSeeds() {
		f.Add(s)
	}
	for _, s := range []string{
		bindyRNDCConf("k"),
		`include "self"; ` + keyStmt("a"),
		`options { default-key "a"; default-port 953; x { { y; }; }; }; server 127.0.0.1 { port 1; key a; };`,
		`options { default-port 65536; };`,
		`server "::1" { addresses { ::1; }; };`,
		`include "`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Every include reads the fuzzed text again, so includes always cycle or nest deep.
		for _, in := range []string{s, s + canaryKey, canaryKey + s} {
			load := func(string) ([]byte, error) { return []byte(in), nil }
			c, err := parseRNDCConf([]byte(in), "/etc/bind/rndc.conf", load)
			if err != nil {
				if strings.Contains(err.Error(), canary) {
					t.Fatalf("error for %q leaks the secret: %v", in, err)
				}
				continue
			}
			if len(c.Files) == 0 || len(c.Files) > MaxIncludeDepth+1 {
				t.Fatalf("Files = %v", c.Files)
			}
			for _, k := range c.Keys {
				if k.Validate() != nil {
					t.Fatalf("invalid key accepted from %q", in)
				}
			}
			if _, err := c.ResolveKey(""); err != nil && strings.Contains(err.Error(), canary) {
				t.Fatalf("ResolveKey leaks: %v", err)
			}
		}
	})
}
