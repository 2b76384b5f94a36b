package records

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/dnsclient"
	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/zonecopy"
)

// Add is POST /zones/{name}/records: RFC 2136 add of one RR (docs/contract.md §12.4). An identical RR
// is a DNS no-op and still a success.
func (s *Service) Add(ctx context.Context, zone string, req AddRequest) (RecordResult, error) {
	z, err := normalize(zone)
	if err != nil {
		return RecordResult{}, err
	}
	if err := required(map[string]bool{"name": req.Name != nil, "type": req.Type != nil, "value": req.Value != nil}); err != nil {
		return RecordResult{}, err
	}
	if err := s.writable(ctx, z); err != nil {
		return RecordResult{}, err
	}
	rr, err := parse(z, *req.Name, *req.Type, *req.Value, req.TTL, req.Priority)
	if err != nil {
		return RecordResult{}, err
	}
	k := keyOf(rr)
	c := change{rrkey: k, kind: kindAdd, set: newRRset(k, rr.Header().Ttl, []dns.RR{rr})}
	if _, _, err := s.apply(ctx, z, []change{c}, applyOpts{}); err != nil {
		return RecordResult{}, err
	}
	return RecordResult{
		Message: "Record added to zone " + z, Zone: z,
		Record: AddedRecord{Name: *req.Name, Type: strings.ToUpper(*req.Type), Value: *req.Value, TTL: rr.Header().Ttl, Priority: priority(rr)},
	}, nil
}

// Remove is DELETE /zones/{name}/records: one RR, or the whole RRset without value.
func (s *Service) Remove(ctx context.Context, zone string, req RemoveRequest) (RecordResult, error) {
	z, err := normalize(zone)
	if err != nil {
		return RecordResult{}, err
	}
	if err := required(map[string]bool{"name": req.Name != nil, "type": req.Type != nil}); err != nil {
		return RecordResult{}, err
	}
	if err := s.writable(ctx, z); err != nil {
		return RecordResult{}, err
	}
	var c change
	if req.Value == nil {
		name, err := owner(z, *req.Name)
		if err != nil {
			return RecordResult{}, err
		}
		t, err := rrType(*req.Type)
		if err != nil {
			return RecordResult{}, err
		}
		c = change{rrkey: rrkey{name, t}, kind: kindDelete}
	} else {
		rr, err := parse(z, *req.Name, *req.Type, *req.Value, nil, nil)
		if err != nil {
			return RecordResult{}, err
		}
		k := keyOf(rr)
		c = change{rrkey: k, kind: kindRemove, set: newRRset(k, 0, []dns.RR{rr})}
	}
	var removed int
	if _, _, err := s.apply(ctx, z, []change{c}, applyOpts{removed: &removed}); err != nil {
		return RecordResult{}, err
	}
	return RecordResult{
		Message: "Record removed from zone " + z, Zone: z,
		Record: RemovedRecord{Name: *req.Name, Type: strings.ToUpper(*req.Type), Value: req.Value, Removed: removed},
	}, nil
}

// Update is PUT /zones/{name}/records: one message that requires the RRset to be exactly what
// was read just before, deletes currentValue and adds newValue (docs/contract.md §12.4). A
// currentValue that is not there is 404 [fix]; a concurrent change is 409.
func (s *Service) Update(ctx context.Context, zone string, req UpdateRequest) (RecordResult, error) {
	z, err := normalize(zone)
	if err != nil {
		return RecordResult{}, err
	}
	if err := required(map[string]bool{"name": req.Name != nil, "type": req.Type != nil,
		"currentValue": req.CurrentValue != nil, "newValue": req.NewValue != nil}); err != nil {
		return RecordResult{}, err
	}
	if err := s.writable(ctx, z); err != nil {
		return RecordResult{}, err
	}
	old, err := parse(z, *req.Name, *req.Type, *req.CurrentValue, nil, req.Priority)
	if err != nil {
		return RecordResult{}, err
	}
	nw, err := parse(z, *req.Name, *req.Type, *req.NewValue, req.TTL, req.Priority)
	if err != nil {
		return RecordResult{}, err
	}
	k := keyOf(old)
	changes := []change{
		{rrkey: k, kind: kindRemove, set: newRRset(k, 0, []dns.RR{old}), pin: true},
		{rrkey: k, kind: kindAdd, set: newRRset(k, nw.Header().Ttl, []dns.RR{nw})},
	}
	check := func(p *planner) error {
		if cur := p.live[k.name][k.t]; cur == nil || !containsRR(cur.rrs, old) {
			return recordNotFound("%s %s %q in zone %s", k.name, k.typeName(), *req.CurrentValue, z)
		}
		return nil
	}
	conflictFn := func(cause error) error {
		return conflictCause(cause, "Record %s %s changed while it was being updated; read it again and retry", k.name, k.typeName())
	}
	if _, _, err := s.apply(ctx, z, changes, applyOpts{check: check, conflictFn: conflictFn}); err != nil {
		return RecordResult{}, err
	}
	return RecordResult{
		Message: "Record updated in zone " + z, Zone: z,
		Record: UpdatedRecord{Name: *req.Name, Type: strings.ToUpper(*req.Type), CurrentValue: *req.CurrentValue,
			NewValue: *req.NewValue, TTL: nw.Header().Ttl, Priority: priority(nw)},
	}, nil
}

// priority is the echo of an MX's preference or an SRV's priority; nil for other types.
func priority(rr dns.RR) *uint16 {
	switch rr := rr.(type) {
	case *dns.MX:
		return &rr.Preference
	case *dns.SRV:
		return &rr.Priority
	}
	return nil
}

// Patch is PATCH /zones/{name}/rrsets: REPLACE and DELETE RRset changes applied as one update
// message, all or nothing. ifMatch, when set, is the SOA serial the caller last saw: the
// update carries it as a prerequisite and a zone that moved answers 412.
func (s *Service) Patch(ctx context.Context, zone string, req PatchRequest, ifMatch *uint32) (PatchResult, error) {
	z, err := normalize(zone)
	if err != nil {
		return PatchResult{}, err
	}
	if len(req.RRsets) == 0 {
		return PatchResult{}, unprocessable("rrsets: at least one change is required")
	}
	if err := s.writable(ctx, z); err != nil {
		return PatchResult{}, err
	}
	changes, err := parseChanges(z, req.RRsets, true, MaxRecordsPerChange)
	if err != nil {
		return PatchResult{}, err
	}
	serial, applied, err := s.apply(ctx, z, changes, applyOpts{ifMatch: ifMatch, wantSerial: true})
	if err != nil {
		return PatchResult{}, err
	}
	if applied == nil {
		applied = []Applied{}
	}
	return PatchResult{Zone: z, Serial: serial, Changes: applied}, nil
}

// parseChanges validates RRset entries into changes. With patch, every entry needs a
// changetype; without (sync), entries are the desired data and must not carry one other than
// REPLACE. Names and types must be unique; the records in all entries are at most max.
func parseChanges(z string, in []RRsetChange, patch bool, limit int) ([]change, error) {
	seen := map[rrkey]int{}
	var out []change
	total := 0
	for i, e := range in {
		where := fmt.Sprintf("rrsets[%d]", i)
		if e.Name == nil || e.Type == nil {
			return nil, unprocessable("%s: name and type are required", where)
		}
		kind := kindReplace
		switch {
		case patch && e.ChangeType == nil:
			return nil, unprocessable("%s: changetype is required (REPLACE or DELETE)", where)
		case e.ChangeType != nil && strings.EqualFold(*e.ChangeType, ChangeReplace):
		case e.ChangeType != nil && patch && strings.EqualFold(*e.ChangeType, ChangeDelete):
			kind = kindDelete
		case e.ChangeType != nil:
			return nil, invalidRequest("%s: changetype %q is not REPLACE%s", where, *e.ChangeType, map[bool]string{true: " or DELETE"}[patch])
		}
		name, err := owner(z, *e.Name)
		if err != nil {
			return nil, err
		}
		t, err := rrType(*e.Type)
		if err != nil {
			return nil, err
		}
		k := rrkey{name, t}
		if j, dup := seen[k]; dup {
			return nil, invalidRequest("%s: %s %s is already in rrsets[%d]", where, name, k.typeName(), j)
		}
		seen[k] = i
		c := change{rrkey: k, kind: kind}
		switch {
		case kind == kindDelete && len(e.Records) > 0:
			return nil, invalidRequest("%s: DELETE takes no records", where)
		case kind == kindReplace && len(e.Records) == 0:
			return nil, invalidRequest("%s: REPLACE needs at least one record (use DELETE to remove %s %s)", where, name, k.typeName())
		}
		total += len(e.Records)
		if total > limit {
			return nil, tooLarge("more than %d records in one request", limit)
		}
		if kind == kindReplace {
			ttl := DefaultTTL
			if e.TTL != nil {
				ttl = *e.TTL
			}
			rrs := make([]dns.RR, 0, len(e.Records))
			for _, v := range e.Records {
				rr, err := parse(z, name, *e.Type, v, &ttl, nil)
				if err != nil {
					return nil, err
				}
				rrs = append(rrs, rr)
			}
			c.set = newRRset(k, ttl, rrs)
		}
		out = append(out, c)
	}
	return out, nil
}

// RRsets is GET /zones/{name}/rrsets: the zone's data by AXFR as RRsets in canonical order,
// optionally only those of one owner name and/or one type.
func (s *Service) RRsets(ctx context.Context, zone, name, typ string) (ZoneData, error) {
	z, err := normalize(zone)
	if err != nil {
		return ZoneData{}, err
	}
	var (
		wantName string
		wantType uint16
	)
	if name != "" {
		if wantName, err = owner(z, name); err != nil {
			return ZoneData{}, err
		}
	}
	if typ != "" {
		t, ok := dns.StringToType[strings.ToUpper(typ)]
		if !ok {
			return ZoneData{}, invalidRequest("type %q is not a DNS record type", typ)
		}
		wantType = t
	}
	p, err := s.read(ctx, z)
	if err != nil {
		return ZoneData{}, err
	}
	return p.data(wantName, wantType), nil
}

// transfer reads zone z by AXFR and groups it; the serial is the SOA's.
func (s *Service) transfer(ctx context.Context, z string) (map[rrkey]*rrset, uint32, error) {
	if err := s.known(ctx, z); err != nil {
		return nil, 0, err
	}
	rrs, err := s.dns.Transfer(ctx, z)
	if err != nil {
		return nil, 0, s.mapTransfer(ctx, z, err)
	}
	if len(rrs) == 0 {
		return nil, 0, fmt.Errorf("%w: AXFR of %s returned nothing", errInternal, z)
	}
	soa, ok := rrs[0].(*dns.SOA)
	if !ok {
		return nil, 0, fmt.Errorf("%w: AXFR of %s does not start with its SOA", errInternal, z)
	}
	return groupRRs(rrs), soa.Serial, nil
}

// read returns zone z's answers for the read routes (issue 9 item 6): from the live copy
// when named serves the copy's serial (one SOA query, on every read), through the read cache
// (built once per generation of the copy), else by AXFR, which then feeds the copy. Both give
// the same answers, built by the same code from the same form (zonecopy.Canonical: the SOA
// first, owners in lower case, canonical order), so an answer does not depend on where it came
// from; the serial, and so the ETag, is the SOA's either way.
func (s *Service) read(ctx context.Context, z string) (*prepared, error) {
	if err := s.known(ctx, z); err != nil {
		return nil, err
	}
	if s.copy != nil {
		if v, ok := s.copy.Fresh(ctx, z); ok {
			return s.cache.get(z, v), nil
		}
	}
	rrs, err := s.dns.Transfer(ctx, z)
	if err != nil {
		return nil, s.mapTransfer(ctx, z, err)
	}
	if len(rrs) == 0 {
		return nil, fmt.Errorf("%w: AXFR of %s returned nothing", errInternal, z)
	}
	if s.copy != nil {
		s.copy.Offer(ctx, z, rrs)
	}
	out, err := zonecopy.Canonical(z, rrs)
	if err != nil {
		return nil, fmt.Errorf("%w: AXFR of %s: %w", errInternal, z, err)
	}
	return fromTransfer(z, out), nil
}

// mapTransfer maps an AXFR failure: BIND refusing the transfer is the zone's configuration,
// which the caller can fix (409 with the reason).
func (s *Service) mapTransfer(ctx context.Context, z string, err error) error {
	if errors.Is(err, dnsclient.ErrRefused) || errors.Is(err, dnsclient.ErrNotAuth) {
		// Facts may come from a registry entry that outlived the zone in BIND: ask BIND.
		if _, ferr := s.zoneFacts(ctx, z, true); errs.Is(ferr, errs.NotFound) {
			return ferr
		}
		return conflictCause(err, "Zone %s refuses zone transfers (AXFR) to bindgate: allow bindgate's TSIG key in the zone's allow-transfer", z)
	}
	if errors.Is(err, dnsclient.ErrServFail) {
		return notLoaded(z)
	}
	return s.mapDNS(ctx, z, err)
}

// Sync is PUT /zones/{name}/rrsets: make the zone hold exactly req's data within the scope
// documented in README ("complete" = every RRset of the supported types at or below the apex,
// except the apex SOA, which BIND maintains, and the apex NS RRset, which is replaced only
// when req contains it; DNSSEC records BIND maintains and types outside rrdata.AllTypes are
// never touched). The minimal RRset-level diff is applied as one update message that requires
// the SOA read with the data to be unchanged, so a zone that moved meanwhile gives 409 (412
// with If-Match) and nothing is applied. dryRun returns the diff without applying it.
func (s *Service) Sync(ctx context.Context, zone string, req SyncRequest, dryRun bool, ifMatch *uint32) (SyncResult, error) {
	z, err := normalize(zone)
	if err != nil {
		return SyncResult{}, err
	}
	if req.RRsets == nil {
		return SyncResult{}, unprocessable("rrsets is required (the complete desired data; [] empties the zone's managed data)")
	}
	if err := s.writable(ctx, z); err != nil {
		return SyncResult{}, err
	}
	apex := z + "."
	entries := make([]RRsetChange, 0, len(req.RRsets))
	for _, e := range req.RRsets { // GET's output is valid input: the apex SOA is BIND's and skipped
		if e.Type != nil && strings.EqualFold(*e.Type, "SOA") && e.Name != nil {
			if n, err := owner(z, *e.Name); err == nil && n == apex {
				continue
			}
		}
		entries = append(entries, e)
	}
	desired, err := parseChanges(z, entries, false, MaxSyncRecords)
	if err != nil {
		return SyncResult{}, err
	}
	if err := consistent(apex, desired); err != nil {
		return SyncResult{}, err
	}
	sets, serial, err := s.transfer(ctx, z)
	if err != nil {
		return SyncResult{}, err
	}
	want := make(map[rrkey]*change, len(desired))
	apexNSGiven := false
	for i := range desired {
		want[desired[i].rrkey] = &desired[i]
		apexNSGiven = apexNSGiven || desired[i].rrkey == rrkey{apex, dns.TypeNS}
	}
	var changes []change
	for _, cur := range sortedRRsets(sets) {
		switch {
		case cur.t == dns.TypeSOA || !isAllowedType(cur.typeName()):
		case cur.name == apex && cur.t == dns.TypeNS && !apexNSGiven:
		case want[cur.rrkey] == nil:
			changes = append(changes, change{rrkey: cur.rrkey, kind: kindDelete})
		}
	}
	for _, d := range desired {
		if !sameData(sets[d.rrkey], d.set) {
			changes = append(changes, d)
		}
	}
	live := map[string]nameState{}
	for _, c := range changes {
		live[c.name] = nameState{}
	}
	for _, t := range (&planner{apex: apex}).mxTargets(changes) {
		live[t] = nameState{} // the transfer holds every name: absent means no address (guardMX)
	}
	for k, set := range sets {
		if st, ok := live[k.name]; ok {
			st[k.t] = set
		}
	}
	soa := sets[rrkey{apex, dns.TypeSOA}]
	res := SyncResult{Zone: z, Serial: serial, Changes: []Applied{}}
	p := &planner{apex: apex, live: live}
	m, applied, err := p.plan(changes)
	if err != nil {
		return SyncResult{}, err
	}
	if n := len(m.first) + len(m.dels) + len(m.adds); n > MaxRecordsPerChange {
		return SyncResult{}, tooLarge("the diff for zone %s has %d records, more than %d in one update; apply it in parts with PATCH", z, n, MaxRecordsPerChange)
	}
	if err := fits(z, &job{msg: m}); err != nil {
		return SyncResult{}, tooLargeChange(err)
	}
	if ifMatch != nil && serial != *ifMatch {
		return SyncResult{}, preconditionFailed("Zone %s is at serial %d, not %d (If-Match); read it again", z, serial, *ifMatch)
	}
	if applied != nil {
		res.Changes = applied
	}
	if dryRun || len(changes) == 0 {
		return res, nil
	}
	conflictFn := func(cause error) error {
		return conflictCause(cause, "Zone %s changed while it was being synced; nothing was applied, read it again and retry", z)
	}
	res.Serial, _, err = s.apply(ctx, z, changes, applyOpts{ifMatch: ifMatch, wantSerial: true, live: live, soa: soa, conflictFn: conflictFn})
	if err != nil {
		return SyncResult{}, err
	}
	res.Applied = true
	return res, nil
}

// consistent checks the desired data on its own: CNAME exclusivity at every name.
func consistent(apex string, desired []change) error {
	types := map[string][]string{}
	for _, c := range desired {
		if err := staticCheck(apex, c); err != nil {
			return err
		}
		types[c.name] = append(types[c.name], c.typeName())
	}
	for name, ts := range types {
		if len(ts) > 1 && containsString(ts, "CNAME") {
			return invalidRecord("a CNAME at %s cannot coexist with other data (%s)", name, strings.Join(ts, " "))
		}
	}
	return nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Export is GET /zones/{name}/export: the zone as a master file (RFC 1035 §5), everything the
// zone holds, DNSSEC records included: the SOA, then the rest in canonical order (read).
func (s *Service) Export(ctx context.Context, zone string) (string, error) {
	z, err := normalize(zone)
	if err != nil {
		return "", err
	}
	p, err := s.read(ctx, z)
	if err != nil {
		return "", err
	}
	return p.exportText(), nil
}

// keyOf is the RRset key of rr.
func keyOf(rr dns.RR) rrkey {
	return rrkey{strings.ToLower(dns.Fqdn(rr.Header().Name)), rr.Header().Rrtype}
}

// required reports the first missing required field as a 422 (docs/contract.md §3.1).
func required(fields map[string]bool) error {
	for _, f := range []string{"name", "type", "value", "currentValue", "newValue"} {
		if present, asked := fields[f]; asked && !present {
			return unprocessable("missing field `%s`", f)
		}
	}
	return nil
}

// Validate checks req as Patch would before it reads the zone: the shape of each change, its
// names, types and record data, and the changes no zone allows (the SOA, deleting the apex
// NS RRset). It touches nothing, so a caller can refuse a request before creating the zone it
// is meant for (the PowerDNS API's zone create with rrsets).
func Validate(zone string, req PatchRequest) error {
	z, err := normalize(zone)
	if err != nil {
		return err
	}
	changes, err := parseChanges(z, req.RRsets, true, MaxRecordsPerChange)
	if err != nil {
		return err
	}
	for _, c := range changes {
		if err := staticCheck(z+".", c); err != nil {
			return err
		}
	}
	return nil
}
