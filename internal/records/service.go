package records

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/dnsclient"
	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/rrdata"
	"github.com/bindgate/bindgate/internal/zonecopy"
	"github.com/bindgate/bindgate/internal/zonename"
)

// DNS is the part of the DNS client the service uses; *dnsclient.Client implements it.
type DNS interface {
	Update(ctx context.Context, m *dns.Msg) error
	Transfer(ctx context.Context, zone string) ([]dns.RR, error)
	Query(ctx context.Context, name string, qtype uint16) ([]dns.RR, error)
	Serial(ctx context.Context, zone string) (uint32, error)
}

// Config wires a Service. DNS and Zones are required.
type Config struct {
	DNS DNS
	// Zones answers a zone's configuration facts (*zones.Service).
	Zones  ZoneFacts
	Logger *slog.Logger
	// MaxBatchRecords bounds the records of one group-committed message; 0 means 4,000.
	MaxBatchRecords int
	// MaxBatchWait bounds how long the committer waits, after a message carrying several
	// callers' changes, for those callers' next changes to go together (commit.go, linger);
	// 0 means DefaultMaxBatchWait, negative turns the wait off.
	MaxBatchWait time.Duration
	// SendTimeout bounds each update exchange; 0 means 10 s (docs/contract.md §12.4).
	SendTimeout time.Duration
	// OnSend, when set, observes every update message: parts merged into it, records, result.
	OnSend func(parts, records int, err error)
	// History is the zone copy the history and rollback operations read; nil makes them 503.
	History History
	// Copy, when set, is the live zone copy (*zonesync.Syncer): every applied update is
	// recorded in it before its callers are answered, and RRsets and Export read from it.
	Copy Copy
	// CopyTimeout bounds recording one update in the copy; 0 means 10 s.
	CopyTimeout time.Duration
	// ReadCacheBytes bounds the read cache of answers built from the copy (readcache.go);
	// 0 means DefaultReadCacheBytes, negative turns the cache off.
	ReadCacheBytes int64
}

// DefaultMaxBatchWait is Config.MaxBatchWait's default. The wait is also never longer than the
// batch before took to send, and ends once its callers are back: 64 writers of one record each
// on the 2-core development machine come back within 2-6 ms (bench:
// BenchmarkConcurrentRecordWriters), about what named takes for their message.
const DefaultMaxBatchWait = 5 * time.Millisecond

// Copy is the live zone copy as the records service uses it (issue 9, items 2 and 6).
type Copy interface {
	// Hold takes the zone's copy lock, so no fetch interleaves with an update and its record.
	Hold(ctx context.Context, zone string) (release func(), err error)
	// Record brings the copy up to named, attributing the change to actors (Hold held).
	Record(ctx context.Context, zone string, actors []zonecopy.Actor) error
	// RecordUpdate is Record for the UPDATE m just applied: actors get m's own serial step,
	// whose serial it returns (Hold held since before m was sent).
	RecordUpdate(ctx context.Context, zone string, actors []zonecopy.Actor, m *dns.Msg) (uint32, error)
	// Local applies the update section upd to the copy ahead of named (Hold held), as a
	// zonecopy.Tx to write while the update is in flight and commit once named applied it;
	// zonecopy.ErrNotLocal or ErrNotFound when it cannot (send the ordinary way then).
	Local(ctx context.Context, zone string, upd []dns.RR, method string, actors []zonecopy.Actor) (*zonecopy.Tx, error)
	// Snapshot returns the copy as it stands, without asking named (Hold held when it must
	// not move): the committer plans changes on it and pins them to its serial.
	Snapshot(zone string) (zonecopy.Snapshot, bool)
	// Fresh returns the copy, read-only, when named serves its serial.
	Fresh(ctx context.Context, zone string) (zonecopy.Snapshot, bool)
	// Offer stores a transfer made anyway, when it is still named's.
	Offer(ctx context.Context, zone string, rrs []dns.RR)
}

// Service implements the records operations. It is safe for concurrent use.
type Service struct {
	dns    DNS
	log    *slog.Logger
	zones  ZoneFacts
	commit *committer
	// history is the zone copy (issue 9 item 5); nil without one.
	history History
	copy    Copy
	cache   *readCache
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.DNS == nil || cfg.Zones == nil {
		return nil, errors.New("records: DNS and Zones are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBatchRecords <= 0 {
		cfg.MaxBatchRecords = 4000
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 10 * time.Second
	}
	if cfg.CopyTimeout <= 0 {
		cfg.CopyTimeout = 10 * time.Second
	}
	if cfg.MaxBatchWait == 0 {
		cfg.MaxBatchWait = DefaultMaxBatchWait
	}
	c := newCommitter(cfg.DNS, cfg.MaxBatchRecords, cfg.SendTimeout, cfg.OnSend)
	c.maxWait = max(cfg.MaxBatchWait, 0)
	c.copy, c.copyTimeout = cfg.Copy, cfg.CopyTimeout
	c.local = func(zone string) (string, bool) { return localMethod(cfg.Zones, zone) }
	return &Service{
		dns:     cfg.DNS,
		log:     cfg.Logger,
		zones:   cfg.Zones,
		history: cfg.History,
		commit:  c,
		copy:    cfg.Copy,
		cache:   newReadCache(cfg.ReadCacheBytes),
	}, nil
}

// normalize re-validates a zone name at the service boundary (docs/contract.md §4).
func normalize(name string) (string, error) {
	z, err := zonename.Normalize(name)
	if err != nil {
		return "", invalidName(err)
	}
	return z, nil
}

// parse validates one caller record into an RR (docs/contract.md §12.3); errors are 400 "Invalid
// record: …" naming the record.
func parse(z, name, typ, value string, ttl *uint32, prio *uint16) (dns.RR, error) {
	rr, err := rrdata.Parse(z, rrdata.Record{Name: name, Type: typ, Value: value, TTL: ttl, Priority: prio}, DefaultTTL, nil)
	if err != nil {
		return nil, inputErr(err)
	}
	return rr, nil
}

// inputErr turns an rrdata validation error into the 400 of docs/contract.md §3.3.
func inputErr(err error) error {
	if ie, ok := errors.AsType[*rrdata.InputError](err); ok {
		return invalidRecord("%s", ie.Msg)
	}
	return err
}

// owner resolves a record name (docs/contract.md §12.2).
func owner(z, name string) (string, error) {
	o, err := rrdata.Owner(z, name)
	if err != nil {
		return "", inputErr(err)
	}
	return o, nil
}

// rrType parses a record type the API may change: one of rrdata.AllTypes, or SOA (which
// staticCheck then refuses with its own reason).
func rrType(typ string) (uint16, error) {
	u := strings.ToUpper(typ)
	t, ok := dns.StringToType[u]
	if !ok || t != dns.TypeSOA && !isAllowedType(u) {
		return 0, invalidRecord("type %q is not one of %s", typ, strings.Join(rrdata.AllTypes(), " "))
	}
	return t, nil
}

func isAllowedType(u string) bool {
	for _, t := range rrdata.AllTypes() {
		if t == u {
			return true
		}
	}
	return false
}

// applyOpts are the knobs of one change.
type applyOpts struct {
	ifMatch    *uint32                // the SOA serial the caller last saw
	wantSerial bool                   // read the serial after the update
	check      func(p *planner) error // runs after the live read, before planning
	live       map[string]nameState   // already read (sync); nil: read what the plan needs
	soa        *rrset                 // the apex SOA as read with live (sync)
	conflictFn func(err error) error  // maps a prerequisite failure, when set
	removed    *int                   // when set, gets the number of records the change removes
}

// apply plans changes against the live zone and sends them as one update message through the
// group committer. It returns the serial after the update (when asked) and the effective
// changes.
func (s *Service) apply(ctx context.Context, z string, changes []change, o applyOpts) (uint32, []Applied, error) {
	if o.live == nil && s.copy != nil {
		if _, ok := localMethod(s.zones, z); ok {
			if v, ok := s.copy.Snapshot(z); ok {
				return s.applyPlanned(ctx, z, changes, o, v)
			}
		}
	}
	return s.applyRead(ctx, z, changes, o)
}

// applyRead is apply planning on names read from named (one query per name).
func (s *Service) applyRead(ctx context.Context, z string, changes []change, o applyOpts) (uint32, []Applied, error) {
	apex := z + "."
	p := &planner{apex: apex, live: o.live}
	if p.live == nil {
		live, err := s.readNames(ctx, z, p.liveNames(changes, o.ifMatch != nil))
		if err != nil {
			return 0, nil, err
		}
		p.live = live
		if st := live[apex]; st != nil {
			o.soa = st[dns.TypeSOA]
		}
	}
	if o.check != nil {
		if err := o.check(p); err != nil {
			return 0, nil, err
		}
	}
	m, applied, err := p.plan(changes)
	if err != nil {
		return 0, nil, err
	}
	if err := fits(z, &job{msg: m}); err != nil {
		return 0, nil, tooLargeChange(err)
	}
	if o.removed != nil {
		*o.removed = m.removed
	}
	if o.ifMatch != nil {
		if o.soa == nil || len(o.soa.rrs) == 0 {
			return 0, nil, fmt.Errorf("zone %s: no SOA in the live data", z)
		}
		if cur := o.soa.rrs[0].(*dns.SOA).Serial; cur != *o.ifMatch {
			return 0, nil, preconditionFailed("Zone %s is at serial %d, not %d (If-Match); read it again", z, cur, *o.ifMatch)
		}
	}
	if o.soa != nil && (o.ifMatch != nil || o.live != nil) {
		m.prereq = append(m.prereq, valueDependent(o.soa.rrs)...)
		m.alone = true
	}
	if m.empty() {
		var serial uint32
		if o.wantSerial {
			if serial, err = s.dns.Serial(ctx, z); err != nil {
				return 0, nil, s.mapDNS(ctx, z, err)
			}
		}
		return serial, applied, nil
	}
	j := &job{msg: m, wantSerial: o.wantSerial}
	j.actor, _ = zonecopy.ActorFrom(ctx)
	if err := s.commit.submit(ctx, z, j); err != nil {
		if errors.Is(err, dnsclient.ErrPrereq) {
			return 0, nil, s.explainPrereq(ctx, z, changes, o, err)
		}
		return 0, nil, s.mapDNS(ctx, z, err)
	}
	if err := s.verify(ctx, z, m); err != nil {
		return 0, nil, err
	}
	return j.serial, applied, nil
}

// explainPrereq turns a failed prerequisite into the caller's answer: 412 when the caller's
// If-Match serial is stale, the planner's own refusal when the zone now holds data that makes
// the change impossible, else 409 "changed concurrently".
func (s *Service) explainPrereq(ctx context.Context, z string, changes []change, o applyOpts, cause error) error {
	if o.ifMatch != nil {
		if cur, err := s.dns.Serial(ctx, z); err == nil && cur != *o.ifMatch {
			return preconditionFailed("Zone %s is at serial %d, not %d (If-Match); read it again", z, cur, *o.ifMatch)
		}
	}
	if o.conflictFn != nil {
		return o.conflictFn(cause)
	}
	var names []string
	p := &planner{apex: z + "."}
	for _, c := range changes {
		names = append(names, c.name)
	}
	if live, err := s.readNames(ctx, z, names); err == nil {
		p.live = live
		if o.check != nil {
			if err := o.check(p); err != nil {
				return err
			}
		}
		if _, _, err := p.plan(changes); err != nil {
			return err
		}
	}
	return conflictCause(cause, "Zone %s changed while the update was applied; read it again and retry", z)
}

// verify checks, after a successful update, the RRsets a prerequisite could not guard.
func (s *Service) verify(ctx context.Context, z string, m *message) error {
	for _, want := range m.verify {
		got, err := s.readSet(ctx, want.rrkey)
		if err != nil {
			return s.mapDNS(ctx, z, err)
		}
		if !sameRecords(got, want) {
			return conflict("BIND did not apply the change to %s %s (data at that name changed at the same time); read the zone again", want.name, want.typeName())
		}
	}
	for _, k := range m.gone {
		got, err := s.readSet(ctx, k)
		if err != nil {
			return s.mapDNS(ctx, z, err)
		}
		if got != nil {
			return conflict("BIND did not apply the change at %s: %s data is still there", k.name, k.typeName())
		}
	}
	return nil
}

// sameRecords compares data, not TTL.
func sameRecords(a, b *rrset) bool {
	if a == nil || b == nil {
		return a == b
	}
	return sameData(a, &rrset{rrkey: b.rrkey, ttl: a.ttl, rrs: b.rrs})
}

func (s *Service) readSet(ctx context.Context, k rrkey) (*rrset, error) {
	rrs, err := s.dns.Query(ctx, k.name, k.t)
	if err != nil {
		return nil, err
	}
	return groupRRs(rrs)[k], nil
}

// readNames reads every RRset at names, a few queries at a time.
func (s *Service) readNames(ctx context.Context, z string, names []string) (map[string]nameState, error) {
	slices.Sort(names)
	names = slices.Compact(names)
	states := make([]nameState, len(names))
	fails := make([]error, len(names))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, n := range names {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			rrs, err := s.dns.Query(ctx, n, dns.TypeANY)
			st := nameState{}
			for k, set := range groupRRs(rrs) {
				if k.name == n {
					st[k.t] = set
				}
			}
			states[i], fails[i] = st, err
		})
	}
	wg.Wait()
	live := make(map[string]nameState, len(names))
	for i, n := range names {
		if fails[i] != nil {
			return nil, s.mapDNS(ctx, z, fails[i])
		}
		live[n] = states[i]
	}
	return live, nil
}

func isTooLarge(err error) bool {
	_, ok := errors.AsType[*tooLargeError](err)
	return ok
}

// tooLargeChange is the 413 for a change that does not fit one UPDATE message. A PATCH is
// applied atomically (RFC 2136 §3), so it cannot be split behind the caller's back; the real
// limit is that message, not a record count.
func tooLargeChange(err error) error {
	e, ok := errors.AsType[*tooLargeError](err)
	if !ok {
		return err
	}
	return errs.Wrap(errs.TooLarge, err, "Invalid request: the change does not fit one atomic DNS update: %d records in %d bytes, "+
		"at most %d bytes fit one UPDATE message; split it into several requests", e.records, e.bytes, maxUpdateSize)
}

// mapDNS maps a DNS client failure to the caller's answer (docs/contract.md §12.4 and issue 3).
func (s *Service) mapDNS(ctx context.Context, z string, err error) error {
	if e, ok := errors.AsType[*errs.Error](err); ok {
		return e
	}
	switch {
	case isTooLarge(err):
		return tooLargeChange(err)
	case errors.Is(err, dnsclient.ErrPrereq):
		return conflictCause(err, "Zone %s changed while the update was applied; read it again and retry", z)
	case errors.Is(err, dnsclient.ErrRefused), errors.Is(err, dnsclient.ErrNotAuth), errors.Is(err, dnsclient.ErrNotZone):
		// The facts may be behind BIND (a zone lost by named, or changed by hand): ask BIND
		// itself for the precise answer.
		if werr := s.checkWritable(ctx, z, true); werr != nil {
			if k := errs.KindOf(werr); k != errs.Internal && k != errs.Unavailable {
				return werr
			}
		}
		return conflictCause(err, "Update refused by BIND: zone %s does not accept updates with this key (or it is frozen, or the key may not change this name)", z)
	case errors.Is(err, errSerial), dnsclient.Transient(err), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return unavailable(fmt.Errorf("zone %s: %w", z, err))
	}
	return fmt.Errorf("%w: zone %s: %w", errInternal, z, err)
}
