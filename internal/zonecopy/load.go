package zonecopy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/bindgate/bindgate/internal/atomicfile"
	"github.com/bindgate/bindgate/internal/zonename"
)

// loading is the load of one zone's copy, run once: by the first use of the zone or by LoadAll,
// whichever claims it; the others wait for done.
type loading struct {
	claimed atomic.Bool
	done    chan struct{} // closed once err is set and the zone, if any, is in the store's map
	err     error
	z       *zone // the loaded entry (nil: no copy), set with err
	was     idle  // the zone's record before the load (a copy unloaded earlier: its memory-only facts)
}

// list registers every zone directory for loading (Loaded, LoadAll); it reads no zone.
func (s *Store) list() error {
	ents, err := fs.ReadDir(s.root.FS(), ".")
	if err != nil {
		return storageErr("read directory", err)
	}
	for _, de := range ents {
		name := de.Name()
		switch {
		case !de.IsDir():
			continue // not ours: leave it
		case !zonename.IsNormal(name):
			s.log.Warn("zonecopy: ignoring a directory not named after a zone", "dir", s.path(name))
			continue
		}
		s.idle[name] = idle{}
		s.unread++
	}
	return nil
}

// Loaded loads zone's copy if it is not in memory (never loaded yet, or unloaded by the cache,
// see Config.MaxLoaded), waiting when another caller is loading it, and returns the error its
// load failed with, nil once it is loaded or when there is no copy. Every method of the store
// that reads or writes the copy's records does this first; the zones and zonesync packages
// call it before a change they are about to make to a zone in named, so that no change is
// made to a zone whose copy cannot be read. A load on a caller's behalf ends at Close, not
// with any request (it reads two files).
func (s *Store) Loaded(zone string) error {
	_, err := s.load(zone)
	return err
}

// load is Loaded; it also returns the zone's entry (nil: no copy on disk either). The entry
// may be unloaded again by the time the caller looks at it; a reader may still use it (its
// state is never modified in place), a writer locks it and checks that it is not dead.
func (s *Store) load(zone string) (*zone, error) {
	s.mu.RLock()
	z, ok := s.zones[zone]
	s.mu.RUnlock()
	if ok {
		return z, nil
	}
	s.mu.Lock()
	if z, ok := s.zones[zone]; ok {
		s.mu.Unlock()
		return z, nil
	}
	l := s.loads[zone]
	if l == nil {
		was, ok := s.idle[zone]
		if !ok {
			s.mu.Unlock()
			return nil, nil
		}
		delete(s.idle, zone)
		if !was.known {
			s.unread--
		}
		l = &loading{done: make(chan struct{}), was: was}
		s.loads[zone] = l
	}
	s.mu.Unlock()
	if !l.claimed.CompareAndSwap(false, true) {
		<-l.done
		return l.z, l.err
	}
	z, err := s.loadZone(s.loadCtx, zone)
	s.mu.Lock()
	if err != nil {
		l.err = err // kept in loads: every later use of the zone gets err
	} else {
		if z != nil {
			if l.was.known {
				l.was.restore(z)
			}
			z.used.Store(s.clock.Add(1))
			s.zones[zone] = z
		}
		l.z = z
		delete(s.loads, zone)
	}
	s.mu.Unlock()
	close(l.done)
	if err != nil {
		return nil, err
	}
	s.shrink()
	return z, nil
}

// LoadAll loads every copy never loaded yet (and waits for loads under way), 2 per CPU at a time (the cost is mostly
// open/read/close system calls, which overlap well), and returns the errors of those that
// fail to load, joined (at most maxLoadErrors of them, then a count); the other zones are
// loaded all the same. With Config.MaxLoaded, copies beyond it are unloaded again as the load
// goes (LoadAll then checks that every copy loads). It returns early with ctx's error when ctx
// ends.
func (s *Store) LoadAll(ctx context.Context) error {
	s.mu.RLock()
	var names []string
	if s.unread > 0 || len(s.loads) > 0 {
		names = make([]string, 0, s.unread+len(s.loads))
		for name, id := range s.idle {
			if !id.known {
				names = append(names, name)
			}
		}
		for name := range s.loads { // under way (wait for it) or failed (report it)
			names = append(names, name)
		}
	}
	s.mu.RUnlock()
	if len(names) == 0 {
		return ctx.Err() // all loaded once already: each sweep calls this (Zones)
	}
	slices.Sort(names)
	var (
		mu     sync.Mutex
		failed []error
		wg     sync.WaitGroup
		next   = make(chan string)
	)
	for range min(2*runtime.GOMAXPROCS(0), len(names)) {
		wg.Go(func() {
			for name := range next {
				if err := s.Loaded(name); err != nil {
					mu.Lock()
					failed = append(failed, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, name := range names {
		if ctx.Err() != nil {
			break
		}
		next <- name
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(failed) > maxLoadErrors {
		failed = append(failed[:maxLoadErrors], fmt.Errorf("zonecopy: and %d more zones' copies failed to load", len(failed)-maxLoadErrors))
	}
	return errors.Join(failed...)
}

// maxLoadErrors bounds the load errors LoadAll reports one by one.
const maxLoadErrors = 5

func (s *Store) path(name ...string) string {
	return filepath.Join(append([]string{s.root.Name()}, name...)...)
}

// loadZone loads one zone's directory; a directory without a snapshot is the remains of a
// Delete or of a first Replace that never finished, and is removed (nil, nil).
func (s *Store) loadZone(ctx context.Context, name string) (*zone, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.hook("load"); err != nil {
		return nil, err
	}
	// One open of the zone's directory, then every name relative to it: about half the
	// system calls of resolving each path from the store's root.
	zr, err := s.root.OpenRoot(name)
	if err != nil {
		return nil, storageErr("open "+s.path(name), err)
	}
	defer zr.Close()
	d, err := zr.Open(".")
	if err != nil {
		return nil, storageErr("open "+s.path(name), err)
	}
	ents, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return nil, storageErr("read "+s.path(name), err)
	}
	hasSnap, hasLog := false, false
	for _, e := range ents {
		switch n := e.Name(); {
		case atomicfile.IsTemp(n):
			if err := zr.Remove(n); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, storageErr("remove leftover temp file "+s.path(name, n), err)
			}
		case n == snapshotFile:
			hasSnap = true
		case n == changesFile:
			hasLog = true
		}
	}
	if !hasSnap {
		s.log.Info("zonecopy: removing a zone directory without a snapshot (an unfinished delete or create)", "dir", s.path(name))
		return nil, s.removeDir(name, true)
	}
	corrupt := func(file string, err error) error {
		return fmt.Errorf("zonecopy: %s: %w; fix or remove the zone's directory (its copy is then taken again by AXFR)", s.path(name, file), err)
	}
	b, err := zr.ReadFile(snapshotFile)
	if err != nil {
		return nil, storageErr("read "+s.path(name, snapshotFile), err)
	}
	snapSeq, changed, st, err := decodeSnapshot(name, b)
	if err != nil {
		return nil, corrupt(snapshotFile, err)
	}
	z := &zone{name: name, exists: true, cur: st, seq: snapSeq, snapBytes: int64(len(b)),
		baseSOA: st.soa, baseAt: changed, changed: changed}
	if !hasLog {
		return z, nil
	}
	lb, err := zr.ReadFile(changesFile)
	if err != nil {
		return nil, storageErr("read "+s.path(name, changesFile), err)
	}
	frames, end, err := scanFrames(lb)
	if err != nil {
		return nil, corrupt(changesFile, err)
	}
	z.logExists, z.logBytes, z.logAlloc = true, int64(end), int64(end)
	if end < len(lb) && allZero(lb[end:]) {
		z.logAlloc = int64(len(lb)) // the reserve writeLog keeps after the records
	} else if end < len(lb) {
		s.log.Warn("zonecopy: cutting off a torn last record (a write that was never acknowledged)",
			"file", s.path(name, changesFile), "offset", end, "bytes", len(lb)-end)
		if err := s.truncate(name+"/"+changesFile, int64(end)); err != nil {
			s.log.Warn("zonecopy: cannot truncate; the log is rewritten before the next change", "file", s.path(name, changesFile), "err", err)
			z.logBad = true
		}
	}
	off := 0
	for _, fr := range frames {
		r, c, err := decode(name, fr)
		if err != nil {
			return nil, corrupt(changesFile, fmt.Errorf("at byte %d: %w", off, err))
		}
		off += len(fr)
		if r.Seq <= snapSeq && z.seq == snapSeq {
			z.garbage += int64(len(fr)) // folded into the snapshot by a compaction cut short
			continue
		}
		if r.Seq != z.seq+1 || r.From != z.cur.soa.Serial {
			return nil, corrupt(changesFile, fmt.Errorf("%w record at byte %d: does not follow the one before", errCorrupt, off-len(fr)))
		}
		rem, err1 := items(name, c.Removed)
		add, err2 := items(name, c.Added)
		if err := errors.Join(err1, err2); err != nil {
			return nil, corrupt(changesFile, fmt.Errorf("%w record at byte %d: %v", errCorrupt, off-len(fr), err))
		}
		rrs, err := z.cur.rrs.apply(rem, add)
		if err != nil {
			return nil, corrupt(changesFile, fmt.Errorf("%w record at byte %d: %v", errCorrupt, off-len(fr), err))
		}
		z.cur, z.seq, z.changed = state{c.SOA, rrs}, r.Seq, c.At
		// Only the last record can be a change named never applied (one Tx at a time per
		// zone, committed only after named's answer): mark it for a check (Unverified).
		z.local, z.hasLocal, z.suspect = c.From, r.Local, r.Local
		z.hist = append(z.hist, entry{seq: r.Seq, soa: c.SOA, frame: slices.Clone(fr), sum: Summary{
			From: c.From, To: c.To, At: c.At, Actors: c.Actors, Added: len(add), Removed: len(rem)}})
	}
	s.trim(z)
	z.gen = nextGen()
	return z, nil
}

// truncate cuts a file to size and fsyncs it.
func (s *Store) truncate(name string, size int64) error {
	f, err := s.root.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return err
	}
	return f.Sync()
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
