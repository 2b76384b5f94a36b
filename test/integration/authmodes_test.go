package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// fakeAPIServer answers TokenReviews like the Kubernetes API server: it checks bindgate's own
// service-account token, then judges the caller's token by a table. down makes it fail with
// 500 (an outage).
type fakeAPIServer struct {
	srv     *httptest.Server
	down    atomic.Bool
	reviews atomic.Int32
}

func newFakeAPIServer(t *testing.T, ownToken string) *fakeAPIServer {
	f := &fakeAPIServer{}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.reviews.Add(1)
		if r.Method != "POST" || r.URL.Path != "/apis/authentication.k8s.io/v1/tokenreviews" || r.Header.Get("Authorization") != "Bearer "+ownToken {
			http.Error(w, `{"kind":"Status","code":403}`, http.StatusForbidden)
			return
		}
		if f.down.Load() {
			http.Error(w, "etcd unavailable", http.StatusInternalServerError)
			return
		}
		var req struct {
			Spec struct {
				Token     string   `json:"token"`
				Audiences []string `json:"audiences"`
			} `json:"spec"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		status := map[string]any{"authenticated": false}
		switch req.Spec.Token {
		case "bindy-projected-token": // audience bindcar, the operator's ServiceAccount
			status = map[string]any{"authenticated": true, "audiences": []string{"bindcar"},
				"user": map[string]any{"username": "system:serviceaccount:bindy-system:bindy"}}
		case "default-sa-token": // bindy's fallback: the API server's audience only
			status = map[string]any{"authenticated": true, "audiences": []string{"https://kubernetes.default.svc"},
				"user": map[string]any{"username": "system:serviceaccount:bindy-system:bindy"}}
		case "other-sa-token":
			status = map[string]any{"authenticated": true, "audiences": []string{"bindcar"},
				"user": map[string]any{"username": "system:serviceaccount:tenant:app"}}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "status": status})
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// TestTokenReviewMode runs bindgate in TokenReview mode against the fake API server and a
// real named, as bindy drives it.
func TestTokenReviewMode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	own := "bindgate-pod-sa-token"
	api := newFakeAPIServer(t, own)
	caPath, tokPath := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "token")
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: api.srv.Certificate().Raw})
	if err := os.WriteFile(caPath, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tokPath, []byte(own), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startStackWith(t, func(env map[string]string) {
		delete(env, "BIND_API_TOKEN")
		env["KUBE_API_SERVER"], env["KUBE_TOKEN_PATH"], env["KUBE_CA_CERT_PATH"] = api.srv.URL, tokPath, caPath
		env["BIND_ALLOWED_SERVICE_ACCOUNTS"] = "system:serviceaccount:bindy-system:bindy"
	})
	as := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	body := primaryBody("tr.test", s.named.Key.Name, nil)
	s.expect(s.doWith("POST", "/api/v1/zones", body, as("bindy-projected-token")), http.StatusCreated, "")
	waitSOA(t, s.named.DNSAddr, "tr.test", 2025010101)
	for tok, why := range map[string]string{"default-sa-token": "wrong audience", "other-sa-token": "not allowed", "garbage": "not authenticated"} {
		r := s.doWith("DELETE", "/api/v1/zones/tr.test", nil, as(tok))
		if r.Status != http.StatusUnauthorized || r.Body["error"] != "Unauthorized" {
			t.Errorf("%s (%s): %d %s", tok, why, r.Status, r.Raw)
		}
	}
	// Cached: the accepted token is not reviewed again.
	n := api.reviews.Load()
	s.expect(s.doWith("GET", "/api/v1/zones/tr.test", nil, as("bindy-projected-token")), http.StatusOK, "")
	if api.reviews.Load() != n {
		t.Error("an accepted token was reviewed again within the cache time")
	}
	// An outage is 503 (bindy retries), never 401 or 200, for a token not in the cache.
	api.down.Store(true)
	r := s.doWith("GET", "/api/v1/zones/tr.test", nil, as("new-unknown-token"))
	if r.Status != http.StatusServiceUnavailable || r.Body["error"] != "Service unavailable" {
		t.Errorf("API server down: %d %s", r.Status, r.Raw)
	}
	if _, ok := soa(t, s.named.DNSAddr, "tr.test"); !ok {
		t.Fatal("the zone is gone")
	}
}

// TestTokensFileMode: named tokens from a file, scoped by the access file; a rotated file
// takes effect without a restart.
func TestTokensFileMode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	digest := func(tok string) string { d := sha256.Sum256([]byte(tok)); return hex.EncodeToString(d[:]) }
	tokens, policy := filepath.Join(dir, "tokens.json"), filepath.Join(dir, "access.json")
	write := func(path, text string) {
		if err := os.WriteFile(path+".tmp", []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			t.Fatal(err)
		}
	}
	write(tokens, `{"tokens":[{"name":"team-a","sha256":"`+digest("team-a-secret")+`"},{"name":"auditor","sha256":"`+digest("auditor-secret")+`"}]}`)
	write(policy, `{"principals":[{"name":"team-a","access":"read-write","zones":["*.team-a.test"]},{"name":"auditor","access":"read-only","zones":["*"]}]}`)
	s := startStackWith(t, func(env map[string]string) {
		delete(env, "BIND_API_TOKEN")
		env["BIND_API_TOKENS_FILE"], env["BINDGATE_ACCESS_FILE"] = tokens, policy
	})
	as := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	s.expect(s.doWith("POST", "/api/v1/zones", primaryBody("x.team-a.test", s.named.Key.Name, nil), as("team-a-secret")), http.StatusCreated, "")
	s.expect(s.doWith("POST", "/api/v1/zones", primaryBody("x.team-b.test", s.named.Key.Name, nil), as("team-a-secret")), http.StatusForbidden, "Forbidden")
	s.expect(s.doWith("GET", "/api/v1/zones/x.team-a.test", nil, as("auditor-secret")), http.StatusOK, "")
	s.expect(s.doWith("DELETE", "/api/v1/zones/x.team-a.test", nil, as("auditor-secret")), http.StatusForbidden, "Forbidden")
	s.expect(s.doWith("GET", "/api/v1/zones", nil, as(digest("team-a-secret"))), http.StatusUnauthorized, "Unauthorized")
	// Rotate team-a's token; within the reload interval (5 s) the old one stops working.
	write(tokens, `{"tokens":[{"name":"team-a","sha256":"`+digest("team-a-rotated")+`"}]}`)
	eventually(t, 15*time.Second, "the rotated-out token stops working", func() bool {
		return s.doWith("GET", "/api/v1/zones", nil, as("team-a-secret")).Status == http.StatusUnauthorized
	})
	s.expect(s.doWith("GET", "/api/v1/zones/x.team-a.test", nil, as("team-a-rotated")), http.StatusOK, "")
}
