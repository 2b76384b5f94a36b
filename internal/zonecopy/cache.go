package zonecopy

import (
	"slices"
	"time"
)

// idle is what the store keeps of a zone whose copy is not in memory: nothing for one listed at
// Open and never loaded since, and for one the cache unloaded (known) the few facts the serial
// sweep and a listing ask of every zone, which are answered without reading the copy again, and
// the one fact that lives in memory only (checked).
type idle struct {
	serial  uint32
	known   bool
	checked int64 // Unix nanoseconds; 0: never (16 bytes a zone, not 32: issue 13)
}

// restore gives z, just loaded again, the facts that lived in memory only when it was unloaded:
// when it was last confirmed, and that no local change of it is unverified (a copy with one is
// never unloaded; its log's last record may still say local, which Open alone must heed).
func (id idle) restore(z *zone) {
	if id.checked != 0 {
		z.checked = time.Unix(0, id.checked)
	}
	z.local, z.hasLocal, z.suspect = 0, false, false
}

// peek returns zone's entry when its copy is in memory; otherwise, when the cache unloaded it,
// its idle record (ok). A zone never loaded since Open is loaded first, as find does.
func (s *Store) peek(zone string) (z *zone, id idle, ok bool) {
	s.mu.RLock()
	z = s.zones[zone]
	id, ok = s.idle[zone]
	s.mu.RUnlock()
	switch {
	case z != nil:
		return z, idle{}, false
	case ok && id.known:
		return nil, id, true
	}
	z, _ = s.load(zone) // a copy that fails to load: none (its writers fail)
	return z, idle{}, false
}

// shrink unloads the least recently used copies once more than Config.MaxLoaded are in
// memory, down to three quarters of it (so that it runs once per many loads, not at each). A
// copy is unloaded only when nothing is writing it, it has no local change unverified and it is
// not suspect: what is dropped is then exactly what its files hold. The quarter of MaxLoaded
// used last is never unloaded, even when too few others can be: a copy just loaded for a
// writer, who then waits for its lock, would otherwise be unloaded again and again while many
// copies are pinned (unverified local changes under a stream of updates). So MaxLoaded is
// exceeded while more copies than that are pinned. One shrink runs at a time.
func (s *Store) shrink() {
	limit := s.cfg.MaxLoaded
	if limit <= 0 {
		return
	}
	s.mu.RLock()
	n := len(s.zones)
	s.mu.RUnlock()
	if n <= limit || !s.shrinking.CompareAndSwap(false, true) {
		return
	}
	defer s.shrinking.Store(false)
	s.mu.RLock()
	zs := make([]*zone, 0, len(s.zones))
	for _, z := range s.zones {
		zs = append(zs, z)
	}
	s.mu.RUnlock()
	slices.SortFunc(zs, func(a, b *zone) int {
		x, y := a.used.Load(), b.used.Load()
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	drop := len(zs) - limit*3/4
	for _, z := range zs[:max(0, len(zs)-max(1, limit/4))] {
		if drop <= 0 {
			break
		}
		if s.unload(z) {
			drop--
		}
	}
}

// unload replaces z's entry by an idle record, if z can be unloaded (see shrink).
func (s *Store) unload(z *zone) bool {
	if !z.wmu.TryLock() { // a writer or a Tx at work
		return false
	}
	defer z.wmu.Unlock()
	z.mu.RLock()
	ok := !z.dead && !z.logBad && z.exists && !z.hasLocal && !z.suspect
	z.mu.RUnlock()
	if !ok {
		return false
	}
	s.closeLog(z)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.zones[z.name] != z {
		return false
	}
	z.mu.RLock()
	// checked may have moved since (Confirm takes no writer lock): read it now, with the entry
	// leaving the map under the same locks, so a Confirm after this sees it gone and retries.
	id := idle{known: true, serial: z.cur.soa.Serial}
	if !z.checked.IsZero() {
		id.checked = z.checked.UnixNano()
	}
	s.idle[z.name] = id
	z.mu.RUnlock()
	delete(s.zones, z.name)
	z.dead = true
	return true
}
