package zonesync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/dnsclient"
	"github.com/bindgate/bindgate/internal/keylock"
	"github.com/bindgate/bindgate/internal/zonecopy"
)

// Defaults for the zero values of Config.
const (
	DefaultInterval  = 60 * time.Second
	DefaultWorkers   = 4
	DefaultQueueSize = 4096
	DefaultTimeout   = 30 * time.Second // one fetch (IXFR, perhaps AXFR, and the copy's write)
)

// DNS is the part of the DNS client the Syncer uses; *dnsclient.Client implements it.
type DNS interface {
	Serial(ctx context.Context, zone string) (uint32, error)
	Transfer(ctx context.Context, zone string) ([]dns.RR, error)
	IXFR(ctx context.Context, zone string, serial uint32) (dnsclient.IXFRResult, error)
}

// Config configures a Syncer. DNS, Copy, Key and Managed are required.
type Config struct {
	// NotifyAddr is the loopback host:port the NOTIFY listener binds, UDP and TCP; port 0
	// picks a free port (tests). "" runs no listener (the sweep alone keeps the copy).
	NotifyAddr string
	// Key is bindgate's TSIG key (the transfer key), called per message: NOTIFYs must be
	// signed with it.
	Key  func() bindkey.Key
	DNS  DNS
	Copy *zonecopy.Store
	// Managed reports whether bindgate manages zone (a registry entry).
	Managed func(zone string) bool
	// Zones lists the managed zones, for the sweep.
	Zones func() []string
	// Interval is the sweep's period (default 60 s; negative: no sweep). Workers fetch at
	// once (default 4), at most QueueSize zones wait (default 4096).
	Interval  time.Duration
	Workers   int
	QueueSize int
	// Timeout bounds one fetch (default 30 s).
	Timeout time.Duration
	// MaxTransfers bounds the IXFRs and AXFRs in flight at once (default DefaultMaxTransfers).
	MaxTransfers int
	Logger       *slog.Logger
	// OnError, when set, counts a failed update of the copy by its source: "api" (Record),
	// "notify", "sweep", "read" (Offer) or "compare" (compare.go).
	OnError func(source string)
	// OnCheck, when set, counts a comparison of changes applied to the copy ahead of named
	// (Local) with named's record of them: match or not (then the zone was taken whole).
	OnCheck func(match bool)
	// CompareInterval is how often each zone's copy is compared whole with named's zone
	// (compare.go; default DefaultCompareInterval, negative: never). OnCompare, when set,
	// counts each comparison: whether the copy differed (it was then made named's).
	CompareInterval time.Duration
	OnCompare       func(differed bool)
}

// Syncer keeps the zone copy current. Its methods are safe for concurrent use.
type Syncer struct {
	cfg   Config
	log   *slog.Logger
	locks keylock.Locks

	udp  net.PacketConn
	tcp  net.Listener
	srvs []*dns.Server

	qmu     sync.Mutex
	pending map[string]waiting // queued and not yet taken by a worker
	queue   chan string

	slots chan struct{} // one per transfer in flight (MaxTransfers)

	smu      sync.Mutex // guards sweeping against Close
	sweeping bool

	vmu       sync.Mutex
	verifying map[string]*time.Timer // zones whose local changes are compared soon (verifyLater)

	compareNext string // the whole-zone comparison's cursor: the sweep loop's alone (compare.go)

	root   context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed sync.Once
}

// New binds the NOTIFY listener (so NotifyAddr is known before any zone is created) and
// returns a Syncer that does nothing more until Start.
func New(cfg Config) (*Syncer, error) {
	if cfg.DNS == nil || cfg.Copy == nil || cfg.Key == nil || cfg.Managed == nil {
		return nil, errors.New("zonesync: DNS, Copy, Key and Managed are required")
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxTransfers <= 0 {
		cfg.MaxTransfers = DefaultMaxTransfers
	}
	if cfg.CompareInterval == 0 {
		cfg.CompareInterval = DefaultCompareInterval
	}
	if cfg.Zones == nil {
		cfg.Zones = func() []string { return nil }
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Syncer{cfg: cfg, log: cfg.Logger, pending: map[string]waiting{}, queue: make(chan string, cfg.QueueSize),
		slots: make(chan struct{}, cfg.MaxTransfers), verifying: map[string]*time.Timer{}}
	s.root, s.cancel = context.WithCancel(context.Background())
	if cfg.NotifyAddr != "" {
		if err := s.listen(cfg.NotifyAddr); err != nil {
			s.cancel()
			return nil, err
		}
	}
	return s, nil
}

// NotifyAddr is the address the listener is bound to (its real port when Config asked for 0),
// or nil without a listener.
func (s *Syncer) NotifyAddr() *net.UDPAddr {
	if s.udp == nil {
		return nil
	}
	return s.udp.LocalAddr().(*net.UDPAddr)
}

// Start serves NOTIFY and starts the workers; StartSweep starts the sweep.
func (s *Syncer) Start() {
	for _, srv := range s.srvs {
		s.wg.Go(func() {
			if err := srv.ActivateAndServe(); err != nil && s.root.Err() == nil {
				s.log.Error("zonesync: NOTIFY listener stopped", "err", err)
			}
		})
	}
	for range s.cfg.Workers {
		s.wg.Go(s.work)
	}
}

// StartSweep starts the sweep; its first pass runs at once. The app calls it once its startup
// reconcile is done: both send an SOA query per zone, and at 10,000 zones the two passes at once
// held readiness back by half a second (issue 13). seen, when not nil, holds the serials the
// reconcile's SOA queries found moments before: the first pass takes a zone's serial from it
// instead of asking again, so a start makes one SOA pass, not two. A NOTIFY still fetches a
// zone that changed since; later passes ask named. Calls after the first, or after Close, do
// nothing.
func (s *Syncer) StartSweep(seen map[string]uint32) {
	s.smu.Lock()
	defer s.smu.Unlock()
	if s.sweeping || s.root.Err() != nil || s.cfg.Interval <= 0 {
		return
	}
	s.sweeping = true
	s.wg.Go(func() { s.sweepLoop(seen) })
}

// Close stops the listener, the workers and the sweep and waits for them; a fetch in flight
// is cancelled. Close is idempotent; call it before closing the DNS client.
func (s *Syncer) Close() error {
	s.closed.Do(func() {
		s.smu.Lock()
		s.cancel() // under smu: no StartSweep adds to wg once Close waits on it
		s.smu.Unlock()
		s.stopVerifying()
		for _, srv := range s.srvs {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := srv.ShutdownContext(ctx); err != nil {
				// Never started: close the sockets ourselves.
				s.closeSockets()
			}
			cancel()
		}
		s.closeSockets()
		s.wg.Wait()
	})
	return nil
}

func (s *Syncer) closeSockets() {
	if s.udp != nil {
		_ = s.udp.Close()
	}
	if s.tcp != nil {
		_ = s.tcp.Close()
	}
}

// failed logs and counts a failed update of zone's copy.
func (s *Syncer) failed(source, zone string, err error) {
	s.log.Error("zone copy update failed", "zone", zone, "source", source, "err", err)
	if s.cfg.OnError != nil {
		s.cfg.OnError(source)
	}
}

// Hold takes zone's copy lock: no fetch of zone runs until release is called. The records
// committer holds it from before it sends an UPDATE until Record has stored the change. It
// first waits for the zone's copy to be loaded (zonecopy.Store.Loaded) and fails, before any
// UPDATE is sent, when it cannot be: a change named applied could not be recorded.
func (s *Syncer) Hold(ctx context.Context, zone string) (release func(), err error) {
	if err := s.cfg.Copy.Loaded(zone); err != nil {
		return nil, fmt.Errorf("zone %s: %w", zone, err)
	}
	return s.locks.Lock(ctx, zone)
}

// Record brings zone's copy up to named's serial, attributing the last change it fetches to
// actors; the caller holds zone's lock (Hold). A failure is logged and counted here and
// returned with the copy's error kind (a full disk stays InsufficientStorage).
func (s *Syncer) Record(ctx context.Context, zone string, actors []zonecopy.Actor) error {
	_, err := s.record(ctx, zone, actors, nil)
	return err
}

// RecordUpdate is Record for the UPDATE m the caller just had named apply (zone's lock held
// since before it was sent): actors get the serial step that is m's, found by content
// (attrib.go), not the last one, so a direct update landing just before or after it stays
// external. It returns the serial m brought the zone to, which is the answer's serial
// without another query. When no step matches, or named answered AXFR-style (one
// difference for several steps), the last step is attributed and its serial returned, as
// Record does.
func (s *Syncer) RecordUpdate(ctx context.Context, zone string, actors []zonecopy.Actor, m *dns.Msg) (serial uint32, err error) {
	return s.record(ctx, zone, actors, m)
}

func (s *Syncer) record(ctx context.Context, zone string, actors []zonecopy.Actor, m *dns.Msg) (uint32, error) {
	serial, err := s.fetchLocked(ctx, zone, actors, m)
	if err != nil {
		s.failed("api", zone, err)
		return 0, fmt.Errorf("zone %s: recording the change in the zone copy: %w", zone, err)
	}
	return serial, nil
}

// Snapshot returns zone's copy as it stands (zonecopy.Store.Snapshot), without asking named:
// the records committer plans a change on it while it holds the zone (Hold) and pins the
// change to its serial with a prerequisite.
// A copy that may hold a change named never applied (zonecopy.Store.Suspect, after a crash,
// until the sweep or a NOTIFY compared it with named) is not offered.
func (s *Syncer) Snapshot(zone string) (zonecopy.Snapshot, bool) {
	if s.cfg.Copy.Suspect(zone) {
		return zonecopy.Snapshot{}, false
	}
	return s.cfg.Copy.Snapshot(zone)
}
