package records

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/zonecopy"
)

// History is the zone copy with its change log (issue 9 item 5); *zonecopy.Store implements
// it. records reads it and never writes it: the copy is kept by whoever follows named's
// changes (NOTIFY, IXFR), so a rollback shows up in it like any other change.
type History interface {
	History(zone string, before uint32, limit int) ([]zonecopy.Summary, error)
	Change(zone string, to uint32) (zonecopy.Change, error)
	StateAt(zone string, serial uint32) ([]dns.RR, error)
	Current(zone string) (zonecopy.Copy, bool)
}

// Paging of GET …/history (docs/contract.md §12.6).
const (
	DefaultHistoryLimit = 50
	MaxHistoryLimit     = 1000
)

// Actor is who made a change: the principal and request id when it came through bindgate's
// API, the zero value ("external") otherwise. It is JSON {"principal","requestId"}, or the
// string "external".
type Actor struct {
	Principal string
	RequestID string
}

// MarshalJSON renders the zero Actor as "external".
func (a Actor) MarshalJSON() ([]byte, error) {
	if a == (Actor{}) {
		return []byte(`"external"`), nil
	}
	return json.Marshal(struct {
		Principal string `json:"principal"`
		RequestID string `json:"requestId"`
	}{a.Principal, a.RequestID})
}

// HistoryEntry is one change in GET …/history. Added and Removed count records (not
// RRsets); Actor is the first actor, Actors all of them when a group-committed message
// carried several callers' changes in one serial step.
type HistoryEntry struct {
	FromSerial uint32    `json:"fromSerial"`
	ToSerial   uint32    `json:"toSerial"`
	Time       time.Time `json:"time"`
	Added      int       `json:"added"`
	Removed    int       `json:"removed"`
	Actor      Actor     `json:"actor"`
	Actors     []Actor   `json:"actors,omitempty"`
}

// HistoryPage is the body of GET …/history: newest first; Next, when not null, is the
// `before` of the next page.
type HistoryPage struct {
	Zone    string         `json:"zone"`
	Changes []HistoryEntry `json:"changes"`
	Next    *uint32        `json:"next"`
}

// ChangeRRset is an RRset of a change, GET …/rrsets' shape; DNSSEC marks the records named
// maintains for signing, which GET …/rrsets leaves out and a rollback never touches.
type ChangeRRset struct {
	RRset
	DNSSEC bool `json:"dnssec,omitempty"`
}

// ChangeDetail is the body of GET …/history/{serial}: the change that ended at ToSerial.
type ChangeDetail struct {
	Zone       string        `json:"zone"`
	FromSerial uint32        `json:"fromSerial"`
	ToSerial   uint32        `json:"toSerial"`
	Time       time.Time     `json:"time"`
	Actor      Actor         `json:"actor"`
	Actors     []Actor       `json:"actors,omitempty"`
	Removed    []ChangeRRset `json:"removed"`
	Added      []ChangeRRset `json:"added"`
}

// ListHistory is GET /zones/{name}/history?before=&limit=: the retained changes newest
// first. before 0 starts at the newest; limit 0 means DefaultHistoryLimit.
func (s *Service) ListHistory(ctx context.Context, zone string, before uint32, limit int) (HistoryPage, error) {
	z, err := s.historyZone(ctx, zone)
	if err != nil {
		return HistoryPage{}, err
	}
	if limit == 0 {
		limit = DefaultHistoryLimit
	}
	if limit < 0 || limit > MaxHistoryLimit {
		return HistoryPage{}, invalidRequest("limit must be from 1 to %d", MaxHistoryLimit)
	}
	sums, err := s.history.History(z, before, limit+1) // one more tells whether a next page exists
	if err != nil {
		return HistoryPage{}, historyErr(z, err, "Serial not found: zone %s has no retained change ending at serial %d", z, before)
	}
	page := HistoryPage{Zone: z, Changes: make([]HistoryEntry, 0, min(len(sums), limit))}
	for i, sum := range sums {
		if i == limit {
			next := sums[i-1].From
			page.Next = &next
			break
		}
		actor, actors := actorsOf(sum.Actors)
		page.Changes = append(page.Changes, HistoryEntry{FromSerial: sum.From, ToSerial: sum.To, Time: sum.At.UTC(),
			Added: sum.Added, Removed: sum.Removed, Actor: actor, Actors: actors})
	}
	return page, nil
}

// HistoryChange is GET /zones/{name}/history/{serial}: the change that ended at serial, as
// RRsets.
func (s *Service) HistoryChange(ctx context.Context, zone string, serial uint32) (ChangeDetail, error) {
	z, err := s.historyZone(ctx, zone)
	if err != nil {
		return ChangeDetail{}, err
	}
	c, err := s.history.Change(z, serial)
	if err != nil {
		return ChangeDetail{}, historyErr(z, err, "Change not found: zone %s has no retained change ending at serial %d", z, serial)
	}
	actor, actors := actorsOf(c.Actors)
	return ChangeDetail{Zone: z, FromSerial: c.From, ToSerial: c.To, Time: c.At.UTC(), Actor: actor, Actors: actors,
		Removed: changeRRsets(c.Removed), Added: changeRRsets(c.Added)}, nil
}

// historyZone normalises zone and checks that there is a history to read: 404 for a zone
// BIND does not have, or one bindgate holds no copy of yet.
func (s *Service) historyZone(ctx context.Context, zone string) (string, error) {
	z, err := normalize(zone)
	if err != nil {
		return "", err
	}
	if s.history == nil {
		return "", unavailable(errors.New("records: no zone copy configured"))
	}
	if _, ok := s.history.Current(z); ok {
		return z, nil
	}
	if err := s.known(ctx, z); err != nil {
		return "", err
	}
	return "", errs.New(errs.NotFound, "History not found: bindgate holds no copy of zone %s yet", z)
}

// historyErr maps a zonecopy error: its NotFound is the serial (the zone was checked), with
// the public message format; anything else is internal.
func historyErr(z string, err error, format string, a ...any) error {
	if errors.Is(err, zonecopy.ErrNotFound) {
		return errs.Wrap(errs.NotFound, err, format, a...)
	}
	return fmt.Errorf("%w: zone %s: %w", errInternal, z, err)
}

// actorsOf is the first actor ("external" with none) and, when there are several, all.
func actorsOf(in []zonecopy.Actor) (Actor, []Actor) {
	if len(in) == 0 {
		return Actor{}, nil
	}
	all := make([]Actor, len(in))
	for i, a := range in {
		all[i] = Actor{Principal: a.Principal, RequestID: a.RequestID}
	}
	if len(all) == 1 {
		return all[0], nil
	}
	return all[0], all
}

// dnssecType reports the types of DNSSEC data: those BIND maintains and never shows in GET
// …/rrsets (hiddenType), and the keys and their child-side copies.
func dnssecType(t uint16) bool {
	switch t {
	case dns.TypeDNSKEY, dns.TypeCDS, dns.TypeCDNSKEY:
		return true
	}
	return hiddenType(t)
}

// changeRRsets groups records by owner and type into RRsets in canonical order, every type
// included (DNSSEC marked). An RRset's TTL is its first record's: within one change the
// records of an RRset share one (a TTL change removes the old records and adds new ones).
func changeRRsets(rrs []dns.RR) []ChangeRRset {
	byKey := map[rrkey][]dns.RR{}
	ttls := map[rrkey]uint32{}
	for _, rr := range rrs {
		h := rr.Header()
		k := rrkey{strings.ToLower(dns.Fqdn(h.Name)), h.Rrtype}
		if _, ok := ttls[k]; !ok {
			ttls[k] = h.Ttl
		}
		byKey[k] = append(byKey[k], rr)
	}
	sets := make(map[rrkey]*rrset, len(byKey))
	for k, list := range byKey {
		sets[k] = newRRset(k, ttls[k], list)
	}
	out := make([]ChangeRRset, 0, len(sets))
	for _, set := range sortedRRsets(sets) {
		out = append(out, ChangeRRset{RRset: RRset{Name: set.name, Type: typeName(set.t), TTL: set.ttl, Records: set.values()},
			DNSSEC: dnssecType(set.t)})
	}
	return out
}

// typeName names t as master files do, TYPE<n> for a type miekg/dns does not know.
func typeName(t uint16) string {
	if s, ok := dns.TypeToString[t]; ok {
		return s
	}
	return "TYPE" + strconv.Itoa(int(t))
}
