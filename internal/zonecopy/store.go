package zonecopy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/zonename"
)

// Defaults for Config.
const (
	DefaultMaxChanges = 1000
	DefaultMaxAge     = 30 * 24 * time.Hour
)

// The sentinels. All are *errs.Error, so errs.KindOf gives the kind.
var (
	// ErrNotFound: the zone has no copy, or the serial asked for is not retained.
	ErrNotFound = errs.Sentinel(errs.NotFound, "zonecopy: not found")
	// ErrGap: a change does not start at the copy's serial. Nothing was written; fetch the zone
	// whole (AXFR) and call Replace.
	ErrGap = errs.Sentinel(errs.Conflict, "zonecopy: change does not start at the copy's serial")
	// ErrDiverged: a change removes a record the copy lacks or adds one it has. Nothing was
	// written; as with ErrGap, Replace from an AXFR.
	ErrDiverged = errs.Sentinel(errs.Conflict, "zonecopy: change does not apply to the copy")
)

// Config configures a Store.
type Config struct {
	// Dir is the directory of the copies, created (0700) if missing.
	Dir string
	// MaxChanges and MaxAge set retention: a change is kept while it is among a zone's last
	// MaxChanges or younger than MaxAge, whichever keeps more. Zero means the default
	// (1000, 30 days); a negative MaxAge keeps by count only.
	MaxChanges int
	MaxAge     time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives the torn tails truncated at Open and compaction failures (default: discard).
	Logger *slog.Logger
	// Lazy makes Open return once it has listed the zones' directories, without reading them:
	// each zone's copy is then loaded when it is first used, or by LoadAll, and every use of
	// the zone waits for that load. A copy that fails to load fails every use of its zone
	// (writers return the error, readers see no copy) and LoadAll (issue 13: at 10,000 zones
	// the load held readiness back). Without it, Open loads every copy and fails on damage.
	Lazy bool
	// MaxLoaded bounds the copies held in memory: beyond it, the least recently used ones are
	// unloaded (their files stay; a use loads them again), keeping only their serial and
	// when named was last seen serving it, which the serial sweep and listings ask of every
	// zone (issue 13: at 10,000 zones the copies were most of bindgate's memory). Zero keeps
	// every copy loaded.
	MaxLoaded int
}

// Actor is who made a change through bindgate's API. The zero value means "external": a change
// that did not come through the API (bindy's own updates, DNSSEC signing, rndc by hand).
type Actor struct {
	Principal string `json:"principal,omitempty"`
	RequestID string `json:"requestId,omitempty"`
}

// Change is one serial step as IXFR reports it (RFC 1995): the records deleted and the records
// added between serial From and serial To. The SOA is not part of Removed or Added.
type Change struct {
	From, To uint32
	// At is when the change was seen; zero in Append means now.
	At time.Time
	// Actors is empty for an external change.
	Actors []Actor
	// SOA is the zone's SOA at To. In Append, nil means the current SOA with serial To.
	SOA            *dns.SOA
	Removed, Added []dns.RR
}

// Summary describes a retained change for a history listing. Added and Removed count records.
type Summary struct {
	From, To       uint32
	At             time.Time
	Actors         []Actor
	Added, Removed int
}

// Copy is a zone's current copy.
type Copy struct {
	Serial uint32
	// RRs is the SOA, then the other records in canonical order. They are the caller's to keep.
	RRs []dns.RR
	// Changed is when the last stored change was seen (for a fresh copy, when it was taken).
	Changed time.Time
	// Checked is when a caller last confirmed named serves this serial (Confirm); zero if never
	// since Open.
	Checked time.Time
}

// Store holds the copies. It is safe for concurrent use: writes to one zone are serialised by
// that zone's lock, zones do not wait on each other, and reads never wait for a write's fsync.
type Store struct {
	cfg       Config
	root      *os.Root
	log       *slog.Logger
	fault     func(op string) error // tests: fail the named file operation
	compactAt *int64                // tests: the least garbage worth a compaction

	mu    sync.RWMutex
	zones map[string]*zone
	// idle holds the zones whose copy is on disk only: listed at Open and not loaded yet
	// (unread counts them), or unloaded by the cache (cache.go). loads holds the zones whose
	// load is under way, and those whose load failed (for good: each use of the zone returns
	// its error). A zone is in at most one of zones, idle and loads.
	idle   map[string]idle
	unread int
	loads  map[string]*loading

	clock     atomic.Uint64 // orders the zones' last uses (zone.used) for the cache
	shrinking atomic.Bool

	// loadCtx bounds loads made on a reader's behalf (readers take no context); Close
	// cancels it.
	loadCtx    context.Context
	cancelLoad context.CancelFunc

	openLogs atomic.Int64 // change logs kept open (zone.logf), at most maxOpenLogs
}

// zone is one zone's copy.
type zone struct {
	name string
	used atomic.Uint64 // Store.clock at the zone's last use: the cache unloads the oldest

	// wmu serialises writers and guards the disk bookkeeping below; it is held across I/O.
	wmu       sync.Mutex
	dead      bool   // removed from the store's map; lock again
	seq       uint64 // sequence number of the last change
	snapBytes int64
	logBytes  int64 // length of the valid records in the changes file
	logAlloc  int64 // size of the changes file: its records, then reserved zeros (writeLog)
	logExists bool
	garbage   int64    // bytes of records in the changes file that retention no longer keeps
	logBad    bool     // the changes file may hold bytes of a failed write: rewrite it before appending
	logf      *os.File // the changes file kept open between writes (writeLog), or nil

	// mu guards the fields below, which readers use; it is never held across I/O.
	mu      sync.RWMutex
	exists  bool
	cur     state
	gen     uint64   // cur's generation (nextGen), new whenever cur is
	hist    []entry  // retained changes, oldest first
	baseSOA *dns.SOA // SOA at hist[0].From (or the current one with no history)
	baseAt  time.Time
	changed time.Time
	checked time.Time
	// local is the serial before the oldest change applied locally (Tx) that named's own
	// record of it has not yet confirmed; hasLocal says there is one.
	local    uint32
	hasLocal bool
	// suspect: the log's last record at Open was a local change, which named may never have
	// applied (a crash between Tx.Write and named's answer): the copy is not to be planned on
	// until it was checked (Verified, Replace).
	suspect bool
}

// Open opens (creating if needed) the store in cfg.Dir and loads every zone's copy (with
// cfg.Lazy: lists them, see Config.Lazy). A torn tail of a change log is cut off with a
// warning; any other damage fails Open (or, lazily, that zone and LoadAll), naming the file.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.MaxChanges <= 0 {
		cfg.MaxChanges = DefaultMaxChanges
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, storageErr("create directory", err)
	}
	root, err := os.OpenRoot(cfg.Dir)
	if err != nil {
		return nil, storageErr("open directory", err)
	}
	s := &Store{cfg: cfg, root: root, log: cfg.Logger, zones: map[string]*zone{}, idle: map[string]idle{}, loads: map[string]*loading{}}
	s.loadCtx, s.cancelLoad = context.WithCancel(context.Background())
	err = s.list()
	if err == nil && !cfg.Lazy {
		err = s.LoadAll(ctx)
	}
	if err != nil {
		s.cancelLoad()
		root.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the directory and the change logs kept open. The store must not be used
// afterwards.
func (s *Store) Close() error {
	s.cancelLoad()
	s.mu.RLock()
	for _, z := range s.zones {
		if z.wmu.TryLock() { // a writer still at work (a Tx never ended) keeps its file
			s.closeLog(z)
			z.wmu.Unlock()
		}
	}
	s.mu.RUnlock()
	return s.root.Close()
}

// storageErr gives a file operation's error its kind: a full disk or quota is
// InsufficientStorage, a read-only filesystem Unavailable (an operator must act; retry later),
// anything else Internal.
func storageErr(op string, err error) error {
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return errs.Wrap(errs.InsufficientStorage, fmt.Errorf("zonecopy: %s: %w", op, err), "the zone copy storage is full")
	case errors.Is(err, syscall.EROFS):
		return errs.Wrap(errs.Unavailable, fmt.Errorf("zonecopy: %s: %w", op, err), "the zone copy storage is read-only")
	}
	return fmt.Errorf("zonecopy: %s: %w", op, err)
}

// hook runs the test fault hook for op.
func (s *Store) hook(op string) error {
	if s.fault == nil {
		return nil
	}
	return s.fault(op)
}

func checkName(zone string) error {
	if !zonename.IsNormal(zone) {
		return errs.Wrap(errs.Invalid, zonename.ErrInvalid, "%q is not a normalised zone name", zone)
	}
	return nil
}

// find returns zone's entry once its copy is loaded (nil when there is none), or the error
// its load failed with.
func (s *Store) find(name string) (*zone, error) {
	z, err := s.load(name) // possibly unloaded again already: a reader may still read it
	if z != nil {
		z.used.Store(s.clock.Add(1))
	}
	return z, err
}

// lockZone returns zone's entry with its writer lock held, creating the entry if create is set
// (nil otherwise when there is none); it fails when the zone's copy could not be loaded, so
// nothing is written over a copy that was never read.
func (s *Store) lockZone(name string, create bool) (*zone, error) {
	for {
		if _, err := s.load(name); err != nil {
			return nil, err
		}
		s.mu.Lock()
		z := s.zones[name]
		if z == nil {
			_, unloaded := s.idle[name]
			if unloaded || s.loads[name] != nil { // unloaded again since: load it again
				s.mu.Unlock()
				continue
			}
			if !create {
				s.mu.Unlock()
				return nil, nil
			}
			z = &zone{name: name}
			s.zones[name] = z
		}
		s.mu.Unlock()
		z.used.Store(s.clock.Add(1))
		z.wmu.Lock()
		if !z.dead {
			return z, nil
		}
		z.wmu.Unlock()
	}
}

// drop removes z from the map; the caller holds z.wmu.
func (s *Store) drop(z *zone) {
	s.mu.Lock()
	if s.zones[z.name] == z {
		delete(s.zones, z.name)
	}
	z.dead = true
	s.mu.Unlock()
}

// view is what readers take from a zone under its read lock.
type view struct {
	cur              state
	hist             []entry
	baseSOA          *dns.SOA
	changed, checked time.Time
}

func (s *Store) view(name string) (view, bool) {
	z, _ := s.find(name) // a copy that failed to load: none to read (its writers fail)
	if z == nil {
		return view{}, false
	}
	z.mu.RLock()
	defer z.mu.RUnlock()
	if !z.exists {
		return view{}, false
	}
	return view{z.cur, z.hist, z.baseSOA, z.changed, z.checked}, true
}

// Current returns zone's copy. Its records are fresh copies.
func (s *Store) Current(zone string) (Copy, bool) {
	v, ok := s.view(zone)
	if !ok {
		return Copy{}, false
	}
	return Copy{Serial: v.cur.soa.Serial, RRs: v.cur.records(), Changed: v.changed, Checked: v.checked}, true
}

// Confirm records that named was seen serving serial and reports whether the copy is at that
// serial (only then is Checked set). Checked lives in memory only: after a restart the caller
// confirms again.
func (s *Store) Confirm(zone string, serial uint32) bool {
	for {
		z, _, unloaded := s.peek(zone)
		if unloaded {
			s.mu.Lock()
			cur, still := s.idle[zone]
			if still && cur.known {
				ok := cur.serial == serial
				if ok {
					cur.checked = s.cfg.Now().UnixNano()
					s.idle[zone] = cur
				}
				s.mu.Unlock()
				return ok
			}
			s.mu.Unlock()
			continue // loaded again meanwhile
		}
		if z == nil {
			return false
		}
		z.mu.Lock()
		ok := z.exists && z.cur.soa.Serial == serial
		if ok {
			z.checked = s.cfg.Now()
		}
		z.mu.Unlock()
		s.mu.RLock()
		still := s.zones[zone] == z
		s.mu.RUnlock()
		if still || !ok {
			return ok
		}
		// Unloaded while confirming: set it on the idle record (or the copy loaded since).
	}
}

// Zones returns the zones that have a copy, sorted; with Config.Lazy it loads every copy never
// loaded first (those that fail to load are left out).
func (s *Store) Zones() []string {
	_ = s.LoadAll(s.loadCtx)
	s.mu.RLock()
	zs := make([]*zone, 0, len(s.zones))
	for _, z := range s.zones {
		zs = append(zs, z)
	}
	out := make([]string, 0, len(zs)+len(s.idle))
	for name, id := range s.idle {
		if id.known {
			out = append(out, name)
		}
	}
	s.mu.RUnlock()
	for _, z := range zs {
		z.mu.RLock()
		if z.exists {
			out = append(out, z.name)
		}
		z.mu.RUnlock()
	}
	slices.Sort(out)
	return out
}

// Serial returns the serial of zone's copy without copying its records; ok is false when
// there is no copy.
func (s *Store) Serial(zone string) (serial uint32, ok bool) {
	z, id, unloaded := s.peek(zone) // not a use: the sweep asks every zone's
	if unloaded {
		return id.serial, true
	}
	if z == nil {
		return 0, false
	}
	z.mu.RLock()
	defer z.mu.RUnlock()
	if !z.exists {
		return 0, false
	}
	return z.cur.soa.Serial, true
}

// Canonical returns a zone transfer's records (the SOA first; a repeated SOA, such as AXFR's
// closing one, dropped) in the form and order Current returns them: owners in lower case,
// duplicates removed, the SOA then the rest in the copy's canonical order. A caller that
// answers both from the copy and from a transfer renders both the same way through it.
func Canonical(zone string, rrs []dns.RR) ([]dns.RR, error) {
	if err := checkName(zone); err != nil {
		return nil, err
	}
	if len(rrs) == 0 {
		return nil, errs.New(errs.Invalid, "a zone transfer holds at least the SOA")
	}
	soa, err := soaOf(zone, rrs[0])
	if err != nil {
		return nil, err
	}
	rest := make([]dns.RR, 0, len(rrs)-1)
	for _, rr := range rrs[1:] {
		if rr != nil && rr.Header().Rrtype != dns.TypeSOA {
			rest = append(rest, rr)
		}
	}
	its, err := items(zone, rest)
	if err != nil {
		return nil, err
	}
	return state{soa, newRecs(its)}.records(), nil
}
