package zones

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/rndc"
	"github.com/bindgate/bindgate/internal/zoneconf"
	"github.com/bindgate/bindgate/internal/zonecopy"
)

// Copies is the durable copy of every zone's data (*zonecopy.Store): reconcile restores a lost
// zone from it, records and all, and a delete removes it: with Discard (no fsync) when the
// zone's tombstone is durable, since reconcile removes a tombstoned zone's copy that a power
// failure brings back, else with Delete.
type Copies interface {
	// Loaded waits for zone's copy to be loaded and returns the error its load failed with
	// (zonecopy.Config.Lazy): a restore never falls back past a copy it could not read.
	Loaded(zone string) error
	Current(zone string) (zonecopy.Copy, bool)
	Delete(ctx context.Context, zone string) error
	Discard(ctx context.Context, zone string) error
}

// CopySync takes a zone's copy from named (*zonesync.Syncer implements it): Hold keeps NOTIFY
// and sweep fetches of the zone out while Record brings its copy to named's serial (a full
// transfer, zonecopy.Replace, when there is no copy yet). A create takes the zone's initial
// copy before it answers, so the first change after it is a change in the history and not
// part of the copy's base snapshot.
type CopySync interface {
	Hold(ctx context.Context, zone string) (release func(), err error)
	Record(ctx context.Context, zone string, actors []zonecopy.Actor) error
}

// takeCopy brings zone z's copy to named's serial on a detached, bounded context; attributed to
// the request's caller when byCaller. nil when there is no CopySync.
func (s *Service) takeCopy(ctx context.Context, z string, byCaller bool) error {
	if s.sync == nil {
		return nil
	}
	var actors []zonecopy.Actor
	if a, ok := zonecopy.ActorFrom(ctx); ok && byCaller {
		actors = []zonecopy.Actor{a}
	}
	ctx, cancel := detached(ctx, bookkeepingTimeout)
	defer cancel()
	release, err := s.sync.Hold(ctx, z)
	if err != nil {
		return fmt.Errorf("%w: zone copy of %s: %w", ErrUnavailable, z, err)
	}
	defer release()
	return s.sync.Record(ctx, z, actors)
}

// bookkeepingTimeout bounds the writes that follow a change BIND has applied (registry, zone
// files, copy). They run on a context detached from the request (STYLE.md §3a): a client that
// disconnects must not leave them half done.
const bookkeepingTimeout = 15 * time.Second

// detached returns a context that outlives ctx's cancellation (keeping its values), bounded
// by d: for a change to BIND and the bookkeeping after it, which must run to the end once begun.
func detached(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), d)
}

// bookkeepingErr reports a failed write that should have followed (or, intent first, preceded)
// a change to BIND: an error log, the bookkeeping-failure metric, and an error for the caller:
// InsufficientStorage (507) for a full disk or quota, internal (500) otherwise. Never swallowed.
func (s *Service) bookkeepingErr(op, z string, err error) error {
	s.log.Error("bookkeeping failed", "op", op, "zone", z, "err", err)
	if s.onBookkeeping != nil {
		s.onBookkeeping(op)
	}
	if storageFull(err) {
		return errs.Wrap(errs.InsufficientStorage, err, "Insufficient storage")
	}
	return fmt.Errorf("%s %s: %w", op, z, err)
}

// storageFull reports a full disk or quota (ENOSPC, EDQUOT), however it is wrapped.
func storageFull(err error) bool { return errs.StorageFull(err) }

// outcome is what BIND says about a change whose reply was lost (rndc.ErrDropped).
type outcome int

const (
	applied outcome = iota
	notApplied
	unknown
)

// afterDrop asks BIND what became of a change whose connection dropped before the reply; the
// rndc client never sends a change twice (rndc.Repeatable). addzone and delzone are told by
// zonestatus (the zone is there with bindgate's file, or gone); modzone by showzone (the
// statements are the new ones, or still the old ones).
func (s *Service) afterDrop(ctx context.Context, verb, z, block string, prev *zoneconf.Zone) outcome {
	ctx, cancel := detached(ctx, bookkeepingTimeout)
	defer cancel()
	var out outcome = unknown
	switch verb {
	case "addzone":
		zs, err := s.zoneStatus(ctx, z)
		switch {
		case err == nil || errors.Is(err, ErrNotLoaded):
			out = applied
			if want := s.files.Path(z); len(zs.Files) > 0 && !contains(zs.Files, want) {
				out = unknown // a zone of that name, but not with bindgate's file
			}
		case errs.Is(err, errs.NotFound):
			out = notApplied
		}
	case "delzone":
		_, err := s.zoneStatus(ctx, z)
		switch {
		case errs.Is(err, errs.NotFound):
			out = applied
		case err == nil || errors.Is(err, ErrNotLoaded):
			out = notApplied
		}
	case "modzone":
		cur, err := s.showzone(ctx, z)
		if err == nil {
			switch {
			case sameStatements(cur, block):
				out = applied
			case prev != nil && blockOf(cur) == blockOf(*prev):
				out = notApplied
			}
		}
	}
	s.log.Warn("control connection dropped after a change; asked BIND what happened", "verb", verb, "zone", z,
		"outcome", [...]string{"applied", "not applied", "unknown"}[out])
	return out
}

// change sends addzone, delzone or modzone once, on a context detached from the request: once
// sent, a change and its bookkeeping run to the end. A lost reply is resolved with afterDrop:
// applied is success, not applied or unknown is the original error (503).
func (s *Service) change(ctx context.Context, verb, z, block string, prev *zoneconf.Zone) (rndc.Response, error) {
	mctx, cancel := detached(ctx, rndc.DefaultCallTimeout)
	defer cancel()
	var rest []string
	if block != "" {
		rest = []string{block}
	}
	resp, err := s.rndc.Zone(mctx, verb, z, rest...)
	if errors.Is(err, rndc.ErrDropped) && s.afterDrop(ctx, verb, z, block, prev) == applied {
		return rndc.Response{}, nil
	}
	return resp, err
}

func sameStatements(cur zoneconf.Zone, block string) bool {
	want, err := zoneconf.ParseBlock(block)
	if err != nil || len(want.Statements) != len(cur.Statements) {
		return false
	}
	for i := range want.Statements {
		if want.Statements[i].Raw != cur.Statements[i].Raw {
			return false
		}
	}
	return true
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
