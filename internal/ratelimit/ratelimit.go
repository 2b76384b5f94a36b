// Package ratelimit keeps one token bucket per client address (CONTRACT §16): refill
// Requests/Period tokens per second up to Burst, so "600 per 60 s, burst 50" allows 50 at once
// and then 10 per second ([fix]: bindcar's inverted math gave one token every N seconds).
// Buckets idle for longer than Idle (and long enough to have refilled) are dropped, so the map
// stays bounded by the clients seen in the last few minutes.
package ratelimit

import (
	"math"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Config sets the bucket. Requests, Period and Burst must be positive.
type Config struct {
	Requests int
	Period   time.Duration
	Burst    int
	// Idle is how long an unused bucket is kept; default 10 minutes.
	Idle time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Limiter decides per client address. It is safe for concurrent use.
type Limiter struct {
	limit rate.Limit
	burst int
	idle  time.Duration
	now   func() time.Time

	mu      sync.Mutex
	buckets map[netip.Addr]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	last time.Time
}

// New returns a Limiter for cfg.
func New(cfg Config) *Limiter {
	if cfg.Idle <= 0 {
		cfg.Idle = 10 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	limit := rate.Limit(float64(cfg.Requests) / cfg.Period.Seconds())
	// A bucket is only dropped once it would have refilled anyway, so eviction never hands a
	// client a fresh burst early.
	refill := time.Duration(float64(cfg.Burst) / float64(limit) * float64(time.Second))
	return &Limiter{
		limit:   limit,
		burst:   cfg.Burst,
		idle:    max(cfg.Idle, refill),
		now:     cfg.Now,
		buckets: map[netip.Addr]*bucket{},
	}
}

// Allow takes one token for addr. When none is left it returns false and how long until one
// is, in whole seconds, at least 1 (the Retry-After value).
func (l *Limiter) Allow(addr netip.Addr) (ok bool, retryAfter int) {
	now := l.now()
	addr = addr.Unmap()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b := l.buckets[addr]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[addr] = b
	}
	b.last = now
	if b.lim.AllowN(now, 1) {
		return true, 0
	}
	deficit := 1 - b.lim.TokensAt(now)
	return false, max(1, int(math.Ceil(deficit/float64(l.limit))))
}

// sweep drops idle buckets, at most once per idle period (l.mu held).
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.swept) < l.idle {
		return
	}
	l.swept = now
	for a, b := range l.buckets {
		if now.Sub(b.last) >= l.idle {
			delete(l.buckets, a)
		}
	}
}

// Len is the number of buckets held (for tests and metrics).
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
