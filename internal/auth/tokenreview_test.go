package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// want is an expected Authenticate result: a principal name, a refusal reason, or unavailable.
type want struct {
	name        string
	reason      string
	unavailable bool
}

func check(t *testing.T, p Principal, err error, w want) {
	t.Helper()
	switch {
	case w.unavailable:
		if !errors.Is(err, ErrAuthUnavailable) || errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("err = %v, want ErrAuthUnavailable and not ErrUnauthenticated", err)
		}
	case w.reason != "":
		if !errors.Is(err, ErrUnauthenticated) || errors.Is(err, ErrAuthUnavailable) {
			t.Fatalf("err = %v, want ErrUnauthenticated", err)
		}
		if got := Reason(err); got != w.reason {
			t.Fatalf("Reason = %q, want %q", got, w.reason)
		}
	default:
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		if diff := cmp.Diff(Principal{Name: w.name, Kind: KindServiceAccount}, p); diff != "" {
			t.Fatalf("principal (-want +got):\n%s", diff)
		}
		return
	}
	if p != (Principal{}) {
		t.Errorf("principal %+v with an error", p)
	}
}

func TestTokenReviewDecisions(t *testing.T) {
	t.Parallel()
	nsOnly := func(c *TokenReviewConfig) {
		c.AllowedServiceAccounts, c.AllowedNamespaces = nil, []string{"dns-system"}
	}
	both := func(c *TokenReviewConfig) { c.AllowedNamespaces = []string{"tenant-a"} }
	anyone := func(c *TokenReviewConfig) { c.AllowedServiceAccounts, c.AllowAny = nil, true }
	sa := func(user string, aud ...string) answer {
		return answer{authenticated: true, username: user, audiences: aud}
	}
	tests := []struct {
		name string
		cfg  func(*TokenReviewConfig)
		a    answer
		want want
	}{
		{"listed service account", nil, accepted(), want{name: bindyUser}},
		{"one of several audiences", nil, sa(bindyUser, apiAudience, testAudience), want{name: bindyUser}},
		{"default SA token: API server audience", nil, sa(bindyUser, apiAudience), want{reason: ReasonAudience}},
		{"empty status.audiences", nil, sa(bindyUser), want{reason: ReasonAudience}},
		{"not authenticated", nil, answer{audiences: []string{testAudience}}, want{reason: ReasonReviewRejected}},
		{"authenticated without username", nil, sa("", testAudience), want{reason: ReasonReviewRejected}},
		{"unlisted service account", nil, sa("system:serviceaccount:dns-system:other", testAudience), want{reason: ReasonNotAllowed}},
		{"namespace allowlist accepts", nsOnly, sa("system:serviceaccount:dns-system:other", testAudience), want{name: "system:serviceaccount:dns-system:other"}},
		{"namespace allowlist rejects", nsOnly, sa("system:serviceaccount:kube-system:bindy", testAudience), want{reason: ReasonNotAllowed}},
		{"namespace allowlist, not a service account", nsOnly, sa("dns-system", testAudience), want{reason: ReasonNotAllowed}},
		{"namespace allowlist, user", nsOnly, sa("system:node:dns-system", testAudience), want{reason: ReasonNotAllowed}},
		{"namespace allowlist, no SA name", nsOnly, sa("system:serviceaccount:dns-system:", testAudience), want{reason: ReasonNotAllowed}},
		{"namespace allowlist, extra colon", nsOnly, sa("system:serviceaccount:dns-system:a:b", testAudience), want{reason: ReasonNotAllowed}},
		{"both lists, SA matches", both, accepted(), want{name: bindyUser}},
		{"both lists, namespace matches", both, sa("system:serviceaccount:tenant-a:x", testAudience), want{name: "system:serviceaccount:tenant-a:x"}},
		{"both lists, neither", both, sa("system:serviceaccount:tenant-b:x", testAudience), want{reason: ReasonNotAllowed}},
		{"allow any", anyone, sa("kubernetes-admin", testAudience), want{name: "kubernetes-admin"}},
		{"allow any still checks audience", anyone, sa("kubernetes-admin", apiAudience), want{reason: ReasonAudience}},
		{"403: RBAC missing", nil, answer{status: 403}, want{reason: ReasonReviewDenied}},
		{"500", nil, answer{status: 500}, want{unavailable: true}},
		{"503", nil, answer{status: 503}, want{unavailable: true}},
		{"429", nil, answer{status: 429}, want{unavailable: true}},
		{"404: wrong URL", nil, answer{status: 404}, want{unavailable: true}},
		{"malformed JSON", nil, answer{raw: `{"status":`}, want{unavailable: true}},
		{"timeout", func(c *TokenReviewConfig) { c.Timeout = 300 * time.Millisecond }, answer{hang: true}, want{unavailable: true}},
		{"connection closed", nil, answer{hangup: true}, want{unavailable: true}},
		{"redirect not followed", nil, answer{redirect: true}, want{unavailable: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var edit []func(*TokenReviewConfig)
			if tc.cfg != nil {
				edit = append(edit, tc.cfg)
			}
			rg := newRig(t, edit...)
			tok := rg.token("caller-token-"+strings.ReplaceAll(tc.name, " ", "-"), tc.a)
			p, err := rg.auth(tok)
			check(t, p, err, tc.want)
			if n := rg.api.count(tok); n != 1 && !tc.a.hang { // a 300 ms budget may end in the handshake
				t.Errorf("%d reviews, want 1", n)
			}
			if err != nil && strings.Contains(err.Error(), tok) {
				t.Errorf("error text holds the token: %v", err)
			}
		})
	}
}

// TestTokenReviewForbiddenLog: a 403 is one error line that says what RBAC to grant, per review,
// and is not cached so that a fix takes effect at once.
func TestTokenReviewForbiddenLog(t *testing.T) {
	t.Parallel()
	rg := newRig(t)
	tok := rg.token("caller-token-forbidden", answer{status: 403})
	for range 2 {
		_, err := rg.auth(tok)
		check(t, Principal{}, err, want{reason: ReasonReviewDenied})
	}
	lines := rg.logs.lines(t, "ERROR")
	if len(lines) != 2 {
		t.Fatalf("%d error lines for 2 reviews, want one each:\n%s", len(lines), rg.logs)
	}
	msg, _ := lines[0]["msg"].(string)
	if !strings.Contains(msg, "create on tokenreviews") {
		t.Errorf("log line does not say what to grant: %q", msg)
	}
	if n := rg.api.count(tok); n != 2 {
		t.Errorf("%d reviews, want 2 (a 403 is not cached)", n)
	}
	rg.api.set(tok, accepted()) // RBAC granted
	p, err := rg.auth(tok)
	check(t, p, err, want{name: bindyUser})
}

func TestTokenReviewAPIServerDown(t *testing.T) {
	t.Parallel()
	rg := newRig(t)
	rg.api.srv.Close() // nothing listens there any more
	p, err := rg.auth(rg.token("caller-token-down", accepted()))
	check(t, p, err, want{unavailable: true})
}

func TestTokenReviewCache(t *testing.T) {
	t.Parallel()
	type step struct {
		advance time.Duration
		reviews int // total reviews after this call
	}
	tests := []struct {
		name  string
		a     answer
		tok   func(now time.Time) string
		want  want
		steps []step
	}{
		{
			name: "positive for PositiveTTL", a: accepted(), want: want{name: bindyUser},
			tok:   func(time.Time) string { return "opaque-caller-token" },
			steps: []step{{0, 1}, {0, 1}, {2*time.Minute - time.Second, 1}, {time.Second, 2}, {time.Minute, 2}},
		},
		{
			name: "positive never past the JWT exp", a: accepted(), want: want{name: bindyUser},
			tok:   func(now time.Time) string { return jwt("short", now.Add(30*time.Second)) },
			steps: []step{{0, 1}, {29 * time.Second, 1}, {time.Second, 2}, {0, 3}},
		},
		{
			name: "JWT exp beyond PositiveTTL", a: accepted(), want: want{name: bindyUser},
			tok:   func(now time.Time) string { return jwt("long", now.Add(time.Hour)) },
			steps: []step{{0, 1}, {2*time.Minute - time.Second, 1}, {time.Second, 2}},
		},
		{
			name: "expired JWT is not cached", a: accepted(), want: want{name: bindyUser},
			tok:   func(now time.Time) string { return jwt("expired", now.Add(-time.Second)) },
			steps: []step{{0, 1}, {0, 2}},
		},
		{
			name: "negative for 10 s", a: answer{}, want: want{reason: ReasonReviewRejected},
			tok:   func(time.Time) string { return "bad-caller-token" },
			steps: []step{{0, 1}, {9 * time.Second, 1}, {time.Second, 2}, {0, 2}},
		},
		{
			name: "not allowed is negative", a: answer{authenticated: true, username: "x", audiences: []string{testAudience}},
			want:  want{reason: ReasonNotAllowed},
			tok:   func(time.Time) string { return "unlisted-caller-token" },
			steps: []step{{0, 1}, {5 * time.Second, 1}},
		},
		{
			name: "unavailable is not cached", a: answer{status: 500}, want: want{unavailable: true},
			tok:   func(time.Time) string { return "caller-token-500" },
			steps: []step{{0, 1}, {0, 2}, {0, 3}},
		},
		{
			name: "429 is not cached", a: answer{status: 429}, want: want{unavailable: true},
			tok:   func(time.Time) string { return "caller-token-429" },
			steps: []step{{0, 1}, {0, 2}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rg := newRig(t)
			tok := rg.token(tc.tok(rg.clock.Now()), tc.a)
			for i, s := range tc.steps {
				rg.clock.advance(s.advance)
				p, err := rg.auth(tok)
				check(t, p, err, tc.want)
				if got := rg.api.count(tok); got != s.reviews {
					t.Fatalf("step %d (+%v): %d reviews, want %d", i, s.advance, got, s.reviews)
				}
			}
		})
	}
}

// TestTokenReviewCacheBound: a full cache drops expired entries first, then the oldest.
func TestTokenReviewCacheBound(t *testing.T) {
	t.Parallel()
	rg := newRig(t, func(c *TokenReviewConfig) { c.MaxEntries = 2 })
	good := rg.token("good-caller-token", accepted())
	bad := rg.token("bad-caller-token", answer{})
	third := rg.token("third-caller-token", answer{})
	_, _ = rg.auth(good)
	_, _ = rg.auth(bad)
	rg.clock.advance(11 * time.Second) // bad's entry expires; good's does not
	_, _ = rg.auth(third)
	if n, _ := rg.tr.cache.stats(); n != 2 {
		t.Errorf("%d entries, want 2", n)
	}
	_, _ = rg.auth(good)
	if n := rg.api.count(good); n != 1 {
		t.Errorf("good token reviewed %d times: the live entry was evicted before the expired one", n)
	}
	for i := range 5 { // the oldest goes when nothing has expired
		_, _ = rg.auth(rg.token(fmt.Sprintf("flood-caller-token-%d", i), answer{}))
	}
	if n, _ := rg.tr.cache.stats(); n != 2 {
		t.Errorf("%d entries, want 2", n)
	}
}

// TestTokenReviewSingleflight: 50 concurrent requests with one token make exactly one review.
func TestTokenReviewSingleflight(t *testing.T) {
	t.Parallel()
	const n = 50
	rg := newRig(t)
	tok := rg.token("concurrent-caller-token", accepted())
	gate, arrived := make(chan struct{}), make(chan struct{}, n)
	rg.api.mu.Lock()
	rg.api.gate, rg.api.arrived = gate, arrived
	rg.api.mu.Unlock()

	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			p, err := rg.auth(tok)
			if err == nil && p.Name != bindyUser {
				err = fmt.Errorf("principal %+v", p)
			}
			errs <- err
		})
	}
	<-arrived // the first review is at the server and held there
	deadline := time.Now().Add(10 * time.Second)
	for { // wait until every other request waits on that review
		if _, waiting := rg.tr.cache.stats(); waiting == n-1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("requests did not join the review in progress")
		}
		time.Sleep(time.Millisecond)
	}
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := rg.api.count(tok); got != 1 {
		t.Errorf("%d reviews, want 1", got)
	}
}

// TestTokenReviewWaiterGivesUp: a waiter whose request ends gets ErrAuthUnavailable; the
// review goes on and its result serves the others.
func TestTokenReviewWaiterGivesUp(t *testing.T) {
	t.Parallel()
	rg := newRig(t)
	tok := rg.token("waiter-caller-token", accepted())
	gate, arrived := make(chan struct{}), make(chan struct{}, 1)
	rg.api.mu.Lock()
	rg.api.gate, rg.api.arrived = gate, arrived
	rg.api.mu.Unlock()
	first := make(chan error, 1)
	go func() { _, err := rg.auth(tok); first <- err }()
	<-arrived
	r := httptestRequest(t, tok)
	ctx, cancel := context.WithCancel(r.Context())
	cancel()
	_, err := rg.tr.Authenticate(r.WithContext(ctx))
	check(t, Principal{}, err, want{unavailable: true})
	close(gate)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	p, err := rg.auth(tok)
	check(t, p, err, want{name: bindyUser})
	if got := rg.api.count(tok); got != 1 {
		t.Errorf("%d reviews, want 1", got)
	}
}

// TestTokenReviewRotation: the pod's token is re-read at least every minute, and at once when
// the API server refuses it.
func TestTokenReviewRotation(t *testing.T) {
	t.Parallel()
	const rotated = "pod-sa-token-rotated-fedcba9876543210"
	tests := []struct {
		name    string
		advance time.Duration
		revoke  bool // the old token stops working at once
	}{
		{"periodic re-read", time.Minute, false},
		{"re-read on 401", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rg := newRig(t)
			rg.secrets = append(rg.secrets, rotated)
			before := rg.token("caller-token-before", accepted())
			if _, err := rg.auth(before); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(rg.tokenPath, []byte(rotated), 0o600); err != nil {
				t.Fatal(err)
			}
			if tc.revoke {
				rg.api.setBearers(rotated)
			} else {
				rg.api.setBearers(podSAToken, rotated)
			}
			rg.clock.advance(tc.advance)
			after := rg.token("caller-token-after", accepted())
			if _, err := rg.auth(after); err != nil {
				t.Fatal(err)
			}
			rg.api.setBearers(rotated) // the old token no longer works: the new one is in use
			rg.clock.advance(DefaultPositiveTTL)
			p, err := rg.auth(rg.token("caller-token-later", accepted()))
			check(t, p, err, want{name: bindyUser})
			if n := len(rg.logs.lines(t, "INFO")); n != 1 {
				t.Errorf("%d info lines, want one 'token reloaded':\n%s", n, rg.logs)
			}
		})
	}
}

// TestTokenReviewOwnTokenRevoked: a 401 for our own token with no new token on disk is a 401
// to the caller and the RBAC/token error line, not cached.
func TestTokenReviewOwnTokenRevoked(t *testing.T) {
	t.Parallel()
	rg := newRig(t)
	rg.api.setBearers()
	tok := rg.token("caller-token-revoked", accepted())
	_, err := rg.auth(tok)
	check(t, Principal{}, err, want{reason: ReasonReviewDenied})
	if n := len(rg.logs.lines(t, "ERROR")); n != 1 {
		t.Errorf("%d error lines, want 1", n)
	}
}

func TestNewTokenReviewErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	api := newFakeAPI(t)
	token, empty, notPEM := write("token", podSAToken), write("empty", " \n"), write("notpem", "hello")
	base := TokenReviewConfig{
		APIServer: api.srv.URL, TokenPath: token, CACertPath: api.caPath,
		Audiences: []string{testAudience}, AllowedServiceAccounts: []string{bindyUser},
	}
	tests := []struct {
		name  string
		edit  func(*TokenReviewConfig)
		field string
	}{
		{"no URL", func(c *TokenReviewConfig) { c.APIServer = "" }, "APIServer"},
		{"http URL", func(c *TokenReviewConfig) { c.APIServer = "http://127.0.0.1:6443" }, "APIServer"},
		{"no host", func(c *TokenReviewConfig) { c.APIServer = "https:///x" }, "APIServer"},
		{"user info", func(c *TokenReviewConfig) { c.APIServer = "https://u:p@127.0.0.1" }, "APIServer"},
		{"no CA", func(c *TokenReviewConfig) { c.CACertPath = "" }, "CACertPath"},
		{"missing CA", func(c *TokenReviewConfig) { c.CACertPath = filepath.Join(dir, "nope") }, "CACertPath"},
		{"CA not PEM", func(c *TokenReviewConfig) { c.CACertPath = notPEM }, "CACertPath"},
		{"no token path", func(c *TokenReviewConfig) { c.TokenPath = "" }, "TokenPath"},
		{"missing token", func(c *TokenReviewConfig) { c.TokenPath = filepath.Join(dir, "nope") }, "TokenPath"},
		{"empty token", func(c *TokenReviewConfig) { c.TokenPath = empty }, "TokenPath"},
		{"no audience", func(c *TokenReviewConfig) { c.Audiences = []string{""} }, "Audiences"},
		{"no allowlist", func(c *TokenReviewConfig) { c.AllowedServiceAccounts = nil }, "AllowedServiceAccounts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := base
			tc.edit(&cfg)
			_, err := NewTokenReview(cfg)
			ce, ok := errors.AsType[*ConfigError](err)
			if !ok {
				t.Fatalf("err = %v, want *ConfigError", err)
			}
			if ce.Field != tc.field {
				t.Errorf("Field = %q, want %q (%v)", ce.Field, tc.field, err)
			}
			if strings.Contains(err.Error(), podSAToken) || strings.Contains(err.Error(), "u:p") {
				t.Errorf("error holds a secret: %v", err)
			}
		})
	}
	if _, err := NewTokenReview(base); err != nil {
		t.Errorf("base config: %v", err)
	}
}

func TestInClusterConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		env        map[string]string
		root       string
		want       TokenReviewConfig
		wantErrSub string
	}{
		{
			name: "IPv4", env: map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}, root: "/",
			want: TokenReviewConfig{APIServer: "https://10.96.0.1:443",
				TokenPath:  "/var/run/secrets/kubernetes.io/serviceaccount/token",
				CACertPath: "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"},
		},
		{
			name: "IPv6 under a root", env: map[string]string{"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443"}, root: "/tmp/x/",
			want: TokenReviewConfig{APIServer: "https://[fd00::1]:6443",
				TokenPath:  "/tmp/x/var/run/secrets/kubernetes.io/serviceaccount/token",
				CACertPath: "/tmp/x/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"},
		},
		{name: "no env", env: nil, wantErrSub: "KUBERNETES_SERVICE_HOST"},
		{name: "no port", env: map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1"}, wantErrSub: "KUBE_API_SERVER"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			lookup := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			got, err := InClusterConfig(lookup, tc.root)
			if tc.wantErrSub != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErrSub) {
					t.Fatalf("err = %v, want one naming %s", err, tc.wantErrSub)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestInClusterEndToEnd: an in-cluster config under a fake root reaches the fake API server.
func TestInClusterEndToEnd(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t)
	root := t.TempDir()
	dir := filepath.Join(root, "var/run/secrets/kubernetes.io/serviceaccount")
	ca, err := os.ReadFile(api.caPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string][]byte{"token": []byte(podSAToken), "ca.crt": ca} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	host, port, _ := strings.Cut(strings.TrimPrefix(api.srv.URL, "https://"), ":")
	env := map[string]string{"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port}
	cfg, err := InClusterConfig(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, root)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Audiences, cfg.AllowedServiceAccounts = []string{testAudience}, []string{bindyUser}
	tr, err := NewTokenReview(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	api.set("in-cluster-caller", accepted())
	r := httptestRequest(t, "in-cluster-caller")
	p, err := tr.Authenticate(r)
	check(t, p, err, want{name: bindyUser})
	api.checkClean()
}

// TestTokenReviewRedacts: printing or logging a TokenReview shows no token.
func TestTokenReviewRedacts(t *testing.T) {
	t.Parallel()
	rg := newRig(t)
	for _, s := range []string{
		fmt.Sprint(rg.tr), fmt.Sprintf("%+v %#v %s %q", rg.tr, rg.tr, rg.tr, rg.tr),
		fmt.Sprintf("%+v %#v", rg.tr.own, rg.tr.own),
	} {
		if strings.Contains(s, podSAToken) {
			t.Errorf("token printed: %s", s)
		}
	}
	rg.tr.log.Info("printing", "tr", rg.tr, "own", rg.tr.own)
}

func TestJWTExpiry(t *testing.T) {
	t.Parallel()
	exp := time.Unix(1900000000, 0)
	tests := []struct {
		name string
		tok  string
		want time.Time
		ok   bool
	}{
		{"JWT", jwt("a", exp), exp, true},
		{"padded payload", "a." + "eyJleHAiOjE5MDAwMDAwMDB9" + "==.c", exp, true},
		{"fractional exp", "a.eyJleHAiOjE5MDAwMDAwMDAuNX0.c", exp.Add(500 * time.Millisecond), true},
		{"opaque", "opaque-token", time.Time{}, false},
		{"two parts", "a.b", time.Time{}, false},
		{"bad base64", "a.!!!.c", time.Time{}, false},
		{"no exp", "a.eyJzdWIiOiJ4In0.c", time.Time{}, false},
		{"exp not a number", "a.eyJleHAiOiJ4In0.c", time.Time{}, false},
		{"not JSON", "a.bm9wZQ.c", time.Time{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := jwtExpiry(tc.tok)
			if ok != tc.ok || !got.Equal(tc.want) {
				t.Errorf("jwtExpiry = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// stats returns the number of entries, expired ones included, and of waiting callers.
func (c *reviewCache) stats() (entries, waiting int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries), c.waiting
}
