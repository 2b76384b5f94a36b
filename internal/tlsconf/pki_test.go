package tlsconf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bindgate/bindgate/internal/tlsconf/tlsconftest"
)

// keyLines returns the base64 lines of each key's PEM, which no error or log may contain.
func keyLines(ids ...*tlsconftest.Ident) []string {
	var out []string
	for _, id := range ids {
		for l := range strings.Lines(string(id.KeyPEM)) {
			if l = strings.TrimSpace(l); len(l) >= 16 && !strings.HasPrefix(l, "-----") {
				out = append(out, l)
			}
		}
	}
	return out
}

func assertNoKey(t *testing.T, what, text string, ids ...*tlsconftest.Ident) {
	t.Helper()
	if strings.Contains(text, "PRIVATE KEY-----") {
		t.Errorf("%s holds a PEM private key header: %s", what, text)
	}
	for _, l := range keyLines(ids...) {
		if strings.Contains(text, l) {
			t.Errorf("%s holds private key bytes %q", what, l)
		}
	}
}

// secretDir lays files out as a Kubernetes Secret volume does: each name is a symlink through
// "..data", itself a symlink to a timestamped directory, and an update swaps "..data".
type secretDir struct {
	t   *testing.T
	dir string
	gen int
}

func newSecretDir(t *testing.T) *secretDir { return &secretDir{t: t, dir: t.TempDir()} }

func (s *secretDir) path(name string) string { return filepath.Join(s.dir, name) }

// update publishes a new set of files in one symlink swap.
func (s *secretDir) update(files map[string][]byte) {
	t := s.t
	t.Helper()
	s.gen++
	ts := "..2026_" + strings.Repeat("0", 3) + string(rune('a'+s.gen))
	if err := os.Mkdir(filepath.Join(s.dir, ts), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(s.dir, ts, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(s.dir, name)
		if _, err := os.Lstat(link); err != nil {
			if err := os.Symlink(filepath.Join("..data", name), link); err != nil {
				t.Fatal(err)
			}
		}
	}
	tmp := filepath.Join(s.dir, "..data_tmp")
	if err := os.Symlink(ts, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, "..data")); err != nil {
		t.Fatal(err)
	}
}

// replace writes b beside path and renames it over path, as a config-management tool does.
func replace(t *testing.T, path string, b []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
