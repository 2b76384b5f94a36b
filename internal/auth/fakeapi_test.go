package auth

import (
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bindgate/bindgate/internal/logbuf"
)

// The fake cluster's identities.
const (
	podSAToken   = "pod-sa-token-0123456789abcdef" // bindgate's own token, the review's bearer
	bindyUser    = "system:serviceaccount:dns-system:bindy"
	apiAudience  = "https://kubernetes.default.svc.cluster.local"
	testAudience = "bindcar"
)

// answer is how the fake API server answers a review of one caller token.
type answer struct {
	status        int // 0: 201 with the review below (the real server answers 201 Created)
	authenticated bool
	username      string
	audiences     []string
	raw           string // a raw 2xx body instead of the review
	hang          bool   // never answer; wait for the client to give up
	hangup        bool   // close the connection without answering
	redirect      bool   // 307 elsewhere
}

// fakeAPI is an in-process Kubernetes API server that serves TokenReview like the real one:
// it demands a valid bearer (else 401), checks the request's shape, and answers per caller
// token; unknown tokens are not authenticated.
type fakeAPI struct {
	t      *testing.T
	srv    *httptest.Server
	caPath string
	quit   chan struct{}

	mu         sync.Mutex
	bearers    map[string]bool
	answers    map[string]answer
	reviews    map[string]int // by caller token, counted before answering
	violations []string       // requests a real API server would refuse as malformed
	gate       chan struct{}  // when set, reviews wait for it to close
	arrived    chan struct{}  // when set, signalled as each review arrives
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, quit: make(chan struct{}), bearers: map[string]bool{podSAToken: true},
		answers: map[string]answer{}, reviews: map[string]int{}}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes cut short by timeouts are expected
	f.srv.StartTLS()
	t.Cleanup(func() { close(f.quit); f.srv.Close() })
	f.caPath = filepath.Join(t.TempDir(), "ca.crt")
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw})
	if err := os.WriteFile(f.caPath, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fakeAPI) set(token string, a answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers[token] = a
}

// setBearers replaces the tokens the server accepts as bearer (rotation, revocation).
func (f *fakeAPI) setBearers(toks ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bearers = map[string]bool{}
	for _, t := range toks {
		f.bearers[t] = true
	}
}

func (f *fakeAPI) count(token string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reviews[token]
}

func (f *fakeAPI) violation(format string, a ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.violations = append(f.violations, fmt.Sprintf(format, a...))
}

// checkClean fails the test if any request was malformed.
func (f *fakeAPI) checkClean() {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, v := range f.violations {
		f.t.Errorf("API server saw a bad request: %s", v)
	}
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != tokenReviewPath {
		f.violation("%s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	okBearer := f.bearers[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	f.mu.Unlock()
	if !okBearer || !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		status(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		f.violation("Content-Type %q", ct)
	}
	var rv tokenReviewObject
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rv); err != nil {
		f.violation("body: %v", err)
		status(w, http.StatusBadRequest, "BadRequest")
		return
	}
	if rv.APIVersion != "authentication.k8s.io/v1" || rv.Kind != "TokenReview" || rv.Spec.Token == "" ||
		!slices.Equal(rv.Spec.Audiences, []string{testAudience}) || rv.Status.Authenticated {
		f.violation("review %+v", rv)
	}
	f.mu.Lock()
	f.reviews[rv.Spec.Token]++
	a, gate, arrived := f.answers[rv.Spec.Token], f.gate, f.arrived
	f.mu.Unlock()
	if arrived != nil {
		arrived <- struct{}{}
	}
	if gate != nil {
		<-gate
	}
	switch {
	case a.hang:
		select {
		case <-r.Context().Done():
		case <-f.quit:
		}
		return
	case a.hangup:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
		}
		return
	case a.redirect:
		http.Redirect(w, r, "https://elsewhere.invalid/", http.StatusTemporaryRedirect)
		return
	case a.status == http.StatusForbidden:
		status(w, a.status, `tokenreviews.authentication.k8s.io is forbidden: User "system:serviceaccount:dns-system:bind9" cannot create resource "tokenreviews"`)
		return
	case a.status != 0:
		status(w, a.status, http.StatusText(a.status))
		return
	case a.raw != "":
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(a.raw))
		return
	}
	rv.Status.Authenticated = a.authenticated
	rv.Status.User.Username = a.username
	rv.Status.Audiences = a.audiences
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(&rv)
}

// status writes a metav1.Status failure.
func status(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": msg, "code": code})
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// logBuf is a goroutine-safe log sink.
type logBuf struct{ logbuf.Buffer }

// lines returns the decoded log lines at level.
func (l *logBuf) lines(t *testing.T, level string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for s := range strings.Lines(l.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("log line %q: %v", s, err)
		}
		if m["level"] == level {
			out = append(out, m)
		}
	}
	return out
}

// rig is a TokenReview against a fakeAPI with a fake clock and captured logs.
type rig struct {
	t         *testing.T
	api       *fakeAPI
	tr        *TokenReview
	clock     *fakeClock
	logs      *logBuf
	secrets   []string // tokens that must never be logged
	tokenPath string
}

// newRig builds a TokenReview that allows bindyUser, then applies edit. At cleanup it checks
// that the API server saw only well-formed requests and that no token reached the log.
func newRig(t *testing.T, edit ...func(*TokenReviewConfig)) *rig {
	t.Helper()
	rg := &rig{t: t, api: newFakeAPI(t), clock: newClock(), logs: &logBuf{}, secrets: []string{podSAToken}}
	rg.tokenPath = filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(rg.tokenPath, []byte(podSAToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := TokenReviewConfig{
		APIServer: rg.api.srv.URL, TokenPath: rg.tokenPath, CACertPath: rg.api.caPath,
		Audiences: []string{testAudience}, AllowedServiceAccounts: []string{bindyUser},
		Now:    rg.clock.Now, // Timeout: the 5 s default; tests of hanging servers set 300 ms
		Logger: slog.New(slog.NewJSONHandler(rg.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, f := range edit {
		f(&cfg)
	}
	tr, err := NewTokenReview(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	rg.tr = tr
	t.Cleanup(func() {
		rg.api.checkClean()
		logs := rg.logs.String()
		for _, s := range rg.secrets {
			if strings.Contains(logs, s) {
				t.Errorf("a token reached the log:\n%s", logs)
			}
		}
	})
	return rg
}

// token registers a caller token with its answer and returns it.
func (rg *rig) token(tok string, a answer) string {
	rg.secrets = append(rg.secrets, tok)
	rg.api.set(tok, a)
	return tok
}

// auth authenticates one request bearing tok.
func (rg *rig) auth(tok string) (Principal, error) {
	return rg.tr.Authenticate(httptestRequest(rg.t, tok))
}

// httptestRequest is an API request bearing tok.
func httptestRequest(t *testing.T, tok string) *http.Request {
	r := httptest.NewRequestWithContext(t.Context(), "GET", "/api/v1/zones", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

// jwt returns an unsigned JWT-shaped token with exp and a distinguishing subject.
func jwt(sub string, exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	payload := fmt.Sprintf(`{"aud":["bindcar"],"exp":%d,"sub":%q}`, exp.Unix(), sub)
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(payload)) + "." + enc([]byte("signature-"+sub))
}

// accepted is a successful review of bindy's token.
func accepted() answer {
	return answer{authenticated: true, username: bindyUser, audiences: []string{testAudience}}
}
