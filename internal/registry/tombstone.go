package registry

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/bindgate/bindgate/internal/atomicfile"
	"github.com/bindgate/bindgate/internal/zonename"
)

// tombstonesDir is the subdirectory of the registry directory that holds the tombstones.
const tombstonesDir = "tombstones"

// TombstoneTTL is how long a tombstone is kept: a deleted zone that named brings back within it
// (a named killed right after delzone still has the zone in its NZD) is deleted again by
// reconcile. Older tombstones are removed at Open and by PruneTombstones.
const TombstoneTTL = 7 * 24 * time.Hour

// Tombstone records durably that zone was deleted at the time given, before its delzone is sent
// (see the package comment). Writing it again refreshes the time.
//
// What must survive a crash is the tombstone's name; its content only dates it, and a
// tombstone that cannot be read is kept, dated by its file's modification time (loadTombstones).
// So it is written in place, without a temp file or an fsync of its own, and the directory's
// fsync makes it durable (issue 13: one fsync per delete instead of two). A crash during a
// rewrite may leave it empty, dated by its modification time: the delete's or the earlier one's.
func (r *Registry) Tombstone(ctx context.Context, zone string, at time.Time) (err error) {
	if !zonename.IsNormal(zone) {
		return fmt.Errorf("registry: %w: %q is not a normalised zone name", zonename.ErrInvalid, zone)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	at = at.UTC()
	name := tombstonesDir + "/" + zone
	r.mu.RLock()
	_, had := r.dead[zone]
	r.mu.RUnlock()
	defer func() {
		if err != nil && !had { // leave no tombstone nobody was told about
			_ = r.root.Remove(name)
		}
	}()
	f, err := r.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("registry: tombstone: %w", err)
	}
	_, err = f.Write([]byte(at.Format(time.RFC3339) + "\n"))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = atomicfile.SyncDir(r.root, tombstonesDir)
	}
	if err != nil {
		return fmt.Errorf("registry: tombstone: %w", err)
	}
	r.mu.Lock()
	r.dead[zone] = at
	r.mu.Unlock()
	return nil
}

// ClearTombstone removes zone's tombstone (the zone is created again); durable when it returns.
// A missing tombstone is fine.
func (r *Registry) ClearTombstone(ctx context.Context, zone string) error {
	if !zonename.IsNormal(zone) {
		return fmt.Errorf("registry: %w: %q is not a normalised zone name", zonename.ErrInvalid, zone)
	}
	r.mu.RLock()
	_, ok := r.dead[zone]
	r.mu.RUnlock()
	if !ok {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := r.root.Remove(tombstonesDir + "/" + zone); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("registry: tombstone: %w", err)
	}
	r.mu.Lock()
	delete(r.dead, zone)
	r.mu.Unlock()
	if err := atomicfile.SyncDir(r.root, tombstonesDir); err != nil {
		return fmt.Errorf("registry: tombstone: %w", err)
	}
	return nil
}

// Tombstoned reports whether zone has a tombstone, and since when.
func (r *Registry) Tombstoned(zone string) (time.Time, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	at, ok := r.dead[zone]
	return at, ok
}

// Tombstones lists the zones with a tombstone, sorted.
func (r *Registry) Tombstones() []string { return sortedKeys(&r.mu, r.dead) }

// PruneTombstones removes the tombstones older than TombstoneTTL at now; it returns how many.
func (r *Registry) PruneTombstones(ctx context.Context, now time.Time) (int, error) {
	var old []string
	r.mu.RLock()
	for z, at := range r.dead {
		if now.Sub(at) > TombstoneTTL {
			old = append(old, z)
		}
	}
	r.mu.RUnlock()
	n := 0
	for _, z := range old {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if err := r.root.Remove(tombstonesDir + "/" + z); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return n, fmt.Errorf("registry: tombstone: %w", err)
		}
		r.mu.Lock()
		delete(r.dead, z)
		r.mu.Unlock()
		n++
	}
	if n > 0 {
		if err := atomicfile.SyncDir(r.root, tombstonesDir); err != nil {
			return n, fmt.Errorf("registry: tombstone: %w", err)
		}
	}
	return n, nil
}

// loadTombstones reads the tombstones directory. A tombstone whose time cannot be read is
// kept, dated by its file's modification time (never dropped: it guards a deletion).
func (r *Registry) loadTombstones(ctx context.Context) error {
	d, err := r.root.Open(tombstonesDir)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	ents, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return fmt.Errorf("registry: read tombstones: %w", err)
	}
	for _, de := range ents {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := de.Name()
		if atomicfile.IsTemp(name) {
			if err := r.root.Remove(tombstonesDir + "/" + name); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("registry: remove leftover temp file %s: %w", name, err)
			}
			continue
		}
		if !de.Type().IsRegular() || !zonename.IsNormal(name) {
			continue // not ours: leave it
		}
		var at time.Time
		if b, err := r.root.ReadFile(tombstonesDir + "/" + name); err == nil {
			at, _ = time.Parse(time.RFC3339, strings.TrimSpace(string(b)))
		}
		if at.IsZero() {
			if fi, err := de.Info(); err == nil {
				at = fi.ModTime().UTC()
			} else {
				at = time.Now().UTC()
			}
		}
		r.dead[name] = at
	}
	return nil
}
