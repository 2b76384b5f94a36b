package zonecopy

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/bindgate/bindgate/internal/errs"
)

// copyDir copies the store directory src into a new temp dir, so a test can damage files and
// reopen without touching the original.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// history renders a zone's history and state for comparisons.
func dump(t *testing.T, s *Store, zone string) string {
	t.Helper()
	c, ok := s.Current(zone)
	if !ok {
		return "no copy"
	}
	h, err := s.History(zone, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("serial %d\n%s%v", c.Serial, text(c.RRs), h)
}

// TestTornTail cuts the log at every byte offset of its last record (and pads it with zeros, as
// the reserve after the records is, and as a crash after the file grew can leave): Open succeeds with the state before that record, and the
// next append works.
func TestTornTail(t *testing.T) {
	t.Parallel()
	dir, c := t.TempDir(), newClock()
	s := open(t, dir, c, nil)
	if _, err := s.Replace(t.Context(), tz, axfr(t, tz, 1, "www A 192.0.2.1"), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(t.Context(), tz, parseChanges(t, "1 2 +a A 192.0.2.2|2 3 -www A 192.0.2.1")); err != nil {
		t.Fatal(err)
	}
	want := dump(t, s, tz)
	log := filepath.Join(dir, tz, changesFile)
	start := recordsEnd(t, log)
	if err := s.Append(t.Context(), tz, parseChanges(t, `3 4 +b TXT "a longer record"`)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	full, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	full = full[:recordsEnd(t, log)] // without the reserved zeros after the records
	cuts := map[string][]byte{"zero padding": append(full[:start:start], make([]byte, 100)...)}
	for n := start; n < int64(len(full)); n++ {
		cuts[fmt.Sprintf("cut at %d", n)] = full[:n]
	}
	for name, b := range cuts {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := copyDir(t, dir)
			if err := os.WriteFile(filepath.Join(d, tz, changesFile), b, 0o600); err != nil {
				t.Fatal(err)
			}
			s := open(t, d, newClock(), nil)
			if got := dump(t, s, tz); got != want {
				t.Fatalf("after reopen:\n%s\nwant\n%s", got, want)
			}
			if got := recordsEnd(t, filepath.Join(d, tz, changesFile)); got != start {
				t.Errorf("log's records end at %d, want the torn tail cut off at %d", got, start)
			}
			if err := s.Append(t.Context(), tz, parseChanges(t, "3 4 +c A 192.0.2.3")); err != nil {
				t.Fatal(err)
			}
			after := dump(t, s, tz)
			s.Close()
			if got := dump(t, open(t, d, newClock(), nil), tz); got != after {
				t.Errorf("after append and reopen:\n%s\nwant\n%s", got, after)
			}
		})
	}
}

// TestCorruption: damage anywhere but a torn tail fails Open, naming the file.
func TestCorruption(t *testing.T) {
	t.Parallel()
	dir, c := t.TempDir(), newClock()
	s := open(t, dir, c, nil)
	if _, err := s.Replace(t.Context(), tz, axfr(t, tz, 1, "www A 192.0.2.1"), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(t.Context(), tz, parseChanges(t, "1 2 +a A 192.0.2.2")); err != nil {
		t.Fatal(err)
	}
	first := fileSize(t, filepath.Join(dir, tz, changesFile))
	if err := s.Append(t.Context(), tz, parseChanges(t, "2 3 +b A 192.0.2.3")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	flip := func(i int64) func([]byte) []byte {
		return func(b []byte) []byte { b[i] ^= 0x20; return b }
	}
	tests := []struct {
		name, file string
		damage     func([]byte) []byte
	}{
		{"log: first record's payload", changesFile, flip(20)},
		{"log: first record's length", changesFile, flip(2)},
		{"log: a record repeated at the end", changesFile, func(b []byte) []byte { return append(b, b[:first]...) }},
		{"log: first record's length", changesFile, flip(3)},
		{"snapshot: body", snapshotFile, func(b []byte) []byte { return bytes.Replace(b, []byte("192.0.2.1"), []byte("192.0.2.7"), 1) }},
		{"snapshot: header", snapshotFile, func(b []byte) []byte { return b[1:] }},
		{"snapshot: other zone", snapshotFile, func(b []byte) []byte { return bytes.Replace(b, []byte("zone="+tz), []byte("zone=x.test"), 1) }},
		{"snapshot: empty", snapshotFile, func([]byte) []byte { return nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := copyDir(t, dir)
			p := filepath.Join(d, tz, tc.file)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, tc.damage(b), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err = Open(t.Context(), Config{Dir: d})
			if err == nil || !strings.Contains(err.Error(), p) {
				t.Fatalf("Open = %v, want an error naming %s", err, p)
			}
			if strings.Contains(err.Error(), "192.0.2") {
				t.Errorf("error repeats file content: %v", err)
			}
		})
	}
}

// fault makes the named operation fail with err (the rest succeed).
func fault(s *Store, err error, ops ...string) {
	s.fault = func(op string) error {
		for _, o := range ops {
			if o == op {
				return err
			}
		}
		return nil
	}
}

// TestAppendFaults makes each file operation of an append fail: the call fails, memory is
// unchanged, a restart at that moment loads the same state, and the next append succeeds.
func TestAppendFaults(t *testing.T) {
	t.Parallel()
	boom := &os.PathError{Op: "write", Path: "x", Err: syscall.EIO}
	tests := []struct {
		name  string
		ops   []string
		first bool // fail the first append (the log file does not exist yet)
		// unsure: the failed change may survive a restart (a complete record whose fsync
		// failed and could not be truncated); see the package comment.
		unsure bool
	}{
		{"open", []string{"append.open"}, false, false},
		{"short write", []string{"append.write"}, false, false},
		{"short write, truncate fails", []string{"append.write", "append.truncate"}, false, false},
		{"fsync", []string{"append.sync"}, false, false},
		{"fsync, truncate fails", []string{"append.sync", "append.truncate"}, false, true},
		{"directory fsync of a new log", []string{"append.syncdir"}, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir, c := t.TempDir(), newClock()
			s := open(t, dir, c, nil)
			if _, err := s.Replace(t.Context(), tz, axfr(t, tz, 1, "www A 192.0.2.1"), nil); err != nil {
				t.Fatal(err)
			}
			from := uint32(1)
			if !tc.first {
				if err := s.Append(t.Context(), tz, parseChanges(t, "1 2 +a A 192.0.2.2")); err != nil {
					t.Fatal(err)
				}
				from = 2
			}
			want := dump(t, s, tz)
			fault(s, boom, tc.ops...)
			ch := parseChanges(t, fmt.Sprintf("%d 9 +b A 192.0.2.3", from))
			if err := s.Append(t.Context(), tz, ch); !errors.Is(err, syscall.EIO) {
				t.Fatalf("Append = %v, want the injected error", err)
			}
			if got := dump(t, s, tz); got != want {
				t.Fatalf("memory changed:\n%s", got)
			}
			crashed := open(t, copyDir(t, dir), c, nil)
			if got := dump(t, crashed, tz); got != want && !(tc.unsure && current(t, crashed, tz).Serial == 9) {
				t.Errorf("restart after the failure:\n%s\nwant\n%s", got, want)
			}
			s.fault = nil
			if err := s.Append(t.Context(), tz, ch); err != nil {
				t.Fatalf("Append after the fault: %v", err)
			}
			want = dump(t, s, tz)
			if got := dump(t, open(t, copyDir(t, dir), c, nil), tz); got != want {
				t.Errorf("restart after recovery:\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// TestReplaceFaults: a failed first Replace leaves no copy, in memory or after a restart.
func TestReplaceFaults(t *testing.T) {
	t.Parallel()
	for _, op := range []string{"mkdir", "snapshot"} {
		t.Run(op, func(t *testing.T) {
			t.Parallel()
			dir, c := t.TempDir(), newClock()
			s := open(t, dir, c, nil)
			fault(s, errors.New("injected"), op)
			if _, err := s.Replace(t.Context(), tz, axfr(t, tz, 1), nil); err == nil {
				t.Fatal("Replace succeeded")
			}
			if _, ok := s.Current(tz); ok || len(s.Zones()) != 0 {
				t.Error("a copy exists after a failed Replace")
			}
			if got := open(t, copyDir(t, dir), c, nil).Zones(); len(got) != 0 {
				t.Errorf("after restart: %v", got)
			}
			s.fault = nil
			if _, err := s.Replace(t.Context(), tz, axfr(t, tz, 1), nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestCompactionFaults fails compaction at each step (which is also what a crash there leaves
// on disk): the append that triggered it still succeeds, a restart loads the same state and
// history, and the next append compacts and loads again.
func TestCompactionFaults(t *testing.T) {
	t.Parallel()
	for _, op := range []string{"compact.snapshot", "compact.log", ""} {
		t.Run(op, func(t *testing.T) {
			t.Parallel()
			dir, c := t.TempDir(), newClock()
			mod := func(cfg *Config) { cfg.MaxChanges, cfg.MaxAge = 2, -1 }
			s := open(t, dir, c, mod)
			zero := int64(0)
			s.compactAt = &zero
			if _, err := s.Replace(t.Context(), tz, axfr(t, tz, 1, "www A 192.0.2.1"), nil); err != nil {
				t.Fatal(err)
			}
			injected := errors.New("injected")
			fault(s, injected, op)
			for i := uint32(1); i < 12; i++ {
				before := dump(t, s, tz)
				ch := parseChanges(t, fmt.Sprintf("%d %d +h%d A 192.0.2.2", i, i+1, i))
				if err := s.Append(t.Context(), tz, ch); err != nil {
					// After a failed log rewrite the log is rewritten before the next append,
					// so while that keeps failing appends fail too, changing nothing.
					if op != "compact.log" || !errors.Is(err, injected) {
						t.Fatal(err)
					}
					if got := dump(t, s, tz); got != before {
						t.Fatalf("failed append changed memory:\n%s", got)
					}
					fault(s, nil)
					if err := s.Append(t.Context(), tz, ch); err != nil {
						t.Fatal(err)
					}
					fault(s, injected, op)
				}
				want := dump(t, s, tz)
				if got := dump(t, open(t, copyDir(t, dir), c, mod), tz); got != want {
					t.Fatalf("restart after append %d:\n%s\nwant\n%s", i, got, want)
				}
			}
			s.fault = nil
			if err := s.Append(t.Context(), tz, parseChanges(t, "12 13 +z A 192.0.2.9")); err != nil {
				t.Fatal(err)
			}
			if err := s.compact(t.Context(), s.zones[tz]); err != nil {
				t.Fatal(err)
			}
			want := dump(t, s, tz)
			if got := dump(t, open(t, copyDir(t, dir), c, mod), tz); got != want {
				t.Fatalf("restart after recovery:\n%s\nwant\n%s", got, want)
			}
			if got := snapshotSerial(t, dir, tz); got != 11 {
				t.Errorf("snapshot at serial %d, want 11 (the oldest retained)", got)
			}
		})
	}
}

func snapshotSerial(t *testing.T, dir, zone string) uint32 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, zone, snapshotFile))
	if err != nil {
		t.Fatal(err)
	}
	_, _, st, err := decodeSnapshot(zone, b)
	if err != nil {
		t.Fatal(err)
	}
	return st.soa.Serial
}

// TestStorageErrorKinds: a full disk or quota is InsufficientStorage, a read-only filesystem
// Unavailable, wherever it happens.
func TestStorageErrorKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		errno syscall.Errno
		op    string
		kind  errs.Kind
	}{
		{syscall.ENOSPC, "append.write", errs.InsufficientStorage},
		{syscall.ENOSPC, "append.sync", errs.InsufficientStorage},
		{syscall.EDQUOT, "append.write", errs.InsufficientStorage},
		{syscall.ENOSPC, "snapshot", errs.InsufficientStorage},
		{syscall.ENOSPC, "mkdir", errs.InsufficientStorage},
		{syscall.EROFS, "append.open", errs.Unavailable},
		{syscall.EROFS, "snapshot", errs.Unavailable},
		{syscall.EROFS, "delete", errs.Unavailable},
	}
	for _, tc := range tests {
		t.Run(tc.errno.Error()+" at "+tc.op, func(t *testing.T) {
			t.Parallel()
			s := open(t, t.TempDir(), newClock(), nil)
			injected := &os.PathError{Op: tc.op, Path: "x", Err: tc.errno}
			var err error
			switch tc.op {
			case "snapshot", "mkdir":
				fault(s, injected, tc.op)
				_, err = s.Replace(t.Context(), tz, axfr(t, tz, 1), nil)
			case "delete":
				if _, err := s.Replace(t.Context(), tz, axfr(t, tz, 1), nil); err != nil {
					t.Fatal(err)
				}
				fault(s, injected, tc.op)
				err = s.Delete(t.Context(), tz)
			default:
				if _, err := s.Replace(t.Context(), tz, axfr(t, tz, 1), nil); err != nil {
					t.Fatal(err)
				}
				fault(s, injected, tc.op)
				err = s.Append(t.Context(), tz, parseChanges(t, "1 2 +a A 192.0.2.1"))
			}
			if errs.KindOf(err) != tc.kind || !errors.Is(err, tc.errno) {
				t.Errorf("err = %v (kind %v), want kind %v wrapping %v", err, errs.KindOf(err), tc.kind, tc.errno)
			}
			if msg := errs.Public(err); strings.Contains(msg, "/") {
				t.Errorf("public message holds a path: %q", msg)
			}
		})
	}
}
