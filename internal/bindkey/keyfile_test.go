package bindkey

import (
	"errors"
	"strings"
	"testing"
)

func TestParseKeyFile(t *testing.T) {
	t.Parallel()
	sec := `secret "` + testSecret + `";`
	tests := []struct {
		name  string
		in    string
		names []string // want these keys; nil = want an error
		err   error    // the sentinel the error wraps
		where string   // substring of the error
	}{
		{"bindy rndc.key", `key "bindy-operator" { algorithm hmac-sha256; ` + sec + ` };`, []string{"bindy-operator"}, nil, ""},
		{"upper-case algorithm, unquoted name, comments",
			"// c\n# c\n/* c\n*/ key rndc-key {\n\talgorithm HMAC-SHA256;\n\t" + sec + "\n};\n", []string{"rndc-key"}, nil, ""},
		{"sha512 without prefix, unquoted secret", `key t.example. { algorithm sha512; secret dGVzdA==; };`, []string{"t.example."}, nil, ""},
		{"two keys", keyStmt("a") + keyStmt("b"), []string{"a", "b"}, nil, ""},
		{"clause order free", `key k { ` + sec + ` algorithm hmac-sha384; };`, []string{"k"}, nil, ""},

		{"md5 refused", `key "k" { algorithm hmac-md5; ` + sec + ` };`, nil, ErrAlgorithm, "line 1 (byte 20)"},
		{"sha1 refused", `key "k" { algorithm hmac-sha1; ` + sec + ` };`, nil, ErrAlgorithm, "not allowed"},
		{"unknown algorithm not echoed", `key "k" { algorithm "` + testSecret + `"; ` + sec + ` };`, nil, ErrAlgorithm, "not one of"},
		{"secret not base64", `key "k" { algorithm hmac-sha256; secret "not base64!"; };`, nil, ErrSecret, "line 1"},
		{"secret empty", `key "k" { algorithm hmac-sha256; secret ""; };`, nil, ErrSecret, ""},
		{"no secret", `key "k" { algorithm hmac-sha256; };`, nil, ErrSyntax, "both algorithm and secret"},
		{"no algorithm", `key "k" { ` + sec + ` };`, nil, ErrSyntax, "both algorithm and secret"},
		{"secret twice", `key "k" { algorithm hmac-sha256; ` + sec + sec + ` };`, nil, ErrSyntax, "twice"},
		{"unknown clause", `key "k" { algorithm hmac-sha256; ` + sec + ` extra x; };`, nil, ErrSyntax, "only algorithm and secret"},
		{"clause with two values", `key "k" { algorithm hmac-sha256 x; ` + sec + ` };`, nil, ErrSyntax, "one value"},
		{"no name", `key { algorithm hmac-sha256; ` + sec + ` };`, nil, ErrSyntax, "name"},
		{"bad name", `key "a b" { algorithm hmac-sha256; ` + sec + ` };`, nil, ErrSyntax, "key name"},
		{"duplicate name", keyStmt("a") + keyStmt("a"), nil, ErrSyntax, "already defined"},
		{"missing final semicolon", `key "k" { algorithm hmac-sha256; ` + sec + ` }`, nil, ErrSyntax, "missing ';'"},
		{"trailing input", keyStmt("k") + " trailing", nil, ErrSyntax, "missing ';'"},
		{"trailing brace", keyStmt("k") + " }", nil, ErrSyntax, "unexpected '}'"},
		{"truncated inside secret", `key "k" { algorithm hmac-sha256; secret "` + testSecret, nil, ErrSyntax, "unterminated"},
		{"other statement", `options { };`, nil, ErrSyntax, "only key statements"},
		{"empty file", ``, nil, ErrNoKey, "no key"},
		{"only comments", "# nothing\n", nil, ErrNoKey, "line 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			keys, err := parseKeyFile([]byte(tc.in), "/etc/bind/keys/rndc.key")
			if tc.names == nil {
				if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.where) ||
					!strings.HasPrefix(err.Error(), "/etc/bind/keys/rndc.key: ") {
					t.Fatalf("err = %v, want %v naming the file and %q", err, tc.err, tc.where)
				}
				assertNoSecret(t, err, "not base64!", "a b", "trailing")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, k := range keys {
				if err := k.Validate(); err != nil {
					t.Errorf("key %s: %v", k.Name, err)
				}
				got = append(got, k.Name)
			}
			if strings.Join(got, ",") != strings.Join(tc.names, ",") {
				t.Errorf("keys %v, want %v", got, tc.names)
			}
		})
	}
}

func TestParseKeyFileValues(t *testing.T) {
	t.Parallel()
	keys, err := parseKeyFile([]byte(`key "k" { algorithm HMAC-SHA256; secret "dGVzdA=="; };`), "k")
	if err != nil {
		t.Fatal(err)
	}
	want := Key{Name: "k", Algorithm: HMACSHA256, Secret: []byte("test")}
	if len(keys) != 1 || !keys[0].Equal(want) {
		t.Fatalf("got %v, want %v", keys, want)
	}
}

// parseKeyFile reads the key statements of a BIND key file (rndc.key, tsig-keygen output) with
// keyFrom and keySet, the parts LoadRNDCConf reads keys with, so their errors can be tested one
// by one.
// name is used in errors only. Anything but key statements, a key defined twice, malformed or
// trailing input, and a file without keys are errors.
func parseKeyFile(data []byte, name string) ([]Key, error) {
	f, sts, err := parseFile(data, name)
	if err != nil {
		return nil, err
	}
	var ks keySet
	for _, s := range sts {
		if s.keyword() != "key" || s.words[0].quoted {
			return nil, f.errAt(s.off, ErrSyntax, "only key statements belong in a key file")
		}
		k, err := keyFrom(f, s)
		if err != nil {
			return nil, err
		}
		if err := ks.add(f, s.off, k); err != nil {
			return nil, err
		}
	}
	if len(ks.keys) == 0 {
		return nil, f.errAt(len(f.text), ErrNoKey, "no key statement")
	}
	return ks.keys, nil
}

// TestKeyFileText: a rendered key file reads back as the same key; a bad name or algorithm
// is not rendered.
func TestKeyFileText(t *testing.T) {
	t.Parallel()
	secret, _ := DecodeSecret(testSecret)
	tests := []struct {
		name string
		key  Key
		err  error
	}{
		{"sha256", Key{Name: "bindy-operator", Algorithm: HMACSHA256, Secret: secret}, nil},
		{"sha512 dotted name", Key{Name: "t.example.", Algorithm: HMACSHA512, Secret: secret}, nil},
		{"name with a quote", Key{Name: `a"b`, Algorithm: HMACSHA256, Secret: secret}, ErrSyntax},
		{"no algorithm", Key{Name: "k", Secret: secret}, ErrAlgorithm},
		{"no secret", Key{Name: "k", Algorithm: HMACSHA256}, ErrSecret},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text, err := KeyFileText(tc.key)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c, err := parseRNDCConf(text, "k.key", nil)
			if err != nil {
				t.Fatalf("%v\n%s", err, text)
			}
			if len(c.Keys) != 1 || !c.Keys[0].Equal(tc.key) {
				t.Errorf("read back %v from\n%s", c.Keys, text)
			}
		})
	}
}
