package bindkey

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const secretB64 = "c2VjcmV0LW1hdGVyaWFsLW5ldmVyLWluLWVycm9ycy0xMjM0NQ=="

func TestParseKeyFile(t *testing.T) {
	t.Parallel()
	good := []string{
		`key "bindy-operator" { algorithm hmac-sha256; secret "` + secretB64 + `"; };`,
		"// comment\n# another\n/* block\n */ key rndc-key {\n\talgorithm HMAC-SHA256;\n\tsecret \"" + secretB64 + "\";\n};\n",
	}
	for _, g := range good {
		keys, err := ParseKeyFile([]byte(g), "rndc.key")
		if err != nil || len(keys) != 1 || keys[0].Algorithm != HMACSHA256 || len(keys[0].Secret) == 0 {
			t.Errorf("ParseKeyFile(%q) = %v, %v", g, keys, err)
		}
	}
	bad := []string{
		`key "k" { algorithm hmac-md5; secret "` + secretB64 + `"; };`,
		`key "k" { algorithm hmac-sha256; secret "not base64!"; };`,
		`key "k" { algorithm hmac-sha256; secret ""; };`,
		`key "k" { algorithm hmac-sha256; };`,
		`key "k" { algorithm hmac-sha256; secret "` + secretB64 + `"; }`,
		`key "k" { algorithm hmac-sha256; secret "` + secretB64 + `"; }; trailing`,
		`key "k" { algorithm hmac-sha256; secret "` + secretB64 + `"; extra x; };`,
		`key "k" { algorithm hmac-sha256; secret "` + secretB64,
		`options { };`,
		``,
	}
	for _, b := range bad {
		_, err := ParseKeyFile([]byte(b), "rndc.key")
		if err == nil {
			t.Errorf("ParseKeyFile(%q) accepted", b)
			continue
		}
		if strings.Contains(err.Error(), secretB64) || strings.Contains(err.Error(), "secret-material") {
			t.Errorf("error leaks the secret: %v", err)
		}
	}
}

func mapReader(files map[string]string) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
}

// The bindy pod layout of CONTRACT §14.2.
func TestBindyLayout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "keys"), 0o755)
	os.WriteFile(filepath.Join(dir, "keys", "rndc.key"), []byte(`key "bindy-operator" { algorithm hmac-sha256; secret "`+secretB64+`"; };`), 0o600)
	conf := filepath.Join(dir, "rndc.conf")
	os.WriteFile(conf, []byte(`include "keys/rndc.key"; options { default-server 127.0.0.1; default-port 9530; default-key "bindy-operator"; }; server 127.0.0.1 { key "bindy-operator"; port 9530; };`), 0o644)
	c, err := LoadRNDCConf(conf)
	if err != nil {
		t.Fatal(err)
	}
	k, err := c.ResolveKey("")
	if err != nil || k.Name != "bindy-operator" || c.DefaultPort != 9530 || c.DefaultServer != "127.0.0.1" || len(c.Files) != 2 {
		t.Fatalf("conf %+v key %v err %v", c, k, err)
	}
	if s, ok := c.Server("127.0.0.1"); !ok || s.Port != 9530 {
		t.Fatalf("server %+v", s)
	}
}

func TestRNDCConfErrors(t *testing.T) {
	t.Parallel()
	key := func(n string) string {
		return `key "` + n + `" { algorithm hmac-sha256; secret "` + secretB64 + `"; };`
	}
	deep := map[string]string{}
	for i := range MaxIncludeDepth + 2 {
		deep[fmt.Sprintf("/c/%d.conf", i)] = fmt.Sprintf(`include "%d.conf";`, i+1)
	}
	tests := []struct {
		name  string
		files map[string]string
		main  string
		key   string
		want  string // substring of the error; "" = ok
	}{
		{"two keys no default", nil, key("a") + key("b"), "", "no default-key"},
		{"two keys named", nil, key("a") + key("b"), "b", ""},
		{"no key", nil, `options { default-port 953; };`, "", "no key"},
		{"unknown named key", nil, key("a"), "zzz", `no key "zzz"`},
		{"port out of range", nil, key("a") + `options { default-port 70000; };`, "", "1-65535"},
		{"cycle", map[string]string{"/c/a.conf": `include "main.conf";`}, `include "a.conf";` + key("a"), "", "cycle"},
		{"depth", deep, `include "0.conf";`, "", "deeper than 32"},
		{"missing include", nil, `include "nope.conf";`, "", "nope.conf"},
		{"syntax", nil, `options { default-port 953 };`, "", "offset"},
		{"unknown statements skipped", nil, `logging { channel x { }; }; ` + key("a"), "", ""},
	}
	for _, tc := range tests {
		files := map[string]string{"/c/main.conf": tc.main}
		for k, v := range tc.files {
			files[k] = v
		}
		c, err := ParseRNDCConf([]byte(tc.main), "/c/main.conf", func(p string) ([]byte, error) { return mapReader(files)(p) })
		if err == nil {
			_, err = c.ResolveKey(tc.key)
		}
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), secretB64) {
			t.Errorf("%s: error leaks the secret", tc.name)
		}
	}
	if _, err := ParseKeyFile([]byte("key"), "x"); !errors.Is(err, ErrSyntax) {
		t.Errorf("want ErrSyntax, got %v", err)
	}
}

func FuzzParseKeyFile(f *testing.F) {
	f.Add(`key "k" { algorithm hmac-sha256; secret "dGVzdA=="; };`)
	f.Add("/* x */ key k { secret \"\\\"\"; };")
	f.Add(`key "k" { { { }; }; };`)
	f.Fuzz(func(t *testing.T, s string) {
		keys, err := ParseKeyFile([]byte(s), "f")
		if err == nil {
			for _, k := range keys {
				if k.Validate() != nil {
					t.Fatalf("invalid key accepted from %q", s)
				}
			}
		}
	})
}

func FuzzRNDCConf(f *testing.F) {
	f.Add(`include "k"; options { default-key "a"; default-port 953; }; server 127.0.0.1 { port 1; };`)
	f.Add(`key a { algorithm sha512; secret "dGVzdA=="; };`)
	f.Fuzz(func(t *testing.T, s string) {
		read := func(p string) ([]byte, error) { return []byte(s), nil } // every include is the same text: a cycle
		_, _ = ParseRNDCConf([]byte(s), "/main", read)
	})
}
