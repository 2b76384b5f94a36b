package records

import (
	"context"
	"errors"
	"fmt"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/zonecopy"
)

// RollbackRequest is the body of POST /zones/{name}/rollback.
type RollbackRequest struct {
	ToSerial *uint32 `json:"toSerial"`
	DryRun   *bool   `json:"dryRun"`
}

// RollbackResult is the answer of a rollback: the diff applied (or, with dryRun, that would
// be), from the zone at FromSerial to TargetSerial's data; ToSerial is the serial BIND gave
// the result (FromSerial when nothing was sent).
type RollbackResult struct {
	Zone         string        `json:"zone"`
	FromSerial   uint32        `json:"fromSerial"`
	ToSerial     uint32        `json:"toSerial"`
	TargetSerial uint32        `json:"targetSerial"`
	Removed      []ChangeRRset `json:"removed"`
	Added        []ChangeRRset `json:"added"`
	Applied      bool          `json:"applied"`
}

// Rollback is POST /zones/{name}/rollback: make the zone hold again its data at a retained
// serial. The inverse of every later change is the diff from the current copy to
// zonecopy's StateAt(toSerial), without the SOA and the DNSSEC records named maintains
// itself (RRSIG, NSEC, NSEC3, NSEC3PARAM, TYPE65534, and on a signed zone DNSKEY, CDS and
// CDNSKEY); it is applied as one UPDATE whose prerequisite is the copy's SOA, so a zone that
// moved after the copy was read answers 412 and nothing is applied. The copy must be at
// named's serial (one SOA query): a copy behind is brought up to date first (one IXFR), and
// only if it still lags is the answer 503 "Zone copy not current", to retry.
func (s *Service) Rollback(ctx context.Context, zone string, req RollbackRequest) (RollbackResult, error) {
	z, err := normalize(zone)
	if err != nil {
		return RollbackResult{}, err
	}
	if req.ToSerial == nil {
		return RollbackResult{}, unprocessable("missing field `toSerial`")
	}
	if s.history == nil {
		return RollbackResult{}, unavailable(errors.New("records: no zone copy configured"))
	}
	if err := s.writable(ctx, z); err != nil {
		return RollbackResult{}, err
	}
	facts, err := s.zoneFacts(ctx, z, false)
	if err != nil {
		return RollbackResult{}, err
	}
	cur, ok := s.history.Current(z)
	if !ok {
		return RollbackResult{}, errs.New(errs.NotFound, "History not found: bindgate holds no copy of zone %s yet", z)
	}
	live, err := s.dns.Serial(ctx, z)
	if err != nil {
		return RollbackResult{}, s.mapDNS(ctx, z, err)
	}
	if live != cur.Serial && s.copy != nil {
		// A change the copy has not fetched yet (its NOTIFY is on the way): fetch it now.
		if cur, live, err = s.catchUp(ctx, z); err != nil {
			return RollbackResult{}, err
		}
	}
	if live != cur.Serial {
		return RollbackResult{}, copyBehind(z, cur.Serial, live)
	}
	target, err := s.history.StateAt(z, *req.ToSerial)
	if err != nil {
		return RollbackResult{}, historyErr(z, err, "Serial not found: zone %s has no retained state at serial %d", z, *req.ToSerial)
	}
	res := RollbackResult{Zone: z, FromSerial: cur.Serial, ToSerial: cur.Serial, TargetSerial: *req.ToSerial,
		Removed: []ChangeRRset{}, Added: []ChangeRRset{}}
	signed := facts.Signed() || hasType(cur.RRs, dns.TypeRRSIG)
	changes, removed, added, liveState, soa := rollbackPlan(z+".", cur.RRs, target, signed)
	if len(changes) == 0 {
		return res, nil
	}
	p := &planner{apex: z + ".", live: liveState}
	m, _, err := p.plan(changes)
	if err != nil {
		return RollbackResult{}, err
	}
	if err := fits(z, &job{msg: m}); err != nil {
		return RollbackResult{}, tooLargeChange(err)
	}
	res.Removed, res.Added = changeRRsets(removed), changeRRsets(added)
	if req.DryRun != nil && *req.DryRun {
		return res, nil
	}
	moved := func(cause error) error {
		if now, err := s.dns.Serial(ctx, z); err == nil && now != cur.Serial {
			return errs.Wrap(errs.PreconditionFailed, cause, "Zone %s moved from serial %d to %d while the rollback was computed; nothing was applied, retry", z, cur.Serial, now)
		}
		return conflictCause(cause, "Zone %s changed while it was being rolled back; nothing was applied, retry", z)
	}
	serial, _, err := s.apply(ctx, z, changes, applyOpts{wantSerial: true, live: liveState, soa: soa, conflictFn: moved})
	if err != nil {
		return RollbackResult{}, err
	}
	res.ToSerial, res.Applied = serial, true
	return res, nil
}

// catchUp brings zone z's copy up to named (a change it has not fetched yet is recorded as
// external) and returns the copy and named's serial after it.
func (s *Service) catchUp(ctx context.Context, z string) (zonecopy.Copy, uint32, error) {
	release, err := s.copy.Hold(ctx, z)
	if err != nil {
		return zonecopy.Copy{}, 0, unavailable(err)
	}
	err = s.copy.Record(ctx, z, nil)
	release()
	if err != nil {
		return zonecopy.Copy{}, 0, unavailable(err)
	}
	cur, ok := s.history.Current(z)
	if !ok {
		return zonecopy.Copy{}, 0, errs.New(errs.NotFound, "History not found: bindgate holds no copy of zone %s yet", z)
	}
	live, err := s.dns.Serial(ctx, z)
	if err != nil {
		return zonecopy.Copy{}, 0, s.mapDNS(ctx, z, err)
	}
	return cur, live, nil
}

// copyBehind is the typed 503 of a copy that has not caught up with named (docs/contract.md
// §12.6): retrying is right, the copy follows named within seconds.
func copyBehind(z string, copySerial, live uint32) error {
	cause := fmt.Errorf("zone %s: the copy is at serial %d, named at %d", z, copySerial, live)
	return errs.Wrap(errs.Unavailable, cause, "Zone copy not current: %s; retry", z)
}

// rollbackPlan computes the RRset changes that turn cur into target, both full zones (the SOA
// first), leaving out what named maintains itself; removed and added are the records that go
// and come. It also returns the current data as the planner reads it (at the touched names
// and the in-zone MX targets) and the apex SOA set, the update's prerequisite.
func rollbackPlan(apex string, cur, target []dns.RR, signed bool) (changes []change, removed, added []dns.RR, live map[string]nameState, soa *rrset) {
	keep := func(t uint16) bool {
		switch {
		case t == dns.TypeSOA, hiddenType(t):
			return false
		case signed && (t == dns.TypeDNSKEY || t == dns.TypeCDS || t == dns.TypeCDNSKEY):
			return false
		}
		return true
	}
	all := groupRRs(cur) // without hidden types: what the planner knows as live data
	soa = all[rrkey{apex, dns.TypeSOA}]
	from, to := map[rrkey]*rrset{}, map[rrkey]*rrset{}
	for k, set := range all {
		if keep(k.t) {
			from[k] = set
		}
	}
	for k, set := range groupRRs(target) {
		if keep(k.t) {
			to[k] = set
		}
	}
	for _, set := range sortedRRsets(from) {
		want := to[set.rrkey]
		if sameData(set, want) {
			continue
		}
		if want == nil {
			changes = append(changes, change{rrkey: set.rrkey, kind: kindDelete})
		} else {
			changes = append(changes, change{rrkey: set.rrkey, kind: kindReplace, set: want})
		}
		removed = append(removed, differing(set, want)...)
		added = append(added, differing(want, set)...)
	}
	for _, set := range sortedRRsets(to) {
		if from[set.rrkey] == nil {
			changes = append(changes, change{rrkey: set.rrkey, kind: kindReplace, set: set})
			added = append(added, set.rrs...)
		}
	}
	live = map[string]nameState{}
	for _, c := range changes {
		live[c.name] = nameState{}
	}
	for _, t := range (&planner{apex: apex}).mxTargets(changes) {
		live[t] = nameState{} // the copy holds every name: absent means no address (guardMX)
	}
	for k, set := range all {
		if st, ok := live[k.name]; ok {
			st[k.t] = set
		}
	}
	return changes, removed, added, live, soa
}

// differing returns a's records that b lacks; all of them when the TTLs differ (a TTL change
// replaces every record).
func differing(a, b *rrset) []dns.RR {
	if a == nil {
		return nil
	}
	if b == nil || a.ttl != b.ttl {
		return a.rrs
	}
	return remaining(a.rrs, b.rrs)
}

func hasType(rrs []dns.RR, t uint16) bool {
	for _, rr := range rrs {
		if rr.Header().Rrtype == t {
			return true
		}
	}
	return false
}
