package records

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bindgate/bindgate/internal/rndc"
	"github.com/bindgate/bindgate/internal/zoneconf"
)

// Controller is the part of the rndc client the records service needs; *rndc.Client
// implements it.
type Controller interface {
	Zone(ctx context.Context, verb, zone string, rest ...string) (rndc.Response, error)
}

// zoneConf is what a showzone tells the records routes (CONTRACT §12.2).
type zoneConf struct {
	typ       string // primary, secondary, ...
	updatable bool   // allow-update (any form) or update-policy
}

// zoneCache remembers successful showzone answers for ttl (CONTRACT §12.2: at most 5 s), so
// a stream of record changes costs no control-channel call per record. A zone BIND does not
// know is never cached: it may be created the next moment. An update that BIND refuses drops
// the entry (forget), so the next call sees a changed configuration at once.
type zoneCache struct {
	rndc Controller
	ttl  time.Duration
	now  func() time.Time

	mu sync.Mutex
	m  map[string]cachedConf
}

type cachedConf struct {
	at   time.Time
	conf zoneConf
}

// get returns zone z's configuration: 404 when BIND does not know it.
func (c *zoneCache) get(ctx context.Context, z string) (zoneConf, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.m[z]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < c.ttl {
		return e.conf, nil
	}
	resp, err := c.rndc.Zone(ctx, "showzone", z)
	switch {
	case errors.Is(err, rndc.ErrNotFound):
		c.forget(z)
		return zoneConf{}, zoneNotFound(z)
	case err != nil:
		if rndc.Transient(err) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return zoneConf{}, unavailable(fmt.Errorf("showzone %s: %w", z, err))
		}
		return zoneConf{}, fmt.Errorf("showzone %s: %w", z, err)
	}
	parsed, err := zoneconf.ParseShowzone(resp.Text)
	if err != nil {
		return zoneConf{}, fmt.Errorf("parse showzone of %s: %w", z, err)
	}
	conf := zoneConf{
		typ:       parsed.Type(),
		updatable: parsed.Has("allow-update") || parsed.Has("update-policy"),
	}
	c.mu.Lock()
	if len(c.m) >= maxCachedZones {
		clear(c.m) // bounded; a refill costs one showzone per zone
	}
	c.m[z] = cachedConf{at: now, conf: conf}
	c.mu.Unlock()
	return conf, nil
}

func (c *zoneCache) forget(z string) {
	c.mu.Lock()
	delete(c.m, z)
	c.mu.Unlock()
}

const maxCachedZones = 100000

// writable checks that z accepts dynamic updates (CONTRACT §12.2, in its order).
func (c *zoneCache) writable(ctx context.Context, z string) error {
	conf, err := c.get(ctx, z)
	if err != nil {
		return err
	}
	if conf.typ != "primary" {
		return notUpdatable(fmt.Sprintf("Zone %s is %s type. Dynamic updates only supported on primary zones", z, typeWord(conf.typ)))
	}
	if !conf.updatable {
		return notUpdatable(fmt.Sprintf("Zone %s does not have allow-update configured. "+
			"Create zone with updateKeyName or modify zone to enable dynamic updates", z))
	}
	return nil
}

func typeWord(t string) string {
	if t == "" {
		return "unknown"
	}
	return t
}
