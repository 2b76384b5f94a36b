package zones

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bindgate/bindgate/internal/zoneconf"
)

// Facts are what other packages may know about a zone's configuration. zones owns them (issue
// 8 item 4): the records service asks before every write instead of keeping a copy, so a PATCH
// is seen by the very next request.
type Facts struct {
	// Type is primary, secondary, ... ("" when the configuration has no type statement).
	Type string
	// Updatable: the zone has allow-update (any form) or update-policy (docs/contract.md §12.2).
	Updatable bool
	// DNSSECPolicy is the dnssec-policy name, "" without one.
	DNSSECPolicy string
	// InlineSigning: inline-signing yes (named serves a signed copy with its own serials).
	InlineSigning bool
	// SerialUpdateMethod is the serial-update-method ("" without one: increment).
	SerialUpdateMethod string
	// Managed: the facts come from bindgate's registry (a zone bindgate manages and copies).
	Managed bool
}

// Signed reports whether the zone has a dnssec-policy other than "none".
func (f Facts) Signed() bool { return f.DNSSECPolicy != "" && f.DNSSECPolicy != "none" }

func factsOf(z zoneconf.Zone) Facts {
	return Facts{
		Type:               z.Type(),
		Updatable:          z.Has("allow-update") || z.Has("update-policy"),
		DNSSECPolicy:       z.Arg("dnssec-policy"),
		InlineSigning:      slices.Contains([]string{"yes", "true", "1"}, strings.ToLower(z.Arg("inline-signing"))),
		SerialUpdateMethod: z.Arg("serial-update-method"),
	}
}

// factsTTL bounds how long a showzone answer for a zone bindgate does not manage is reused
// (docs/contract.md §12.2: at most 5 s); such a zone can be changed behind bindgate's back.
const factsTTL = 5 * time.Second

// maxCachedFacts bounds the cache; a refill costs one showzone per zone.
const maxCachedFacts = 100000

// Facts returns zone name's configuration facts. For a zone bindgate manages they come from
// its registry entry, the block it last gave addzone or modzone, and cost no control message.
// Any other zone (made by bindcar or by hand) costs one showzone, cached for factsTTL and
// dropped at once by this service's own Create, Modify, Delete and Reconcile of the zone. A
// zone BIND does not know is NotFound and is never cached.
//
// A registry entry can outlive the zone in BIND (named lost its NZD and reconcile has not run
// yet): callers whose change BIND then refuses ask RecheckFacts for the precise answer.
func (s *Service) Facts(ctx context.Context, name string) (Facts, error) {
	z, err := normalize(name)
	if err != nil {
		return Facts{}, err
	}
	if f, ok := s.registeredFacts(z); ok {
		return f, nil
	}
	if f, ok := s.facts.get(z, s.now()); ok {
		return f, nil
	}
	return s.showzoneFacts(ctx, z)
}

// RecheckFacts asks BIND for zone name's configuration (one showzone), whatever the registry
// and the cache say: for a caller whose change BIND refused although Facts allowed it.
func (s *Service) RecheckFacts(ctx context.Context, name string) (Facts, error) {
	z, err := normalize(name)
	if err != nil {
		return Facts{}, err
	}
	s.facts.forget(z)
	return s.showzoneFacts(ctx, z)
}

// registeredFacts reads the facts of a zone bindgate manages from its registry entry.
func (s *Service) registeredFacts(z string) (Facts, bool) {
	e, ok := s.reg.Get(z)
	if !ok {
		return Facts{}, false
	}
	if f, ok := s.parsed.get(z, e.Block); ok {
		return f, true
	}
	conf, err := zoneconf.ParseBlock(e.Block)
	if err != nil {
		// Never expected (bindgate rendered or merged the block); BIND's copy still answers.
		s.log.Error("registry block does not parse; asking BIND", "zone", z, "err", err)
		return Facts{}, false
	}
	f := factsOf(conf)
	f.Managed = true
	s.parsed.put(z, e.Block, f)
	return f, true
}

// parsedFacts keeps the facts of registered zones with the block they were parsed from, so
// that each record write (which asks twice) does not lex the block again: an entry is used only
// while the registry still holds that very block. At most maxCachedFacts entries are kept.
type parsedFacts struct {
	mu sync.Mutex
	m  map[string]parsedEntry
}

type parsedEntry struct {
	block string
	f     Facts
}

func (c *parsedFacts) get(z, block string) (Facts, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[z]
	if !ok || e.block != block {
		return Facts{}, false
	}
	return e.f, true
}

func (c *parsedFacts) put(z, block string, f Facts) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedFacts {
		c.m = map[string]parsedEntry{} // dropped whole: a refill costs a parse per zone, no I/O
	}
	c.m[z] = parsedEntry{block, f}
}

func (s *Service) showzoneFacts(ctx context.Context, z string) (Facts, error) {
	epoch := s.facts.epochNow()
	conf, err := s.showzone(ctx, z)
	if err != nil {
		return Facts{}, err
	}
	f := factsOf(conf)
	s.facts.put(z, f, s.now(), epoch)
	return f, nil
}

// factCache holds showzone answers for zones bindgate does not manage. forget bumps an epoch
// so that an answer read before a change cannot be stored after it.
type factCache struct {
	mu    sync.Mutex
	epoch uint64
	m     map[string]cachedFacts
}

type cachedFacts struct {
	at time.Time
	f  Facts
}

func (c *factCache) get(z string, now time.Time) (Facts, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[z]
	if !ok || now.Sub(e.at) >= factsTTL || now.Before(e.at) {
		return Facts{}, false
	}
	return e.f, true
}

func (c *factCache) epochNow() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

func (c *factCache) put(z string, f Facts, now time.Time, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.epoch {
		return // the zone may have changed while BIND was asked
	}
	if c.m == nil || len(c.m) >= maxCachedFacts {
		c.m = map[string]cachedFacts{}
	}
	c.m[z] = cachedFacts{at: now, f: f}
}

// forget drops z's entry; every mutation of z calls it when it ends, whatever its outcome.
func (c *factCache) forget(z string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	delete(c.m, z)
}
