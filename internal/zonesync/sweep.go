package zonesync

import (
	"context"
	"sync"
	"time"
)

// sweepWorkers bounds the sweep's SOA queries in flight.
const sweepWorkers = 4

// sweepLoop runs a sweep at once, taking the serials in seen as named's (StartSweep), then one
// every Interval, until Close.
func (s *Syncer) sweepLoop(seen map[string]uint32) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-s.root.Done():
			return
		case <-t.C:
			s.sweep(s.root, seen)
			seen = nil
			s.compareSome(s.root, s.cfg.Zones())
			t.Reset(s.cfg.Interval)
		}
	}
}

// Sweep asks named for every managed zone's serial, a few at a time, and fetches the zones
// whose copy is missing or at another serial; a zone at the copy's serial is confirmed. It
// returns when every zone was checked and fetched (or ctx ended).
func (s *Syncer) Sweep(ctx context.Context) { s.sweep(ctx, nil) }

// sweep is Sweep taking a zone's serial from seen, when it is there, instead of asking named.
func (s *Syncer) sweep(ctx context.Context, seen map[string]uint32) {
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
			serial, ok := seen[zone]
			s.check(ctx, zone, serial, ok)
		})
	}
	wg.Wait()
}

// check fetches zone when named's serial is not the copy's; known says serial is named's,
// seen moments ago, and need not be asked again.
func (s *Syncer) check(ctx context.Context, zone string, serial uint32, known bool) {
	var err error
	if !known {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		serial, err = s.cfg.DNS.Serial(qctx, zone)
		cancel()
	}
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
