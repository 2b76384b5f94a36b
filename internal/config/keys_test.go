package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/google/go-cmp/cmp"
)

// other is a second secret, as the environment might give it.
const other = "b3RoZXItc2VjcmV0" // "other-secret"

func keyText(name, alg, b64 string) string {
	return `key "` + name + `" { algorithm ` + alg + `; secret "` + b64 + `"; };` + "\n"
}

// bindyConf is the bindy pod's /etc/bind/rndc.conf (docs/contract.md §14.2), including keyPath.
func bindyConf(keyPath string) string {
	return `include "` + keyPath + `";
options { default-server 127.0.0.1; default-port 9530; default-key "bindy-operator"; };
server 127.0.0.1 { key "bindy-operator"; port 9530; };
`
}

// writeTree writes files (relative paths) under dir; "{dir}" in content becomes dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(content, "{dir}", dir)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// The bindy pod of docs/contract.md §14.2 end to end: rndc.conf at the default path, the key in an
// included file, the environment bindy sets, and the guards.
func TestBindyPod(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"etc/bind/rndc.conf":      bindyConf("{dir}/etc/bind/keys/rndc.key"),
		"etc/bind/keys/rndc.key":  keyText("bindy-operator", "hmac-sha256", secret),
		"etc/bind/keys/secret":    secret + "\n",
		"etc/bind/keys/algorithm": "hmac-sha256\n",
	})
	env := map[string]string{
		"BIND_ZONE_DIR": "/var/cache/bind", "API_PORT": "8080", "RUST_LOG": "info", "TMPDIR": "/tmp",
		"BIND_TOKEN_AUDIENCES": "bindcar", "BIND_ALLOWED_SERVICE_ACCOUNTS": "system:serviceaccount:bindy-system:bindy",
		"NSUPDATE_PORT": "5353",
	}
	confs := []string{filepath.Join(dir, "etc/bind/rndc.conf"), filepath.Join(dir, "etc/rndc.conf")}
	files := []string{filepath.Join(dir, "etc/bind/rndc.conf"), filepath.Join(dir, "etc/bind/keys/rndc.key")}
	for _, tc := range []struct {
		name     string
		env      map[string]string
		keyFiles []string
	}{
		{"key from rndc.conf", nil, files},
		{"secret and algorithm from the environment", map[string]string{"RNDC_SECRET": secret, "RNDC_ALGORITHM": "HMAC-SHA256"}, files},
		{"secret from a file", map[string]string{"RNDC_SECRET_FILE": filepath.Join(dir, "etc/bind/keys/secret")},
			append([]string{filepath.Join(dir, "etc/bind/keys/secret")}, files...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := load(nil, envOf(with(env, tc.env)), loadOptions{rndcConfs: confs})
			if err != nil {
				t.Fatal(err)
			}
			want := bindkey.Key{Name: "bindy-operator", Algorithm: bindkey.HMACSHA256, Secret: []byte("secret-material-never-in-errors-12345")}
			if !c.RNDC.Key.Equal(want) || !c.NSUpdate.Key.Equal(want) {
				t.Errorf("keys %v / %v, want %v", c.RNDC.Key, c.NSUpdate.Key, want)
			}
			got := join(c.RNDC.Addr, c.NSUpdate.Addr, c.ListenAddr, c.AuthMode(), c.LogLevel)
			if got != "127.0.0.1:9530 127.0.0.1:5353 0.0.0.0:8080 tokenreview INFO" {
				t.Errorf("got %s", got)
			}
			if d := cmp.Diff(tc.keyFiles, c.RNDC.KeyFiles); d != "" {
				t.Errorf("KeyFiles (-want +got):\n%s", d)
			}
			if err := c.Guard(); err != nil {
				t.Errorf("Guard: %v", err)
			}
		})
	}
}

func TestRNDCResolution(t *testing.T) {
	t.Parallel()
	twoKeys := keyText("a", "hmac-sha256", secret) + keyText("b", "hmac-sha512", other)
	tests := []struct {
		name  string
		files map[string]string // under a temp dir; rndc.conf is RNDC_CONF unless env says otherwise
		env   map[string]string // "{dir}" is replaced
		want  string            // "addr name alg secret | nsupdate-name alg secret"
		err   []error           // wanted sentinels; want is then a substring of the error
	}{
		{name: "environment only, no rndc.conf", env: map[string]string{"RNDC_SECRET": secret},
			want: "127.0.0.1:953  hmac-sha256 " + secret + " |  hmac-sha256 " + secret},
		{name: "environment names the key", env: map[string]string{"RNDC_SECRET": secret, "RNDC_KEY_NAME": "k1", "RNDC_ALGORITHM": "sha384"},
			want: "127.0.0.1:953 k1 hmac-sha384 " + secret + " | k1 hmac-sha384 " + secret},
		{name: "only key", files: map[string]string{"rndc.conf": keyText("only", "hmac-sha224", secret)},
			want: "127.0.0.1:953 only hmac-sha224 " + secret + " | only hmac-sha224 " + secret},
		{name: "RNDC_ALGORITHM beats rndc.conf", files: map[string]string{"rndc.conf": keyText("only", "hmac-sha224", secret)},
			env:  map[string]string{"RNDC_ALGORITHM": "hmac-sha512"},
			want: "127.0.0.1:953 only hmac-sha512 " + secret + " | only hmac-sha512 " + secret},
		{name: "RNDC_SECRET beats rndc.conf, name and algorithm from it", files: map[string]string{"rndc.conf": keyText("only", "hmac-sha384", secret)},
			env:  map[string]string{"RNDC_SECRET": other},
			want: "127.0.0.1:953 only hmac-sha384 " + other + " | only hmac-sha384 " + other},
		{name: "several keys, no default", files: map[string]string{"rndc.conf": twoKeys},
			err: []error{ErrNoRNDCKey, bindkey.ErrAmbiguousKey}, want: "RNDC_KEY_NAME"},
		{name: "several keys, RNDC_KEY_NAME picks", files: map[string]string{"rndc.conf": twoKeys}, env: map[string]string{"RNDC_KEY_NAME": "b"},
			want: "127.0.0.1:953 b hmac-sha512 " + other + " | b hmac-sha512 " + other},
		{name: "several keys, default-key picks", files: map[string]string{"rndc.conf": twoKeys + `options { default-key b; };`},
			want: "127.0.0.1:953 b hmac-sha512 " + other + " | b hmac-sha512 " + other},
		{name: "several keys, environment secret needs no pick", files: map[string]string{"rndc.conf": twoKeys}, env: map[string]string{"RNDC_SECRET": other},
			want: "127.0.0.1:953  hmac-sha256 " + other + " |  hmac-sha256 " + other},
		{name: "RNDC_KEY_NAME not in rndc.conf", files: map[string]string{"rndc.conf": twoKeys}, env: map[string]string{"RNDC_KEY_NAME": "zzz"},
			err: []error{ErrNoRNDCKey, bindkey.ErrNoKey}, want: `"zzz"`},
		{name: "server statement's key and port for default-server",
			files: map[string]string{"rndc.conf": twoKeys + `options { default-server ::1; default-key a; default-port 1000; }; server ::1 { key b; port 2000; };`},
			want:  "[::1]:2000 b hmac-sha512 " + other + " | b hmac-sha512 " + other},
		{name: "RNDC_SERVER host: its server statement, matched by address",
			files: map[string]string{"rndc.conf": twoKeys + `options { default-key a; default-port 1000; }; server 0:0::1 { key b; port 2000; };`},
			env:   map[string]string{"RNDC_SERVER": "::1"},
			want:  "[::1]:2000 b hmac-sha512 " + other + " | b hmac-sha512 " + other},
		{name: "RNDC_SERVER host without server statement: default-port",
			files: map[string]string{"rndc.conf": twoKeys + `options { default-key a; default-port 1000; }; server ::1 { key b; port 2000; };`},
			env:   map[string]string{"RNDC_SERVER": "localhost"},
			want:  "localhost:1000 a hmac-sha256 " + secret + " | a hmac-sha256 " + secret},
		{name: "RNDC_SERVER port wins",
			files: map[string]string{"rndc.conf": keyText("a", "hmac-sha256", secret) + `options { default-port 1000; };`},
			env:   map[string]string{"RNDC_SERVER": "127.0.0.1:3000"},
			want:  "127.0.0.1:3000 a hmac-sha256 " + secret + " | a hmac-sha256 " + secret},
		{name: "relative include",
			files: map[string]string{"rndc.conf": `include "keys/k.key";`, "keys/k.key": keyText("inc", "hmac-sha256", secret)},
			want:  "127.0.0.1:953 inc hmac-sha256 " + secret + " | inc hmac-sha256 " + secret},
		{name: "NSUPDATE_* override", files: map[string]string{"rndc.conf": keyText("a", "hmac-sha256", secret)},
			env:  map[string]string{"NSUPDATE_KEY_NAME": "tsig", "NSUPDATE_ALGORITHM": "hmac-sha512", "NSUPDATE_SECRET": other},
			want: "127.0.0.1:953 a hmac-sha256 " + secret + " | tsig hmac-sha512 " + other},
		{name: "NSUPDATE_SECRET_FILE", files: map[string]string{"rndc.conf": keyText("a", "hmac-sha256", secret), "tsig": other + "\n"},
			env:  map[string]string{"NSUPDATE_SECRET_FILE": "{dir}/tsig"},
			want: "127.0.0.1:953 a hmac-sha256 " + secret + " | a hmac-sha256 " + other},
		{name: "NSUPDATE_KEY_NAME defaults to RNDC_KEY_NAME", env: map[string]string{"RNDC_SECRET": secret, "RNDC_KEY_NAME": "bindy-operator"},
			want: "127.0.0.1:953 bindy-operator hmac-sha256 " + secret + " | bindy-operator hmac-sha256 " + secret},
		{name: "no key anywhere", err: []error{ErrNoRNDCKey}, want: "no rndc key: set RNDC_SECRET or provide /etc/bind/rndc.conf"},
		{name: "RNDC_CONF missing and no secret", env: map[string]string{"RNDC_CONF": "{dir}/nope.conf"},
			err: []error{ErrNoRNDCKey}, want: "nope.conf does not exist"},
		{name: "rndc.conf without a key", files: map[string]string{"rndc.conf": `options { default-port 953; };`},
			err: []error{ErrNoRNDCKey, bindkey.ErrNoKey}, want: "rndc.conf"},
		{name: "missing include is an error even with RNDC_SECRET", files: map[string]string{"rndc.conf": `include "gone.key";`},
			env: map[string]string{"RNDC_SECRET": secret}, err: []error{os.ErrNotExist}, want: "RNDC_CONF: "},
		{name: "malformed rndc.conf: position, not content",
			files: map[string]string{"rndc.conf": "options { };\nkey a { algorithm hmac-sha256; secret \"" + secret},
			env:   map[string]string{"RNDC_SECRET": secret}, err: []error{bindkey.ErrSyntax}, want: "rndc.conf: line 2 (byte 51): syntax error: unterminated quoted string"},
		{name: "secret pasted as algorithm in rndc.conf", files: map[string]string{"rndc.conf": keyText("a", secret, secret)},
			err: []error{bindkey.ErrAlgorithm}, want: "RNDC_CONF: "},
		{name: "md5 in rndc.conf", files: map[string]string{"rndc.conf": keyText("a", "hmac-md5", secret)},
			err: []error{bindkey.ErrAlgorithm}, want: "not allowed"},
		{name: "bad default-server", files: map[string]string{"rndc.conf": keyText("a", "hmac-sha256", secret) + `options { default-server "a b"; };`},
			want: "RNDC_CONF: ", err: []error{}},
		{name: "RNDC_SECRET_FILE empty", files: map[string]string{"s": "\n"}, env: map[string]string{"RNDC_SECRET_FILE": "{dir}/s"},
			want: "RNDC_SECRET_FILE: ", err: []error{}},
		{name: "RNDC_SECRET_FILE not base64", files: map[string]string{"s": "%%" + secret}, env: map[string]string{"RNDC_SECRET_FILE": "{dir}/s"},
			want: "RNDC_SECRET_FILE: invalid key secret", err: []error{bindkey.ErrSecret}},
		{name: "RNDC_SECRET and RNDC_SECRET_FILE", files: map[string]string{"s": secret}, env: map[string]string{"RNDC_SECRET": secret, "RNDC_SECRET_FILE": "{dir}/s"},
			want: "RNDC_SECRET: set RNDC_SECRET or RNDC_SECRET_FILE, not both", err: []error{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeTree(t, dir, tc.files)
			env := map[string]string{"RNDC_CONF": filepath.Join(dir, "rndc.conf")}
			for k, v := range tc.env {
				env[k] = strings.ReplaceAll(v, "{dir}", dir)
			}
			c, err := load(nil, envOf(env), loadOptions{})
			assertNoSecret(t, err)
			if tc.err != nil {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.want)
				}
				for _, e := range tc.err {
					if !errors.Is(err, e) {
						t.Errorf("err = %v, want %v", err, e)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r, n := c.RNDC.Key, c.NSUpdate.Key
			got := join(c.RNDC.Addr, r.Name, r.Algorithm, r.SecretBase64(), "|", n.Name, n.Algorithm, n.SecretBase64())
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if r.Name == "rndc-key" || n.Name == "rndc-key" {
				t.Error("made-up key name rndc-key (docs/contract.md §18.17)")
			}
		})
	}
}

// RNDC_CONF unset: /etc/bind/rndc.conf, then /etc/rndc.conf; neither is fine with RNDC_SECRET.
func TestRNDCConfSearch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"etc/rndc.conf": keyText("second", "hmac-sha256", secret)})
	first, second := filepath.Join(dir, "etc/bind/rndc.conf"), filepath.Join(dir, "etc/rndc.conf")
	c, err := load(nil, envOf(nil), loadOptions{rndcConfs: []string{first, second}})
	if err != nil || c.RNDC.Key.Name != "second" {
		t.Fatalf("second file: %v %v", c.RNDC.Key, err)
	}
	if d := cmp.Diff([]string{second}, c.RNDC.KeyFiles); d != "" {
		t.Errorf("KeyFiles (-want +got):\n%s", d)
	}
	writeTree(t, dir, map[string]string{"etc/bind/rndc.conf": keyText("first", "hmac-sha256", secret)})
	if c, err = load(nil, envOf(nil), loadOptions{rndcConfs: []string{first, second}}); err != nil || c.RNDC.Key.Name != "first" {
		t.Fatalf("first file: %v %v", c.RNDC.Key, err)
	}
	c, err = load(nil, envOf(minimal), loadOptions{rndcConfs: []string{filepath.Join(dir, "x"), filepath.Join(dir, "y")}})
	if err != nil || len(c.RNDC.KeyFiles) != 0 {
		t.Fatalf("no file: %v %v", c.RNDC.KeyFiles, err)
	}
}

// TestRNDCKeyFileFallback: with RNDC_* unset and no rndc.conf, BIND's default key file (Debian's
// /etc/bind/rndc.key, written by rndc-confgen -a) supplies the key, as rndc itself does; a key
// file that cannot be read is named in the startup error, but only when nothing else supplies
// the secret (issue 8 item 8).
func TestRNDCKeyFileFallback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		files   map[string]string // under the temp dir; "rndc.key/" makes a directory
		env     map[string]string
		want    string // addr name algorithm secret files, or "" when an error is wanted
		wantErr string
	}{
		{name: "key file alone", files: map[string]string{"rndc.key": keyText("rndc-key", "hmac-sha512", secret)},
			want: "127.0.0.1:953 rndc-key hmac-sha512 " + secret + " [rndc.key]"},
		{name: "rndc.conf wins", files: map[string]string{"rndc.key": keyText("rndc-key", "hmac-sha256", secret), "rndc.conf": keyText("conf-key", "hmac-sha256", other)},
			want: "127.0.0.1:953 conf-key hmac-sha256 " + other + " [rndc.conf]"},
		{name: "environment wins per parameter", files: map[string]string{"rndc.key": keyText("rndc-key", "hmac-sha512", secret)},
			env:  map[string]string{"RNDC_SECRET": other, "RNDC_SERVER": "127.0.0.1:9530"},
			want: "127.0.0.1:9530 rndc-key hmac-sha512 " + other + " [rndc.key]"},
		{name: "RNDC_CONF set: no fallback", files: map[string]string{"rndc.key": keyText("rndc-key", "hmac-sha256", secret)},
			env: map[string]string{"RNDC_CONF": "missing.conf"}, wantErr: "missing.conf does not exist"},
		{name: "unreadable key file is named", files: map[string]string{"rndc.key/x": ""},
			wantErr: "rndc.key: not a regular file"},
		{name: "broken key file is named", files: map[string]string{"rndc.key": "key {"},
			wantErr: "rndc.key: line 1"},
		{name: "unreadable key file is no error with RNDC_SECRET", files: map[string]string{"rndc.key/x": ""},
			env: minimal, want: "127.0.0.1:953  hmac-sha256 " + secret + " []"},
		{name: "nothing at all", wantErr: "provide /etc/bind/rndc.conf or /etc/bind/rndc.key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeTree(t, dir, tc.files)
			env := map[string]string{}
			for k, v := range tc.env {
				if k == "RNDC_CONF" {
					v = filepath.Join(dir, v)
				}
				env[k] = v
			}
			c, err := load(nil, envOf(env), loadOptions{
				rndcConfs:   []string{filepath.Join(dir, "rndc.conf")},
				rndcKeyFile: filepath.Join(dir, "rndc.key"),
			})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				for _, s := range secrets {
					if strings.Contains(err.Error(), s) {
						t.Errorf("error leaks a secret: %v", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var files []string
			for _, f := range c.RNDC.KeyFiles {
				files = append(files, filepath.Base(f))
			}
			k := c.RNDC.Key
			if got := join(c.RNDC.Addr, k.Name, k.Algorithm, k.SecretBase64(), fmt.Sprint(files)); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}
