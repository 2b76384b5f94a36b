package zonecopy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
)

// With Config.Lazy, every use of a zone waits for its copy's load, whoever started it, and
// then sees the loaded copy: a writer never writes over a copy that is not loaded yet.
func TestLazyUseWaitsForLoad(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		use  func(t *testing.T, s *Store) error // the use that arrives while the load runs
	}{
		{"Append", func(t *testing.T, s *Store) error {
			return s.Append(context.Background(), "a.test", []Change{{From: 1, To: 2, Added: rrs(t, "x.a.test. 300 IN A 192.0.2.9")}})
		}},
		{"Replace", func(t *testing.T, s *Store) error {
			_, err := s.Replace(context.Background(), "a.test", axfr(t, "a.test", 2, "www A 192.0.2.1", "x A 192.0.2.9"), nil)
			return err
		}},
		{"Serial", func(t *testing.T, s *Store) error {
			if got, ok := s.Serial("a.test"); !ok || got != 1 {
				return errors.New("no copy at serial 1")
			}
			return nil
		}},
		{"LoadAll", func(t *testing.T, s *Store) error { return s.LoadAll(context.Background()) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			c := newClock()
			seed := open(t, dir, c, nil)
			if _, err := seed.Replace(t.Context(), "a.test", axfr(t, "a.test", 1, "www A 192.0.2.1"), nil); err != nil {
				t.Fatal(err)
			}
			seed.Close()
			synctest.Test(t, func(t *testing.T) {
				s, err := Open(context.Background(), Config{Dir: dir, Now: c.Now, Lazy: true})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				release := make(chan struct{})
				s.fault = func(op string) error {
					if op == "load" {
						<-release // the load of a.test is under way, and stays there
					}
					return nil
				}
				first := make(chan Copy)
				go func() { cp, _ := s.Current("a.test"); first <- cp }() // claims the load
				synctest.Wait()
				done := make(chan error, 1)
				go func() { done <- tc.use(t, s) }()
				synctest.Wait()
				select {
				case err := <-done:
					t.Fatalf("%s returned (%v) before the zone's copy was loaded", tc.name, err)
				default:
				}
				close(release)
				if cp := <-first; cp.Serial != 1 {
					t.Errorf("the loading reader got serial %d, want 1", cp.Serial)
				}
				if err := <-done; err != nil {
					t.Fatalf("%s after the load: %v", tc.name, err)
				}
			})
		})
	}
}

// A copy that cannot be read (here a snapshot whose checksum does not match) does not stop a
// lazy Open, and is not swallowed either: every writer of the zone and the history fail with
// the error naming the file, the readers see no copy, the file is left as it was, LoadAll
// reports it, and the other zones load.
func TestLazyLoadFailure(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := newClock()
	seed := open(t, dir, c, nil)
	for _, z := range []string{"bad.test", "good.test"} {
		if _, err := seed.Replace(t.Context(), z, axfr(t, z, 1, "www A 192.0.2.1"), nil); err != nil {
			t.Fatal(err)
		}
	}
	seed.Close()
	snap := filepath.Join(dir, "bad.test", snapshotFile)
	b, err := os.ReadFile(snap)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-2] ^= 0x20
	if err := os.WriteFile(snap, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(t.Context(), Config{Dir: dir, Now: c.Now}); err == nil || !strings.Contains(err.Error(), snap) {
		t.Fatalf("eager Open = %v, want the error naming %s", err, snap)
	}
	s := open(t, dir, c, func(cfg *Config) { cfg.Lazy = true })
	names := func(err error) error {
		if err == nil || !strings.Contains(err.Error(), snap) {
			return errors.New("not the load error naming the snapshot")
		}
		return nil
	}
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		use  func() error
	}{
		{"Loaded", func() error { return names(s.Loaded("bad.test")) }},
		{"Replace", func() error { _, err := s.Replace(ctx, "bad.test", axfr(t, "bad.test", 2), nil); return names(err) }},
		{"Append", func() error {
			return names(s.Append(ctx, "bad.test", []Change{{From: 1, To: 2, Added: rrs(t, "x.bad.test. 300 IN A 192.0.2.9")}}))
		}},
		{"BeginUpdate", func() error {
			_, err := s.BeginUpdate(ctx, "bad.test", nil, func(u uint32) uint32 { return u + 1 }, nil)
			return names(err)
		}},
		{"Delete", func() error { return names(s.Delete(ctx, "bad.test")) }},
		{"History", func() error { _, err := s.History("bad.test", 0, 0); return names(err) }},
		{"Current", func() error {
			if _, ok := s.Current("bad.test"); ok {
				return errors.New("a copy that failed to load is offered")
			}
			return nil
		}},
		{"Snapshot", func() error {
			if _, ok := s.Snapshot("bad.test"); ok {
				return errors.New("a copy that failed to load is offered")
			}
			return nil
		}},
		{"LoadAll", func() error { return names(s.LoadAll(ctx)) }},
		{"another zone", func() error {
			if got, ok := s.Serial("good.test"); !ok || got != 1 {
				return errors.New("good.test not loaded at serial 1")
			}
			return nil
		}},
	} {
		if err := tc.use(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if after, err := os.ReadFile(snap); err != nil || string(after) != string(b) {
		t.Errorf("the damaged snapshot was changed (%v)", err)
	}
}
