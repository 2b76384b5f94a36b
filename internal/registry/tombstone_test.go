package registry_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/bindgate/bindgate/internal/registry"
)

func TestTombstones(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	r, err := registry.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := r.Tombstone(ctx, "a.test", now); err != nil {
		t.Fatal(err)
	}
	if err := r.Tombstone(ctx, "old.test", now.Add(-registry.TombstoneTTL-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := r.Tombstone(ctx, "b.test", now); err != nil {
		t.Fatal(err)
	}
	if err := r.ClearTombstone(ctx, "b.test"); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Tombstoned("b.test"); ok {
		t.Error("b.test still tombstoned after ClearTombstone")
	}
	r.Close()

	// Reopened: durable, and the expired one is gone, file too.
	r, err = registry.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := r.Tombstones(); !slices.Equal(got, []string{"a.test"}) {
		t.Errorf("after reopen, tombstones %v, want [a.test]", got)
	}
	if at, ok := r.Tombstoned("a.test"); !ok || at.Unix() != now.Unix() {
		t.Errorf("a.test tombstoned %v %v, want %v", at, ok, now)
	}
	if _, err := os.Stat(filepath.Join(dir, "tombstones", "old.test")); !os.IsNotExist(err) {
		t.Errorf("expired tombstone file still there: %v", err)
	}
	if err := r.Tombstone(ctx, "not..normal", now); err == nil {
		t.Error("a tombstone for an invalid name was written")
	}
}

// A tombstone is written in place without an fsync of its own (issue 13), so a crash can leave
// it empty, cut short or, on some filesystems, zeros: it is kept, dated by its file's
// modification time, and a tombstone written again is dated anew.
func TestTombstoneTorn(t *testing.T) {
	t.Parallel()
	mtime := time.Now().Add(-time.Hour).Truncate(time.Second).UTC()
	for _, tc := range []struct {
		name    string
		content string
	}{
		{"empty", ""},
		{"zeros", "\x00\x00\x00\x00"},
		{"cut short", "2026-11-2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			r, err := registry.Open(t.Context(), dir)
			if err != nil {
				t.Fatal(err)
			}
			r.Close()
			path := filepath.Join(dir, "tombstones", "a.test")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(path, mtime, mtime); err != nil {
				t.Fatal(err)
			}
			r, err = registry.Open(t.Context(), dir)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if at, ok := r.Tombstoned("a.test"); !ok || !at.Equal(mtime) {
				t.Fatalf("Tombstoned = %v, %v; want %v", at, ok, mtime)
			}
			again := mtime.Add(30 * time.Minute)
			if err := r.Tombstone(t.Context(), "a.test", again); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil || string(b) != again.Format(time.RFC3339)+"\n" {
				t.Fatalf("rewritten tombstone %q, %v", b, err)
			}
		})
	}
}
