package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
)

// ErrAuthUnavailable is returned when a TokenReview could not be completed: the API server was
// unreachable, timed out, answered 5xx or 429, or sent a malformed answer. It does NOT wrap
// ErrUnauthenticated: the caller may be fine, so the API answers 503 "Service unavailable",
// which clients retry, and never 200 or 401 (docs/contract.md §15.2, §3.4).
var ErrAuthUnavailable = errors.New("authentication unavailable")

// The TokenReview defaults (docs/contract.md §15.2).
const (
	DefaultReviewTimeout = 5 * time.Second
	DefaultPositiveTTL   = 2 * time.Minute
	DefaultNegativeTTL   = 10 * time.Second
	DefaultMaxEntries    = 10000
)

const (
	tokenReviewPath = "/apis/authentication.k8s.io/v1/tokenreviews"
	saPrefix        = "system:serviceaccount:"
	maxReviewBody   = 1 << 20 // a TokenReview answer is a few hundred bytes
	// tokenReread is how often the pod's own token is re-read: projected tokens rotate, and
	// the kubelet refreshes them well before they expire (docs/contract.md §15.2: at least every minute).
	tokenReread = time.Minute
)

// TokenReviewConfig configures NewTokenReview. Zero durations and sizes take the defaults.
type TokenReviewConfig struct {
	APIServer  string // https URL of the Kubernetes API server
	TokenPath  string // this pod's own service-account token file, the review's bearer
	CACertPath string // PEM trust root for APIServer

	Audiences []string // BIND_TOKEN_AUDIENCES; status.audiences must intersect them (docs/contract.md §19 A1)

	// AllowedServiceAccounts are full usernames, system:serviceaccount:<ns>:<name>;
	// AllowedNamespaces accept every service account of the listed namespaces. When either is
	// set, a username must match one of them. AllowAny (BIND_ALLOW_ANY_SERVICEACCOUNT) is needed
	// to run with both empty and then accepts every authenticated identity (docs/contract.md §19 A2).
	AllowedServiceAccounts []string
	AllowedNamespaces      []string
	AllowAny               bool

	Timeout     time.Duration // one review, default 5 s
	PositiveTTL time.Duration // accepted tokens, default 2 min, never past the token's exp
	NegativeTTL time.Duration // refused tokens, default 10 s
	MaxEntries  int           // cache bound, default 10000

	Now    func() time.Time // default time.Now
	Logger *slog.Logger     // default: discard
}

// ConfigError is a TokenReviewConfig that cannot work. Field names the TokenReviewConfig field
// so that callers can name their own setting; the text never holds a token.
type ConfigError struct {
	Field string
	Err   error
}

func (e *ConfigError) Error() string { return "TokenReview " + e.Field + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *ConfigError) Unwrap() error { return e.Err }

// InClusterConfig returns the in-cluster target: the API server from KUBERNETES_SERVICE_HOST
// and KUBERNETES_SERVICE_PORT (read through lookup, e.g. os.LookupEnv) and the service account
// files under root (normally "/") + /var/run/secrets/kubernetes.io/serviceaccount. Only the
// target fields are set. It reads no file; NewTokenReview does.
func InClusterConfig(lookup func(string) (string, bool), root string) (TokenReviewConfig, error) {
	host, _ := lookup("KUBERNETES_SERVICE_HOST")
	port, _ := lookup("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return TokenReviewConfig{}, &ConfigError{Field: "APIServer", Err: errors.New("not in a Kubernetes pod " +
			"(KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set): set KUBE_API_SERVER, KUBE_TOKEN_PATH " +
			"and KUBE_CA_CERT_PATH to review tokens from outside a cluster, or BIND_API_TOKEN for shared-secret mode")}
	}
	if root == "" {
		root = "/"
	}
	dir := strings.TrimSuffix(root, "/") + "/var/run/secrets/kubernetes.io/serviceaccount"
	u := url.URL{Scheme: "https", Host: net.JoinHostPort(host, port)}
	return TokenReviewConfig{APIServer: u.String(), TokenPath: dir + "/token", CACertPath: dir + "/ca.crt"}, nil
}

// TokenReview authenticates Kubernetes bearer tokens with one HTTPS POST to the API server's
// TokenReview endpoint per token and cache period (docs/contract.md §15.2). No client-go. It is safe for
// concurrent use; the HTTP client, CA pool and token source are built once (docs/contract.md §19 A8).
type TokenReview struct {
	endpoint  string
	client    *http.Client
	transport *http.Transport
	own       *tokenSource
	audiences []string
	allowSA   map[string]bool
	allowNS   map[string]bool
	allowAny  bool
	timeout   time.Duration
	posTTL    time.Duration
	negTTL    time.Duration
	now       func() time.Time
	log       *slog.Logger
	cache     *reviewCache
}

// NewTokenReview checks cfg, reads the CA and the pod's token once, and returns the
// authenticator. Errors are *ConfigError naming the field: an http:// or malformed URL, an
// unreadable or empty CA or token file, no audience, or no allowlist without AllowAny.
func NewTokenReview(cfg TokenReviewConfig) (*TokenReview, error) {
	u, err := url.Parse(cfg.APIServer)
	switch {
	case cfg.APIServer == "":
		return nil, &ConfigError{Field: "APIServer", Err: errors.New("not set")}
	case err != nil:
		return nil, &ConfigError{Field: "APIServer", Err: errors.New("not a URL")}
	case u.Scheme != "https":
		return nil, &ConfigError{Field: "APIServer", Err: errors.New("must be an https:// URL: the review carries bearer tokens")}
	case u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return nil, &ConfigError{Field: "APIServer", Err: errors.New("must be https://host[:port][/path] with no user, query or fragment")}
	}
	audiences := slices.DeleteFunc(slices.Clone(cfg.Audiences), func(s string) bool { return s == "" })
	if len(audiences) == 0 {
		return nil, &ConfigError{Field: "Audiences", Err: errors.New("empty: every review would fail (docs/contract.md §19 A1)")}
	}
	if len(cfg.AllowedServiceAccounts) == 0 && len(cfg.AllowedNamespaces) == 0 && !cfg.AllowAny {
		return nil, &ConfigError{Field: "AllowedServiceAccounts", Err: errors.New("no allowlist and AllowAny not set " +
			"(docs/contract.md §19 A2)")}
	}
	pool, err := loadCA(cfg.CACertPath)
	if err != nil {
		return nil, &ConfigError{Field: "CACertPath", Err: err}
	}
	t := &TokenReview{
		endpoint: strings.TrimSuffix(u.String(), "/") + tokenReviewPath, audiences: audiences,
		allowSA: set(cfg.AllowedServiceAccounts), allowNS: set(cfg.AllowedNamespaces), allowAny: cfg.AllowAny,
		timeout: orDefault(cfg.Timeout, DefaultReviewTimeout), posTTL: orDefault(cfg.PositiveTTL, DefaultPositiveTTL),
		negTTL: orDefault(cfg.NegativeTTL, DefaultNegativeTTL), now: cfg.Now, log: cfg.Logger,
	}
	if t.now == nil {
		t.now = time.Now
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	if t.own, err = newTokenSource(cfg.TokenPath, t.now, t.log); err != nil {
		return nil, &ConfigError{Field: "TokenPath", Err: err}
	}
	t.cache = newReviewCache(cfg.MaxEntries)
	t.transport = &http.Transport{
		Proxy:               http.ProxyFromEnvironment, // as client-go does
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:   true,
		TLSHandshakeTimeout: t.timeout,
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     90 * time.Second,
	}
	t.client = &http.Client{
		Transport: t.transport,
		// A redirect could carry our token elsewhere; a 3xx is an incomplete review.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return t, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func set(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, s := range list {
		m[s] = true
	}
	return m
}

// loadCA reads a PEM bundle into a new pool.
func loadCA(path string) (*x509.CertPool, error) {
	if path == "" {
		return nil, errors.New("not set")
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err // *PathError: names the file, holds no content
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate", path)
	}
	return pool, nil
}

// Close drops idle connections to the API server.
func (t *TokenReview) Close() error {
	t.transport.CloseIdleConnections()
	return nil
}

// Endpoint is the TokenReview URL, for startup logs.
func (t *TokenReview) Endpoint() string { return t.endpoint }

// String, GoString, Format and LogValue show only the endpoint: a TokenReview holds the pod's
// own token (docs/contract.md §19 A4).
func (t *TokenReview) String() string             { return "TokenReview(" + t.endpoint + ")" }
func (t *TokenReview) GoString() string           { return t.String() }
func (t *TokenReview) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }
func (t *TokenReview) LogValue() slog.Value       { return slog.StringValue(t.String()) }

// Authenticate implements Authenticator. Answers are cached by the SHA-256 of the token, and
// concurrent requests with one token share one review. The review runs under the request's
// values but not its cancellation, bounded by Timeout, so one caller going away does not fail
// the others waiting for the same review.
func (t *TokenReview) Authenticate(r *http.Request) (Principal, error) {
	tok, err := BearerToken(r)
	if err != nil {
		return Principal{}, err
	}
	key := sha256.Sum256([]byte(tok))
	res := t.cache.do(r.Context(), key, t.now, func() outcome {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), t.timeout)
		defer cancel()
		return t.review(ctx, tok)
	})
	return res.p, res.err
}

// outcome is one review's result. until is when a cached copy expires; zero: not cached.
type outcome struct {
	p     Principal
	err   error
	until time.Time
}

// The TokenReview object, authentication.k8s.io/v1: only the fields used.
type tokenReviewObject struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       struct {
		Token     string   `json:"token"`
		Audiences []string `json:"audiences,omitempty"`
	} `json:"spec"`
	Status struct {
		Authenticated bool `json:"authenticated"`
		User          struct {
			Username string `json:"username"`
		} `json:"user"`
		Audiences []string `json:"audiences"`
	} `json:"status"`
}

// review asks the API server about tok and decides.
func (t *TokenReview) review(ctx context.Context, tok string) outcome {
	var req tokenReviewObject
	req.APIVersion, req.Kind = "authentication.k8s.io/v1", "TokenReview"
	req.Spec.Token, req.Spec.Audiences = tok, t.audiences
	body, err := json.Marshal(&req)
	if err != nil {
		return unavailable(fmt.Errorf("encode TokenReview: %w", err))
	}

	status, answer, err := t.post(ctx, body, t.own.get())
	if err == nil && status == http.StatusUnauthorized && t.own.reload() {
		// Our own token was refused and the file holds a new one: it rotated since the
		// last read. Try once more with it.
		status, answer, err = t.post(ctx, body, t.own.get())
	}
	switch {
	case err != nil:
		return unavailable(err)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		// Our RBAC or our own token is broken, not the caller's token: a retry does not help,
		// so 401, but not cached, so that fixing RBAC takes effect at once (docs/contract.md §15.2).
		t.log.LogAttrs(ctx, slog.LevelError, "TokenReview refused by the Kubernetes API server: grant this pod's "+
			"service account create on tokenreviews (authentication.k8s.io, a ClusterRole, not system:auth-delegator) "+
			"and check that its token is mounted and valid; every API request is refused until then",
			slog.Int("status", status), slog.String("endpoint", t.endpoint))
		return outcome{err: &refusal{ReasonReviewDenied}}
	case status < 200 || status > 299:
		// 429, 5xx, and anything else (3xx, 404 of a wrong URL) is a review not completed.
		return unavailable(fmt.Errorf("TokenReview: API server answered %d", status))
	}
	var rv tokenReviewObject
	if err := json.Unmarshal(answer, &rv); err != nil {
		return unavailable(fmt.Errorf("TokenReview: malformed answer: %w", err))
	}
	return t.decide(ctx, tok, &rv)
}

// decide applies docs/contract.md §15.2's acceptance rules to a completed review.
func (t *TokenReview) decide(ctx context.Context, tok string, rv *tokenReviewObject) outcome {
	now := t.now()
	no := func(reason string) outcome { return outcome{err: &refusal{reason}, until: now.Add(t.negTTL)} }
	user := rv.Status.User.Username
	switch {
	case !rv.Status.Authenticated || user == "":
		return no(ReasonReviewRejected)
	case !slices.ContainsFunc(rv.Status.Audiences, func(a string) bool { return slices.Contains(t.audiences, a) }):
		// An empty list fails too: a webhook that ignores audiences must not pass a token
		// minted for someone else, such as the default SA token (docs/contract.md §19 A1).
		return no(ReasonAudience)
	case !t.allowed(user):
		t.log.LogAttrs(ctx, slog.LevelWarn, "TokenReview: authenticated identity not in BIND_ALLOWED_SERVICE_ACCOUNTS "+
			"or BIND_ALLOWED_NAMESPACES", slog.String("username", user))
		return no(ReasonNotAllowed)
	}
	res := outcome{p: Principal{Name: user, Kind: KindServiceAccount}, until: now.Add(t.posTTL)}
	if exp, ok := jwtExpiry(tok); ok && exp.Before(res.until) {
		res.until = exp // never cached past exp; an already expired one is not cached at all
	}
	if !res.until.After(now) {
		res.until = time.Time{}
	}
	return res
}

// allowed applies the allowlists. With both empty only AllowAny gets here (NewTokenReview
// refuses the rest). Otherwise the username must be listed, or be a service account of a
// listed namespace; any other identity fails ([fix] docs/contract.md §15.2).
func (t *TokenReview) allowed(user string) bool {
	if len(t.allowSA) == 0 && len(t.allowNS) == 0 {
		return t.allowAny
	}
	if t.allowSA[user] {
		return true
	}
	rest, ok := strings.CutPrefix(user, saPrefix)
	if !ok {
		return false
	}
	ns, name, ok := strings.Cut(rest, ":")
	return ok && ns != "" && name != "" && !strings.Contains(name, ":") && t.allowNS[ns]
}

// post sends one review with bearer own. It returns the status and the body of a 2xx, or an
// error when no answer came. Errors name the URL, never a token.
func (t *TokenReview) post(ctx context.Context, body []byte, own string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("TokenReview request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+own)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("TokenReview: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxReviewBody)) // keep the connection
		return resp.StatusCode, nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxReviewBody+1))
	switch {
	case err != nil:
		return 0, nil, fmt.Errorf("TokenReview: reading the answer: %w", err)
	case len(b) > maxReviewBody:
		return 0, nil, fmt.Errorf("TokenReview: answer larger than %d bytes", maxReviewBody)
	}
	return resp.StatusCode, b, nil
}

// unavailable is a review not completed; never cached.
func unavailable(err error) outcome {
	return outcome{err: fmt.Errorf("%w: %w", ErrAuthUnavailable, err)}
}
