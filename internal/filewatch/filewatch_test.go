package filewatch

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func TestReload(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "n")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	parse := func(b []byte) (int, error) { return strconv.Atoi(string(b)) }
	if _, err := Load(path, "number file", parse, nil); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	write("1")
	f, err := Load(path, "number file", parse, nil)
	if err != nil || f.Get() != 1 {
		t.Fatalf("%v %v", f, err)
	}
	if changed, err := f.Reload(); changed || err != nil {
		t.Errorf("unchanged file reloaded: %v %v", changed, err)
	}
	write("2")
	if changed, err := f.Reload(); !changed || err != nil || f.Get() != 2 {
		t.Errorf("changed file: %v %v %d", changed, err, f.Get())
	}
	write("x")
	if _, err := f.Reload(); err == nil || f.Get() != 2 {
		t.Errorf("bad file: %v, value %d", err, f.Get())
	}
	write("3")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go f.Watch(ctx, 10*time.Millisecond)
	for deadline := time.Now().Add(5 * time.Second); f.Get() != 3; {
		if time.Now().After(deadline) {
			t.Fatal("Watch did not pick up the change")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if Fixed(7).Get() != 7 {
		t.Error("Fixed")
	}
}
