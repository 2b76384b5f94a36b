package zonecopy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/atomicfile"
	"github.com/bindgate/bindgate/internal/errs"
)

// File names inside a zone's directory.
const (
	snapshotFile = "snapshot"
	changesFile  = "changes"
)

// defaultMinCompact is the least garbage (bytes of records beyond retention) worth a compaction.
const defaultMinCompact = 64 << 10

// pending is a validated change about to be written.
type pending struct {
	c        Change // From, To, At, Actors
	soa      *dns.SOA
	rem, add []item
	local    bool // applied ahead of named (Tx)
}

// Replace stores a full transfer of zone (an AXFR: the SOA first, then every other record; a
// repeated SOA, such as AXFR's closing one, is ignored). With no copy yet it becomes the base
// copy and no history entry is made. Otherwise the difference to the copy is appended as one
// change from the copy's serial to the new one; if only the SOA differs the change is empty
// (the history shows the serial moving), and if nothing differs nothing is written. This is
// how a caller recovers from ErrGap or ErrDiverged. The returned Change is what was stored
// (From == To when nothing was appended).
func (s *Store) Replace(ctx context.Context, zone string, rrs []dns.RR, actors []Actor) (Change, error) {
	if err := checkName(zone); err != nil {
		return Change{}, err
	}
	if len(rrs) == 0 {
		return Change{}, errs.New(errs.Invalid, "a zone transfer holds at least the SOA")
	}
	soa, err := soaOf(zone, rrs[0])
	if err != nil {
		return Change{}, err
	}
	rest := make([]dns.RR, 0, len(rrs)-1)
	for _, rr := range rrs[1:] {
		if rr != nil && rr.Header().Rrtype != dns.TypeSOA {
			rest = append(rest, rr)
		}
	}
	its, err := items(zone, rest)
	if err != nil {
		return Change{}, err
	}
	if err := ctx.Err(); err != nil {
		return Change{}, err
	}
	z, err := s.lockZone(zone, true)
	if err != nil {
		return Change{}, err
	}
	defer s.shrink() // a new copy may take the cache beyond MaxLoaded; after the unlock below
	defer z.wmu.Unlock()
	now := s.cfg.Now()
	c := Change{From: soa.Serial, To: soa.Serial, At: now, Actors: slices.Clone(actors)}
	if !z.exists {
		if err := s.writeBase(ctx, z, state{soa, newRecs(its)}, now); err != nil {
			return Change{}, err
		}
		c.SOA = dns.Copy(soa).(*dns.SOA)
		return c, nil
	}
	cur := z.cur // stable: only writers change it, and we hold wmu
	c.From = cur.soa.Serial
	rem, add := diff(cur.rrs.flat(), its)
	if len(rem) == 0 && len(add) == 0 && cur.soa.String() == soa.String() {
		c.SOA = dns.Copy(soa).(*dns.SOA)
		s.clearLocal(z)
		return c, nil
	}
	if err := s.appendLocked(ctx, z, []pending{{c: c, soa: soa, rem: rem, add: add}}); err != nil {
		return Change{}, err
	}
	s.clearLocal(z) // the copy is named's transfer now
	c.SOA = dns.Copy(soa).(*dns.SOA)
	c.Removed, c.Added = copyRRs(rem), copyRRs(add)
	return c, nil
}

// Append stores IXFR deltas in order. Each must start at the serial the one before it ends at,
// the first at the copy's serial (else ErrGap); each must remove only records the copy has and
// add only records it lacks (else ErrDiverged). Either way nothing is written. The changes are
// durable (one fsync) when Append returns nil. A zone without a copy gives ErrNotFound.
func (s *Store) Append(ctx context.Context, zone string, changes []Change) error {
	if err := checkName(zone); err != nil {
		return err
	}
	if len(changes) == 0 {
		return nil
	}
	z, err := s.lockZone(zone, false)
	if err != nil {
		return err
	}
	if z == nil {
		return fmt.Errorf("%w: no copy of zone %s", ErrNotFound, zone)
	}
	defer z.wmu.Unlock()
	if !z.exists {
		return fmt.Errorf("%w: no copy of zone %s", ErrNotFound, zone)
	}
	soa := z.cur.soa
	now := s.cfg.Now()
	ps := make([]pending, 0, len(changes))
	for i, c := range changes {
		if c.From != soa.Serial {
			return fmt.Errorf("%w: change %d of zone %s starts at serial %d, the copy is at %d", ErrGap, i, zone, c.From, soa.Serial)
		}
		rem, err := items(zone, c.Removed)
		if err != nil {
			return err
		}
		add, err := items(zone, c.Added)
		if err != nil {
			return err
		}
		var next *dns.SOA
		if c.SOA == nil {
			next = dns.Copy(soa).(*dns.SOA)
			next.Serial = c.To
		} else if next, err = soaOf(zone, c.SOA); err != nil {
			return err
		} else if next.Serial != c.To {
			return errs.New(errs.Invalid, "change %d: SOA serial %d is not its To serial %d", i, next.Serial, c.To)
		}
		at := c.At
		if at.IsZero() {
			at = now
		}
		ps = append(ps, pending{c: Change{From: c.From, To: c.To, At: at, Actors: slices.Clone(c.Actors)}, soa: next, rem: rem, add: add})
		soa = next
	}
	return s.appendLocked(ctx, z, ps)
}

// appendLocked writes ps to z's change log and then, once durable, to memory. z.wmu is held.
func (s *Store) appendLocked(ctx context.Context, z *zone, ps []pending) error {
	p, err := s.prepare(z, ps)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if z.logBad {
		if err := s.compact(ctx, z); err != nil {
			return err
		}
	}
	if err := s.writeLog(z, p.buf); err != nil {
		return err
	}
	s.install(ctx, z, p)
	return nil
}

// prepared is a batch of changes encoded for the log, with the state it leads to.
type prepared struct {
	st   state
	seq  uint64
	buf  []byte
	ents []entry
}

// prepare applies ps to z's current state and encodes them (z.wmu held); nothing is written.
func (s *Store) prepare(z *zone, ps []pending) (prepared, error) {
	if len(ps) == 0 {
		return prepared{st: z.cur, seq: z.seq}, nil
	}
	rems, adds := make([][]item, len(ps)), make([][]item, len(ps))
	for i, p := range ps {
		rems[i], adds[i] = p.rem, p.add
	}
	rrs, failed, err := applyAll(z.cur.rrs, rems, adds)
	if err != nil {
		return prepared{}, fmt.Errorf("zone %s, change to serial %d: %w", z.name, ps[failed].c.To, err)
	}
	st := state{ps[len(ps)-1].soa, rrs}
	seq := z.seq
	size := 0
	ents := make([]entry, 0, len(ps))
	for _, p := range ps {
		seq++
		fr, err := frame(seq, p.c, p.soa, p.rem, p.add, p.local)
		if err != nil {
			return prepared{}, fmt.Errorf("zonecopy: encode change: %w", err)
		}
		size += len(fr)
		ents = append(ents, entry{seq: seq, soa: p.soa, frame: fr, sum: Summary{
			From: p.c.From, To: p.c.To, At: p.c.At, Actors: p.c.Actors, Added: len(p.add), Removed: len(p.rem)}})
	}
	// One change (every API batch) is written as its own record's bytes; several are joined in
	// one buffer of the right size. Neither the log write nor the history modifies them.
	buf := ents[0].frame
	if len(ents) > 1 {
		buf = make([]byte, 0, size)
		for _, e := range ents {
			buf = append(buf, e.frame...)
		}
	}
	return prepared{st: st, seq: seq, buf: buf, ents: ents}, nil
}

// install makes p, already durable in the log, the zone's state in memory (z.wmu held), then
// compacts the log when retention left enough garbage.
func (s *Store) install(ctx context.Context, z *zone, p prepared) {
	z.seq = p.seq
	z.logBytes += int64(len(p.buf))
	z.logExists = true
	z.mu.Lock()
	z.cur, z.gen = p.st, nextGen()
	z.hist = append(z.hist, p.ents...)
	z.changed = p.ents[len(p.ents)-1].sum.At
	s.trim(z)
	z.mu.Unlock()
	if live := z.snapBytes + z.logBytes - z.garbage; z.garbage > 0 && z.garbage >= max(live, s.minCompact()) {
		if err := s.compact(ctx, z); err != nil {
			// The change itself is durable; the next Append tries again.
			s.log.Warn("zonecopy: compaction failed", "zone", z.name, "err", err)
		}
	}
}

func (s *Store) minCompact() int64 {
	if s.compactAt != nil {
		return *s.compactAt
	}
	return defaultMinCompact
}

// trim drops from memory the changes retention no longer keeps; their records stay in the
// change log (as garbage) until the next compaction. z.wmu and z.mu are held.
func (s *Store) trim(z *zone) {
	now := s.cfg.Now()
	k := 0
	for k < len(z.hist)-s.cfg.MaxChanges && (s.cfg.MaxAge < 0 || now.Sub(z.hist[k].sum.At) >= s.cfg.MaxAge) {
		z.garbage += int64(len(z.hist[k].frame))
		k++
	}
	if k > 0 {
		z.baseSOA, z.baseAt = z.hist[k-1].soa, z.hist[k-1].sum.At
		z.hist = z.hist[k:] // readers may hold the old slice; its elements are never modified
	}
}

// writeLog appends buf to z's change log at z.logBytes and makes it durable. The log keeps
// zero bytes reserved after its records (preallocation, see the package comment): an append
// that fits them overwrites blocks the file already has, so fdatasync need not commit the
// file's metadata (on ext4, a journal commit that would contend with named's own journal
// fsync); one that does not fit writes its records and a new reserve of zeros, then fsyncs.
// On failure it truncates the log back, so neither a later append nor a restart sees the
// failed bytes; if even that fails, the log is marked for a rewrite before the next append.
func (s *Store) writeLog(z *zone, buf []byte) (err error) {
	name := z.name + "/" + changesFile
	f := z.logf
	if err = s.hook("append.open"); err == nil && f == nil {
		f, err = s.root.OpenFile(name, os.O_WRONLY|os.O_CREATE, 0o600)
	}
	if err != nil {
		return storageErr("open change log", err)
	}
	defer func() {
		if err != nil {
			terr := s.hook("append.truncate")
			if terr == nil {
				terr = f.Truncate(z.logBytes)
			}
			if terr == nil {
				terr = f.Sync()
			}
			if terr != nil {
				z.logBad = true
			} else {
				z.logAlloc = z.logBytes
			}
			if f == z.logf {
				s.closeLog(z)
			} else {
				_ = f.Close()
			}
		}
	}()
	if err = s.hook("append.write"); err != nil {
		_, _ = f.WriteAt(buf[:len(buf)/2], z.logBytes) // what a full disk leaves: a short write
		return storageErr("write change log", err)
	}
	if _, err = f.WriteAt(buf, z.logBytes); err != nil {
		return storageErr("write change log", err)
	}
	need := z.logBytes + int64(len(buf))
	alloc := z.logAlloc
	if need > alloc {
		alloc = reserve(alloc, need)
		if _, err = f.WriteAt(make([]byte, alloc-need), need); err != nil {
			return storageErr("reserve change log space", err)
		}
	}
	if err = s.hook("append.sync"); err == nil {
		if alloc == z.logAlloc {
			err = datasync(f)
		} else {
			err = f.Sync()
		}
	}
	if err != nil {
		return storageErr("fsync change log", err)
	}
	if !z.logExists {
		if err = s.hook("append.syncdir"); err == nil {
			err = atomicfile.SyncDir(s.root, z.name)
		}
		if err != nil {
			return storageErr("fsync zone directory", err)
		}
	}
	z.logAlloc = alloc
	if f == z.logf || s.keepLog(z, f) {
		return nil
	}
	if err = f.Close(); err != nil {
		return storageErr("close change log", err)
	}
	return nil
}

// maxOpenLogs bounds the change logs kept open between writes: a zone written often (every API
// change of it) spares the open and close of its log each time, about 60 µs of CPU on the
// development machine (os.Root resolves the path anew each time), and a store of 10,000 zones
// still holds few descriptors.
const maxOpenLogs = 256

// keepLog keeps f, z's change log just written, open for the next write when fewer than
// maxOpenLogs are (z.wmu held).
func (s *Store) keepLog(z *zone, f *os.File) bool {
	if s.openLogs.Add(1) > maxOpenLogs {
		s.openLogs.Add(-1)
		return false
	}
	z.logf = f
	return true
}

// closeLog closes z's change log kept open, if it is (z.wmu held): before the file is replaced
// or removed, whose old descriptor would write where nobody reads.
func (s *Store) closeLog(z *zone) {
	if z.logf == nil {
		return
	}
	_ = z.logf.Close()
	z.logf = nil
	s.openLogs.Add(-1)
}

// Reserve sizes: the zeros kept after a log's records start at minReserve and double with the
// log, by at most maxReserve at a time, so a quiet zone's log grows by a page and a busy one's
// rarely grows at all.
const (
	minReserve = 4 << 10
	maxReserve = 1 << 20
)

// reserve returns the new size of a log of size alloc that must hold need bytes of records.
func reserve(alloc, need int64) int64 {
	step := min(max(alloc, minReserve), maxReserve)
	n := need + step
	return (n + minReserve - 1) / minReserve * minReserve
}

// unwrite turns n bytes after z's records, written by an aborted change, back into reserved
// zeros and makes that durable; if it cannot, the log is cut back instead, and failing that
// marked for a rewrite before the next append (z.wmu held).
func (s *Store) unwrite(z *zone, n int) {
	name := z.name + "/" + changesFile
	err := s.hook("abort.truncate")
	if err == nil {
		var f *os.File
		if f, err = s.root.OpenFile(name, os.O_WRONLY, 0); err == nil {
			if _, err = f.WriteAt(make([]byte, n), z.logBytes); err == nil {
				err = datasync(f)
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
	}
	if err == nil {
		return
	}
	if terr := s.truncate(name, z.logBytes); terr != nil {
		z.logBad = true
		s.log.Warn("zonecopy: removing an aborted change from the log failed; it is rewritten before the next append",
			"zone", z.name, "err", errors.Join(err, terr))
		return
	}
	z.logAlloc = z.logBytes
}

// writeBase writes z's first snapshot. z.wmu is held and z has no copy.
func (s *Store) writeBase(ctx context.Context, z *zone, st state, now time.Time) (err error) {
	s.closeLog(z)
	defer func() {
		if err != nil {
			// Leave nothing that a restart would load as a copy nobody was told about.
			_ = s.root.Remove(z.name + "/" + snapshotFile)
			_ = s.root.Remove(z.name)
			s.drop(z)
		}
	}()
	if err = s.hook("mkdir"); err == nil {
		err = s.root.Mkdir(z.name, 0o700)
	}
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return storageErr("create zone directory", err)
	}
	// A change log left by an interrupted Delete belongs to a copy that no longer exists.
	if err = s.root.Remove(z.name + "/" + changesFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return storageErr("remove old change log", err)
	}
	// The parent's fsync (the zone directory's entry) runs beside the snapshot's write and its
	// two fsyncs (issue 13: three fsyncs in a row were most of a zone create's copy): no order
	// between them matters, since a zone directory without a snapshot is removed at Open, and
	// both are done before Replace returns.
	parent := make(chan error, 1)
	go func() { parent <- atomicfile.SyncDir(s.root, ".") }()
	b := encodeSnapshot(z.name, 0, now, st)
	if err = s.hook("snapshot"); err == nil {
		err = atomicfile.Write(ctx, s.root, z.name+"/"+snapshotFile, b, 0o600)
	}
	if perr := <-parent; perr != nil && err == nil {
		return storageErr("fsync directory", perr)
	}
	if err != nil {
		return storageErr("write snapshot", err)
	}
	z.seq, z.snapBytes, z.logBytes, z.logAlloc, z.logExists, z.garbage, z.logBad = 0, int64(len(b)), 0, 0, false, 0, false
	z.mu.Lock()
	z.exists, z.cur, z.hist, z.baseSOA, z.baseAt, z.changed, z.checked = true, st, nil, st.soa, now, now, time.Time{}
	z.hasLocal, z.suspect = false, false
	z.gen = nextGen()
	z.mu.Unlock()
	return nil
}

// compact writes a new snapshot at the oldest retained serial, then rewrites the change log
// with the retained changes only. Each write is atomic, and a crash between them leaves the new
// snapshot with the old log, whose records up to the snapshot's sequence number Open skips.
// z.wmu is held; memory is unchanged (it already holds only retained changes).
func (s *Store) compact(ctx context.Context, z *zone) error {
	s.closeLog(z) // the log is replaced: its old descriptor would write to the removed file
	z.mu.RLock()
	v := view{cur: z.cur, hist: z.hist, baseSOA: z.baseSOA}
	baseAt := z.baseAt
	z.mu.RUnlock()
	base, err := rewind(z.name, v, -1)
	if err != nil {
		return err
	}
	snap := encodeSnapshot(z.name, z.seq-uint64(len(v.hist)), baseAt, base)
	if err = s.hook("compact.snapshot"); err == nil {
		err = atomicfile.Write(ctx, s.root, z.name+"/"+snapshotFile, snap, 0o600)
	}
	if err != nil {
		return storageErr("write snapshot", err)
	}
	z.snapBytes = int64(len(snap))
	var log []byte
	for _, e := range v.hist {
		log = append(log, e.frame...)
	}
	if err = s.hook("compact.log"); err == nil {
		err = atomicfile.Write(ctx, s.root, z.name+"/"+changesFile, log, 0o600)
	}
	if err != nil {
		// Old or new log: either loads with the new snapshot, but which one is unknown, so
		// rewrite it before the next append.
		z.logBad = true
		return storageErr("rewrite change log", err)
	}
	z.logBytes, z.logAlloc, z.logExists, z.garbage, z.logBad = int64(len(log)), int64(len(log)), true, 0, false
	return nil
}

// Delete removes zone's copy and history; it is durable when Delete returns. No copy is fine.
// Once the snapshot is removed the copy is gone, in memory too, even if removing the rest
// fails: Open removes a zone directory without a snapshot.
func (s *Store) Delete(ctx context.Context, zone string) error { return s.remove(ctx, zone, true) }

// Discard is Delete without the fsync that makes the removal survive a power failure (it
// survives the process's death, the page cache holding it): for a zone whose deletion is
// recorded durably elsewhere (bindgate's tombstone), so that a copy a power failure brings back
// is known to be stale and is removed by its owner (reconcile). Issue 13: one fsync less per
// zone delete.
func (s *Store) Discard(ctx context.Context, zone string) error { return s.remove(ctx, zone, false) }

// remove is Delete, durable or not.
func (s *Store) remove(ctx context.Context, zone string, durable bool) error {
	if err := checkName(zone); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	z, err := s.lockZone(zone, false)
	if z == nil || err != nil {
		return err
	}
	defer z.wmu.Unlock()
	s.closeLog(z)
	err = s.hook("delete")
	if err == nil {
		err = s.root.Remove(zone + "/" + snapshotFile)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return storageErr("remove snapshot", err)
	}
	z.mu.Lock()
	z.exists, z.cur, z.hist = false, state{}, nil
	z.mu.Unlock()
	s.drop(z)
	if !durable {
		return s.removeDir(zone, false)
	}
	if err := atomicfile.SyncDir(s.root, zone); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return storageErr("fsync zone directory", err)
	}
	// The copy is durably gone already (no snapshot: Open removes what is left), so the rest
	// is removed without another directory fsync.
	return s.removeDir(zone, false)
}

// removeDir removes a zone directory that holds no snapshot, and with durable fsyncs the parent
// so that the removal survives a crash (without it, a crash may leave the directory, which Open
// removes again).
func (s *Store) removeDir(dir string, durable bool) error {
	ents, err := fs.ReadDir(s.root.FS(), dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return storageErr("read zone directory", err)
	}
	for _, e := range ents {
		if err := s.root.Remove(dir + "/" + e.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return storageErr("remove "+e.Name(), err)
		}
	}
	if err := s.root.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return storageErr("remove zone directory", err)
	}
	if !durable {
		return nil
	}
	if err := atomicfile.SyncDir(s.root, "."); err != nil {
		return storageErr("fsync directory", err)
	}
	return nil
}

// clearLocal forgets z's unverified local changes: the copy was just made named's (z.wmu held).
func (s *Store) clearLocal(z *zone) {
	z.mu.Lock()
	z.hasLocal, z.suspect = false, false
	z.mu.Unlock()
}
