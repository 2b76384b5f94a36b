package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func digest(tok string) string { d := sha256.Sum256([]byte(tok)); return hex.EncodeToString(d[:]) }

func TestTokenFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tokens.json")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"tokens":[{"name":"ci","sha256":"` + digest("ci-secret") + `"},{"name":"ops","sha256":"` + digest("ops-secret") + `"}]}`)
	f, err := NewTokenFile(t.Context(), path, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	try := func(tok string) (string, error) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		p, err := f.Authenticate(r)
		return p.Name, err
	}
	for tok, want := range map[string]string{"ci-secret": "ci", "ops-secret": "ops"} {
		if got, err := try(tok); err != nil || got != want {
			t.Errorf("%s: %q, %v", tok, got, err)
		}
	}
	if _, err := try("nope"); !errors.Is(err, ErrUnauthenticated) || Reason(err) != ReasonMismatch {
		t.Errorf("wrong token: %v", err)
	}
	// The digest itself is not a credential.
	if _, err := try(digest("ci-secret")); err == nil {
		t.Error("the stored digest authenticated")
	}
	// Hot reload: rotate ci, and a broken file keeps the rotated set.
	write(`{"tokens":[{"name":"ci","sha256":"` + digest("ci-new") + `"}]}`)
	if changed, err := f.Reload(t.Context()); !changed || err != nil {
		t.Fatalf("reload: %v %v", changed, err)
	}
	if _, err := try("ci-secret"); err == nil {
		t.Error("a rotated-out token still works")
	}
	write(`{"tokens":[{"name":"ci","sha256":"zz"}]}`)
	if _, err := f.Reload(t.Context()); err == nil || strings.Contains(err.Error(), digest("ci-new")) {
		t.Fatalf("bad file: %v", err)
	}
	if got, err := try("ci-new"); err != nil || got != "ci" {
		t.Error("a broken file dropped the current tokens")
	}
}

func TestTokenFileRefuses(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{
		`{"tokens":[]}`,
		`{"tokens":[{"name":"a","sha256":"00"}]}`,
		`{"tokens":[{"name":"a b","sha256":"` + digest("x") + `"}]}`,
		`{"tokens":[{"name":"a","sha256":"` + digest("x") + `"},{"name":"a","sha256":"` + digest("y") + `"}]}`,
		`{"tokens":[{"name":"a","sha256":"` + digest("x") + `","token":"plain"}]}`,
	} {
		if _, err := parseTokenFile([]byte(doc)); err == nil {
			t.Errorf("parsed: %s", doc)
		}
	}
}

// FuzzParseTokenFile: any input is refused or gives unique, well-formed names with 32-byte
// digests; it never panics.
func FuzzParseTokenFile(f *testing.F) {
	f.Add([]byte(`{"tokens":[{"name":"ci","sha256":"` + digest("x") + `"}]}`))
	f.Add([]byte(`{"tokens":[{"name":"ci","sha256":"zz"}]}`))
	f.Add([]byte(`{"tokens":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		set, err := parseTokenFile(b)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, n := range set.names {
			if !principalName.MatchString(n) || seen[n] {
				t.Fatalf("bad or duplicate name %q", n)
			}
			seen[n] = true
		}
		if len(set.names) != len(set.digests) || len(set.names) == 0 {
			t.Fatal("names and digests differ")
		}
	})
}
