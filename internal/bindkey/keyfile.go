package bindkey

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNoKey is wrapped when a file holds no key, or the key asked for is not there.
var ErrNoKey = errors.New("no key")

// maxKeyName is the longest key name accepted: a domain name in text form.
const maxKeyName = 253

// ValidKeyName reports whether name can name a key: [A-Za-z0-9._-]{1,253}. Key names end up
// in TSIG records and rndc command text, where docs/contract.md §19 B-3 allows nothing else.
func ValidKeyName(name string) bool {
	if name == "" || len(name) > maxKeyName {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// keyFrom interprets `key <name> { algorithm <alg>; secret "<base64>"; };`. Errors carry the
// position only: neither the name nor any value is echoed (docs/contract.md §19 A3).
func keyFrom(f *file, s stmt) (Key, error) {
	if len(s.words) != 2 || !s.hasBl {
		return Key{}, f.errAt(s.off, ErrSyntax, "key needs a name and a { } block")
	}
	k := Key{Name: s.arg(0)}
	if !ValidKeyName(k.Name) {
		return Key{}, f.errAt(s.words[1].off, ErrSyntax, "key name must be 1-253 letters, digits, '.', '_' or '-'")
	}
	var alg, secret bool
	for _, in := range s.block {
		if len(in.words) != 2 || in.hasBl {
			return Key{}, f.errAt(in.off, ErrSyntax, "a key clause is a keyword and one value")
		}
		switch in.keyword() {
		case "algorithm":
			if alg {
				return Key{}, f.errAt(in.off, ErrSyntax, "algorithm given twice")
			}
			a, err := ParseAlgorithm(in.arg(0))
			if err != nil {
				// ParseAlgorithm quotes its input; a secret pasted into the wrong line would show.
				return Key{}, f.errAt(in.words[1].off, ErrAlgorithm, "%s", algorithmHint(in.arg(0)))
			}
			k.Algorithm, alg = a, true
		case "secret":
			if secret {
				return Key{}, f.errAt(in.off, ErrSyntax, "secret given twice")
			}
			b, err := DecodeSecret(in.arg(0))
			if err != nil {
				return Key{}, f.errAt(in.words[1].off, ErrSecret, "empty or not base64")
			}
			k.Secret, secret = b, true
		default:
			return Key{}, f.errAt(in.off, ErrSyntax, "a key block holds only algorithm and secret")
		}
	}
	if !alg || !secret {
		return Key{}, f.errAt(s.off, ErrSyntax, "key needs both algorithm and secret")
	}
	return k, nil
}

// algorithmHint says what is wrong with an algorithm without repeating it.
func algorithmHint(s string) string {
	switch n := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "hmac-"); n {
	case "md5", "sha1", "md5.sig-alg.reg.int":
		return "md5 and sha1 are not allowed; use hmac-sha256 or stronger (docs/contract.md §19 A12)"
	}
	return "not one of hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512"
}

// keySet collects keys across files and refuses a name defined twice: which one BIND would use
// depends on the tool, so bindgate makes no pick (docs/contract.md §19 A18).
type keySet struct {
	keys []Key
}

func (ks *keySet) add(f *file, off int, k Key) error {
	for _, o := range ks.keys {
		if o.Name == k.Name {
			return f.errAt(off, ErrSyntax, "a key of this name is already defined")
		}
	}
	ks.keys = append(ks.keys, k)
	return nil
}

// KeyFileText renders k as a BIND key file, as tsig-keygen and rndc-confgen -a write it:
// `key "name" { algorithm ...; secret "..."; };`. LoadRNDCConf reads it back. The name must be
// ValidKeyName (nothing in it needs quoting) and the algorithm valid.
func KeyFileText(k Key) ([]byte, error) {
	if !ValidKeyName(k.Name) {
		return nil, fmt.Errorf("%w: key name must be 1-253 letters, digits, '.', '_' or '-'", ErrSyntax)
	}
	if err := k.Validate(); err != nil {
		return nil, err
	}
	return fmt.Appendf(nil, "key \"%s\" {\n\talgorithm %s;\n\tsecret \"%s\";\n};\n", k.Name, k.Algorithm, k.SecretBase64()), nil
}
