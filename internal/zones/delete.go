package zones

import (
	"context"
	"errors"
	"fmt"

	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/registry"
	"github.com/bindgate/bindgate/internal/rndc"
)

// Delete removes a zone (docs/contract.md §9). A missing zone is 404 ([fix] §18.3: bindcar answered 500,
// which bindy retried for two minutes); a named.conf zone is 409, since the next named restart
// would bring it back.
//
// Intent first (issue 9 item 1, registry/doc.go): the registry entry is removed before delzone,
// so that no failure after delzone can leave an entry a reconcile would re-add. A registry
// failure answers 507/500 with BIND untouched; a failed delzone puts the entry back. delzone
// and the clean-up after it run on a context detached from the request.
//
// A registered zone is one bindgate added, so it is not asked about first (issue 13: the
// zonestatus round trip cost about as much as delzone itself, 0.35 ms): delzone's own "not
// found" gives the 404, and the registry says which file is bindgate's.
func (s *Service) Delete(ctx context.Context, name string) (Result, error) {
	z, err := normalize(name)
	if err != nil {
		return Result{}, err
	}
	unlock, err := s.lockZone(ctx, z)
	if err != nil {
		return Result{}, err
	}
	release := func() { s.facts.forget(z); unlock() }
	var owns bool
	if e, ok := s.reg.Get(z); ok {
		owns = e.Type == "primary" || e.Type == "secondary"
	} else {
		zs, err := s.addedZone(ctx, z, "bindgate cannot delete it")
		if err != nil {
			release()
			if errs.Is(err, errs.NotFound) {
				return Result{}, s.forgetLost(ctx, z, err)
			}
			return Result{}, err
		}
		owns = s.ownsFile(z, zs)
	}
	defer release()

	// The tombstone comes first: named killed right after delzone keeps the zone in its NZD
	// and serves it again when it restarts; reconcile deletes a tombstoned zone that is not
	// registered (registry/tombstone.go).
	if err := s.reg.Tombstone(ctx, z, s.now()); err != nil {
		return Result{}, s.bookkeepingErr("delete", z, fmt.Errorf("tombstone: %w", err))
	}
	// With its zone file (Get leaves it out): a failed delete puts the entry back whole after
	// its file is gone.
	prev, registered, err := s.reg.Load(z)
	if err != nil {
		return Result{}, s.bookkeepingErr("delete", z, err)
	}
	if registered {
		if err := s.reg.Delete(ctx, z); err != nil {
			if _, still := s.reg.Get(z); !still { // unlinked, but not durably: keep it
				s.putBack(ctx, "delete", prev)
			}
			return Result{}, s.bookkeepingErr("delete", z, fmt.Errorf("registry: %w", err))
		}
	}

	// Without -clean: BIND's own clean-up runs later, asynchronously, and could delete the file
	// of the same zone created again right after. bindgate deletes the files itself, under the
	// zone lock (docs/contract.md §9 step 2).
	resp, err := s.change(ctx, "delzone", z, "", nil)
	if registered && errors.Is(err, rndc.ErrNotFound) {
		// Registered, but named lost it (and reconcile has not restored it yet): gone now, as
		// forgetLost leaves such a zone, its entry removed and its tombstone written above.
		s.log.Info("delete: zone was gone from BIND but registered; entry removed", "zone", z)
		if err := s.cleanUp(ctx, z, owns); err != nil {
			return Result{}, err
		}
		return Result{}, NotFound(z)
	}
	if err != nil {
		if registered {
			s.putBack(ctx, "delete", prev)
		}
		s.untomb(ctx, z)
		return Result{}, zoneCmdErr("delzone", z, err)
	}
	if err := s.cleanUp(ctx, z, owns); err != nil {
		return Result{}, err
	}
	return Result{Message: fmt.Sprintf("Zone %s deleted successfully", z), Details: resp.Text}, nil
}

// forgetLost answers a DELETE of a zone BIND does not know: 404, after removing what bindgate
// still keeps of it (a zone named lost and reconcile has not restored yet, or a delete whose
// bookkeeping failed). Without this, a later reconcile would bring the deleted zone back.
func (s *Service) forgetLost(ctx context.Context, z string, notFound error) error {
	unlock, err := s.lockZone(ctx, z)
	if err != nil {
		return err
	}
	defer unlock()
	defer s.facts.forget(z)
	e, registered := s.reg.Get(z)
	_, copied := s.copyOf(z)
	_, dead := s.reg.Tombstoned(z)
	left := dead && !registered && s.fileLeft(z) // a delete killed before its clean-up
	if !registered && !copied && !left {
		return notFound
	}
	if registered {
		bctx, cancel := detached(ctx, bookkeepingTimeout)
		defer cancel()
		// As in Delete: the tombstone first, in case a delzone of an earlier, interrupted DELETE
		// is still in named's NZD and comes back at its next restart.
		if err := s.reg.Tombstone(bctx, z, s.now()); err != nil {
			return s.bookkeepingErr("delete", z, fmt.Errorf("tombstone: %w", err))
		}
		if err := s.reg.Delete(bctx, z); err != nil {
			return s.bookkeepingErr("delete", z, fmt.Errorf("registry: %w", err))
		}
		s.log.Info("delete: zone was gone from BIND but registered; entry removed", "zone", z)
	}
	// A registered secondary's <z>.zone is bindgate's too: a restore from the copy wrote it.
	if err := s.cleanUp(ctx, z, (registered && (e.Type == "primary" || e.Type == "secondary")) || left); err != nil {
		return err
	}
	return notFound
}

// cleanUp removes a deleted zone's files and copy on a detached context. A leftover file is
// harmless (the next create of the name replaces it) and is only logged; a leftover copy is
// reported, since a later create of the name must not start from it.
func (s *Service) cleanUp(ctx context.Context, z string, files bool) error {
	ctx, cancel := detached(ctx, bookkeepingTimeout)
	defer cancel()
	s.seenMu.Lock()
	delete(s.heard, z)
	s.seenMu.Unlock()
	// The zone files and the copy are in different directories and unrelated: removed side by
	// side (issue 13), both done before the answer.
	removed := make(chan struct{})
	go func() {
		defer close(removed)
		if files {
			if err := s.files.Remove(ctx, z); err != nil {
				s.log.Error("delete: could not remove zone files", "zone", z, "err", err)
			}
		}
	}()
	defer func() { <-removed }()
	if _, ok := s.copyOf(z); ok {
		remove := s.copies.Delete
		if _, dead := s.reg.Tombstoned(z); dead {
			remove = s.copies.Discard // a copy a power failure brings back is buried by reconcile
		}
		if err := remove(ctx, z); err != nil {
			return s.bookkeepingErr("delete", z, fmt.Errorf("zone copy: %w", err))
		}
	}
	return nil
}

// untomb removes the tombstone a delete wrote when its delzone did not happen: the zone stays,
// and reconcile must not delete it. A failure is reported; a registered zone is never deleted
// by reconcile, so the tombstone is harmless while the entry exists.
func (s *Service) untomb(ctx context.Context, z string) {
	ctx, cancel := detached(ctx, bookkeepingTimeout)
	defer cancel()
	if err := s.reg.ClearTombstone(ctx, z); err != nil {
		_ = s.bookkeepingErr("delete", z, fmt.Errorf("tombstone: remove it again: %w", err))
	}
}

// putBack restores a registry entry after the change it announced did not happen. Its failure
// is reported (log and metric): the entry is then missing while BIND still has the zone.
func (s *Service) putBack(ctx context.Context, op string, e registry.Entry) {
	ctx, cancel := detached(ctx, bookkeepingTimeout)
	defer cancel()
	if err := s.reg.Put(ctx, e); err != nil {
		_ = s.bookkeepingErr(op, e.Zone, fmt.Errorf("registry: put the entry back: %w", err))
	}
}

// ownsFile reports whether the zone's file is <zone dir>/<z>.zone, the only file bindgate
// deletes (docs/contract.md §9 step 3). zonestatus names it; for a zone that never loaded, the
// registry says whether bindgate created it as a primary.
func (s *Service) ownsFile(z string, zs zoneStatusInfo) bool {
	want := s.files.Path(z)
	for _, f := range zs.Files {
		if f == want {
			return true
		}
	}
	if len(zs.Files) == 0 {
		if e, ok := s.reg.Get(z); ok && e.Type == "primary" {
			return true
		}
	}
	return false
}
