package auth

import (
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/bindgate/bindgate/internal/config"
)

// TestOpenTokenFileAndNew: the access section's tokens file and the shared secret together make
// the token mode's authenticator; a tokens file that does not load names its setting.
func TestOpenTokenFileAndNew(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "tokens.json"), filepath.Join(dir, "bad.json")
	if err := os.WriteFile(good, []byte(`{"tokens":[{"name":"ci","sha256":"`+digest("ci-secret")+`"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"tokens":[{"name":"ci","sha256":"not hex"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		secret     config.Secret
		tokensFile string
		wantErr    bool
		accepted   map[string]string // bearer token -> principal; any other is refused
	}{
		{name: "secret only", secret: "shared", accepted: map[string]string{"shared": "shared-token"}},
		{name: "file only", tokensFile: good, accepted: map[string]string{"ci-secret": "ci"}},
		{name: "secret and file", secret: "shared", tokensFile: good,
			accepted: map[string]string{"shared": "shared-token", "ci-secret": "ci"}},
		{name: "invalid file", tokensFile: bad, wantErr: true},
		{name: "missing file", tokensFile: filepath.Join(dir, "missing.json"), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var c config.Config
			c.Auth.Token, c.Access.TokensFile = tc.secret, tc.tokensFile
			tf, err := OpenTokenFile(t.Context(), c.Access, nil)
			if tc.wantErr {
				if se, ok := errors.AsType[*config.SettingError](err); !ok || se.Setting != config.SettingTokensFile {
					t.Fatalf("OpenTokenFile = %v, want a *config.SettingError for %s", err, config.SettingTokensFile)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (tf == nil) != (tc.tokensFile == "") {
				t.Fatalf("OpenTokenFile = %v for file %q", tf, tc.tokensFile)
			}
			a, err := New(c.Auth, Options{Mode: c.AuthMode(), TokenFile: tf})
			if err != nil {
				t.Fatal(err)
			}
			for _, tok := range []string{"shared", "ci-secret", "other"} {
				r := httptest.NewRequest("GET", "/", nil)
				r.Header.Set("Authorization", "Bearer "+tok)
				p, err := a.Authenticate(r)
				want, ok := tc.accepted[tok]
				switch {
				case ok && (err != nil || p.Name != want):
					t.Errorf("%s: %q, %v; want %q", tok, p.Name, err, want)
				case !ok && !errors.Is(err, ErrUnauthenticated):
					t.Errorf("%s: %q, %v; want refused", tok, p.Name, err)
				}
			}
		})
	}
}
