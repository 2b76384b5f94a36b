package zonesync

import (
	"context"
	"time"
)

// waiting is a queued zone's state until a worker takes it.
type waiting struct {
	// serial is the newest serial NOTIFYs announced for the zone (their SOA); valid only while
	// hinted holds, which a queueing without an announced serial (an SOA-less NOTIFY, Fresh)
	// clears.
	serial uint32
	hinted bool
}

// enqueue queues zone for a fetch unless it is already waiting (NOTIFYs coalesce). A zone
// being fetched is not "waiting": a NOTIFY during its fetch queues it again, so a change that
// came after the fetch read named is fetched too. A full queue drops the zone; the sweep
// catches it. It reports whether the zone was queued.
//
// hinted says that serial is the one named announced (a NOTIFY's SOA): the fetch is skipped
// when, once the worker holds the zone's lock, the copy already has that serial. This is
// the common case after an API change, which Record brought into the copy while named's
// NOTIFY for it waited, and it spares named a transfer and the committer a lock wait.
func (s *Syncer) enqueue(zone string, serial uint32, hinted bool) bool {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if w, ok := s.pending[zone]; ok {
		// Keep the newest announced serial; anything unannounced forces the fetch.
		s.pending[zone] = waiting{serial: serial, hinted: hinted && w.hinted}
		return true
	}
	select {
	case s.queue <- zone:
		s.pending[zone] = waiting{serial: serial, hinted: hinted}
		return true
	default:
		s.log.Warn("zonesync: fetch queue full; the sweep will catch the zone up", "zone", zone)
		return false
	}
}

// take marks zone as no longer waiting, just before its fetch, and returns what was waiting.
func (s *Syncer) take(zone string) waiting {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	w := s.pending[zone]
	delete(s.pending, zone)
	return w
}

// work fetches queued zones until Close.
func (s *Syncer) work() {
	for {
		select {
		case <-s.root.Done():
			return
		case zone := <-s.queue:
			w := s.take(zone)
			if err := s.sync(s.root, zone, w); err != nil && s.root.Err() == nil {
				s.failed("notify", zone, err)
			}
		}
	}
}

// sync fetches zone under its lock, as an external change, unless the copy already has the
// serial NOTIFY announced (w) or went past it.
//
// That is checked first without the lock, then again under it: the copy only moves on, so a
// serial it passed stays passed, and the NOTIFY that follows each API change then does not
// queue for the lock behind the records committer, which holds it for the whole update, nor
// make the committer's next message wait for it.
func (s *Syncer) sync(ctx context.Context, zone string, w waiting) error {
	if s.notified(zone, w) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	pre, ok := s.prefetch(ctx, zone)
	unlock, err := s.locks.Lock(ctx, zone)
	if err != nil {
		return err
	}
	defer unlock()
	if ok && s.verifyPrefetched(zone, pre) || s.notified(zone, w) {
		return nil
	}
	_, err = s.fetchLocked(ctx, zone, nil, nil)
	return err
}

// notified reports whether the copy is at the serial a NOTIFY announced (w) or went past it
// (zonecopy.Passed), so that nothing needs fetching.
func (s *Syncer) notified(zone string, w waiting) bool {
	if !w.hinted || !s.cfg.Copy.Passed(zone, w.serial) {
		return false
	}
	if _, local := s.cfg.Copy.Unverified(zone); local {
		// The copy has the serial, or went past it, because bindgate applied its changes to
		// it locally: compare named's record of them soon, once for every change made
		// meanwhile, rather than hold the zone for a transfer after every change. Under a
		// stream of API changes the NOTIFY for one change is often taken after the next is
		// committed; fetching then held the committer for the length of an IXFR.
		s.verifyLater(zone)
	}
	return true
}

// verifyDelay is how long after named announces a serial the copy reached by a local change
// the comparison with named's record of it (fetchLocked) runs: changes made meanwhile are
// compared by the same IXFR.
const verifyDelay = 500 * time.Millisecond

// verifyLater queues zone for a fetch (which compares its locally applied changes) after
// verifyDelay, unless one is scheduled already.
func (s *Syncer) verifyLater(zone string) {
	s.vmu.Lock()
	defer s.vmu.Unlock()
	if s.root.Err() != nil || s.verifying[zone] != nil {
		return
	}
	s.verifying[zone] = time.AfterFunc(verifyDelay, func() {
		s.vmu.Lock()
		delete(s.verifying, zone)
		s.vmu.Unlock()
		if s.root.Err() == nil {
			s.enqueue(zone, 0, false)
		}
	})
}

// stopVerifying cancels the scheduled comparisons (Close).
func (s *Syncer) stopVerifying() {
	s.vmu.Lock()
	defer s.vmu.Unlock()
	for zone, t := range s.verifying {
		t.Stop()
		delete(s.verifying, zone)
	}
}
