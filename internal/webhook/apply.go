package webhook

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"

	"github.com/bindgate/bindgate/internal/records"
	"github.com/bindgate/bindgate/internal/zonename"
)

// apply is POST /records: ExternalDNS's plan as one atomic RRset change per zone (records.Patch:
// one UPDATE message, all or nothing), then 204, which is the only success ExternalDNS accepts.
//
// Every endpoint is a whole RRset: create and updateNew REPLACE it with their targets (a
// create of an RRset that exists replaces it, so a retried plan is harmless), delete DELETEs
// it, and updateOld only lends its TTL to an updateNew without one. Every name must be in a
// zone the principal may write (403 otherwise, before anything is changed). Zones are changed
// in name order; if one fails, the zones before it stay changed and the answer says so.
func (s *Server) apply(w http.ResponseWriter, r *http.Request) {
	id := requestID()
	var ch Changes
	if err := decode(r, &ch); err != nil {
		s.refuse(w, r, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	managed, err := s.cfg.Zones.List(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &planned{byZone: map[string]*zoneChanges{}}
	oldTTL := map[string]int64{}
	for _, ep := range ch.UpdateOld {
		oldTTL[endpointName(ep.DNSName)+" "+strings.ToUpper(ep.RecordType)] = ep.RecordTTL
	}
	steps := []struct {
		eps  []Endpoint
		kind string
	}{{ch.Delete, records.ChangeDelete}, {ch.UpdateNew, records.ChangeReplace}, {ch.Create, records.ChangeReplace}}
	for _, st := range steps {
		for _, ep := range st.eps {
			z, status, msg := s.zoneOf(managed, ep.DNSName)
			if status != 0 {
				s.audit(r, id, z, status, msg, nil)
				s.refuse(w, r, status, msg)
				return
			}
			if msg := p.add(z, st.kind, ep, oldTTL); msg != "" {
				s.refuse(w, r, http.StatusBadRequest, msg)
				return
			}
		}
	}
	zs := make([]string, 0, len(p.byZone))
	for z := range p.byZone {
		zs = append(zs, z)
	}
	slices.Sort(zs)
	for i, z := range zs {
		zc := p.byZone[z]
		req := records.PatchRequest{RRsets: zc.changes()}
		if _, err := s.cfg.Records.Patch(s.withActor(ctx, id), z, req, nil); err != nil {
			status, msg := statusOf(err)
			if i > 0 {
				msg += fmt.Sprintf(" (zones %s were changed; zone %s and the rest were not)", strings.Join(zs[:i], ", "), z)
			}
			if status >= 500 {
				s.log.Error("webhook change failed", "zone", z, "request_id", id, "err", err)
			}
			s.audit(r, id, z, status, "", zc.summary())
			s.refuse(w, r, status, msg)
			return
		}
		s.audit(r, id, z, http.StatusNoContent, "", zc.summary())
	}
	w.WriteHeader(http.StatusNoContent)
}

// zoneOf finds the managed zone holding name (the longest match); status 403 with a message
// when there is none or the principal may not write it.
func (s *Server) zoneOf(managed []string, name string) (zone string, status int, msg string) {
	n := endpointName(name)
	for _, z := range managed {
		if zonename.InZone(n, z) && len(z) > len(zone) {
			zone = z
		}
	}
	switch {
	case n == "":
		return "", http.StatusBadRequest, "an endpoint has no dnsName"
	case zone == "":
		return "", http.StatusForbidden, fmt.Sprintf("%s is in no zone bindgate manages", n)
	case !s.allowed(zone) || !s.inDomains(n):
		return zone, http.StatusForbidden, fmt.Sprintf("principal %s may not change %s in zone %s", s.cfg.Principal, n, zone)
	}
	return zone, 0, ""
}

// planned collects the RRset changes of one plan, by zone.
type planned struct{ byZone map[string]*zoneChanges }

type zoneChanges struct {
	order []string // keys in first-seen order
	byKey map[string]*records.RRsetChange
}

// add files ep as a change of kind in zone z; a later change of the same RRset wins, except
// that two REPLACEs of one RRset (endpoints that differed only by a dropped setIdentifier)
// merge their targets. It returns a message for an endpoint that cannot be applied.
func (p *planned) add(z, kind string, ep Endpoint, oldTTL map[string]int64) string {
	name, typ := endpointName(ep.DNSName), strings.ToUpper(ep.RecordType)
	if typ == "" {
		return fmt.Sprintf("endpoint %s has no recordType", name)
	}
	zc := p.byZone[z]
	if zc == nil {
		zc = &zoneChanges{byKey: map[string]*records.RRsetChange{}}
		p.byZone[z] = zc
	}
	key := name + " " + typ
	fqdn, kindCopy := name+".", kind
	c := &records.RRsetChange{Name: &fqdn, Type: &typ, ChangeType: &kindCopy}
	if kind == records.ChangeReplace {
		if len(ep.Targets) == 0 {
			return fmt.Sprintf("endpoint %s %s has no targets", name, typ)
		}
		ttl := ep.RecordTTL
		if ttl <= 0 {
			ttl = oldTTL[key]
		}
		if ttl <= 0 {
			ttl = int64(records.DefaultTTL)
		}
		if ttl > math.MaxInt32 {
			return fmt.Sprintf("endpoint %s %s: recordTTL %d is too large", name, typ, ep.RecordTTL)
		}
		t := uint32(ttl)
		c.TTL = &t
		for _, tg := range ep.Targets {
			c.Records = append(c.Records, toValue(typ, tg))
		}
		if prev := zc.byKey[key]; prev != nil && *prev.ChangeType == records.ChangeReplace && kind == records.ChangeReplace {
			for _, v := range prev.Records {
				if !slices.Contains(c.Records, v) {
					c.Records = append(c.Records, v)
				}
			}
		}
	}
	if _, seen := zc.byKey[key]; !seen {
		zc.order = append(zc.order, key)
	}
	zc.byKey[key] = c
	return ""
}

func (zc *zoneChanges) changes() []records.RRsetChange {
	out := make([]records.RRsetChange, 0, len(zc.order))
	for _, k := range zc.order {
		out = append(out, *zc.byKey[k])
	}
	return out
}

// summary names the changes for the audit line: changetype, name and type, never values.
func (zc *zoneChanges) summary() []string {
	out := make([]string, 0, len(zc.order))
	for _, k := range zc.order {
		c := zc.byKey[k]
		out = append(out, *c.ChangeType+" "+*c.Name+" "+*c.Type)
	}
	return out
}
