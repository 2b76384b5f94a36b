package atomicfile

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func openRoot(t *testing.T) (string, *os.Root) {
	t.Helper()
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	return dir, root
}

// names lists the directory, so a test sees any temp file left behind.
func names(t *testing.T, dir string) []string {
	t.Helper()
	out, err := fs.Glob(os.DirFS(dir), "*") // sorted, dot files included
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriteReplaces(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		perm os.FileMode
	}{
		{"top level", "a.zone", 0o644},
		{"private", "b.json", 0o600},
		{"subdirectory", "sub/c.json", 0o600},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir, root := openRoot(t)
			if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
				t.Fatal(err)
			}
			for _, content := range []string{"one", "two"} {
				if err := Write(t.Context(), root, tc.file, []byte(content), tc.perm); err != nil {
					t.Fatal(err)
				}
			}
			p := filepath.Join(dir, filepath.FromSlash(tc.file))
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != "two" || st.Mode().Perm() != tc.perm {
				t.Errorf("content %q mode %v, want %q %v", b, st.Mode().Perm(), "two", tc.perm)
			}
			for _, d := range []string{dir, filepath.Join(dir, "sub")} {
				for _, n := range names(t, d) {
					if IsTemp(n) {
						t.Errorf("temp file left behind: %s", n)
					}
				}
			}
		})
	}
}

func TestWriteRefusesEscapes(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	dir, root := openRoot(t)
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"../x", "/etc/x", "sub/../../x", "link/x", "", "dir/"} {
		if err := Write(t.Context(), root, bad, []byte("x"), 0o644); err == nil {
			t.Errorf("Write(%q) succeeded", bad)
		}
	}
	if got := names(t, outside); len(got) != 0 {
		t.Errorf("files written outside the root: %v", got)
	}
}

// TestWriteFailureKeepsOldContent makes each step fail in turn: before the rename the old
// content survives and no temp file is left; a failed directory fsync reports an error with
// the new content already in place.
func TestWriteFailureKeepsOldContent(t *testing.T) {
	t.Parallel()
	boom := errors.New("injected")
	tests := []struct {
		fail step
		want string
	}{
		{stepWrite, "old"},
		{stepSync, "old"},
		{stepClose, "old"},
		{stepRename, "old"},
		{stepSyncDir, "new"},
	}
	for _, tc := range tests {
		t.Run(string(tc.fail), func(t *testing.T) {
			t.Parallel()
			dir, root := openRoot(t)
			if err := Write(t.Context(), root, "a.zone", []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			err := write(t.Context(), root, "a.zone", []byte("new"), 0o644, noOwner, noOwner, func(s step) error {
				if s == tc.fail {
					return boom
				}
				return nil
			})
			if !errors.Is(err, boom) {
				t.Fatalf("err = %v, want the injected error", err)
			}
			b, _ := os.ReadFile(filepath.Join(dir, "a.zone"))
			if string(b) != tc.want {
				t.Errorf("content %q, want %q", b, tc.want)
			}
			if diff := cmp.Diff([]string{"a.zone"}, names(t, dir)); diff != "" {
				t.Errorf("directory (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteRealFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		ctx   func(t *testing.T) context.Context
		keep  []string
	}{
		{
			name:  "rename over a non-empty directory",
			setup: func(t *testing.T, dir string) { mustMkdir(t, filepath.Join(dir, "a.zone", "inner")) },
			ctx:   func(t *testing.T) context.Context { return t.Context() },
			keep:  []string{"a.zone"},
		},
		{
			name: "cancelled context",
			setup: func(t *testing.T, dir string) {
				if err := os.WriteFile(filepath.Join(dir, "a.zone"), []byte("old"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				return ctx
			},
			keep: []string{"a.zone"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir, root := openRoot(t)
			tc.setup(t, dir)
			if err := Write(tc.ctx(t), root, "a.zone", []byte("new"), 0o644); err == nil {
				t.Fatal("Write succeeded")
			}
			if diff := cmp.Diff(tc.keep, names(t, dir)); diff != "" {
				t.Errorf("directory (-want +got):\n%s", diff)
			}
			if b, err := os.ReadFile(filepath.Join(dir, "a.zone")); err == nil && string(b) != "old" {
				t.Errorf("old content lost: %q", b)
			}
		})
	}
}

func mustMkdir(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestIsTemp(t *testing.T) {
	t.Parallel()
	_, root := openRoot(t)
	f, tmp, err := createTemp(root, "x.test.json", 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	tests := []struct {
		name string
		want bool
	}{
		{tmp, true},
		{".x.test.json.tmp-0123456789abcdef", true},
		{"x.test.json", false},
		{".x.test.json.tmp-0123", false},
		{".x.test.json.tmp-0123456789abcdeg", false},
		{".tmp-0123456789abcdef", false},
		{"x.tmp-0123456789abcdef", false},
	}
	for _, tc := range tests {
		if got := IsTemp(tc.name); got != tc.want {
			t.Errorf("IsTemp(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestWriteOwned: the new file has the owner asked for; without the privilege to give it, the
// write fails before the rename and the old file stays.
func TestWriteOwned(t *testing.T) {
	dir, root := openRoot(t)
	if err := os.WriteFile(filepath.Join(dir, "k.key"), []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	owner := func() (int, int) {
		fi, err := os.Stat(filepath.Join(dir, "k.key"))
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		return int(st.Uid), int(st.Gid)
	}
	if os.Geteuid() != 0 {
		err := WriteOwned(t.Context(), root, "k.key", []byte("new"), 0o640, os.Geteuid()+1, -1)
		if err == nil {
			t.Fatal("chown to another user succeeded without privilege")
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "k.key")); string(b) != "old" {
			t.Errorf("content %q after a failed chown", b)
		}
		if got := names(t, dir); len(got) != 1 {
			t.Errorf("left behind: %v", got)
		}
		return
	}
	if err := WriteOwned(t.Context(), root, "k.key", []byte("new"), 0o640, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if uid, gid := owner(); uid != 65534 || gid != 65534 {
		t.Errorf("owner %d:%d, want 65534:65534", uid, gid)
	}
	if err := WriteOwned(t.Context(), root, "k.key", []byte("newer"), 0o640, -1, -1); err != nil {
		t.Fatal(err)
	}
	if uid, _ := owner(); uid != os.Geteuid() {
		t.Errorf("-1 gave owner %d, want the writer %d", uid, os.Geteuid())
	}
}
