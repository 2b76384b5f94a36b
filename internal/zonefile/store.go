package zonefile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/bindgate/bindgate/internal/atomicfile"
	"github.com/bindgate/bindgate/internal/zonename"
)

// journalSuffixes are the files named keeps beside a zone file: the journal, its temporary
// copy, and an inline-signed zone's signed copy and its journal (CONTRACT §20.5). DNSSEC key
// files (K<zone>+…) are never touched.
func journalSuffixes() []string { return []string{".jnl", ".jbk", ".signed", ".signed.jnl"} }

// Store is the zone directory, opened once as an *os.Root (CONTRACT §19 B-1).
type Store struct {
	dir  string
	root *os.Root
}

// OpenStore opens dir, which must be absolute. The cleaned, not symlink-resolved path is what
// addzone's file clause names, so named must see the directory at the same path.
func OpenStore(dir string) (*Store, error) {
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("zone directory %q is not absolute", dir)
	}
	dir = filepath.Clean(dir)
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &Store{dir: dir, root: root}, nil
}

// Dir returns the zone directory.
func (s *Store) Dir() string { return s.dir }

// Path is the absolute path of zone's file.
func (s *Store) Path(zone string) string { return filepath.Join(s.dir, zone+".zone") }

func name(zone string) (string, error) {
	if !zonename.IsNormal(zone) {
		return "", fmt.Errorf("zone file: %w: %q", zonename.ErrInvalid, zone)
	}
	return zone + ".zone", nil
}

// Write replaces zone's file atomically, mode 0644 (named reads it; the data is public).
func (s *Store) Write(ctx context.Context, zone string, data []byte) error {
	n, err := name(zone)
	if err != nil {
		return err
	}
	return atomicfile.Write(ctx, s.root, n, data, 0o644)
}

// Exists reports whether zone's file exists.
func (s *Store) Exists(zone string) (bool, error) {
	n, err := name(zone)
	if err != nil {
		return false, err
	}
	_, err = s.root.Stat(n)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// RemoveJournals removes the journals and signed copies of an earlier zone of this name.
func (s *Store) RemoveJournals(ctx context.Context, zone string) error {
	n, err := name(zone)
	if err != nil {
		return err
	}
	return s.remove(ctx, n, journalSuffixes()...)
}

// Remove removes zone's file, journals and signed copies; missing files are fine.
func (s *Store) Remove(ctx context.Context, zone string) error {
	n, err := name(zone)
	if err != nil {
		return err
	}
	return s.remove(ctx, n, append([]string{""}, journalSuffixes()...)...)
}

// remove unlinks base+suffix for each suffix. It does not fsync the directory: a file that
// survives a crash is harmless (the zone is gone from BIND and a later create of the name
// replaces it), and before a create the new file's rename and directory fsync, in the same
// directory, make these unlinks durable too.
func (s *Store) remove(ctx context.Context, base string, suffixes ...string) error {
	var errs []error
	for _, suf := range suffixes {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.root.Remove(base + suf); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// CheckWritable checks that the directory exists and a file can be created in it (readiness).
func (s *Store) CheckWritable(ctx context.Context) error {
	st, err := os.Stat(s.dir)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory", s.dir)
	}
	f, err := s.root.OpenFile(".bindgate-ready-check", os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	return s.root.Remove(".bindgate-ready-check")
}

// List returns the zones that have a file here (zones bindcar made keep no registry entry).
func (s *Store) List() ([]string, error) {
	f, err := s.root.Open(".")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ents, err := f.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		z, ok := cutSuffix(e.Name(), ".zone")
		if ok && e.Type().IsRegular() && zonename.IsNormal(z) {
			out = append(out, z)
		}
	}
	return out, nil
}

func cutSuffix(s, suf string) (string, bool) {
	if len(s) > len(suf) && s[len(s)-len(suf):] == suf {
		return s[:len(s)-len(suf)], true
	}
	return s, false
}

// Close releases the directory.
func (s *Store) Close() error { return s.root.Close() }
