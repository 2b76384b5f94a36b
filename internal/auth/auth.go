package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
)

// Principal is an authenticated caller.
type Principal struct {
	// Name identifies the caller in logs; never a credential. For a service account it is
	// the TokenReview username, system:serviceaccount:<namespace>:<name>.
	Name string
	// Kind is how the caller was authenticated: KindToken, KindServiceAccount or KindAnonymous.
	Kind string
}

// The principal kinds.
const (
	KindToken          = "token"          // the shared secret
	KindServiceAccount = "serviceaccount" // a Kubernetes identity from a TokenReview
	KindAnonymous      = "anonymous"      // authentication disabled
)

// Authenticator checks a request's credentials. Implementations are safe for concurrent use.
type Authenticator interface {
	// Authenticate returns the caller, or an error wrapping ErrUnauthenticated.
	Authenticate(r *http.Request) (Principal, error)
}

// ErrUnauthenticated is wrapped by every refusal. The reason wrapped with it is for logs and
// metrics only; the response is always a bare 401 "Unauthorized" (docs/contract.md §19 A7).
var ErrUnauthenticated = errors.New("unauthenticated")

// The refusal reasons Reason returns. They are a closed set, so they are safe as metric labels.
const (
	ReasonMissing  = "missing"  // no Authorization header
	ReasonScheme   = "scheme"   // a scheme other than Bearer, or no scheme
	ReasonEmpty    = "empty"    // "Bearer" with no token
	ReasonMismatch = "mismatch" // a token that is not the configured one

	// TokenReview refusals (docs/contract.md §15.2).
	ReasonReviewRejected = "rejected"      // not authenticated, or no username
	ReasonAudience       = "audience"      // status.audiences misses every configured audience
	ReasonNotAllowed     = "not_allowed"   // an identity outside the allowlists
	ReasonReviewDenied   = "review_denied" // the API server refused our review (401/403: RBAC or our token)
)

// refusal is an authentication failure with a reason from the closed set above.
type refusal struct{ reason string }

func (e *refusal) Error() string        { return ErrUnauthenticated.Error() + ": " + e.reason }
func (e *refusal) Is(target error) bool { return target == ErrUnauthenticated }

// Reason returns the reason of a refusal made by this package (one of the Reason constants),
// or "" when err is not such a refusal.
func Reason(err error) string {
	if r, ok := errors.AsType[*refusal](err); ok {
		return r.reason
	}
	return ""
}

// BearerToken returns the token of "Authorization: Bearer <token>". The scheme matches in any
// case (RFC 9110 §11.1); surrounding spaces are trimmed; an empty token is refused.
func BearerToken(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", &refusal{ReasonMissing}
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", &refusal{ReasonScheme}
	}
	if tok = strings.TrimSpace(tok); tok == "" {
		return "", &refusal{ReasonEmpty}
	}
	return tok, nil
}

// static is the shared-secret authenticator. It keeps only the digest of the secret.
type static struct{ digest [sha256.Size]byte }

// NewStatic returns the shared-secret authenticator for token (BIND_API_TOKEN). The caller's
// token and the secret are hashed with SHA-256 and the digests compared in constant time, so
// the comparison takes the same time whatever the lengths (docs/contract.md §19 A15). Only the exact
// token is accepted; an empty configured token therefore accepts nothing.
func NewStatic(token string) Authenticator { return static{digest: sha256.Sum256([]byte(token))} }

// Authenticate implements Authenticator.
func (s static) Authenticate(r *http.Request) (Principal, error) {
	tok, err := BearerToken(r)
	if err != nil {
		return Principal{}, err
	}
	d := sha256.Sum256([]byte(tok))
	if subtle.ConstantTimeCompare(d[:], s.digest[:]) != 1 {
		return Principal{}, &refusal{ReasonMismatch}
	}
	return Principal{Name: "shared-token", Kind: KindToken}, nil
}

// none accepts every request.
type none struct{}

// NewNone returns the authenticator of DISABLE_AUTH=true: every request is the principal
// "anonymous". Startup refuses it on a non-loopback address without an override (docs/contract.md §15.3).
func NewNone() Authenticator { return none{} }

// Authenticate implements Authenticator.
func (none) Authenticate(*http.Request) (Principal, error) {
	return Principal{Name: "anonymous", Kind: KindAnonymous}, nil
}
