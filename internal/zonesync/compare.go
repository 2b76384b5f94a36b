package zonesync

import (
	"context"
	"slices"
	"time"

	"github.com/miekg/dns"
)

// DefaultCompareInterval is how often each zone's copy is compared whole with named's zone
// (Config.CompareInterval).
const DefaultCompareInterval = 24 * time.Hour

// Whole-zone comparison (issue 9). The sweep and NOTIFY keep each copy at named's serial, and
// the IXFR check compares the changes bindgate applied ahead of named with named's record of
// them; nothing compared a copy with named's zone as a whole. A zone named loads with other
// data at the same serial (a zone file edited by hand without a new serial, then `rndc reload`
// or `rndc freeze`/`thaw`: named loads it and only warns) kept its old copy, which reads,
// restores and rollbacks then used as named's. So after each sweep pass a few zones are
// transferred whole and compared with their copy, round-robin in name order, as many as make
// every zone compared once per CompareInterval: at the defaults (a pass a minute, a day)
// 7 zones a minute at 10,000 zones, one a minute at fewer than 1,440.

// compareSome compares the next zones of zones (sorted or not) after the last one compared.
func (s *Syncer) compareSome(ctx context.Context, zones []string) {
	if s.cfg.CompareInterval < 0 || len(zones) == 0 {
		return
	}
	n := compareBatch(len(zones), s.cfg.Interval, s.cfg.CompareInterval)
	if !slices.IsSorted(zones) { // the registry's are
		zones = slices.Sorted(slices.Values(zones))
	}
	i, _ := slices.BinarySearch(zones, s.compareNext) // the first zone at or after the cursor
	for k := 0; k < n && ctx.Err() == nil; k++ {
		z := zones[(i+k)%len(zones)]
		if err := s.compareOne(ctx, z); err != nil && ctx.Err() == nil {
			s.failed("compare", z, err)
		}
		s.compareNext = z + "\x00" // the next pass starts after z
	}
}

// compareBatch is how many of n zones a pass compares so that each is compared once per
// every (a pass each interval): at least one.
func compareBatch(n int, interval, every time.Duration) int {
	if interval <= 0 || every <= 0 {
		return min(n, 1)
	}
	passes := max(int64(every/interval), 1)
	return min(n, int((int64(n)+passes-1)/passes))
}

// compareOne transfers zone whole and, when named is at the copy's serial, makes the copy
// named's zone (zonecopy.Store.Replace writes nothing when they are the same), reporting a
// difference. A zone with changes bindgate applied ahead of named not compared yet, or a
// suspect copy, is left to the fetch that compares those; a zone named moved past the copy
// is the sweep's and NOTIFY's.
func (s *Syncer) compareOne(ctx context.Context, zone string) error {
	if !s.comparable(zone) {
		return nil
	}
	have, ok := s.cfg.Copy.Serial(zone)
	if !ok {
		return nil // no copy: the sweep takes one
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	rrs, err := s.axfr(ctx, zone) // without the zone's lock: writers do not wait for the transfer
	if err != nil {
		return err
	}
	if len(rrs) == 0 {
		return nil
	}
	if soa, ok := rrs[0].(*dns.SOA); !ok || soa.Serial != have {
		return nil
	}
	unlock, err := s.locks.Lock(ctx, zone)
	if err != nil {
		return err
	}
	defer unlock()
	// A delete removes the registry entry first, then the zone from named, then the copy: a
	// zone no longer managed is being deleted, and storing its transfer now could outlive the
	// copy's removal.
	if !s.cfg.Managed(zone) {
		return nil
	}
	v, ok := s.cfg.Copy.Snapshot(zone)
	if !ok || v.Serial() != have || !s.comparable(zone) {
		return nil // the copy moved meanwhile: it was just fetched or changed
	}
	before := v.SOA().String()
	c, err := s.cfg.Copy.Replace(ctx, zone, rrs, nil)
	if err != nil {
		return err
	}
	after, _ := s.cfg.Copy.Snapshot(zone)
	differed := len(c.Removed)+len(c.Added) > 0 || after.SOA().String() != before
	if differed {
		s.log.Warn("zonesync: the zone copy differed from named's zone at the same serial; it is named's now (was the zone changed without a new serial?)",
			"zone", zone, "serial", have, "removed", len(c.Removed), "added", len(c.Added))
	}
	if s.cfg.OnCompare != nil {
		s.cfg.OnCompare(differed)
	}
	s.cfg.Copy.Confirm(zone, have)
	return nil
}

// comparable reports whether zone's copy holds nothing that only a fetch may judge: no change
// applied ahead of named that has not been compared yet, and not suspect.
func (s *Syncer) comparable(zone string) bool {
	if _, local := s.cfg.Copy.Unverified(zone); local {
		return false
	}
	return !s.cfg.Copy.Suspect(zone)
}
