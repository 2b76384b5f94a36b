// Package ratelimit keeps one token bucket per client (docs/contract.md §16): refill Requests/Period
// tokens per second up to Burst, so "600 per 60 s, burst 50" allows 50 at once and then 10 per
// second ([fix]: bindcar's inverted math gave one token every N seconds).
//
// A client is an IPv4 address, or an IPv6 /64: one host or site routinely holds a whole /64
// (RFC 4291 §2.5.4 interface identifiers, RFC 8981 temporary addresses), so keying by the full
// IPv6 address would give it 2^64 buckets. IPv4-mapped IPv6 addresses count as IPv4.
//
// The table is bounded twice: buckets idle for longer than Idle (and long enough to have
// refilled) are dropped, and at most MaxClients buckets are held; past that the least recently
// used one is dropped, so a flood of distinct addresses cannot grow memory without bound.
package ratelimit

import (
	"container/list"
	"math"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultMaxClients bounds the table when Config.MaxClients is zero: about 10 MB at worst.
const DefaultMaxClients = 65536

// Config sets the bucket. Requests, Period and Burst must be positive.
type Config struct {
	Requests int
	Period   time.Duration
	Burst    int
	// Idle is how long an unused bucket is kept; default 10 minutes.
	Idle time.Duration
	// MaxClients is the most buckets held at once; default DefaultMaxClients.
	MaxClients int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Limiter decides per client. It is safe for concurrent use.
type Limiter struct {
	limit rate.Limit
	burst int
	idle  time.Duration
	max   int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[netip.Addr]*list.Element // of *bucket
	lru     list.List                    // front = most recently used
}

type bucket struct {
	key  netip.Addr
	lim  *rate.Limiter
	last time.Time
}

// New returns a Limiter for cfg.
func New(cfg Config) *Limiter {
	if cfg.Idle <= 0 {
		cfg.Idle = 10 * time.Minute
	}
	if cfg.MaxClients <= 0 {
		cfg.MaxClients = DefaultMaxClients
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	limit := rate.Limit(float64(cfg.Requests) / cfg.Period.Seconds())
	// A bucket is only dropped for idleness once it would have refilled anyway, so that
	// eviction never hands a client a fresh burst early.
	refill := time.Duration(float64(cfg.Burst) / float64(limit) * float64(time.Second))
	return &Limiter{
		limit:   limit,
		burst:   cfg.Burst,
		idle:    max(cfg.Idle, refill),
		max:     cfg.MaxClients,
		now:     cfg.Now,
		buckets: map[netip.Addr]*list.Element{},
	}
}

// clientKey is the client addr belongs to: the IPv4 address (IPv4-mapped IPv6 unmapped), or the
// first address of the IPv6 /64, without zone.
func clientKey(addr netip.Addr) netip.Addr {
	addr = addr.Unmap().WithZone("")
	if addr.Is4() || !addr.IsValid() {
		return addr
	}
	p, _ := addr.Prefix(64)
	return p.Addr()
}

// Allow takes one token for addr's client. When none is left it returns false and how long
// until one is, in whole seconds, at least 1 (the Retry-After value).
func (l *Limiter) Allow(addr netip.Addr) (ok bool, retryAfter int) {
	now := l.now()
	key := clientKey(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dropIdle(now)
	var b *bucket
	if e := l.buckets[key]; e != nil {
		l.lru.MoveToFront(e)
		b = e.Value.(*bucket)
	} else {
		for len(l.buckets) >= l.max {
			l.remove(l.lru.Back())
		}
		b = &bucket{key: key, lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[key] = l.lru.PushFront(b)
	}
	b.last = now
	if b.lim.AllowN(now, 1) {
		return true, 0
	}
	deficit := 1 - b.lim.TokensAt(now)
	return false, max(1, int(math.Ceil(deficit/float64(l.limit))))
}

// dropIdle drops idle buckets from the least recently used end (l.mu held); it stops at the
// first bucket still in use, so each call costs only what it evicts.
func (l *Limiter) dropIdle(now time.Time) {
	for e := l.lru.Back(); e != nil && now.Sub(e.Value.(*bucket).last) >= l.idle; e = l.lru.Back() {
		l.remove(e)
	}
}

func (l *Limiter) remove(e *list.Element) {
	delete(l.buckets, e.Value.(*bucket).key)
	l.lru.Remove(e)
}
