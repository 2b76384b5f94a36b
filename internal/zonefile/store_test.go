package zonefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func openStore(t *testing.T) (string, *Store) {
	t.Helper()
	dir := t.TempDir()
	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return dir, s
}

func touch(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func ls(t *testing.T, dir string) []string {
	t.Helper()
	out, err := fs.Glob(os.DirFS(dir), "*") // sorted, dot files included
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// named918Files are the files named 9.18.49 left beside an inline-signed, dynamically updated
// zone (observed by hand; see journalSuffixes), plus the transient ones a crash can leave.
func named918Files() []string {
	return []string{
		"a.test.zone", "a.test.zone.jnl", "a.test.zone.jbk", "a.test.zone.jnw",
		"a.test.zone.signed", "a.test.zone.signed.jnl", "a.test.zone.signed.jbk", "a.test.zone.signed.jnw",
	}
}

// kept are files Remove must not touch: DNSSEC keys, other zones sharing a prefix or suffix,
// named's own files.
func kept() []string {
	return []string{
		"Ka.test.+013+26522.key", "Ka.test.+013+26522.private", "Ka.test.+013+26522.state",
		"a.test.zone.extra", "b.a.test.zone", "b.a.test.zone.jnl", "aa.test.zone.jnl", "_default.nzd", "managed-keys.bind.jnl",
	}
}

func TestStoreRemove(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		remove func(*Store, string) error
		left   []string
	}{
		{"RemoveJournals", func(s *Store, z string) error { return s.RemoveJournals(t.Context(), z) }, append([]string{"a.test.zone"}, kept()...)},
		{"Remove", func(s *Store, z string) error { return s.Remove(t.Context(), z) }, kept()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir, s := openStore(t)
			touch(t, dir, named918Files()...)
			touch(t, dir, kept()...)
			if err := tc.remove(s, "a.test"); err != nil {
				t.Fatal(err)
			}
			if err := tc.remove(s, "a.test"); err != nil {
				t.Fatalf("second call (files missing): %v", err)
			}
			want := slices.Sorted(slices.Values(tc.left))
			if diff := cmp.Diff(want, ls(t, dir)); diff != "" {
				t.Errorf("left (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStoreWriteExistsPath(t *testing.T) {
	t.Parallel()
	dir, s := openStore(t)
	ctx := t.Context()
	if ok, err := s.Exists("a.test"); ok || err != nil {
		t.Fatalf("Exists before Write = %v, %v", ok, err)
	}
	if err := s.Write(ctx, "a.test", []byte("zone")); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Exists("a.test"); !ok || err != nil {
		t.Fatalf("Exists after Write = %v, %v", ok, err)
	}
	st, err := os.Stat(filepath.Join(dir, "a.test.zone"))
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("zone file: %v, %v (want mode 0644)", st, err)
	}
	if got, want := s.Path("a.test"), filepath.Join(dir, "a.test.zone"); got != want {
		t.Errorf("Path = %q, want %q", got, want)
	}
	if zs, err := s.List(); err != nil || !cmp.Equal(zs, []string{"a.test"}) {
		t.Errorf("List = %v, %v", zs, err)
	}
	if err := s.CheckWritable(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a.test.zone"}, ls(t, dir)); diff != "" {
		t.Errorf("CheckWritable left files (-want +got):\n%s", diff)
	}
}

func TestStoreRefusesNames(t *testing.T) {
	t.Parallel()
	dir, s := openStore(t)
	ctx := t.Context()
	for _, bad := range []string{"../x", "a/b", "/etc/passwd", "A.test", "a.test.", "", "a..b", ".", "..", `a\b`, "a b", "x\n"} {
		t.Run(bad, func(t *testing.T) {
			if err := s.Write(ctx, bad, []byte("x")); err == nil {
				t.Error("Write accepted it")
			}
			if _, err := s.Exists(bad); err == nil {
				t.Error("Exists accepted it")
			}
			if err := s.Remove(ctx, bad); err == nil {
				t.Error("Remove accepted it")
			}
			if err := s.RemoveJournals(ctx, bad); err == nil {
				t.Error("RemoveJournals accepted it")
			}
			if p := s.Path(bad); p != "" {
				t.Errorf("Path = %q, want \"\"", p)
			}
		})
	}
	if got := ls(t, dir); len(got) != 0 {
		t.Errorf("files created: %v", got)
	}
}

// TestOpenStoreRemovesTemps: a zone-file write cut short by SIGKILL leaves its temp file; the
// next start removes it and nothing else (found by the crash suite, issue 9 item 7).
func TestOpenStoreRemovesTemps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	left := ".a.test.zone.tmp-0123456789abcdef"
	keep := []string{"a.test.zone", "a.test.zone.jnl", "tmp-AbCdEf1234", ".a.test.zone.tmp-short", "_default.nzd"}
	for _, n := range append([]string{left}, keep...) {
		touch(t, dir, n)
	}
	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if diff := cmp.Diff(slices.Sorted(slices.Values(keep)), ls(t, dir)); diff != "" {
		t.Errorf("files after OpenStore (-want +got):\n%s", diff)
	}
}

func TestOpenStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "zones"), 0o755); err != nil {
		t.Fatal(err)
	}
	touch(t, dir, "file")
	tests := []struct {
		in, dir string
		ok      bool
	}{
		{dir + "/zones/", dir + "/zones", true},
		{dir + "/x/../zones", dir + "/zones", true},
		{"relative/dir", "", false},
		{dir + "/missing", "", false},
		{dir + "/file", "", false},
	}
	for _, tc := range tests {
		s, err := OpenStore(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("OpenStore(%q) err = %v, want ok %v", tc.in, err, tc.ok)
			continue
		}
		if err == nil {
			if s.Dir() != tc.dir {
				t.Errorf("Dir() = %q, want %q", s.Dir(), tc.dir)
			}
			s.Close()
		}
	}
}

// Create writes a file only where there was none, and leaves one that is there untouched.
func TestStoreCreate(t *testing.T) {
	t.Parallel()
	const data = "$TTL 300\n@ IN SOA ns1.a.test. admin.a.test. 1 3600 600 604800 86400\n"
	for _, tc := range []struct {
		name     string
		existing string // content of a file already there; "" for none
		wantErr  error
		want     string
	}{
		{name: "new file", want: data},
		{name: "a file is there", existing: "theirs", wantErr: fs.ErrExist, want: "theirs"},
		{name: "an empty file is there", existing: "\x00", wantErr: fs.ErrExist, want: "\x00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir, s := openStore(t)
			path := filepath.Join(dir, "a.test.zone")
			if tc.existing != "" {
				if err := os.WriteFile(path, []byte(tc.existing), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := s.Create(t.Context(), "a.test", []byte(data))
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("content (-want +got):\n%s", diff)
			}
			if tc.wantErr == nil {
				if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
					t.Errorf("mode %v, want 0644", fi.Mode().Perm())
				}
			}
		})
	}
	t.Run("invalid name", func(t *testing.T) {
		t.Parallel()
		_, s := openStore(t)
		if err := s.Create(t.Context(), "../x", []byte(data)); err == nil {
			t.Fatal("a name that is not normalised was accepted")
		}
	})
}

func TestStoreHasJournals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		files []string
		want  bool
	}{
		{files: nil, want: false},
		{files: []string{"a.test.zone"}, want: false},
		{files: kept(), want: false},
		{files: []string{"a.test.zone.jnl"}, want: true},
		{files: []string{"a.test.zone.jbk"}, want: true},
		{files: []string{"a.test.zone.signed.jnw"}, want: true},
	} {
		t.Run(fmt.Sprint(tc.files), func(t *testing.T) {
			t.Parallel()
			dir, s := openStore(t)
			touch(t, dir, tc.files...)
			got, err := s.HasJournals("a.test")
			if err != nil || got != tc.want {
				t.Fatalf("HasJournals = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// A file a power failure tore (empty, zeros, cut before the SOA) is not loadable.
func TestStoreLoadable(t *testing.T) {
	t.Parallel()
	good := "$ORIGIN a.test.\n$TTL 300\n@ IN SOA ns1.a.test. admin.a.test. ( 1 3600 600 604800 86400 )\n@ IN NS ns1.a.test.\n"
	for _, tc := range []struct {
		name    string
		content *string
		want    bool
	}{
		{name: "missing", want: false},
		{name: "empty", content: ptr(""), want: false},
		{name: "zeros", content: ptr(strings.Repeat("\x00", 4096)), want: false},
		{name: "cut before the SOA", content: ptr("$ORIGIN a.test.\n$TTL 300\n@ IN SO"), want: false},
		{name: "complete", content: &good, want: true},
		{name: "restored from a copy", content: ptr("; restored by bindgate from its copy of the zone\na.test.\t300\tIN\tSOA\tns1.a.test. admin.a.test. 7 3600 600 604800 86400\n"), want: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir, s := openStore(t)
			if tc.content != nil {
				if err := os.WriteFile(filepath.Join(dir, "a.test.zone"), []byte(*tc.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.Loadable("a.test")
			if err != nil || got != tc.want {
				t.Fatalf("Loadable = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
