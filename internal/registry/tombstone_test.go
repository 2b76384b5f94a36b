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
