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
	"github.com/bindgate/bindgate/internal/rndc"
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
	// Names, not entries: at 10,000 zones the entries with their blocks were megabytes held
	// through the whole pass (issue 13); an entry is read when a zone needs it.
	names := s.reg.Zones()
	if s.afterReconcile != nil {
		defer s.afterReconcile()
	}
	rep := ReconcileReport{Registered: len(names), Readded: []string{}, Failed: []ReconcileError{}, Restored: []RestoredZone{}, Removed: []string{}}
	s.startup.begin(len(names))
	states, err := s.probe(ctx, names)
	if err != nil {
		return rep, err
	}
	var suspect []registry.Entry
	for i, z := range names {
		if states[i] == served {
			rep.Present++
		} else if e, ok := s.reg.Get(z); ok {
			suspect = append(suspect, e)
		} else {
			rep.Present++ // deleted since: nothing to restore (reconcileOne would find it gone too)
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
	removed, err := s.buryDeleted(ctx)
	if err != nil {
		return rep, err
	}
	rep.Removed = removed
	s.addSelfNotify(ctx, names)
	slices.Sort(rep.Readded)
	slices.SortFunc(rep.Restored, func(a, b RestoredZone) int { return strings.Compare(a.Zone, b.Zone) })
	slices.SortFunc(rep.Failed, func(a, b ReconcileError) int { return strings.Compare(a.Zone, b.Zone) })
	if len(rep.Readded)+len(rep.Failed)+len(rep.Removed) > 0 {
		s.log.Info("reconcile", "registered", rep.Registered, "present", rep.Present,
			"readded", len(rep.Readded), "failed", len(rep.Failed), "removed", len(rep.Removed))
	}
	return rep, nil
}

// reconcileOne restores one zone if BIND lost it. err is for failures that stop the pass
// (BIND unreachable); reason is a safe, per-zone explanation of why this zone was not restored.
func (s *Service) reconcileOne(ctx context.Context, e registry.Entry) (r RestoredZone, readded bool, reason string, err error) {
	unlock, err := s.lockZone(ctx, e.Zone)
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
	case errors.Is(err, ErrNotLoaded):
		if !s.fileLost(e) {
			return r, false, "", nil // BIND knows it, and is loading it or failed for another reason
		}
		// Configured, but its file is gone or torn: delzone, then restored below as if named
		// had lost it.
		s.log.Warn("reconcile: a registered primary is not loaded and its zone file is missing or torn; restoring it", "zone", e.Zone)
		if _, err := s.change(ctx, "delzone", e.Zone, "", nil); err != nil && !errors.Is(err, rndc.ErrNotFound) {
			if err := restoreErr(e.Zone, "delzone", err); errors.Is(err, ErrUnavailable) {
				return r, false, "", err
			}
			s.log.Error("reconcile: restore failed", "zone", e.Zone, "err", err)
			return r, false, "the zone's file is lost and BIND refused to remove the zone to restore it", nil
		}
		err = nil
	case err == nil:
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

// fileLost reports whether registered primary e's zone file, bindgate's <zone dir>/<z>.zone,
// is missing or cannot be loaded, and the copy or the registry can rebuild it. A power failure
// between a create's addzone and the fsyncs of its file (which run beside addzone) leaves the
// zone in named's NZD and the registry, with its file empty or cut short; so can outside damage.
// named then has the zone configured but not loaded, and only a restore brings it back.
func (s *Service) fileLost(e registry.Entry) bool {
	if e.Type != "primary" || !strings.Contains(e.Block, `file "`+s.files.Path(e.Zone)+`"`) {
		return false
	}
	if _, ok := s.copyOf(e.Zone); !ok && len(e.ZoneFile) == 0 && !e.HasZoneFile {
		return false // nothing to rebuild it from: never remove the zone from BIND for nothing
	}
	ok, err := s.files.Loadable(e.Zone)
	return err == nil && !ok
}

// addSelfNotify gives every registered zone whose block lacks bindgate's own also-notify entry
// (zones created before bindgate had one, or with another listener port) that entry: one
// showzone and one modzone per such zone, once, since the registry then holds the new block.
// Failures are logged; the serial sweep keeps those zones' copies current meanwhile.
func (s *Service) addSelfNotify(ctx context.Context, names []string) {
	if s.selfNotify == nil {
		return
	}
	var todo []string
	// Whether a block has the entry depends on the block alone, not on the zone's name: one
	// parse per registry.Shape (zones created alike share one) instead of one per zone. Not
	// for a zone whose name is part of the entry's text (its key's name, say): zones of one
	// shape differ exactly where their names are.
	self := s.selfNotify.String()
	has := map[registry.Shape]bool{}
	for _, name := range names {
		shape, ok := s.reg.Shape(name)
		if !ok {
			continue // deleted since
		}
		ok, known := has[shape]
		if strings.Contains(self, name) {
			known = false
		}
		if !known {
			e, found := s.reg.Get(name)
			if !found {
				continue
			}
			z, err := zoneconf.ParseShowzone(`zone "` + e.Zone + `" ` + e.Block)
			ok = err == nil && zoneconf.HasSelfNotify(z, *s.selfNotify)
			if !strings.Contains(self, name) {
				has[shape] = ok
			}
		}
		if !ok {
			todo = append(todo, name)
		}
	}
	_ = parallel(todo, 8, func(z string) error {
		if err := s.addSelfNotifyOne(ctx, z); err != nil {
			s.log.Warn("reconcile: could not add bindgate's also-notify entry", "zone", z, "err", err)
		}
		return nil
	})
}

func (s *Service) addSelfNotifyOne(ctx context.Context, z string) error {
	unlock, err := s.lockZone(ctx, z)
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

// buryDeleted keeps deleted zones deleted (registry/tombstone.go). For every zone with a
// tombstone and no registry entry: if named serves it again (a named killed right after
// delzone keeps the zone in its NZD and loads it at its next start), delzone; and when named
// does not serve it, the zone file bindgate wrote for it and its copy are removed if a killed
// delete left them. Expired tombstones are pruned first. One SOA query per tombstone; control
// messages only for zones that came back. It returns the zones deleted again.
func (s *Service) buryDeleted(ctx context.Context) ([]string, error) {
	if _, err := s.reg.PruneTombstones(ctx, s.now()); err != nil {
		s.log.Warn("reconcile: could not remove expired tombstones", "err", err)
	}
	var dead []string
	for _, z := range s.reg.Tombstones() {
		if _, registered := s.reg.Get(z); !registered {
			dead = append(dead, z)
		}
	}
	if len(dead) == 0 {
		return []string{}, nil
	}
	states, err := s.probe(ctx, dead)
	if err != nil {
		return nil, err
	}
	var (
		mu      sync.Mutex
		removed = []string{}
	)
	idx := make([]int, len(dead))
	for i := range idx {
		idx[i] = i
	}
	err = parallel(idx, 8, func(i int) error {
		again, err := s.buryOne(ctx, dead[i], states[i] != notServed)
		if again {
			mu.Lock()
			removed = append(removed, dead[i])
			mu.Unlock()
		}
		return err
	})
	slices.Sort(removed)
	return removed, err
}

// buryOne handles one tombstoned zone under its lock; inBIND is what its SOA query suggested.
func (s *Service) buryOne(ctx context.Context, z string, inBIND bool) (deleted bool, err error) {
	unlock, err := s.lockZone(ctx, z)
	if err != nil {
		return false, err
	}
	defer unlock()
	defer s.facts.forget(z)
	if _, registered := s.reg.Get(z); registered {
		return false, nil // created again meanwhile
	}
	if _, dead := s.reg.Tombstoned(z); !dead {
		return false, nil
	}
	owns := true
	if inBIND {
		zs, err := s.addedZone(ctx, z, "bindgate cannot delete it")
		switch {
		case errs.Is(err, errs.NotFound):
			// gone after all: clean up below
		case errors.Is(err, ErrUnavailable):
			return false, err
		case err != nil:
			s.log.Warn("reconcile: a deleted zone is served again and cannot be deleted", "zone", z, "err", err)
			return false, nil
		default:
			owns = s.ownsFile(z, zs)
			if _, err := s.change(ctx, "delzone", z, "", nil); err != nil {
				if mapped := zoneCmdErr("delzone", z, err); errors.Is(mapped, ErrUnavailable) {
					return false, mapped
				}
				s.log.Error("reconcile: a deleted zone is served again; delzone failed", "zone", z, "err", err)
				return false, nil
			}
			s.log.Warn("reconcile: a zone deleted through bindgate was served again (named restarted with it in its NZD); deleted again", "zone", z)
			deleted = true
		}
	}
	if err := s.cleanUp(ctx, z, owns && s.fileLeft(z)); err != nil {
		s.log.Error("reconcile: could not clean up after a deleted zone", "zone", z, "err", err)
	}
	return deleted, nil
}

// fileLeft reports whether z's zone file is still in the zone directory.
func (s *Service) fileLeft(z string) bool {
	ok, err := s.files.Exists(z)
	return err == nil && ok
}
