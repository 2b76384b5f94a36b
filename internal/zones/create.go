package zones

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/bindgate/bindgate/internal/dnsclient"
	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/registry"
	"github.com/bindgate/bindgate/internal/rndc"
	"github.com/bindgate/bindgate/internal/zoneconf"
	"github.com/bindgate/bindgate/internal/zonefile"
	"github.com/bindgate/bindgate/internal/zonename"
)

// SOA defaults of docs/contract.md §5.
const (
	defaultRefresh     = 3600
	defaultRetry       = 600
	defaultExpire      = 604800
	defaultNegativeTTL = 86400
	maxTTL             = 2147483647 // RFC 2181 §8
)

// plan is a validated create request: everything rendered, nothing touched yet.
type plan struct {
	zone     string
	typ      string
	block    string // "{ type ...; };"
	zoneFile []byte // primaries only
}

// Create adds a zone (docs/contract.md §5, normative order). Validation renders and checks everything
// before any lock is taken; an existing zone is answered 409 without touching its file, journal
// or BIND state ([fix] docs/contract.md §18.1); a failed addzone leaves no file behind (§18.2).
func (s *Service) Create(ctx context.Context, req CreateRequest) (Result, error) {
	p, err := s.planCreate(req)
	if err != nil {
		return Result{}, err
	}
	unlock, err := s.lockZone(ctx, p.zone)
	if err != nil {
		return Result{}, err
	}
	defer unlock()
	defer s.facts.forget(p.zone)

	fast, err := s.fastCreate(ctx, p)
	if err != nil {
		return Result{}, err
	}
	if !fast {
		if err := s.slowCreate(ctx, p); err != nil {
			return Result{}, err
		}
	}
	// The fast path's zone file is made durable while addzone runs (named reads it from the
	// page cache), and before the 201.
	synced := make(chan error, 1)
	if fast && p.typ == "primary" {
		go func() { synced <- s.files.Sync(p.zone) }()
	} else {
		synced <- nil
	}

	resp, err := s.change(ctx, "addzone", p.zone, p.block, nil)
	serr := <-synced
	if err != nil {
		s.undoCreate(p.zone, p.typ == "primary")
		return Result{}, s.addzoneErr(ctx, p.zone, err, glueHint(p.zone, req.ZoneConfig))
	}
	if serr != nil {
		s.undoAdd(ctx, p.zone)
		return Result{}, s.bookkeepingErr("create", p.zone, fmt.Errorf("zone file: %w", serr))
	}
	// A 201 means the zone is recorded everywhere, its copy included (issue 9): without its
	// initial copy, the first change after the create would become part of the copy's base
	// snapshot and be missing from the history. Secondaries are copied by the sweep once they
	// have transferred. A copy that cannot be taken undoes the create, except when named
	// rejects bindgate's TSIG key: the same key signs every record change, so none can reach
	// the zone through bindgate before the key is fixed, and the sweep then takes the copy.
	// That failure is logged and counted, and the create stands.
	if p.typ == "primary" {
		if err := s.takeCopy(ctx, p.zone, true); err != nil {
			err = s.bookkeepingErr("create", p.zone, fmt.Errorf("zone copy: %w", err))
			if !errors.Is(err, dnsclient.ErrTSIG) {
				s.undoAdd(ctx, p.zone)
				return Result{}, err
			}
		}
	}
	s.forgetProbe(p.zone)
	return Result{Message: fmt.Sprintf("Zone %s created successfully", p.zone), Details: resp.Text}, nil
}

// fastCreate prepares a create without asking BIND first (issue 13: the zonestatus round trip
// was 0.35 ms of a 7 ms create): when the name has nothing of an earlier zone (no registry
// entry, tombstone or copy, and for a primary no zone file or journal), the registry entry is
// written durably, then a primary's zone file exclusively (O_EXCL), its fsyncs left to Create
// to run beside addzone. addzone's own "already exists" then gives the 409 a zonestatus would
// have, and a failed addzone removes the file, which this request created.
// It reports false, having written nothing, when the name has any leftover: the slow path
// asks BIND before it touches them.
func (s *Service) fastCreate(ctx context.Context, p plan) (bool, error) {
	if _, ok := s.reg.Get(p.zone); ok {
		return false, nil
	}
	if _, ok := s.reg.Tombstoned(p.zone); ok {
		return false, nil
	}
	if _, ok := s.copyOf(p.zone); ok {
		return false, nil
	}
	if p.typ == "primary" {
		if there, err := s.files.Exists(p.zone); err != nil || there {
			return false, nil // the slow path reports a failure to look
		}
		if stale, err := s.files.HasJournals(p.zone); err != nil || stale {
			return false, nil
		}
	}
	if err := s.reg.Put(ctx, s.newEntry(p)); err != nil {
		s.undoCreate(p.zone, false)
		return false, fmt.Errorf("create %s: %w", p.zone, err)
	}
	if p.typ != "primary" {
		return true, nil // a secondary has no file until it transfers, named's own
	}
	if err := s.files.Create(ctx, p.zone, p.zoneFile); err != nil {
		// The file appeared since Exists (not bindgate's: it holds the zone's lock), or the
		// write failed: Create removed only what it made.
		s.undoCreate(p.zone, false)
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		return false, fmt.Errorf("create %s: %w", p.zone, err)
	}
	return true, nil
}

// slowCreate is steps 3 and 4 of docs/contract.md §5 for a name with something of an earlier
// zone left: zonestatus first, so that an existing zone is answered 409 with
// nothing touched, then the entry, the tombstone's and a stale copy's removal, and for a
// primary the stale journals' removal and a durable zone file.
func (s *Service) slowCreate(ctx context.Context, p plan) error {
	// Step 3: ask BIND first. Success or "zone not loaded" both mean BIND knows the zone.
	if _, err := s.zoneStatus(ctx, p.zone); err == nil {
		return Exists(p.zone)
	} else if errors.Is(err, ErrNotLoaded) {
		return Exists(p.zone)
	} else if !errs.Is(err, errs.NotFound) {
		return err
	}
	// Registered but unknown to BIND: named lost it (its NZD, say) and reconcile has not
	// restored it yet. Its data is bindgate's to restore, never to overwrite with a fresh file
	// (issue 9 item 3: a replayed create after NZD loss lost acknowledged records that way).
	// Restored, it exists: 409, which bindy takes as success.
	if e, ok := s.reg.Get(p.zone); ok {
		if _, err := s.restoreZone(ctx, e); err != nil {
			return err
		}
		return Exists(p.zone)
	}

	// The registry entry is durable before addzone: a crash after addzone but before an entry
	// existed would leave a zone that reconcile could not restore. A crash after the entry but
	// before addzone leaves one that reconcile re-adds, which a retried create then sees as
	// 409, the idempotent success bindy expects. The entry is written before the zone file, so
	// a crash never leaves a file bindgate wrote without an entry that accounts for it (an
	// orphan a DELETE's 404 would leave behind). Then the zone's tombstone of an earlier delete
	// goes, and a copy an earlier zone of the name left (its delete's clean-up failed).
	err := s.reg.Put(ctx, s.newEntry(p))
	if err == nil {
		err = s.reg.ClearTombstone(ctx, p.zone)
	}
	if _, stale := s.copyOf(p.zone); err == nil && stale {
		err = s.copies.Delete(ctx, p.zone)
	}
	if err == nil && p.typ == "primary" {
		// Step 4: BIND just said it does not serve this zone, so journals of an earlier zone of
		// the same name are stale and would be replayed onto the new file.
		err = s.files.RemoveJournals(ctx, p.zone)
		if err == nil {
			err = s.files.Write(ctx, p.zone, p.zoneFile)
		}
	}
	if err != nil {
		s.undoCreate(p.zone, p.typ == "primary")
		return fmt.Errorf("create %s: %w", p.zone, err)
	}
	return nil
}

// newEntry is p's registry entry, created and modified now.
func (s *Service) newEntry(p plan) registry.Entry {
	now := s.now().UTC()
	return registry.Entry{Zone: p.zone, Type: p.typ, Block: p.block, ZoneFile: p.zoneFile, Created: now, Modified: now}
}

// undoCreate removes what a failed create wrote. It runs on a fresh context: the request's
// may be the reason for the failure, and the clean-up must still happen.
func (s *Service) undoCreate(zone string, file bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if file {
		if err := s.files.Remove(ctx, zone); err != nil {
			s.log.Error("failed create: could not remove the zone file", "zone", zone, "err", err)
		}
	}
	if err := s.reg.Delete(ctx, zone); err != nil {
		s.log.Error("failed create: could not remove the registry entry", "zone", zone, "err", err)
	}
}

// undoAdd removes a zone whose addzone succeeded but whose create could not be completed: delzone,
// then its copy, file and registry entry. If delzone fails the zone stays, registered and
// served (a retried create answers 409), and that is logged.
func (s *Service) undoAdd(ctx context.Context, z string) {
	if _, err := s.change(ctx, "delzone", z, "", nil); err != nil {
		s.log.Error("failed create: the zone could not be removed from BIND again; it stays registered", "zone", z, "err", err)
		return
	}
	if _, ok := s.copyOf(z); ok {
		dctx, cancel := detached(ctx, bookkeepingTimeout)
		if err := s.copies.Delete(dctx, z); err != nil {
			s.log.Error("failed create: could not remove the zone copy", "zone", z, "err", err)
		}
		cancel()
	}
	s.undoCreate(z, true)
}

// addzoneErr maps addzone failures per docs/contract.md §5 step 5 and §18.21: "not found" from addzone
// means a referenced dnssec-policy or key is missing, never a missing zone.
func (s *Service) addzoneErr(ctx context.Context, zone string, err error, hint string) error {
	if full := s.bindStorageFull(ctx, err); full != nil {
		return full
	}
	switch {
	case errors.Is(err, rndc.ErrExists):
		return Exists(zone)
	case errors.Is(err, rndc.ErrPermission):
		s.log.Error("addzone refused: named needs `allow-new-zones yes;` in its options", "zone", zone, "err", err)
		return fmt.Errorf("addzone %s: %w", zone, err)
	case errors.Is(err, rndc.ErrBadZone):
		// named refused the zone's data; its reason is only in named's log.
		return Invalid("BIND refused to load the zone data (bad zone)%s", hint)
	case errors.Is(err, rndc.ErrNotFound), errors.Is(err, rndc.ErrFailure):
		if reason := configReason(err); reason != "" {
			return Invalid("BIND rejected the zone configuration: %s", reason)
		}
	}
	return bindErr("addzone", zone, err)
}

// bindStorageFull answers a change named refused with a bare "failure" when the zone directory
// is full: named writes its NZD (the database of added zones) in its working directory, the
// zone directory in bindgate's layout, and a modzone or addzone whose NZD commit fails with
// ENOSPC is answered "failure" (named logs "Error committing NZD database: No space left on
// device"). The request is not to blame: the readiness probe of the zone directory (a written,
// fsynced byte) tells, and a full disk is 507. nil when err is another failure or the
// directory takes writes.
func (s *Service) bindStorageFull(ctx context.Context, err error) error {
	if !errors.Is(err, rndc.ErrFailure) {
		return nil
	}
	pctx, cancel := detached(ctx, 5*time.Second)
	defer cancel()
	perr := s.files.CheckWritable(pctx)
	if perr == nil || !storageFull(perr) {
		return nil
	}
	s.log.Error("BIND refused a change and the zone directory is full (named's NZD lives there)", "err", err, "probe", perr)
	return errs.Wrap(errs.InsufficientStorage, errors.Join(err, perr), "Insufficient storage")
}

// glueHint names the usual cause of a "bad zone" answer for a new primary: with 9.18's default
// check-integrity, a name server inside the zone needs an address record. Not checked up
// front, because an operator may have turned check-integrity off.
func glueHint(zone string, zc *ZoneConfig) string {
	if zc == nil {
		return ""
	}
	for _, ns := range zc.NameServers {
		if !zonename.InZone(ns, zone) {
			continue
		}
		found := false
		for h := range zc.NameServerIPs {
			if strings.EqualFold(strings.TrimSuffix(h, "."), strings.TrimSuffix(ns, ".")) {
				found = true
			}
		}
		if !found {
			return fmt.Sprintf(": name server %s is inside the zone and has no address in nameServerIps", ns)
		}
	}
	return ""
}

// configReason extracts BIND's one-line reason for a rejected configuration, with file paths
// removed (docs/contract.md §5 step 5), or "" when the failure is not a configuration rejection.
func configReason(err error) string {
	ce, ok := errors.AsType[*rndc.CommandError](err)
	if !ok {
		return ""
	}
	text := strings.TrimSpace(ce.Text)
	if text == "" {
		return ce.Err
	}
	line, _, _ := strings.Cut(text, "\n")
	var words []string
	for w := range strings.FieldsSeq(line) {
		if strings.Contains(w, "/") { // a path: never shown (docs/contract.md §3.3)
			w = "<path>"
		}
		words = append(words, w)
	}
	return strings.Join(words, " ")
}

func (s *Service) planCreate(req CreateRequest) (plan, error) {
	if req.ZoneName == nil {
		return plan{}, Unprocessable("missing field `zoneName`")
	}
	if req.ZoneType == nil {
		return plan{}, Unprocessable("missing field `zoneType`")
	}
	if req.ZoneConfig == nil {
		return plan{}, Unprocessable("missing field `zoneConfig`")
	}
	z, err := normalize(*req.ZoneName)
	if err != nil {
		return plan{}, err
	}
	typ := *req.ZoneType
	if typ != "primary" && typ != "secondary" {
		return plan{}, Invalid("Invalid zone type: %s. Must be 'primary' or 'secondary'", typ)
	}
	zc := req.ZoneConfig
	spec := zoneconf.Spec{Type: typ, SelfNotify: s.selfNotify}

	var err2 error
	if zc.AlsoNotify != nil {
		if spec.AlsoNotify, err2 = zoneconf.ParseEndpoints("also-notify", zc.AlsoNotify); err2 != nil {
			return plan{}, invalidInput(err2)
		}
	}
	if zc.AllowTransfer != nil {
		spec.AllowTransferSet = true // [fix] docs/contract.md §6: [] means none, not "inherit"
		spec.TransferKey = s.transferKey
		if spec.AllowTransfer, err2 = zoneconf.ParseACL("allow-transfer", zc.AllowTransfer); err2 != nil {
			return plan{}, invalidInput(err2)
		}
	}
	if zc.DNSSECPolicy != nil {
		if !zoneconf.IsIdentifier(*zc.DNSSECPolicy) {
			return plan{}, Invalid("dnssecPolicy must match [A-Za-z0-9._-]{1,253}")
		}
		spec.DNSSECPolicy = *zc.DNSSECPolicy
	}
	spec.InlineSigning = zc.InlineSigning

	p := plan{zone: z, typ: typ}
	switch typ {
	case "secondary":
		// [fix] docs/contract.md §7.1: secondaries never get allow-update; SOA and NS are ignored.
		if len(zc.Primaries) == 0 {
			return plan{}, Invalid("Secondary zones require at least one primary server in 'primaries' field")
		}
		if spec.Primaries, err2 = zoneconf.ParseEndpoints("primaries", zc.Primaries); err2 != nil {
			return plan{}, invalidInput(err2)
		}
	case "primary":
		if req.UpdateKeyName != nil {
			if !zoneconf.IsIdentifier(*req.UpdateKeyName) {
				return plan{}, Invalid("updateKeyName must match [A-Za-z0-9._-]{1,253}")
			}
			spec.UpdateKey = *req.UpdateKeyName
		}
		spec.File = s.files.Path(z)
		data, err := s.renderZoneFile(z, zc)
		if err != nil {
			return plan{}, err
		}
		p.zoneFile = data
	}
	block, err := zoneconf.Render(spec)
	if err != nil {
		return plan{}, invalidInput(err)
	}
	p.block = block
	return p, nil
}

func (s *Service) renderZoneFile(z string, zc *ZoneConfig) ([]byte, error) {
	switch {
	case zc.TTL == nil:
		return nil, Unprocessable("missing field `zoneConfig.ttl`")
	case zc.SOA == nil:
		return nil, Unprocessable("missing field `zoneConfig.soa`")
	case zc.SOA.PrimaryNS == nil:
		return nil, Unprocessable("missing field `zoneConfig.soa.primaryNs`")
	case zc.SOA.AdminEmail == nil:
		return nil, Unprocessable("missing field `zoneConfig.soa.adminEmail`")
	case zc.NameServers == nil:
		return nil, Unprocessable("missing field `zoneConfig.nameServers`")
	case zc.NameServerIPs == nil:
		return nil, Unprocessable("missing field `zoneConfig.nameServerIps`")
	case *zc.TTL > maxTTL:
		return nil, Invalid("ttl %d exceeds %d (RFC 2181)", *zc.TTL, maxTTL)
	}
	soa := zonefile.SOA{
		PrimaryNS:   *zc.SOA.PrimaryNS,
		AdminEmail:  *zc.SOA.AdminEmail,
		Serial:      orDefault(zc.SOA.Serial, s.defaultSerial()),
		Refresh:     orDefault(zc.SOA.Refresh, defaultRefresh),
		Retry:       orDefault(zc.SOA.Retry, defaultRetry),
		Expire:      orDefault(zc.SOA.Expire, defaultExpire),
		NegativeTTL: orDefault(zc.SOA.NegativeTTL, defaultNegativeTTL),
	}
	spec := zonefile.Spec{Zone: z, TTL: *zc.TTL, SOA: soa, NameServers: zc.NameServers, NameServerIPs: zc.NameServerIPs}
	for i, r := range zc.Records {
		if r.Name == nil || r.Type == nil || r.Value == nil {
			return nil, Unprocessable("records[%d]: name, type and value are required", i)
		}
		spec.Records = append(spec.Records, zonefile.Record{Name: *r.Name, Type: *r.Type, Value: *r.Value, TTL: r.TTL, Priority: r.Priority})
	}
	out, err := zonefile.Render(spec)
	if err != nil {
		return nil, invalidInput(err)
	}
	if len(out.SkippedGlue) > 0 {
		s.log.Info("glue outside the zone left out (BIND would ignore it)", "zone", z, "hosts", out.SkippedGlue)
	}
	return out.Data, nil
}

// defaultSerial is today in UTC as YYYYMMDD01 (docs/contract.md §5).
func (s *Service) defaultSerial() uint32 {
	t := s.now().UTC()
	return uint32(t.Year()*1000000+int(t.Month())*10000+t.Day()*100) + 1
}

func orDefault(v *uint32, d uint32) uint32 {
	if v == nil {
		return d
	}
	return *v
}
