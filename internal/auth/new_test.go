package auth

import (
	"bytes"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bindgate/bindgate/internal/config"
)

// TestNew: each mode gets its authenticator; a TokenReview target that cannot work
// stops startup with an error naming the setting (docs/contract.md §15.3).
func TestNew(t *testing.T) {
	t.Parallel()
	const podToken = "pod-sa-token-app-test"
	srv := httptest.NewTLSServer(http.NotFoundHandler()) // only its certificate is used
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ca := write("ca.crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	token := write("token", []byte(podToken))
	tokenReview := func(edit func(*config.Config)) config.Config {
		var c config.Config
		c.Auth.TokenAudiences = []string{"bindcar"}
		c.Auth.AllowedServiceAccounts = []string{"system:serviceaccount:dns-system:bindy"}
		c.Auth.KubeAPIServer, c.Auth.KubeTokenPath, c.Auth.KubeCACertPath = srv.URL, token, ca
		if edit != nil {
			edit(&c)
		}
		return c
	}
	inCluster := func(t *testing.T) func() (TokenReviewConfig, error) {
		return func() (TokenReviewConfig, error) {
			return InClusterConfig(func(k string) (string, bool) {
				return map[string]string{"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "6443"}[k], true
			}, t.TempDir()) // an empty root: no service account files
		}
	}
	notInCluster := func(*testing.T) func() (TokenReviewConfig, error) {
		return func() (TokenReviewConfig, error) {
			return InClusterConfig(func(string) (string, bool) { return "", false }, "/")
		}
	}
	tests := []struct {
		name      string
		cfg       config.Config
		inCluster func(*testing.T) func() (TokenReviewConfig, error)
		kind      string // Go type of the authenticator, or "" for an error
		setting   string // the SettingError's setting
	}{
		{name: "disabled", cfg: tokenReview(func(c *config.Config) { c.Auth.Disabled = true }), kind: "auth.none"},
		{name: "shared secret", cfg: tokenReview(func(c *config.Config) { c.Auth.Token = "s3cret" }), kind: "auth.static"},
		{name: "KUBE_*", cfg: tokenReview(nil), kind: "*auth.TokenReview"},
		{name: "http URL", cfg: tokenReview(func(c *config.Config) { c.Auth.KubeAPIServer = "http://127.0.0.1:6443" }), setting: "KUBE_API_SERVER"},
		{name: "unreadable CA", cfg: tokenReview(func(c *config.Config) { c.Auth.KubeCACertPath = filepath.Join(dir, "nope") }), setting: "KUBE_CA_CERT_PATH"},
		{name: "unreadable token", cfg: tokenReview(func(c *config.Config) { c.Auth.KubeTokenPath = filepath.Join(dir, "nope") }), setting: "KUBE_TOKEN_PATH"},
		{name: "no audience", cfg: tokenReview(func(c *config.Config) { c.Auth.TokenAudiences = nil }), setting: "BIND_TOKEN_AUDIENCES"},
		{name: "not in a cluster", cfg: tokenReview(func(c *config.Config) { c.Auth.KubeAPIServer = "" }), inCluster: notInCluster, setting: "KUBERNETES_SERVICE_HOST"},
		{name: "in cluster without SA files", cfg: tokenReview(func(c *config.Config) { c.Auth.KubeAPIServer = "" }), inCluster: inCluster, setting: "in-cluster service account ca.crt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&logs, nil))
			ic := notInCluster(t)
			if tc.inCluster != nil {
				ic = tc.inCluster(t)
			}
			a, err := New(tc.cfg.Auth, Options{Mode: tc.cfg.AuthMode(), Logger: log, InCluster: ic})
			if tc.kind != "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := fmt.Sprintf("%T", a); got != tc.kind {
					t.Errorf("authenticator %s, want %s", got, tc.kind)
				}
				if c, ok := a.(interface{ Close() error }); ok {
					_ = c.Close()
				}
			} else {
				se, ok := errors.AsType[*config.SettingError](err)
				if !ok {
					t.Fatalf("err = %v, want a *config.SettingError", err)
				}
				if se.Setting != tc.setting {
					t.Errorf("setting %q, want %q (%v)", se.Setting, tc.setting, err)
				}
			}
			if strings.Contains(logs.String(), podToken) || strings.Contains(logs.String(), "s3cret") {
				t.Errorf("a secret reached the log: %s", logs.String())
			}
		})
	}
}
