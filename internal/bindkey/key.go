package bindkey

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"strings"
)

// Algorithm is an HMAC algorithm, numbered as BIND's DST_ALG_HMAC* codes, which is also the
// algorithm byte of an rndc "hsha" signature (lib/isccc/cc.c). Only SHA-2 is accepted
// (docs/contract.md §19 A12): md5 and sha1 stop startup.
type Algorithm uint8

// The accepted algorithms.
const (
	HMACSHA224 Algorithm = 162
	HMACSHA256 Algorithm = 163
	HMACSHA384 Algorithm = 164
	HMACSHA512 Algorithm = 165
)

// ErrAlgorithm is wrapped when an algorithm name is unknown or not allowed.
var ErrAlgorithm = errors.New("unsupported HMAC algorithm")

// ErrSecret is wrapped when a secret is empty or not base64.
var ErrSecret = errors.New("invalid key secret")

// ParseAlgorithm accepts "hmac-sha256", "HMAC-SHA256", "sha256" and the like (docs/contract.md §18.23).
func ParseAlgorithm(s string) (Algorithm, error) {
	n := strings.ToLower(strings.TrimSpace(s))
	n = strings.TrimPrefix(n, "hmac-")
	switch n {
	case "sha224":
		return HMACSHA224, nil
	case "sha256":
		return HMACSHA256, nil
	case "sha384":
		return HMACSHA384, nil
	case "sha512":
		return HMACSHA512, nil
	case "md5", "sha1", "md5.sig-alg.reg.int":
		return 0, fmt.Errorf("%w: %q is not allowed (use hmac-sha256 or stronger)", ErrAlgorithm, s)
	}
	return 0, fmt.Errorf("%w: %q", ErrAlgorithm, s)
}

// String returns BIND's name for a, e.g. "hmac-sha256".
func (a Algorithm) String() string {
	switch a {
	case HMACSHA224:
		return "hmac-sha224"
	case HMACSHA256:
		return "hmac-sha256"
	case HMACSHA384:
		return "hmac-sha384"
	case HMACSHA512:
		return "hmac-sha512"
	}
	return fmt.Sprintf("hmac-unknown(%d)", uint8(a))
}

// Valid reports whether a is one of the accepted algorithms.
func (a Algorithm) Valid() bool { return a >= HMACSHA224 && a <= HMACSHA512 }

// New returns the hash constructor for a; nil when a is not Valid.
func (a Algorithm) New() func() hash.Hash {
	switch a {
	case HMACSHA224:
		return sha256.New224
	case HMACSHA256:
		return sha256.New
	case HMACSHA384:
		return sha512.New384
	case HMACSHA512:
		return sha512.New
	}
	return nil
}

// TSIGName returns the algorithm's TSIG name as miekg/dns spells it, e.g. "hmac-sha256.".
func (a Algorithm) TSIGName() string { return a.String() + "." }

// Key is a named HMAC key. Its Secret is the decoded key material; String, GoString, Format and
// LogValue redact it (docs/contract.md §19 A4), so a Key can never reach a log or an error by accident.
type Key struct {
	Name      string
	Algorithm Algorithm
	Secret    []byte
}

// DecodeSecret decodes a base64 secret as written in a BIND key statement (docs/contract.md §19 A19).
func DecodeSecret(b64 string) ([]byte, error) {
	s := strings.TrimSpace(b64)
	if s == "" {
		return nil, fmt.Errorf("%w: empty", ErrSecret)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("%w: not valid base64", ErrSecret)
	}
	return b, nil
}

// SecretBase64 returns the secret as BIND writes it. Only for building TSIG secrets and key files.
func (k Key) SecretBase64() string { return base64.StdEncoding.EncodeToString(k.Secret) }

// Validate checks that k can sign.
func (k Key) Validate() error {
	if !k.Algorithm.Valid() {
		return fmt.Errorf("%w: %s", ErrAlgorithm, k.Algorithm)
	}
	if len(k.Secret) == 0 {
		return fmt.Errorf("%w: empty", ErrSecret)
	}
	return nil
}

// MAC returns HMAC(secret, data) with k's algorithm.
func (k Key) MAC(data []byte) []byte {
	m := hmac.New(k.Algorithm.New(), k.Secret)
	m.Write(data)
	return m.Sum(nil)
}

// Equal reports whether k and o are the same key, comparing secrets in constant time.
func (k Key) Equal(o Key) bool {
	return k.Name == o.Name && k.Algorithm == o.Algorithm && hmac.Equal(k.Secret, o.Secret)
}

func (k Key) String() string {
	return fmt.Sprintf("key %q (%s, secret redacted)", k.Name, k.Algorithm)
}

// GoString redacts the secret in %#v.
func (k Key) GoString() string { return "bindkey.Key{" + k.String() + "}" }

// Format redacts the secret for every verb.
func (k Key) Format(f fmt.State, verb rune) { fmt.Fprint(f, k.String()) }

// LogValue redacts the secret in slog output.
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", k.Name), slog.String("algorithm", k.Algorithm.String()))
}

// MarshalJSON redacts the secret, so a Key inside a marshalled struct cannot leak it.
func (k Key) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Name      string `json:"name"`
		Algorithm string `json:"algorithm"`
	}{k.Name, k.Algorithm.String()})
}

// MarshalText redacts the secret in text encodings.
func (k Key) MarshalText() ([]byte, error) { return []byte(k.String()), nil }
