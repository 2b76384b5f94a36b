package zonesync

import (
	"context"
	"sync"
	"time"
)

// sweepWorkers bounds the sweep's SOA queries in flight.
const sweepWorkers = 4

// sweepLoop runs a sweep at once, then every Interval, until Close.
func (s *Syncer) sweepLoop() {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-s.root.Done():
			return
		case <-t.C:
			s.Sweep(s.root)
			t.Reset(s.cfg.Interval)
		}
	}
}

// Sweep asks named for every managed zone's serial, a few at a time, and fetches the zones
// whose copy is missing or at another serial; a zone at the copy's serial is confirmed. It
// returns when every zone was checked and fetched (or ctx ended).
func (s *Syncer) Sweep(ctx context.Context) {
	zones := s.cfg.Zones()
	sem := make(chan struct{}, sweepWorkers)
	var wg sync.WaitGroup
	for _, zone := range zones {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			s.check(ctx, zone)
		})
	}
	wg.Wait()
}

// check fetches zone when named's serial is not the copy's.
func (s *Syncer) check(ctx context.Context, zone string) {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	serial, err := s.cfg.DNS.Serial(qctx, zone)
	cancel()
	if err != nil {
		// Not served (lost, not loaded yet, a secondary without its first transfer):
		// reconcile's business; nothing to copy.
		s.log.Debug("zonesync: sweep: no serial", "zone", zone, "err", err)
		return
	}
	if have, ok := s.cfg.Copy.Serial(zone); ok && have == serial {
		if _, local := s.cfg.Copy.Unverified(zone); !local {
			s.cfg.Copy.Confirm(zone, serial)
			return
		}
	}
	if err := s.sync(ctx, zone, waiting{}); err != nil && ctx.Err() == nil {
		s.failed("sweep", zone, err)
	}
}
