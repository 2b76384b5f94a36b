package registry

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
)

// TestReadAt covers Open's reader of entry files: the bytes whatever the buffer's size, a
// missing file, and, on Linux (where it opens with openat), no symlink followed and no FIFO
// waited on.
func TestReadAt(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("0123456789abcdef"), 1000) // larger than any starting buffer
	if err := os.WriteFile(filepath.Join(dir, "big"), big, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "empty"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("big", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	linux := runtime.GOOS == "linux"
	for _, tc := range []struct {
		name  string
		buf   []byte
		want  []byte
		err   error // errors.Is target; nil: no error
		anyEr bool  // some error
		only  bool  // Linux only
	}{
		{name: "big", buf: nil, want: big},
		{name: "big", buf: make([]byte, 0, 7), want: big},
		{name: "big", buf: make([]byte, 3, 1<<20), want: big}, // whatever it held is dropped
		{name: "empty", buf: make([]byte, 0, 16), want: []byte{}},
		{name: "missing", err: fs.ErrNotExist},
		{name: "link", anyEr: true, only: true}, // ELOOP: O_NOFOLLOW
		{name: "fifo", want: []byte{}, only: true},
	} {
		if tc.only && !linux {
			continue
		}
		got, err := readAt(d, tc.name, tc.buf)
		switch {
		case tc.err != nil || tc.anyEr:
			if err == nil || tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("%s: err = %v, want %v", tc.name, err, tc.err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case !bytes.Equal(got, tc.want):
			t.Errorf("%s: read %d bytes, want %d", tc.name, len(got), len(tc.want))
		}
	}
}
