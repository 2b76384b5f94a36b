package api

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/bindgate/bindgate/internal/auth"
)

// authFunc is an Authenticator made of a function.
type authFunc func(*http.Request) (auth.Principal, error)

func (f authFunc) Authenticate(r *http.Request) (auth.Principal, error) { return f(r) }

// TestAuthenticateOutcomes: a refusal is 401 "Unauthorized"; an authentication that could not
// be completed is 503 "Service unavailable", retryable, and never reaches the handler
// (docs/contract.md §3.4, §15.2).
func TestAuthenticateOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		err       error
		status    int
		msg       string
		reason    string // bindgate_auth_failures_total label
		level     string // of the writeError line
		challenge string // WWW-Authenticate
	}{
		{"unavailable", fmt.Errorf("%w: TokenReview: connection refused", auth.ErrAuthUnavailable),
			503, "Service unavailable", "unavailable", "ERROR", ""},
		{"unavailable, wrapped again", fmt.Errorf("outer: %w", fmt.Errorf("%w: timeout", auth.ErrAuthUnavailable)),
			503, "Service unavailable", "unavailable", "ERROR", ""},
		{"refused", fmt.Errorf("wrapped: %w", auth.ErrUnauthenticated),
			401, "Unauthorized", "other", "WARN", "Bearer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(c *Config) {
				c.Auth = authFunc(func(*http.Request) (auth.Principal, error) { return auth.Principal{}, tc.err })
			})
			w := e.do(req{method: "GET", target: "/api/v1/zones"})
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if diff := cmp.Diff(errJSON(tc.msg), w.Body.String()); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tc.challenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tc.challenge)
			}
			if got := testutil.ToFloat64(e.m.AuthFailures.WithLabelValues(tc.reason)); got != 1 {
				t.Errorf("auth failures{%s} = %v", tc.reason, got)
			}
			if calls := e.z.Calls(); len(calls) != 0 {
				t.Errorf("service called: %+v", calls)
			}
			var found bool
			for _, l := range logLines(t, e) {
				if l["status"] == float64(tc.status) && l["level"] == tc.level && l["err"] == tc.msg+": "+tc.err.Error() {
					found = true
				}
			}
			if !found {
				t.Errorf("no %s line with the cause:\n%s", tc.level, e.logs)
			}
		})
	}
}

// TestTokenReviewThroughAPI drives the real TokenReview authenticator against a TLS API server
// that answers with a fixed status: unavailable outcomes are 503, RBAC trouble is 401.
func TestTokenReviewThroughAPI(t *testing.T) {
	t.Parallel()
	const (
		podToken    = "pod-sa-token-for-api-test"
		callerToken = "caller-token-for-api-test"
		bindy       = "system:serviceaccount:dns-system:bindy"
	)
	tests := []struct {
		name    string
		answer  int // API server status; 201 answers an authenticated review
		aud     string
		hang    bool
		status  int
		msg     string
		timeout time.Duration
	}{
		{name: "accepted", answer: 201, aud: "bindcar", status: 200},
		{name: "wrong audience", answer: 201, aud: "https://kubernetes.default.svc", status: 401, msg: "Unauthorized"},
		{name: "403 RBAC missing", answer: 403, status: 401, msg: "Unauthorized"},
		{name: "500", answer: 500, status: 503, msg: "Service unavailable"},
		{name: "429", answer: 429, status: 503, msg: "Service unavailable"},
		{name: "timeout", hang: true, status: 503, msg: "Service unavailable", timeout: 300 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			done := make(chan struct{})
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "Bearer "+podToken {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				if tc.hang {
					select {
					case <-r.Context().Done():
					case <-done:
					}
					return
				}
				if tc.answer != 201 {
					w.WriteHeader(tc.answer)
					return
				}
				w.WriteHeader(http.StatusCreated)
				_ = json.NewEncoder(w).Encode(map[string]any{
					"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
					"status": map[string]any{"authenticated": true, "user": map[string]any{"username": bindy}, "audiences": []string{tc.aud}},
				})
			}))
			srv.Config.ErrorLog = log.New(io.Discard, "", 0)
			srv.StartTLS()
			t.Cleanup(func() { close(done); srv.Close() })
			dir := t.TempDir()
			caPath, tokenPath := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "token")
			ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
			if err := os.WriteFile(caPath, ca, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(tokenPath, []byte(podToken), 0o600); err != nil {
				t.Fatal(err)
			}
			e := newEnv(t, func(c *Config) {
				tr, err := auth.NewTokenReview(auth.TokenReviewConfig{
					APIServer: srv.URL, TokenPath: tokenPath, CACertPath: caPath, Audiences: []string{"bindcar"},
					AllowedServiceAccounts: []string{bindy}, Timeout: tc.timeout, Logger: c.Logger,
				})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = tr.Close() })
				c.Auth = tr
			})
			w := e.do(req{method: "GET", target: "/api/v1/zones", auth: "Bearer " + callerToken})
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if tc.msg != "" {
				if diff := cmp.Diff(errJSON(tc.msg), w.Body.String()); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
			}
			if tc.status == 200 {
				if l := linesWith(t, e, "request"); len(l) != 1 || l[0]["principal"] != bindy {
					t.Errorf("request line without the principal: %v", l)
				}
			}
			if logs := e.logs.String(); strings.Contains(logs, podToken) || strings.Contains(logs, callerToken) {
				t.Errorf("a token reached the log:\n%s", logs)
			}
		})
	}
}
