package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	ctx := t.Context()
	if err := Write(ctx, root, "a.zone", []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(ctx, root, "a.zone", []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "a.zone"))
	st, _ := os.Stat(filepath.Join(dir, "a.zone"))
	if string(b) != "two" || st.Mode().Perm() != 0o644 {
		t.Fatalf("content %q mode %v", b, st.Mode())
	}
	// Escapes are refused by the root; a failed write leaves the old file and no temp file.
	for _, bad := range []string{"../x", "/etc/x", "sub/../../x"} {
		if err := Write(ctx, root, bad, []byte("x"), 0o644); err == nil {
			t.Errorf("Write(%q) escaped the root", bad)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "d.zone"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(ctx, root, "d.zone", []byte("x"), 0o644); err == nil {
		t.Error("rename over a directory succeeded")
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temp file left behind: %s", e.Name())
		}
	}
}
