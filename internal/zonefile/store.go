package zonefile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bindgate/bindgate/internal/atomicfile"
	"github.com/bindgate/bindgate/internal/quote"
	"github.com/bindgate/bindgate/internal/zonename"
)

// journalSuffixes are the files named 9.18 keeps beside a zone file <z>.zone, observed with
// named 9.18.49 (docs/contract.md §20.5):
//
//	.jnl          journal of a dynamic zone, and of the unsigned side of an inline-signed one
//	.jbk          journal backup: created at once beside an inline-signed zone; dns_journal_open
//	              (lib/dns/journal.c) falls back to it when .jnl is missing, so a stale one is
//	              replayed onto a new file of the same name (seen: a new serial-1 file loaded as
//	              serial 2 with the old zone's record); "delzone -clean" leaves it behind
//	.jnw          the new journal while one is being compacted (journal.c), left by a crash
//	.signed       the signed copy of an inline-signed zone (raw format)
//	.signed.jnl   its journal, and .signed.jbk, .signed.jnw by the same journal.c rules
//
// DNSSEC key files (K<zone>.+<alg>+<id>.key, .private, .state) are never touched: a zone created
// again keeps its keys, as with bindcar. named's dump temp files (tmp-XXXXXXXXXX) carry no zone
// name and are named's own.
func journalSuffixes() []string {
	return []string{".jnl", ".jbk", ".jnw", ".signed", ".signed.jnl", ".signed.jbk", ".signed.jnw"}
}

// Store is the zone directory BIND_ZONE_DIR, opened once as an *os.Root: no name can reach a
// file outside it (docs/contract.md §19 B-1). Safe for concurrent use; callers serialise per zone.
type Store struct {
	dir  string
	root *os.Root
}

// OpenStore opens dir, which must be absolute. Path builds on the cleaned, not symlink-resolved
// dir, because that path goes into addzone's file clause and named must see the directory at
// the same path (docs/contract.md §7.1).
func OpenStore(dir string) (*Store, error) {
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("zone directory %q is not an absolute path", dir)
	}
	dir = filepath.Clean(dir)
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open zone directory: %w", err)
	}
	if err := removeTemps(root); err != nil {
		root.Close()
		return nil, err
	}
	return &Store{dir: dir, root: root}, nil
}

// removeTemps removes the temp files of zone-file writes that a killed bindgate left between
// create and rename (.<zone>.zone.tmp-<hex>), as the registry does with its own: nothing else
// would ever remove them. Other files, named's included, are left alone.
func removeTemps(root *os.Root) error {
	d, err := root.Open(".")
	if err != nil {
		return fmt.Errorf("open zone directory: %w", err)
	}
	ents, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return fmt.Errorf("read zone directory: %w", err)
	}
	for _, e := range ents {
		if name := e.Name(); atomicfile.IsTemp(name) && strings.Contains(name, ".zone.tmp-") {
			if err := root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove leftover temp file %s: %w", name, err)
			}
		}
	}
	return nil
}

// Dir returns the zone directory as given to OpenStore, cleaned.
func (s *Store) Dir() string { return s.dir }

// Path is the absolute path of zone's file, <dir>/<zone>.zone, as addzone's file clause names
// it. A zone name that is not normalised yields "", never a path.
func (s *Store) Path(zone string) string {
	n, err := fileName(zone)
	if err != nil {
		return ""
	}
	return filepath.Join(s.dir, n)
}

// fileName re-validates zone (docs/contract.md §4 sink re-validation) and returns its file's name.
func fileName(zone string) (string, error) {
	if !zonename.IsNormal(zone) {
		return "", fmt.Errorf("zone file: %w: %s is not a normalised zone name", zonename.ErrInvalid, quote.Short(zone))
	}
	return zone + ".zone", nil
}

// Write replaces zone's file atomically (temp file, fsync, rename, directory fsync; docs/contract.md
// §18.16), mode 0644: named reads it and the data is public.
func (s *Store) Write(ctx context.Context, zone string, data []byte) error {
	n, err := fileName(zone)
	if err != nil {
		return err
	}
	return atomicfile.Write(ctx, s.root, n, data, 0o644)
}

// Create writes zone's file only if it does not exist yet (O_EXCL), mode 0644, without an
// fsync: Sync makes it durable, so that the caller can overlap the fsyncs with other work
// (a create sends addzone meanwhile; named reads the file from the page cache). It returns an
// error matching fs.ErrExist, having touched nothing, when the file is there; a failed write
// removes the file again, since only this call created it.
func (s *Store) Create(ctx context.Context, zone string, data []byte) (err error) {
	n, err := fileName(zone)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := s.root.OpenFile(n, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("create zone file: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close zone file: %w", cerr)
		}
		if err != nil {
			_ = s.root.Remove(n)
		}
	}()
	if err := f.Chmod(0o644); err != nil { // the umask must not narrow what named reads
		return fmt.Errorf("chmod zone file: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write zone file: %w", err)
	}
	return nil
}

// Sync makes zone's file, as Create left it, durable: an fsync of the file, then of the
// directory (which also makes earlier unlinks in it durable, stale journals' included).
func (s *Store) Sync(zone string) error {
	n, err := fileName(zone)
	if err != nil {
		return err
	}
	f, err := s.root.Open(n)
	if err != nil {
		return fmt.Errorf("zone file: %w", err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fsync zone file: %w", err)
	}
	return atomicfile.SyncDir(s.root, ".")
}

// HasJournals reports whether any of the journals and signed copies RemoveJournals removes
// exists for zone: a create that finds none has nothing stale to remove and need not ask BIND
// first whether they are its.
func (s *Store) HasJournals(zone string) (bool, error) {
	n, err := fileName(zone)
	if err != nil {
		return false, err
	}
	for _, suf := range journalSuffixes() {
		_, err := s.root.Lstat(n + suf)
		switch {
		case err == nil:
			return true, nil
		case !errors.Is(err, fs.ErrNotExist):
			return false, err
		}
	}
	return false, nil
}

// Loadable reports whether zone's file exists and starts with the zone's SOA record, as every
// file bindgate or named writes does. A file a power failure left empty, cut short before its
// SOA, or filled with zeros is not: named cannot load it, and reconcile rebuilds it. Only the
// first 64 KiB are read.
func (s *Store) Loadable(zone string) (bool, error) {
	n, err := fileName(zone)
	if err != nil {
		return false, err
	}
	f, err := s.root.Open(n)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	head, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return false, err
	}
	_, ok := Serial(zone, head)
	return ok, nil
}

// Exists reports whether zone's file exists.
func (s *Store) Exists(zone string) (bool, error) {
	n, err := fileName(zone)
	if err != nil {
		return false, err
	}
	_, err = s.root.Stat(n)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// RemoveJournals removes the journals and signed copies (journalSuffixes) an earlier zone of
// this name left behind; missing files are fine. Call it only for a zone BIND just said it does
// not serve (docs/contract.md §5 step 4, §18.2).
func (s *Store) RemoveJournals(ctx context.Context, zone string) error {
	n, err := fileName(zone)
	if err != nil {
		return err
	}
	return s.remove(ctx, n, journalSuffixes()...)
}

// Remove removes zone's file and everything RemoveJournals removes; missing files are fine.
// DNSSEC key files stay (docs/contract.md §9 step 3).
func (s *Store) Remove(ctx context.Context, zone string) error {
	n, err := fileName(zone)
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

// CheckWritable checks that the directory exists, is a directory, and that a file can be
// created in it and removed again (readiness, docs/contract.md §13). Concurrent checks do not collide.
func (s *Store) CheckWritable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	st, err := s.root.Stat(".")
	if err != nil {
		return fmt.Errorf("zone directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("zone directory %s is not a directory", s.dir)
	}
	// A written and fsynced probe, not an empty file: an empty file needs no block, so it
	// is created on a full disk too.
	if err := atomicfile.Probe(ctx, s.root, "."); err != nil {
		return fmt.Errorf("zone directory is not writable: %w", err)
	}
	return nil
}

// List returns the zones that have a file <zone>.zone here, zones bindcar made included (they
// have no registry entry), sorted.
func (s *Store) List() ([]string, error) {
	f, err := s.root.Open(".")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Names only: ReadDir stats every entry here (20,000 lstat calls, 80% of a listing at
	// 10,000 zones); a directory named like a zone file is harmless, as the listing asks
	// named whether each candidate is served.
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		z, ok := strings.CutSuffix(n, ".zone")
		if ok && zonename.IsNormal(z) {
			out = append(out, z)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Close releases the directory.
func (s *Store) Close() error { return s.root.Close() }
