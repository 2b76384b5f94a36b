package zones

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/keylock"
	"github.com/bindgate/bindgate/internal/registry"
	"github.com/bindgate/bindgate/internal/rndc"
	"github.com/bindgate/bindgate/internal/zoneconf"
	"github.com/bindgate/bindgate/internal/zonecopy"
	"github.com/bindgate/bindgate/internal/zonefile"
	"github.com/bindgate/bindgate/internal/zonename"
)

// Controller is the part of the rndc client the service uses; *rndc.Client implements it and
// tests may pass the same client pointed at rndctest.
type Controller interface {
	Do(ctx context.Context, command string) (rndc.Response, error)
	Zone(ctx context.Context, verb, zone string, rest ...string) (rndc.Response, error)
}

// Config wires a Service.
type Config struct {
	RNDC Controller
	// DNS confirms over DNS that named serves zones (listing, counting, reconcile), so those
	// send no control message per zone (*dnsclient.Client).
	DNS      Prober
	Files    *zonefile.Store
	Registry *registry.Registry
	Logger   *slog.Logger
	// Now is the clock for default SOA serials and registry times; nil means time.Now.
	Now func() time.Time
	// OnZoneCount, when set, receives the number of zones each time List counts them
	// (bindcar_zones_managed, docs/contract.md §17).
	OnZoneCount func(int)
	// ReadyTTL caches readiness results (docs/contract.md §13: at most 5 s); 0 means 5 s.
	ReadyTTL time.Duration
	// TransferKey is the TSIG key name bindgate reads zones with (AXFR, the RRset API); an
	// allowTransfer list given at create always admits it. "" grants nothing.
	TransferKey string
	// Copies is the durable copy of the zones' data (*zonecopy.Store); nil means none, and a
	// lost primary is then restored from its file or the registry only.
	Copies Copies
	// Sync, when set, takes a zone's copy from named (*zonesync.Syncer): a create of a primary
	// answers 201 only once the copy holds the zone, and a restored zone's copy is brought up
	// to the restored serial at once.
	Sync CopySync
	// OnBookkeepingFailure, when set, is called with the operation each time a registry, zone
	// file or copy write around a BIND change fails (bindgate_bookkeeping_failures_total).
	OnBookkeepingFailure func(op string)
	// OnNamedRestart, when set, is called when readiness sees named's boot time change: named
	// restarted, and may have lost zones (issue 9 item 3). It must not block.
	OnNamedRestart func()
	// AfterReconcile, when set, is called once as each reconcile pass ends, whatever its
	// outcome, before Reconcile returns; it must not block. A pass sends one SOA query per
	// zone, a burst of garbage at thousands of zones that the caller may want to hand back to
	// the system at once (issue 13).
	AfterReconcile func()
	// SelfNotify, when set, is bindgate's own also-notify entry (its NOTIFY listener and the
	// transfer key): added at create, kept through PATCH, and added by reconcile to zones
	// that lack it (issue 9: named NOTIFYs bindgate so the zone copy follows every change).
	SelfNotify *zoneconf.NotifyTarget
}

// Service implements the zone operations. It is safe for concurrent use.
type Service struct {
	rndc           Controller
	dns            Prober
	files          *zonefile.Store
	reg            *registry.Registry
	log            *slog.Logger
	now            func() time.Time
	onCount        func(int)
	locks          keylock.Locks
	facts          factCache   // showzone answers for zones the registry does not hold
	parsed         parsedFacts // facts of registered zones, by the block they were parsed from
	readyTTL       time.Duration
	transferKey    string
	copies         Copies
	sync           CopySync
	onBookkeeping  func(op string)
	onRestart      func()
	afterReconcile func()
	selfNotify     *zoneconf.NotifyTarget

	seenMu sync.Mutex
	heard  map[string]heard // what SOA queries said of each zone (heard.go)

	startup startupState

	readyMu   sync.Mutex
	readyAt   time.Time
	readyLast []Check
	bootSeen  string // named's boot time in the last `status`; guarded by readyMu
}

// New returns a Service; RNDC, DNS, Files and Registry are required.
func New(cfg Config) (*Service, error) {
	if cfg.RNDC == nil || cfg.DNS == nil || cfg.Files == nil || cfg.Registry == nil {
		return nil, errors.New("zones: RNDC, DNS, Files and Registry are required")
	}
	s := &Service{
		rndc: cfg.RNDC, dns: cfg.DNS, files: cfg.Files, reg: cfg.Registry, log: cfg.Logger,
		now: cfg.Now, onCount: cfg.OnZoneCount, readyTTL: cfg.ReadyTTL, transferKey: cfg.TransferKey,
		copies: cfg.Copies, sync: cfg.Sync, onBookkeeping: cfg.OnBookkeepingFailure,
		onRestart: cfg.OnNamedRestart, afterReconcile: cfg.AfterReconcile, heard: map[string]heard{},
		selfNotify: cfg.SelfNotify,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.readyTTL <= 0 {
		s.readyTTL = 5 * time.Second
	}
	return s, nil
}

// lockZone takes zone z's lock (keylock). Waiting honours ctx, so a request stuck behind a
// slow operation on the same zone gets a 503 in bounded time instead of hanging.
func (s *Service) lockZone(ctx context.Context, z string) (unlock func(), err error) {
	unlock, err = s.locks.Lock(ctx, z)
	if err != nil {
		return nil, fmt.Errorf("%w: waiting for the lock of zone %s: %w", ErrUnavailable, z, err)
	}
	return unlock, nil
}

// normalize re-validates a zone name at the service boundary (docs/contract.md §4: sink re-validation).
func normalize(name string) (string, error) {
	z, err := zonename.Normalize(name)
	if err != nil {
		return "", InvalidName(err)
	}
	return z, nil
}

// InvalidName is the 400 "Invalid request: Invalid zone name: <reason>" for a name zonename
// refuses; err is kept as the cause.
func InvalidName(err error) *errs.Error {
	reason := "not a valid name"
	if ze, ok := errors.AsType[*zonename.Error](err); ok {
		reason = ze.Reason
	}
	return errs.Wrap(errs.Invalid, err, "Invalid request: Invalid zone name: %s", reason)
}

// bindErr wraps an rndc failure that no contract rule maps: transient ones (BIND down, timed
// out, rejecting our key) become ErrUnavailable (503); the rest stay internal (500).
func bindErr(op, zone string, err error) error {
	if rndc.Transient(err) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("%w: %s %s: %w", ErrUnavailable, op, zone, err)
	}
	return fmt.Errorf("%s %s: %w", op, zone, err)
}

// zoneCmd sends one per-zone rndc command: BIND's "not found" is the zone's 404, "zone not
// loaded" its typed 503, and any other failure goes through bindErr.
func (s *Service) zoneCmd(ctx context.Context, verb, z string, rest ...string) (rndc.Response, error) {
	resp, err := s.rndc.Zone(ctx, verb, z, rest...)
	return resp, zoneCmdErr(verb, z, err)
}

// zoneCmdErr maps a per-zone command's error as zoneCmd does; nil stays nil.
func zoneCmdErr(verb, z string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, rndc.ErrNotFound):
		return NotFound(z)
	case errors.Is(err, rndc.ErrNotLoaded):
		return NotLoaded(z)
	}
	return bindErr(verb, z, err)
}

// copyOf returns zone z's copy, if there is a copy store and it holds one.
func (s *Service) copyOf(z string) (zonecopy.Copy, bool) {
	if s.copies == nil {
		return zonecopy.Copy{}, false
	}
	return s.copies.Current(z)
}

// zoneStatus runs `rndc zonestatus` through zoneCmd. loaded reports whether BIND has data for
// the zone.
func (s *Service) zoneStatus(ctx context.Context, z string) (zoneStatusInfo, error) {
	resp, err := s.zoneCmd(ctx, "zonestatus", z)
	if err != nil {
		return zoneStatusInfo{}, err
	}
	return parseZoneStatus(resp.Text), nil
}

// lockExisting takes z's lock for a change to an existing zone, which must be one bindgate may
// change (see addedZone). The caller defers release, which also drops the zone's cached facts.
func (s *Service) lockExisting(ctx context.Context, z, why string) (zs zoneStatusInfo, release func(), err error) {
	unlock, err := s.lockZone(ctx, z)
	if err != nil {
		return zs, nil, err
	}
	release = func() { s.facts.forget(z); unlock() }
	if zs, err = s.addedZone(ctx, z, why); err != nil {
		release()
		return zs, nil, err
	}
	return zs, release, nil
}

// showzone asks BIND for z's configuration and parses it.
func (s *Service) showzone(ctx context.Context, z string) (zoneconf.Zone, error) {
	resp, err := s.zoneCmd(ctx, "showzone", z)
	if err != nil {
		return zoneconf.Zone{}, err
	}
	conf, err := zoneconf.ParseShowzone(resp.Text)
	if err != nil {
		return zoneconf.Zone{}, fmt.Errorf("parse showzone of %s: %w", z, err)
	}
	return conf, nil
}

// addedZone runs zonestatus for a change to an existing zone: unknown is 404, a zone that is
// configured but not loaded is fine (it can still be changed or deleted), and a zone from
// named.conf is 409, since the next named restart would undo the change (docs/contract.md §9, §10).
func (s *Service) addedZone(ctx context.Context, z, why string) (zoneStatusInfo, error) {
	zs, err := s.zoneStatus(ctx, z)
	if errors.Is(err, ErrNotLoaded) {
		err = nil
	}
	if err != nil {
		return zs, err
	}
	if zs.HasReconfig && !zs.Reconfigurable {
		return zs, Conflict(fmt.Sprintf("Zone %s is configured in named.conf; %s", z, why))
	}
	return zs, nil
}

// parallel runs fn for every item with at most workers at once (bounded fan-out over the
// pooled control connections) and returns the first error fn reported.
func parallel[T any](items []T, workers int, fn func(T) error) error {
	work := make(chan T)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	for range min(workers, max(1, len(items))) {
		wg.Go(func() {
			for it := range work {
				if err := fn(it); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for _, it := range items {
		work <- it
	}
	close(work)
	wg.Wait()
	return firstErr
}
