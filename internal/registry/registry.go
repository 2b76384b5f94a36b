package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unique"

	"github.com/bindgate/bindgate/internal/atomicfile"
	"github.com/bindgate/bindgate/internal/zonename"
)

// FormatVersion is the "v" every entry file carries.
const FormatVersion = 1

// entriesDir is the subdirectory of the registry directory that holds the entry files.
const entriesDir = "zones"

// Entry is what bindgate keeps about one zone.
type Entry struct {
	// Zone is the normalised zone name (zonename.Normalize).
	Zone string `json:"zone"`
	// Type is "primary" or "secondary".
	Type string `json:"type"`
	// Block is the configuration block last applied with addzone or modzone:
	// "{ type primary; ... };".
	Block string `json:"block"`
	// ZoneFile is the zone file bindgate first wrote (primaries), to rebuild a lost file. It
	// is read when needed, not kept in memory: Get and List leave it out (HasZoneFile says
	// there is one), Load reads it from the entry's file.
	ZoneFile []byte    `json:"zoneFile,omitempty"`
	Created  time.Time `json:"created"`
	Modified time.Time `json:"modified"`
	// HasZoneFile says the entry has a zone file, which ZoneFile holds only when the entry
	// came from Load (or the caller). Put of an entry that has one but left it out (from Get
	// or List) keeps the stored one.
	HasZoneFile bool `json:"-"`
}

// hasFile reports whether e has a zone file, held or left out.
func (e Entry) hasFile() bool { return e.HasZoneFile || len(e.ZoneFile) > 0 }

// fileEntry is an entry file's content.
type fileEntry struct {
	V int `json:"v"`
	Entry
}

// Registry is the set of entries. It is safe for concurrent use; Put and Delete of different
// zones may run at once, while callers serialise changes to one zone (the zones package's
// per-zone lock).
type Registry struct {
	root *os.Root
	mu   sync.RWMutex
	m    map[string]stored
	dead map[string]time.Time // tombstones: deleted zones and when (tombstone.go)
}

// Open opens the registry in dir, creating dir, dir/zones and dir/tombstones (mode 0700) if
// missing, and loads every entry and tombstone (removing those past TombstoneTTL). Temp files of interrupted writes are removed. An entry file that cannot be read
// stops Open with an error naming the file (see the package comment).
func Open(ctx context.Context, dir string) (*Registry, error) {
	for _, sub := range []string{entriesDir, tombstonesDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("registry: %w", err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	// A freshly created zones directory is durable only once its parent is synced.
	if err := atomicfile.SyncDir(root, "."); err != nil {
		root.Close()
		return nil, fmt.Errorf("registry: %w", err)
	}
	r := &Registry{root: root, m: map[string]stored{}, dead: map[string]time.Time{}}
	if err := r.load(ctx); err != nil {
		root.Close()
		return nil, err
	}
	if err := r.loadTombstones(ctx); err != nil {
		root.Close()
		return nil, err
	}
	if _, err := r.PruneTombstones(ctx, time.Now()); err != nil {
		root.Close()
		return nil, err
	}
	return r, nil
}

func (r *Registry) load(ctx context.Context) error {
	d, err := r.root.Open(entriesDir)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	defer d.Close() // the entries are read relative to it (readAt)
	ents, err := d.ReadDir(-1)
	if err != nil {
		return fmt.Errorf("registry: read %s: %w", r.path(""), err)
	}
	// 2 files per CPU at a time: the cost is open/read/close system calls, which overlap well,
	// and JSON decoding (issue 13: one at a time, 10,000 entries took 0.4-0.7 s).
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		next  = make(chan fs.DirEntry)
	)
	for range 2 * runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			buf := make([]byte, 0, 4<<10)
			for de := range next {
				z, e, err := r.loadOne(d, de, &buf)
				mu.Lock()
				if err != nil && first == nil {
					first = err
				} else if z != "" {
					r.m[z] = store(e)
				}
				mu.Unlock()
			}
		})
	}
	for _, de := range ents {
		mu.Lock()
		stop := first != nil
		mu.Unlock()
		if stop || ctx.Err() != nil {
			break
		}
		next <- de
	}
	close(next)
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// loadOne reads one directory entry of the entries directory: an entry file gives its zone
// and entry; a leftover temp file is removed and anything else left alone ("" zone).
// dir is the entries directory, buf the caller's buffer for the file's bytes.
func (r *Registry) loadOne(dir *os.File, de fs.DirEntry, buf *[]byte) (string, Entry, error) {
	name := de.Name()
	if atomicfile.IsTemp(name) {
		if err := r.root.Remove(entriesDir + "/" + name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", Entry{}, fmt.Errorf("registry: remove leftover temp file %s: %w", r.path(name), err)
		}
		return "", Entry{}, nil
	}
	z, ok := strings.CutSuffix(name, ".json")
	if !ok {
		return "", Entry{}, nil // not ours: leave it
	}
	e, err := r.read(dir, name, z, de, buf)
	return z, e, err
}

// Load returns zone's entry with its zone file, read from the entry's file (Get leaves it out).
func (r *Registry) Load(zone string) (Entry, bool, error) {
	e, ok := r.Get(zone)
	if !ok || !e.HasZoneFile {
		return e, ok, nil
	}
	full, err := r.readFile(zone)
	if err != nil {
		return Entry{}, false, err
	}
	e.ZoneFile = full.ZoneFile
	return e, true, nil
}

// readFile reads zone's entry file as it is on disk (nothing else than the zone file is taken
// from it: memory is up to date).
func (r *Registry) readFile(zone string) (Entry, error) {
	name, err := fileName(zone)
	if err != nil {
		return Entry{}, err
	}
	b, err := r.root.ReadFile(name)
	if err != nil {
		return Entry{}, fmt.Errorf("registry: read %s: %w", r.path(zone+".json"), err)
	}
	var fe fileEntry
	if err := json.Unmarshal(b, &fe); err != nil || fe.V != FormatVersion || fe.Zone != zone {
		return Entry{}, fmt.Errorf("registry entry %s is not valid; fix or remove it", r.path(zone+".json"))
	}
	return fe.Entry, nil
}

// read loads one entry file. Its errors name the file, never its content.
func (r *Registry) read(dir *os.File, name, zone string, de fs.DirEntry, buf *[]byte) (Entry, error) {
	bad := func(why string) error {
		return fmt.Errorf("registry entry %s is %s; fix or remove it", r.path(name), why)
	}
	if !de.Type().IsRegular() {
		return Entry{}, bad("not a regular file")
	}
	if !zonename.IsNormal(zone) {
		return Entry{}, bad("not named after a normalised zone name")
	}
	b, err := readAt(dir, name, *buf)
	if err != nil {
		return Entry{}, fmt.Errorf("registry: read %s: %w", r.path(name), err)
	}
	*buf = b // reused for the next file: Unmarshal keeps nothing of b
	var fe fileEntry
	if err := json.Unmarshal(b, &fe); err != nil {
		return Entry{}, bad("not valid JSON")
	}
	switch {
	case fe.V != FormatVersion:
		return Entry{}, bad(fmt.Sprintf("in format version %d, not %d", fe.V, FormatVersion))
	case fe.Zone != zone:
		return Entry{}, bad("for another zone than its name says")
	}
	return fe.Entry, nil
}

// path is the full path of an entry file, for messages.
func (r *Registry) path(name string) string {
	return filepath.Join(r.root.Name(), entriesDir, name)
}

// fileName re-validates zone (docs/contract.md §4 sink re-validation) and returns its entry file.
func fileName(zone string) (string, error) {
	if !zonename.IsNormal(zone) {
		return "", fmt.Errorf("registry: %w: %q is not a normalised zone name", zonename.ErrInvalid, zone)
	}
	return entriesDir + "/" + zone + ".json", nil
}

// Put stores e, replacing any entry of its zone. It is durable when Put returns (file and
// directory fsynced).
func (r *Registry) Put(ctx context.Context, e Entry) error {
	name, err := fileName(e.Zone)
	if err != nil {
		return err
	}
	if e.HasZoneFile && e.ZoneFile == nil { // from Get or List: keep the stored zone file
		old, err := r.readFile(e.Zone)
		if err != nil {
			return fmt.Errorf("registry: %s: the zone file the entry leaves out: %w", e.Zone, err)
		}
		e.ZoneFile = old.ZoneFile
	}
	b, err := json.Marshal(fileEntry{V: FormatVersion, Entry: e})
	if err != nil {
		return fmt.Errorf("registry: encode %s: %w", e.Zone, err)
	}
	if err := atomicfile.Write(ctx, r.root, name, b, 0o600); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	r.mu.Lock()
	r.m[e.Zone] = store(e)
	r.mu.Unlock()
	return nil
}

// Delete removes zone's entry; it is durable when Delete returns. A missing entry is fine.
func (r *Registry) Delete(ctx context.Context, zone string) error {
	name, err := fileName(zone)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := r.root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("registry: %w", err)
	}
	// Forget it in memory first: even if the fsync below fails, the file is gone from the
	// directory, so memory must not claim otherwise.
	r.mu.Lock()
	delete(r.m, zone)
	r.mu.Unlock()
	if err := atomicfile.SyncDir(r.root, entriesDir); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	return nil
}

// Get returns zone's entry.
func (r *Registry) Get(zone string) (Entry, bool) {
	r.mu.RLock()
	st, ok := r.m[zone]
	r.mu.RUnlock()
	if !ok {
		return Entry{}, false
	}
	return st.entry(zone), true
}

// Shape is a value equal for zones whose entries differ only in the zone's name (the same
// type, and the same block once the name is taken out), so a caller can judge a block once per
// shape instead of once per zone (reconcile's also-notify check: issue 13, at 10,000 zones
// created alike, parsing every block on every reconcile was most of a reconcile's garbage).
type Shape struct {
	tmpl   unique.Handle[template]
	marked bool
}

// Shape returns zone's Shape, and false when zone is not registered.
func (r *Registry) Shape(zone string) (Shape, bool) {
	r.mu.RLock()
	st, ok := r.m[zone]
	r.mu.RUnlock()
	return Shape{st.tmpl, st.marked}, ok
}

// List returns every entry, sorted by zone.
func (r *Registry) List() []Entry {
	r.mu.RLock()
	out := make([]Entry, 0, len(r.m))
	for z, st := range r.m {
		out = append(out, st.entry(z))
	}
	r.mu.RUnlock()
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Zone, b.Zone) })
	return out
}

// Zones returns the zones that have an entry, sorted: List without building the entries.
func (r *Registry) Zones() []string { return sortedKeys(&r.mu, r.m) }

// sortedKeys returns m's keys, sorted; mu guards m and is held only while they are copied.
func sortedKeys[V any](mu *sync.RWMutex, m map[string]V) []string {
	mu.RLock()
	out := make([]string, 0, len(m))
	for z := range m {
		out = append(out, z)
	}
	mu.RUnlock()
	slices.Sort(out)
	return out
}

// Len returns the number of entries.
func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.m)
}

// CheckWritable checks that an entry could be written now: the entries directory takes a new
// file and its fsync (a read-only or full state directory fails). For readiness.
func (r *Registry) CheckWritable(ctx context.Context) error {
	if err := atomicfile.Probe(ctx, r.root, entriesDir); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	return nil
}

// Close releases the directory. The registry must not be used afterwards.
func (r *Registry) Close() error { return r.root.Close() }
