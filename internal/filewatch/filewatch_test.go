package filewatch

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// numbers is a watched file holding an integer, and what its Watcher reported.
type numbers struct {
	path   string
	mu     sync.Mutex
	events []string
}

func newNumbers(t *testing.T, initial string) *numbers {
	n := &numbers{path: filepath.Join(t.TempDir(), "n")}
	n.write(t, initial)
	return n
}

func (n *numbers) write(t *testing.T, s string) {
	t.Helper()
	if s == "-" {
		if err := os.Remove(n.path); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := os.WriteFile(n.path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (n *numbers) config(sw func(context.Context, int, int, func()) error) Config[int] {
	c := OneFile("number file", n.path, func(b []byte) (int, error) { return strconv.Atoi(string(b)) })
	c.Switch = sw
	c.OnResult = func(e Event[int]) {
		n.mu.Lock()
		defer n.mu.Unlock()
		s := string(e.Result)
		if e.Result == Changed {
			s += ":" + strconv.Itoa(e.Old) + "->" + strconv.Itoa(e.New)
		}
		n.events = append(n.events, s)
	}
	return c
}

func (n *numbers) list() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.events...)
}

func TestReload(t *testing.T) {
	t.Parallel()
	errVeto := errors.New("veto")
	type step struct {
		write   string // new content; "" leaves the file, "-" removes it
		changed bool
		err     error // errors.Is; nil means success
		anyErr  bool
		want    int
	}
	tests := []struct {
		name   string
		veto   func(old, new int) error
		steps  []step
		events []string
	}{
		{"unchanged content is not parsed again", nil,
			[]step{{write: "1", want: 1}, {write: "1", want: 1}}, nil},
		{"changed content is swapped in", nil,
			[]step{{write: "2", changed: true, want: 2}, {write: "3", changed: true, want: 3}},
			[]string{"changed:1->2", "changed:2->3"}},
		{"bad content keeps the old value and is reported once", nil,
			[]step{{write: "x", anyErr: true, want: 1}, {write: "x", anyErr: true, want: 1}, {write: "2", changed: true, want: 2}},
			[]string{"failed", "changed:1->2"}},
		{"a missing file is reported every time", nil,
			[]step{{write: "-", err: os.ErrNotExist, want: 1}, {err: os.ErrNotExist, want: 1}, {write: "1", want: 1}},
			[]string{"failed", "failed"}},
		{"Switch can refuse, and the same content is tried again", func(_, n int) error {
			if n == 5 {
				return errVeto
			}
			return nil
		}, []step{{write: "5", err: errVeto, want: 1}, {err: errVeto, want: 1}, {write: "6", changed: true, want: 6}},
			[]string{"failed", "changed:1->6"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := newNumbers(t, "1")
			var sw func(context.Context, int, int, func()) error
			if tc.veto != nil {
				sw = func(_ context.Context, o, v int, _ func()) error { return tc.veto(o, v) }
			}
			w, err := New(t.Context(), n.config(sw))
			if err != nil || w.Get() != 1 {
				t.Fatalf("New: %v, %v", w, err)
			}
			for i, s := range tc.steps {
				if s.write != "" {
					n.write(t, s.write)
				}
				changed, err := w.Reload(t.Context())
				switch {
				case s.err != nil && !errors.Is(err, s.err), s.anyErr && err == nil, s.err == nil && !s.anyErr && err != nil:
					t.Fatalf("step %d: err = %v, want %v", i, err, s.err)
				case changed != s.changed || w.Get() != s.want:
					t.Fatalf("step %d: changed %v, value %d; want %v, %d", i, changed, w.Get(), s.changed, s.want)
				}
			}
			if d := cmp.Diff(tc.events, n.list()); d != "" {
				t.Errorf("events (-want +got):\n%s", d)
			}
			if d := cmp.Diff([]string{n.path}, w.Paths()); d != "" {
				t.Errorf("Paths (-want +got):\n%s", d)
			}
		})
	}
}

func TestNewFails(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := OneFile("number file", filepath.Join(dir, "missing"), func(b []byte) (int, error) { return strconv.Atoi(string(b)) })
	if _, err := New(t.Context(), c); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	c = OneFile("number file", filepath.Join(dir, "bad"), func(b []byte) (int, error) { return strconv.Atoi(string(b)) })
	if _, err := New(t.Context(), c); !errors.Is(err, strconv.ErrSyntax) {
		t.Errorf("bad file: %v", err)
	}
	if Fixed(7).Get() != 7 {
		t.Error("Fixed")
	}
	if changed, err := Fixed(7).Reload(t.Context()); changed || err != nil {
		t.Errorf("Fixed.Reload = %v, %v", changed, err)
	}
}

func TestWatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		interval time.Duration
		want     int
		events   []string
	}{
		{"the ticker picks the change up", time.Minute, 2, []string{"changed:1->2"}},
		{"interval 0 leaves it to Reload", 0, 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := newNumbers(t, "1")
			synctest.Test(t, func(t *testing.T) {
				c := n.config(nil)
				c.Interval = tc.interval
				c.NoEvents = true
				w, err := New(t.Context(), c)
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(t.Context())
				var wg sync.WaitGroup
				wg.Go(func() { w.Watch(ctx) })
				time.Sleep(90 * time.Second) // fake time: a tick with nothing changed
				n.write(t, "2")
				time.Sleep(time.Minute)
				synctest.Wait()
				if w.Get() != tc.want {
					t.Errorf("value %d, want %d", w.Get(), tc.want)
				}
				if d := cmp.Diff(tc.events, n.list()); d != "" {
					t.Errorf("events (-want +got):\n%s", d)
				}
				cancel()
				wg.Wait() // synctest fails the test if Watch outlives the bubble
			})
		})
	}
}
