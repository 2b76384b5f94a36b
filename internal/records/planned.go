package records

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/dnsclient"
	"github.com/bindgate/bindgate/internal/zonecopy"
)

// Changes planned on the zone copy (issue 13: no DNS query per name to plan a change when the
// copy already knows the data).
//
// For a zone whose updates the copy models (localMethod: a primary bindgate manages, unsigned),
// a change is planned on the copy's snapshot instead of on answers to one DNS query per name.
// The plan is only as good as the snapshot is current, so it is pinned: the committer, holding
// the zone's copy lock, plans every change of a batch again on the copy as it stands when the
// batch is sent (a change planned on an older generation: another caller's change was
// committed meanwhile), and sends the update with the copy's SOA as a value-dependent
// prerequisite (on the fast path of exchangeLocal, also the new SOA). named then applies
// exactly the plan made on exactly its data, or nothing: when the copy was behind named (a
// direct update not fetched yet), the prerequisite fails, the committer brings the copy up to
// named (one IXFR, under the same lock), plans again and resends. After two such rounds (a
// stream of direct updates, bindy's, keeps moving the zone) it plans once more on the fetched
// copy and sends unpinned, guarded only by the plan's own prerequisites, as a plan on names
// read from named always was; if one of those fails the caller gets 409. A plan that leaves
// nothing to send is answered only when one SOA query shows the copy is named's (Fresh),
// else the change is planned on names read from named.
//
// A plan's verdicts (412 for a stale If-Match, 404 for a record to update that is not there,
// 409 for a CNAME clash or an MX target without address) are thereby made on the data named
// applies the change to, not on a read that may be older by a round trip.

// applyPlanned is apply for a zone the copy plans (v: the copy as it stands, for the first
// plan and for batching; the committer plans again when the copy moved).
func (s *Service) applyPlanned(ctx context.Context, z string, changes []change, o applyOpts, v zonecopy.Snapshot) (uint32, []Applied, error) {
	var applied []Applied
	j := &job{wantSerial: o.wantSerial}
	j.actor, _ = zonecopy.ActorFrom(ctx)
	// replan runs here first, then on the committer's goroutine only, before j.done is closed;
	// the caller reads applied and *o.removed after that (or not at all when it left).
	j.replan = func(v zonecopy.Snapshot) (*message, error) {
		m, ap, err := planOn(z, changes, o, v)
		if err != nil {
			return nil, err
		}
		if err := fits(z, &job{msg: m}); err != nil {
			return nil, tooLargeChange(err)
		}
		applied = ap
		if o.removed != nil {
			*o.removed = m.removed
		}
		return m, nil
	}
	m, err := j.replan(v)
	if err != nil {
		return 0, nil, err
	}
	if m.empty() {
		// Nothing to send: a verdict on the copy alone, so make sure it is named's (one SOA
		// query), else plan on what named answers.
		if cur, ok := s.copy.Fresh(ctx, z); ok && cur.Generation() == v.Generation() {
			return v.Serial(), applied, nil
		}
		return s.applyRead(ctx, z, changes, o)
	}
	j.msg, j.planGen = m, v.Generation()
	if err := s.commit.submit(ctx, z, j); err != nil {
		return 0, nil, s.mapDNS(ctx, z, err)
	}
	return j.serial, applied, nil
}

// planOn plans changes on the copy's snapshot v, as apply plans them on names read from named.
func planOn(z string, changes []change, o applyOpts, v zonecopy.Snapshot) (*message, []Applied, error) {
	apex := z + "."
	p := &planner{apex: apex, live: map[string]nameState{}}
	for _, n := range p.liveNames(changes, o.ifMatch != nil) {
		st := nameState{}
		for k, set := range groupRRs(v.Name(n)) {
			if k.name == n {
				st[k.t] = set
			}
		}
		p.live[n] = st
	}
	if o.ifMatch != nil && v.Serial() != *o.ifMatch {
		return nil, nil, preconditionFailed("Zone %s is at serial %d, not %d (If-Match); read it again", z, v.Serial(), *o.ifMatch)
	}
	if o.check != nil {
		if err := o.check(p); err != nil {
			return nil, nil, err
		}
	}
	m, applied, err := p.plan(changes)
	if err != nil {
		return nil, nil, err
	}
	if o.ifMatch != nil {
		// The committer pins every planned message to the copy's SOA; If-Match makes the
		// message travel alone, so that no other caller's change shares its serial.
		m.alone = true
	}
	return m, applied, nil
}

// pinnedAttempts bounds the rounds of "the copy was behind named: fetch, plan again, resend
// pinned"; after them the change is sent unpinned, guarded by its own prerequisites only.
const pinnedAttempts = 2

// sendPlanned sends a batch of changes planned on the copy (job.replan), holding the zone's
// copy lock throughout: see the comment at the top of this file.
func (c *committer) sendPlanned(zone string, batch []*job) {
	ctx, cancel := context.WithTimeout(c.root, c.timeout)
	defer cancel()
	release, err := c.copy.Hold(ctx, zone)
	if err != nil {
		c.finish(zone, batch, nil, unavailable(fmt.Errorf("update of zone %s: waiting for the zone copy: %w", zone, err)))
		return
	}
	defer release()
	c.planned(ctx, zone, batch)
}

// planned is sendPlanned with the lock held.
func (c *committer) planned(ctx context.Context, zone string, batch []*job) {
	for attempt := 1; ; attempt++ {
		v, ok := c.copy.Snapshot(zone)
		if !ok {
			c.finish(zone, batch, nil, unavailable(fmt.Errorf("update of zone %s: the zone copy cannot be planned on now", zone)))
			return
		}
		if batch = c.replan(batch, v); len(batch) == 0 {
			return
		}
		m := build(zone, batch...)
		if _, over := overSize(m); over && len(batch) > 1 {
			for _, j := range batch {
				c.planned(ctx, zone, []*job{j})
			}
			return
		}
		pin := attempt <= pinnedAttempts
		serial, moved, err := c.exchangePinned(ctx, zone, batch, m, v, pin)
		switch {
		case moved && pin:
			// The copy was behind named: bring it up to named (attributing nothing) and plan
			// again on what named holds.
			rctx, rcancel := context.WithTimeout(context.WithoutCancel(c.root), c.copyTimeout)
			err := c.copy.Record(rctx, zone, nil)
			rcancel()
			if err != nil {
				c.finish(zone, batch, nil, unavailable(fmt.Errorf("update of zone %s: bringing the zone copy up to named: %w", zone, err)))
				return
			}
			continue
		case moved && len(batch) > 1:
			for _, j := range batch {
				c.planned(ctx, zone, []*job{j}) // whose own prerequisite failed is not known
			}
		case moved:
			c.finish(zone, batch, nil, conflictCause(dnsclient.ErrPrereq, "Zone %s changed while the update was applied; read it again and retry", zone))
		case err != nil && len(batch) > 1 && perPart(err):
			// Nothing was applied (RFC 2136 updates are atomic): each part alone gets its own answer.
			for _, j := range batch {
				c.planned(ctx, zone, []*job{j})
			}
		default:
			c.finish(zone, batch, serial, err)
		}
		return
	}
}

// replan plans again, on v, the jobs planned on another generation of the copy. A job whose
// plan now fails gets that answer, and one with nothing left to do gets v's serial; both leave
// the batch.
func (c *committer) replan(batch []*job, v zonecopy.Snapshot) []*job {
	out := make([]*job, 0, len(batch))
	for _, j := range batch {
		if j.planGen != v.Generation() {
			m, err := j.replan(v)
			if err != nil {
				j.err = err
				close(j.done)
				continue
			}
			j.msg, j.planGen = m, v.Generation()
		}
		if j.msg.empty() {
			j.serial = v.Serial()
			close(j.done)
			continue
		}
		out = append(out, j)
	}
	return out
}

// exchangePinned sends m, planned on v, with v's SOA as a prerequisite: on the fast path
// (exchangeLocal's, the copy's change made ahead of named) when the copy models the update,
// else the ordinary way (the update, then an IXFR of it). moved reports that the
// prerequisite failed: named is not at v.
//
// Unpinned (pin false: the copy was behind named twice in a row, under a stream of direct
// updates), m goes without the SOA prerequisite, guarded only by the prerequisites its plan
// has, as a plan on names read from named is: moved then reports that one of those failed.
func (c *committer) exchangePinned(ctx context.Context, zone string, jobs []*job, m *dns.Msg, v zonecopy.Snapshot, pin bool) (serial *uint32, moved bool, err error) {
	pinned := appendable(m)
	if pin && !slices.ContainsFunc(pinned.Answer, func(rr dns.RR) bool {
		return rr.Header().Rrtype == dns.TypeSOA && rr.Header().Class == dns.ClassINET
	}) {
		pre := v.SOA()
		pre.Hdr.Ttl = 0
		pinned.Answer = append(pinned.Answer, pre)
	}
	if method, ok := c.localMethod(zone); ok && pin {
		serial, done, err := c.exchangeLocal(ctx, zone, jobs, pinned, method)
		if done {
			return serial, false, err
		}
		if errors.Is(err, dnsclient.ErrPrereq) {
			return nil, true, nil
		}
	}
	if n, over := overSize(pinned); over {
		err := &tooLargeError{records: len(pinned.Answer) + len(pinned.Ns), bytes: n}
		c.observe(len(jobs), len(pinned.Answer)+len(pinned.Ns), err)
		return nil, false, err
	}
	err = c.dns.Update(ctx, pinned)
	if err != nil && c.root.Err() != nil {
		err = unavailable(fmt.Errorf("update of zone %s: %w: %w", zone, errClosed, err))
	}
	c.observe(len(jobs), len(pinned.Answer)+len(pinned.Ns), err)
	if errors.Is(err, dnsclient.ErrPrereq) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	s, err := c.record(zone, jobs, m)
	if err != nil {
		return nil, false, err
	}
	return &s, false, nil
}

func (c *committer) localMethod(zone string) (string, bool) {
	if c.local == nil {
		return "", false
	}
	return c.local(zone)
}
