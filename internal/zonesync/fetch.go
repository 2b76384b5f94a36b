package zonesync

import (
	"context"
	"errors"
	"fmt"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/dnsclient"
	"github.com/bindgate/bindgate/internal/zonecopy"
)

// fetchLocked brings zone's copy to named's serial (zone's lock held): IXFR from the copy's
// serial, or a full transfer when there is no copy, IXFR is refused or answered AXFR-style,
// or the differences do not apply to the copy. It returns the serial of the step actors get:
// with m (the UPDATE the committer just sent) the step that is m's (attrib.go), else the
// last; after a full transfer, the serial it brought.
func (s *Syncer) fetchLocked(ctx context.Context, zone string, actors []zonecopy.Actor, m *dns.Msg) (uint32, error) {
	if err := s.cfg.Copy.Loaded(zone); err != nil {
		return 0, err // a copy that cannot be read is not taken again over itself
	}
	have, ok := s.cfg.Copy.Serial(zone)
	if !ok {
		return s.full(ctx, zone, actors, m)
	}
	// Changes applied locally (Local) are checked against named's own record of them: the
	// IXFR starts before the oldest unchecked one.
	from, local := s.cfg.Copy.Unverified(zone)
	if !local {
		from = have
	}
	res, err := s.ixfr(ctx, zone, from)
	if local && err == nil && res.Full == nil {
		if len(res.Deltas) == 0 && res.Serial == have {
			// named is at the copy's serial but keeps no difference from `from`: it cannot
			// show its record of the local changes, so compare the whole zone.
			return s.full(ctx, zone, actors, m)
		}
		rest, ok := s.verifyLocal(zone, have, res.Deltas)
		if !ok {
			s.log.Warn("zonesync: named's record of a change applied to the copy differs from the copy's; transferring the whole zone",
				"zone", zone, "from", from, "copy", have, "named", res.Serial)
			if s.cfg.OnError != nil {
				s.cfg.OnError("verify")
			}
			if s.cfg.OnCheck != nil {
				s.cfg.OnCheck(false)
			}
			return s.full(ctx, zone, actors, m)
		}
		s.cfg.Copy.Verified(zone)
		if s.cfg.OnCheck != nil {
			s.cfg.OnCheck(true)
		}
		res.Deltas = rest
		if len(rest) == 0 {
			s.cfg.Copy.Confirm(zone, have)
			return have, nil
		}
	}
	switch {
	case errors.Is(err, dnsclient.ErrRefused), errors.Is(err, dnsclient.ErrNotAuth), errors.Is(err, dnsclient.ErrProtocol):
		// named may refuse IXFR where it allows AXFR, or answer something we cannot read.
		s.log.Debug("zonesync: IXFR failed, transferring the whole zone", "zone", zone, "err", err)
		return s.full(ctx, zone, actors, m)
	case err != nil:
		return 0, err
	case res.Full != nil:
		if m != nil {
			s.log.Debug("zonesync: IXFR answered AXFR-style; the update is attributed the whole difference", "zone", zone)
		}
		return s.store(ctx, zone, res.Full, actors)
	case len(res.Deltas) == 0:
		if res.Serial != have { // named's zone went back: the copy is not named's any more
			return s.full(ctx, zone, actors, m)
		}
		s.cfg.Copy.Confirm(zone, res.Serial)
		return res.Serial, nil
	}
	mine := len(res.Deltas) - 1
	if m != nil {
		var found bool
		if mine, found = pick(m, res.Deltas); !found {
			s.log.Debug("zonesync: no IXFR step matches the update; attributing the last", "zone", zone,
				"from", have, "to", res.Serial, "steps", len(res.Deltas))
		}
	}
	changes := make([]zonecopy.Change, len(res.Deltas))
	for i, d := range res.Deltas {
		changes[i] = zonecopy.Change{From: d.From, To: d.To, SOA: d.SOA, Removed: d.Removed, Added: d.Added}
	}
	changes[mine].Actors = actors
	err = s.cfg.Copy.Append(ctx, zone, changes)
	if errors.Is(err, zonecopy.ErrGap) || errors.Is(err, zonecopy.ErrDiverged) {
		s.log.Warn("zonesync: IXFR does not apply to the copy; transferring the whole zone", "zone", zone, "err", err)
		return s.full(ctx, zone, actors, m)
	}
	if err != nil {
		return 0, err
	}
	s.cfg.Copy.Confirm(zone, res.Serial)
	return res.Deltas[mine].To, nil
}

// full stores a fresh AXFR of zone.
func (s *Syncer) full(ctx context.Context, zone string, actors []zonecopy.Actor, m *dns.Msg) (uint32, error) {
	if m != nil {
		s.log.Debug("zonesync: whole-zone transfer; the update is attributed the whole difference", "zone", zone)
	}
	rrs, err := s.axfr(ctx, zone)
	if err != nil {
		return 0, err
	}
	return s.store(ctx, zone, rrs, actors)
}

// store replaces zone's copy with a full transfer, confirms its serial and returns it.
func (s *Syncer) store(ctx context.Context, zone string, rrs []dns.RR, actors []zonecopy.Actor) (uint32, error) {
	if len(rrs) == 0 {
		return 0, fmt.Errorf("zonesync: empty transfer of %s", zone)
	}
	c, err := s.cfg.Copy.Replace(ctx, zone, rrs, actors)
	if err != nil {
		return 0, err
	}
	serial := c.To
	if soa, ok := rrs[0].(*dns.SOA); ok {
		serial = soa.Serial
		s.cfg.Copy.Confirm(zone, serial)
	}
	return serial, nil
}

// Fresh returns zone's copy, as a read-only zonecopy.Snapshot (no record is copied), when one
// SOA query shows named serving the copy's serial. ok is false when there is no copy, named
// is elsewhere, or the query failed: read named then.
//
// One SOA query, rather than trusting a recent NOTIFY, because NOTIFY is asynchronous: a
// client that changes a record directly and reads at once must not get the old data with the
// old ETag. The query costs about as much as any request's first exchange with named, and far
// less than an AXFR of any zone worth caching.
func (s *Syncer) Fresh(ctx context.Context, zone string) (zonecopy.Snapshot, bool) {
	have, ok := s.cfg.Copy.Serial(zone)
	if !ok {
		return zonecopy.Snapshot{}, false
	}
	serial, err := s.cfg.DNS.Serial(ctx, zone)
	if err != nil || serial != have {
		if err == nil {
			s.enqueue(zone, 0, false) // behind: let a worker catch up
		}
		return zonecopy.Snapshot{}, false
	}
	v, ok := s.cfg.Copy.Snapshot(zone)
	if !ok || v.Serial() != serial {
		return zonecopy.Snapshot{}, false
	}
	s.cfg.Copy.Confirm(zone, serial)
	return v, true
}

// Offer stores rrs, a full transfer of zone a reader made anyway, when named still serves its
// serial (checked under zone's lock, so a newer change already in the copy is never replaced
// by older data). It is best effort: a failure is logged and counted, never returned.
func (s *Syncer) Offer(ctx context.Context, zone string, rrs []dns.RR) {
	if len(rrs) == 0 || !s.cfg.Managed(zone) {
		return
	}
	soa, ok := rrs[0].(*dns.SOA)
	if !ok {
		return
	}
	if have, ok := s.cfg.Copy.Serial(zone); ok && have == soa.Serial {
		s.cfg.Copy.Confirm(zone, have)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.Timeout)
	defer cancel()
	unlock, err := s.locks.Lock(ctx, zone)
	if err != nil {
		return
	}
	defer unlock()
	if have, ok := s.cfg.Copy.Serial(zone); ok && have == soa.Serial {
		return
	}
	if cur, err := s.cfg.DNS.Serial(ctx, zone); err != nil || cur != soa.Serial {
		return // named moved on: its NOTIFY or the sweep brings the copy along
	}
	if _, err := s.store(ctx, zone, rrs, nil); err != nil {
		s.failed("read", zone, err)
	}
}
