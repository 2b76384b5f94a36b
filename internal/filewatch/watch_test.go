package filewatch

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// waitValue waits for w to hold want, failing after 2 s (the detection bound of issue 10).
func waitValue(t *testing.T, w *Watcher[int], changed <-chan struct{}, want int) {
	t.Helper()
	deadline := time.After(2 * time.Second)
	for w.Get() != want {
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("value %d, want %d within 2s of the change", w.Get(), want)
		}
	}
}

// TestWatchEvents: with no timer at all, a change is picked up from file events: a file
// rewritten in place, a temporary renamed over it, and a Kubernetes `..data` symlink swap.
func TestWatchEvents(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// The kubelet layout: key -> ..data/key, ..data -> ..v1.
	for _, v := range []string{"..v1", "..v2", "..v3"} {
		if err := os.Mkdir(filepath.Join(dir, v), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "..v1", "n"), "1")
	write(filepath.Join(dir, "..v2", "n"), "4")
	write(filepath.Join(dir, "..v3", "n"), "5")
	if err := os.Symlink("..v1", filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..data", "n"), filepath.Join(dir, "n")); err != nil {
		t.Fatal(err)
	}
	changed := make(chan struct{}, 16)
	c := OneFile("number file", filepath.Join(dir, "n"), func(b []byte) (int, error) { return strconv.Atoi(string(b)) })
	c.Debounce = 10 * time.Millisecond
	c.OnResult = func(Event[int]) {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	w, err := New(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { w.Watch(ctx) })
	defer func() { cancel(); wg.Wait() }()

	swap := func(to string) {
		t.Helper()
		tmp := filepath.Join(dir, "..data_tmp")
		if err := os.Symlink(to, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	// Watch adds its directories before its loop; until a first change is seen, keep touching.
	deadline := time.After(5 * time.Second)
	for i := 0; w.Get() != 2; i++ {
		write(filepath.Join(dir, "..v1", "n"), "2") // in place, through the links
		select {
		case <-changed:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatal("no reload from a file event within 5s")
		}
	}
	swap("..v2")
	waitValue(t, w, changed, 4)
	swap("..v3")
	waitValue(t, w, changed, 5)
	// A plain file renamed over the link, as atomicfile does.
	tmp := filepath.Join(dir, ".n.tmp")
	write(tmp, "6")
	if err := os.Rename(tmp, filepath.Join(dir, "n")); err != nil {
		t.Fatal(err)
	}
	waitValue(t, w, changed, 6)
}

// TestSwitchCommit: Switch decides when the new value becomes visible, and a refusal is
// retried by Watch with a growing backoff and reported once.
func TestSwitchCommit(t *testing.T) {
	t.Parallel()
	n := newNumbers(t, "1")
	synctest.Test(t, func(t *testing.T) {
		var tries atomic.Int32
		var seenInside atomic.Int32
		var w *Watcher[int]
		c := n.config(func(_ context.Context, _, v int, commit func()) error {
			if tries.Add(1) < 4 {
				return errors.New("named has not loaded it")
			}
			seenInside.Store(int32(w.Get()))
			commit()
			seenInside.Store(int32(w.Get()*10 + int(seenInside.Load())))
			return nil
		})
		c.NoEvents, c.Interval, c.RetryMin = true, time.Hour, time.Second
		var err error
		if w, err = New(t.Context(), c); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() { w.Watch(ctx) })
		n.write(t, "2")
		if _, err := w.Reload(ctx); err == nil {
			t.Fatal("first try: want the refusal")
		}
		// Watch only retries after its own reloads; the hourly tick starts the backoff.
		<-time.After(time.Hour + 10*time.Second) // fake time: the tick, then 1 s and 2 s of backoff
		synctest.Wait()
		if w.Get() != 2 || tries.Load() != 4 {
			t.Errorf("value %d after %d tries, want 2 after 4", w.Get(), tries.Load())
		}
		if got := seenInside.Load(); got != 21 {
			t.Errorf("inside Switch: before commit %d, after %d; want 1 and 2", got%10, got/10)
		}
		if d := cmp.Diff([]string{"failed", "changed:1->2"}, n.list()); d != "" {
			t.Errorf("events (-want +got):\n%s", d)
		}
		cancel()
		wg.Wait()
	})
}
