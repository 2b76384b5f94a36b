// Package auth authenticates API callers. This build has the shared-secret mode (one bearer
// token, compared in constant time over SHA-256 digests so its length leaks nothing, CONTRACT
// §19 A15) and the explicit no-auth mode; TokenReview comes with the security issue. There is
// no mode that accepts any non-empty token.
package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Principal is an authenticated caller.
type Principal struct{ Name string }

// Authenticator checks a request's credentials.
type Authenticator interface {
	Authenticate(r *http.Request) (Principal, error)
}

// ErrUnauthenticated is wrapped by every refusal; the reason after it is for the log only
// (the response is always a bare 401 "Unauthorized", CONTRACT §19 A7).
var ErrUnauthenticated = errors.New("unauthenticated")

// Reason returns a short, bounded label for a refusal (for metrics), or "" for other errors.
func Reason(err error) string {
	var r reasonError
	if errors.As(err, &r) {
		return string(r)
	}
	return ""
}

type reasonError string

func (r reasonError) Error() string   { return fmt.Sprintf("%s: %s", ErrUnauthenticated, string(r)) }
func (r reasonError) Is(t error) bool { return t == ErrUnauthenticated }

// BearerToken extracts the token of "Authorization: Bearer <token>" (scheme in any case).
func BearerToken(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", reasonError("missing")
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", reasonError("scheme")
	}
	if tok = strings.TrimSpace(tok); tok == "" {
		return "", reasonError("empty")
	}
	return tok, nil
}

type static struct{ digest [32]byte }

// NewStatic returns the shared-secret authenticator for token (BIND_API_TOKEN).
func NewStatic(token string) Authenticator { return static{digest: sha256.Sum256([]byte(token))} }

func (s static) Authenticate(r *http.Request) (Principal, error) {
	tok, err := BearerToken(r)
	if err != nil {
		return Principal{}, err
	}
	d := sha256.Sum256([]byte(tok))
	if subtle.ConstantTimeCompare(d[:], s.digest[:]) != 1 {
		return Principal{}, reasonError("mismatch")
	}
	return Principal{Name: "token"}, nil
}

type none struct{}

// NewNone accepts every request (DISABLE_AUTH, guarded at startup).
func NewNone() Authenticator { return none{} }

func (none) Authenticate(*http.Request) (Principal, error) { return Principal{Name: "anonymous"}, nil }
