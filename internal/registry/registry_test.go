package registry

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDurable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := t.Context()
	r, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	a := Entry{Zone: "a.test", Type: "primary", Block: `{ type primary; file "/z/a.test.zone"; };`, ZoneFile: []byte("$TTL 1\n"), Created: now, Modified: now}
	b := Entry{Zone: "b.test", Type: "secondary", Block: `{ type secondary; primaries { 10.0.0.1; }; };`, Created: now, Modified: now}
	for _, e := range []Entry{b, a} {
		if err := r.Put(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	r.Close()

	r2, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Entry{a, b}, r2.List()); diff != "" {
		t.Fatalf("reopened (-want +got):\n%s", diff)
	}
	if err := r2.Delete(ctx, "a.test"); err != nil {
		t.Fatal(err)
	}
	if err := r2.Delete(ctx, "a.test"); err != nil {
		t.Fatal("deleting a missing entry failed")
	}
	r2.Close()
	r3, _ := Open(ctx, dir)
	defer r3.Close()
	if _, ok := r3.Get("a.test"); ok || r3.Len() != 1 {
		t.Fatalf("delete not durable: %v", r3.List())
	}
	for _, bad := range []string{"../x", "A.test", "a/b"} {
		if err := r3.Put(ctx, Entry{Zone: bad}); err == nil {
			t.Errorf("Put(%q) accepted", bad)
		}
	}
}

func TestCorruptEntryStopsOpen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "zones"), 0o700)
	os.WriteFile(filepath.Join(dir, "zones", "x.test.json"), []byte(`{"secret":"do-not-print"`), 0o600)
	_, err := Open(t.Context(), dir)
	if err == nil {
		t.Fatal("corrupt entry accepted")
	}
	if want := "x.test.json"; !contains(err.Error(), want) || contains(err.Error(), "do-not-print") {
		t.Fatalf("error %q should name the file and not its content", err)
	}
	// A leftover temp file of an interrupted write is ignored.
	dir2 := t.TempDir()
	os.MkdirAll(filepath.Join(dir2, "zones"), 0o700)
	os.WriteFile(filepath.Join(dir2, "zones", ".y.test.json.tmp-abc"), []byte("partial"), 0o600)
	if _, err := Open(t.Context(), dir2); err != nil {
		t.Fatal(err)
	}
}

func contains(s, sub string) bool { return stringsContains(s, sub) }

func stringsContains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestConcurrentPuts(t *testing.T) {
	t.Parallel()
	r, err := Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			if err := r.Put(t.Context(), Entry{Zone: fmt.Sprintf("z%d.test", i), Type: "primary"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if r.Len() != 64 {
		t.Fatalf("Len = %d", r.Len())
	}
}

// TestLoadTenThousand reports how long opening a registry of 10,000 zones takes (no timing
// assertion; the figure is for the package comment and README).
func TestLoadTenThousand(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "zones"), 0o700)
	for i := range 10000 {
		z := fmt.Sprintf("zone%05d.test", i)
		b := fmt.Appendf(nil, `{"v":1,"zone":%q,"type":"primary","block":"{ type primary; file \"/var/cache/bind/%s.zone\"; };","created":"2026-11-24T09:00:00Z","modified":"2026-11-24T09:00:00Z"}`, z, z)
		if err := os.WriteFile(filepath.Join(dir, "zones", z+".json"), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	r, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Len() != 10000 {
		t.Fatalf("loaded %d", r.Len())
	}
	t.Logf("opened a registry of 10,000 zones in %v", time.Since(start))
}

func BenchmarkPut(b *testing.B) {
	r, err := Open(b.Context(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	e := Entry{Type: "primary", Block: `{ type primary; file "/var/cache/bind/x.zone"; };`}
	for i := 0; b.Loop(); i++ {
		e.Zone = fmt.Sprintf("z%d.test", i%10000)
		if err := r.Put(b.Context(), e); err != nil {
			b.Fatal(err)
		}
	}
}
