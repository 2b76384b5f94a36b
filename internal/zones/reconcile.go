package zones

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/registry"
	"github.com/bindgate/bindgate/internal/zoneconf"
)

// Reconcile compares the registry with BIND and re-adds every registered zone BIND no longer
// knows: named's NZD (the LMDB file of added zones) lives in its working directory, and an
// ephemeral volume loses it on a pod restart (bindy issue #486). A lost zone comes back with
// its records, from the best source left (see restoreZone: named's own files, the copy, the
// registry's first file); the report says per zone which, at what serial, and how old the copy
// was.
//
// What named lost is found without the control channel: one SOA query per zone over DNS. Only
// a zone that does not answer its SOA (REFUSED, NOTAUTH: lost; SERVFAIL: configured but not
// loaded) costs control messages, a zonestatus and, when BIND does not know it, an addzone.
func (s *Service) Reconcile(ctx context.Context) (ReconcileReport, error) {
	entries := s.reg.List()
	rep := ReconcileReport{Registered: len(entries), Readded: []string{}, Failed: []ReconcileError{}, Restored: []RestoredZone{}}
	s.startup.begin(len(entries))
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Zone
	}
	states, err := s.probe(ctx, names)
	if err != nil {
		return rep, err
	}
	var suspect []registry.Entry
	for i, e := range entries {
		if states[i] == served {
			rep.Present++
		} else {
			suspect = append(suspect, e)
		}
	}
	s.startup.add(rep.Present)
	var mu sync.Mutex
	err = parallel(suspect, 8, func(e registry.Entry) error {
		defer s.startup.add(1)
		restored, readded, reason, err := s.reconcileOne(ctx, e)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		switch {
		case reason != "":
			rep.Failed = append(rep.Failed, ReconcileError{Zone: e.Zone, Reason: reason})
		case readded:
			rep.Readded = append(rep.Readded, e.Zone)
			rep.Restored = append(rep.Restored, restored)
		default:
			rep.Present++
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	s.addSelfNotify(ctx, entries)
	slices.Sort(rep.Readded)
	slices.SortFunc(rep.Restored, func(a, b RestoredZone) int { return strings.Compare(a.Zone, b.Zone) })
	slices.SortFunc(rep.Failed, func(a, b ReconcileError) int { return strings.Compare(a.Zone, b.Zone) })
	if len(rep.Readded)+len(rep.Failed) > 0 {
		s.log.Info("reconcile", "registered", rep.Registered, "present", rep.Present,
			"readded", len(rep.Readded), "failed", len(rep.Failed))
	}
	return rep, nil
}

// reconcileOne restores one zone if BIND lost it. err is for failures that stop the pass
// (BIND unreachable); reason is a safe, per-zone explanation of why this zone was not restored.
func (s *Service) reconcileOne(ctx context.Context, e registry.Entry) (r RestoredZone, readded bool, reason string, err error) {
	unlock, err := s.locks.lock(ctx, e.Zone)
	if err != nil {
		return r, false, "", err
	}
	defer unlock()
	defer s.facts.forget(e.Zone)
	e, ok := s.reg.Get(e.Zone) // the entry now: deleted or modified while the pass ran
	if !ok {
		return r, false, "", nil // never bring a deleted zone back
	}

	_, err = s.zoneStatus(ctx, e.Zone)
	switch {
	case err == nil, errors.Is(err, ErrNotLoaded):
		return r, false, "", nil // BIND knows it
	case errs.Is(err, errs.NotFound):
		err = nil
	}
	if err != nil {
		return r, false, "", err
	}
	r, err = s.restoreZone(ctx, e)
	if err != nil {
		if errors.Is(err, ErrUnavailable) {
			return r, false, "", err
		}
		s.log.Error("reconcile: restore failed", "zone", e.Zone, "err", err)
		reason = errs.Public(err)
		if reason == "" {
			reason = "the zone could not be restored"
		}
		return r, false, reason, nil
	}
	s.log.Info("reconcile: zone re-added", "zone", e.Zone, "source", r.Source, "stale", r.Stale)
	return r, true, "", nil
}

// addSelfNotify gives every registered zone whose block lacks bindgate's own also-notify entry
// (zones created before bindgate had one, or with another listener port) that entry: one
// showzone and one modzone per such zone, once, since the registry then holds the new block.
// Failures are logged; the serial sweep keeps those zones' copies current meanwhile.
func (s *Service) addSelfNotify(ctx context.Context, entries []registry.Entry) {
	if s.selfNotify == nil {
		return
	}
	var todo []registry.Entry
	for _, e := range entries {
		if z, err := zoneconf.ParseShowzone(`zone "` + e.Zone + `" ` + e.Block); err != nil || !zoneconf.HasSelfNotify(z, *s.selfNotify) {
			todo = append(todo, e)
		}
	}
	_ = parallel(todo, 8, func(e registry.Entry) error {
		if err := s.addSelfNotifyOne(ctx, e.Zone); err != nil {
			s.log.Warn("reconcile: could not add bindgate's also-notify entry", "zone", e.Zone, "err", err)
		}
		return nil
	})
}

func (s *Service) addSelfNotifyOne(ctx context.Context, z string) error {
	unlock, err := s.locks.lock(ctx, z)
	if err != nil {
		return err
	}
	defer unlock()
	cur, err := s.showzone(ctx, z)
	if err != nil {
		return err
	}
	block, changed, err := zoneconf.Merge(cur, zoneconf.Modification{SelfNotify: s.selfNotify})
	if err != nil {
		return err
	}
	// Intent first, as in Modify: the registry holds the block before named does.
	prev, registered := s.reg.Get(z)
	if err := s.reg.Put(ctx, s.entryWith(z, cur.Type(), block)); err != nil {
		return s.bookkeepingErr("reconcile", z, fmt.Errorf("registry: %w", err))
	}
	if !changed {
		return nil
	}
	if _, err := s.rndc.Zone(ctx, "modzone", z, block); err != nil {
		if registered {
			s.putBack(ctx, "reconcile", prev)
		}
		return err
	}
	s.log.Info("reconcile: bindgate's also-notify entry added", "zone", z)
	return nil
}
