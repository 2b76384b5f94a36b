package zonesync

import "context"

// enqueue queues zone for a fetch unless it is already waiting (NOTIFYs coalesce). A zone
// being fetched is not "waiting": a NOTIFY during its fetch queues it again, so a change that
// came after the fetch read named is fetched too. A full queue drops the zone; the sweep
// catches it. It reports whether the zone was queued.
func (s *Syncer) enqueue(zone string) bool {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if s.pending[zone] {
		return true
	}
	select {
	case s.queue <- zone:
		s.pending[zone] = true
		return true
	default:
		s.log.Warn("zonesync: fetch queue full; the sweep will catch the zone up", "zone", zone)
		return false
	}
}

// take marks zone as no longer waiting, just before its fetch.
func (s *Syncer) take(zone string) {
	s.qmu.Lock()
	delete(s.pending, zone)
	s.qmu.Unlock()
}

// work fetches queued zones until Close.
func (s *Syncer) work() {
	for {
		select {
		case <-s.root.Done():
			return
		case zone := <-s.queue:
			s.take(zone)
			if err := s.sync(s.root, zone); err != nil && s.root.Err() == nil {
				s.failed("notify", zone, err)
			}
		}
	}
}

// sync fetches zone under its lock, as an external change.
func (s *Syncer) sync(ctx context.Context, zone string) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	unlock, err := s.locks.lock(ctx, zone)
	if err != nil {
		return err
	}
	defer unlock()
	return s.fetchLocked(ctx, zone, nil)
}
