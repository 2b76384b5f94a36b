package zones

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/registry"
	"github.com/bindgate/bindgate/internal/zoneconf"
)

// Reconcile compares the registry with BIND and re-adds every registered zone BIND no longer
// knows: named's NZD (the LMDB file of added zones) lives in its working directory, and an
// ephemeral volume loses it on a pod restart (bindy issue #486). A primary whose file is gone
// too is rebuilt from the zone file the registry kept; records added later by dynamic updates
// cannot come back that way, and the report says so through the zone being listed as readded.
//
// What named lost is found without the control channel: one SOA query per zone over DNS. Only
// a zone that does not answer its SOA (REFUSED, NOTAUTH: lost; SERVFAIL: configured but not
// loaded) costs control messages, a zonestatus and, when BIND does not know it, an addzone.
func (s *Service) Reconcile(ctx context.Context) (ReconcileReport, error) {
	entries := s.reg.List()
	rep := ReconcileReport{Registered: len(entries), Readded: []string{}, Failed: []ReconcileError{}}
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
	var mu sync.Mutex
	err = parallel(suspect, 8, func(e registry.Entry) error {
		readded, reason, err := s.reconcileOne(ctx, e)
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
	slices.SortFunc(rep.Failed, func(a, b ReconcileError) int {
		if a.Zone < b.Zone {
			return -1
		}
		if a.Zone > b.Zone {
			return 1
		}
		return 0
	})
	if len(rep.Readded)+len(rep.Failed) > 0 {
		s.log.Info("reconcile", "registered", rep.Registered, "present", rep.Present,
			"readded", len(rep.Readded), "failed", len(rep.Failed))
	}
	return rep, nil
}

// reconcileOne restores one zone if BIND lost it. err is for failures that stop the pass
// (BIND unreachable); reason is a safe, per-zone explanation of why this zone was not restored.
func (s *Service) reconcileOne(ctx context.Context, e registry.Entry) (readded bool, reason string, err error) {
	unlock, err := s.locks.lock(ctx, e.Zone)
	if err != nil {
		return false, "", err
	}
	defer unlock()

	_, err = s.zoneStatus(ctx, e.Zone)
	switch {
	case err == nil, errors.Is(err, ErrNotLoaded):
		return false, "", nil // BIND knows it
	case errs.Is(err, errs.NotFound):
		err = nil
	}
	if err != nil {
		return false, "", err
	}
	if e.Type == "primary" {
		ok, err := s.files.Exists(e.Zone)
		if err != nil {
			return false, "zone file cannot be checked", nil
		}
		if !ok {
			if len(e.ZoneFile) == 0 {
				return false, "zone file is missing and the registry holds no copy of it", nil
			}
			if err := s.files.Write(ctx, e.Zone, e.ZoneFile); err != nil {
				s.log.Error("reconcile: rewrite zone file", "zone", e.Zone, "err", err)
				return false, "zone file could not be rewritten", nil
			}
			s.log.Warn("reconcile: zone file was missing; rebuilt from the registry (records added by updates are lost)", "zone", e.Zone)
		}
	}
	if _, err := s.rndc.Zone(ctx, "addzone", e.Zone, e.Block); err != nil {
		if mapped := s.addzoneErr(e.Zone, err, ""); errors.Is(mapped, ErrUnavailable) {
			return false, "", mapped
		}
		s.log.Error("reconcile: addzone failed", "zone", e.Zone, "err", err)
		return false, "BIND refused to add the zone again", nil
	}
	s.log.Info("reconcile: zone re-added", "zone", e.Zone)
	return true, "", nil
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
	if changed {
		if _, err := s.rndc.Zone(ctx, "modzone", z, block); err != nil {
			return err
		}
		s.log.Info("reconcile: bindgate's also-notify entry added", "zone", z)
	}
	s.remember(ctx, z, cur.Type(), block)
	return nil
}
