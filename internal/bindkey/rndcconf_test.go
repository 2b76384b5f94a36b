package bindkey

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// bindyRNDCConf is /etc/bind/rndc.conf of a bindy pod (docs/contract.md §14.2), including keyPath.
func bindyRNDCConf(keyPath string) string {
	return `include "` + keyPath + `";
options {
	default-server 127.0.0.1;
	default-port 9530;
	default-key "bindy-operator";
};
server 127.0.0.1 {
	key "bindy-operator";
	port 9530;
};
`
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// The bindy pod layout of docs/contract.md §14.2, read from disk, with the include absolute (as bindy
// writes it) and relative to the including file.
func TestLoadRNDCConfBindyLayout(t *testing.T) {
	t.Parallel()
	for _, rel := range []bool{false, true} {
		t.Run(fmt.Sprintf("relative=%v", rel), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			keyPath := filepath.Join(dir, "keys", "rndc.key")
			writeFile(t, keyPath, "key \"bindy-operator\" {\n\talgorithm hmac-sha256;\n\tsecret \""+testSecret+"\";\n};\n")
			inc := keyPath
			if rel {
				inc = "keys/rndc.key"
			}
			conf := filepath.Join(dir, "rndc.conf")
			writeFile(t, conf, bindyRNDCConf(inc))

			c, err := LoadRNDCConf(conf)
			if err != nil {
				t.Fatal(err)
			}
			want := RNDCConf{
				DefaultServer: "127.0.0.1", DefaultKey: "bindy-operator", DefaultPort: 9530,
				Servers: []ServerConf{{Addr: "127.0.0.1", Key: "bindy-operator", Port: 9530}},
				Files:   []string{conf, keyPath},
			}
			keys := c.Keys
			c.Keys = nil
			if d := cmp.Diff(want, c); d != "" {
				t.Errorf("conf (-want +got):\n%s", d)
			}
			k, err := RNDCConf{Keys: keys, DefaultKey: want.DefaultKey}.ResolveKey("")
			if err != nil || k.Name != "bindy-operator" || k.Algorithm != HMACSHA256 || k.SecretBase64() != testSecret {
				t.Errorf("ResolveKey = %v, %v", k, err)
			}
		})
	}
}

func TestLoadRNDCConfFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, err := LoadRNDCConf(filepath.Join(dir, "missing.conf"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "missing.conf") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := LoadRNDCConf(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
	big := filepath.Join(dir, "big.conf")
	writeFile(t, big, strings.Repeat("#", maxFileSize+1))
	if _, err := LoadRNDCConf(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("big file: %v", err)
	}
	conf := filepath.Join(dir, "rndc.conf")
	writeFile(t, conf, keyStmt("a")+"\ninclude \"nope.key\";")
	c, err := LoadRNDCConf(conf)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), fmt.Sprintf("rndc.conf: line 2 (byte %d)", len(keyStmt("a"))+1)) ||
		!strings.Contains(err.Error(), filepath.Join(dir, "nope.key")) {
		t.Errorf("missing include: %v", err)
	}
	if d := cmp.Diff([]string{conf}, c.Files); d != "" {
		t.Errorf("Files after an error (-want +got):\n%s", d)
	}
}

// chain returns files /c/0.conf .. /c/<n>.conf where each includes the next by a relative path
// and the last holds a key: n nested includes below the main file.
func chain(n int) map[string]string {
	files := map[string]string{}
	for i := range n {
		files[fmt.Sprintf("/c/%d.conf", i)] = fmt.Sprintf(`include "%d.conf";`, i+1)
	}
	files[fmt.Sprintf("/c/%d.conf", n)] = keyStmt("deep")
	return files
}

func TestParseRNDCConf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files map[string]string // besides the main file, /c/0.conf
		main  string            // "" = files["/c/0.conf"]
		err   error             // nil = want success
		where string
		check func(RNDCConf) string
	}{
		{name: "includes nest 32 deep", files: chain(MaxIncludeDepth),
			check: func(c RNDCConf) string { return fmt.Sprint(len(c.Files), len(c.Keys)) + " want 33 1" }},
		{name: "33 deep fails", files: chain(MaxIncludeDepth + 1), err: ErrInclude, where: "/c/32.conf: line 1 (byte 0)"},
		{name: "cycle", files: map[string]string{"/c/a.conf": `include "/c/b.conf";`, "/c/b.conf": `include "a.conf";`},
			main: `include "a.conf";`, err: ErrInclude, where: "/c/b.conf: line 1 (byte 0): bad include: include cycle"},
		{name: "self include", main: `include "0.conf";`, err: ErrInclude, where: "cycle"},
		{name: "same file twice is not a cycle", files: map[string]string{"/c/opt.conf": `options { default-port 1; };`, "/c/k.conf": keyStmt("a")},
			main: `include "k.conf"; include "sub/../opt.conf";`,
			check: func(c RNDCConf) string {
				return fmt.Sprint(c.Files, c.DefaultPort) + " want [/c/0.conf /c/k.conf /c/opt.conf] 1"
			}},
		{name: "included key twice", files: map[string]string{"/c/k.conf": keyStmt("a")},
			main: `include "k.conf"; include "./k.conf";`, err: ErrSyntax, where: "/c/k.conf: line 1 (byte 0): syntax error: a key of this name"},
		{name: "unknown options skipped", main: keyStmt("a") + `options { default-source-address 127.0.0.1 port 0; x { y { z; }; { w; }; }; default-key a; };`,
			check: func(c RNDCConf) string { return c.DefaultKey + " want a" }},
		{name: "server extra clauses", main: `server ::1 { addresses { ::1 port 953; }; key "k"; port 953; };`,
			check: func(c RNDCConf) string { return fmt.Sprint(c.Servers) + " want [{::1 k 953}]" }},
		{name: "default-port out of range", main: `options { default-port 70000; };`, err: ErrSyntax, where: "1 to 65535"},
		{name: "default-port zero", main: `options { default-port 0; };`, err: ErrSyntax, where: "default-port must be"},
		{name: "server port negative", main: `server a { port -1; };`, err: ErrSyntax, where: "port must be"},
		{name: "server port word", main: `server a { port x; };`, err: ErrSyntax, where: "port must be"},
		{name: "options twice", main: `options { }; options { };`, err: ErrSyntax, where: "options given twice"},
		{name: "default-key twice", main: `options { default-key a; default-key b; };`, err: ErrSyntax, where: "twice"},
		{name: "default-server with a block", main: `options { default-server a { }; };`, err: ErrSyntax, where: "one value"},
		{name: "server twice", main: `server a { }; server a { };`, err: ErrSyntax, where: "already defined"},
		{name: "server without block", main: `server a;`, err: ErrSyntax, where: "server needs"},
		{name: "include two paths", main: `include "a" "b";`, err: ErrSyntax, where: "include takes one path"},
		{name: "include empty path", main: `include "";`, err: ErrSyntax, where: "include takes one path"},
		{name: "missing include", main: `include "nope.conf";`, err: fs.ErrNotExist, where: "/c/0.conf: line 1 (byte 0): read /c/nope.conf"},
		{name: "unknown statement", main: `logging { };`, err: ErrSyntax, where: "unknown statement"},
		{name: "malformed option", main: `options { default-port 953 };`, err: ErrSyntax, where: "missing ';' before '}'"},
		{name: "unbalanced unknown option", main: `options { x { y; }; `, err: ErrSyntax, where: "missing '}'"},
		{name: "bad key", main: `key "k" { algorithm hmac-md5; secret "` + testSecret + `"; };`, err: ErrAlgorithm, where: "/c/0.conf: line 1"},
		{name: "bad key in include", files: map[string]string{"/c/k.conf": "\n" + `key "k" { algorithm hmac-sha256; secret "%%"; };`},
			main: `include "k.conf";`, err: ErrSecret, where: "/c/k.conf: line 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			files := map[string]string{}
			for k, v := range tc.files {
				files[k] = v
			}
			if tc.main != "" {
				files["/c/0.conf"] = tc.main
			}
			c, err := parseRNDCConf([]byte(files["/c/0.conf"]), "/c/0.conf", mapLoader(files))
			assertNoSecret(t, err)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.where) {
					t.Fatalf("err = %v, want %v containing %q", err, tc.err, tc.where)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.check != nil {
				got, want, _ := strings.Cut(tc.check(c), " want ")
				if got != want {
					t.Errorf("got %s, want %s", got, want)
				}
			}
		})
	}
}

func TestResolveKey(t *testing.T) {
	t.Parallel()
	a, b := Key{Name: "a", Algorithm: HMACSHA256, Secret: []byte("1")}, Key{Name: "b", Algorithm: HMACSHA512, Secret: []byte("2")}
	tests := []struct {
		name string
		conf RNDCConf
		ask  string
		want string // key name, or "" with err
		err  error
	}{
		{"the only key", RNDCConf{Keys: []Key{a}}, "", "a", nil},
		{"default-key", RNDCConf{Keys: []Key{a, b}, DefaultKey: "b"}, "", "b", nil},
		{"name beats default-key", RNDCConf{Keys: []Key{a, b}, DefaultKey: "b"}, "a", "a", nil},
		{"name given", RNDCConf{Keys: []Key{a, b}}, "b", "b", nil},
		{"several keys and no default", RNDCConf{Keys: []Key{a, b}}, "", "", ErrAmbiguousKey},
		{"no key", RNDCConf{}, "", "", ErrNoKey},
		{"named key missing", RNDCConf{Keys: []Key{a}}, "zzz", "", ErrNoKey},
		{"default-key missing", RNDCConf{Keys: []Key{a}, DefaultKey: "zzz"}, "", "", ErrNoKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := tc.conf.ResolveKey(tc.ask)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil || k.Name != tc.want {
				t.Fatalf("ResolveKey(%q) = %v, %v; want %s", tc.ask, k, err, tc.want)
			}
		})
	}
}

func TestServer(t *testing.T) {
	t.Parallel()
	c := RNDCConf{Servers: []ServerConf{{Addr: "127.0.0.1", Port: 9530}, {Addr: "::1", Key: "k"}}}
	if s, ok := c.Server("::1"); !ok || s.Key != "k" {
		t.Errorf("Server(::1) = %v, %v", s, ok)
	}
	if _, ok := c.Server("localhost"); ok {
		t.Error("Server(localhost) found")
	}
}
