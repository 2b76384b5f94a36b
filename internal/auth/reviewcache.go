package auth

import (
	"container/list"
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"
)

// cacheKey is the SHA-256 of a caller's token; the token itself is never kept.
type cacheKey = [sha256.Size]byte

// reviewCache holds review outcomes by token digest, bounded in size, and merges concurrent
// reviews of one token into one (a small singleflight: the contract's (docs/contract.md) optional x/sync is not worth a
// dependency for this).
type reviewCache struct {
	max int

	mu        sync.Mutex
	entries   map[cacheKey]*list.Element // of *cacheEntry
	order     *list.List                 // oldest insertion first
	calls     map[cacheKey]*flight
	waiting   int // callers waiting on another's review (tests)
	lastSweep time.Time
}

type cacheEntry struct {
	key cacheKey
	res outcome
}

// flight is a review in progress; res is valid once done is closed.
type flight struct {
	done chan struct{}
	res  outcome
}

func newReviewCache(limit int) *reviewCache {
	if limit <= 0 {
		limit = DefaultMaxEntries
	}
	return &reviewCache{max: limit, entries: map[cacheKey]*list.Element{}, order: list.New(), calls: map[cacheKey]*flight{}}
}

// do returns the cached outcome for key, else joins the review of key in progress, else runs
// review and caches what it returns until its until. A waiter whose ctx ends gets
// ErrAuthUnavailable; the review goes on for the others.
func (c *reviewCache) do(ctx context.Context, key cacheKey, now func() time.Time, review func() outcome) outcome {
	c.mu.Lock()
	if res, ok := c.getLocked(key, now()); ok {
		c.mu.Unlock()
		return res
	}
	if f, ok := c.calls[key]; ok {
		c.waiting++
		c.mu.Unlock()
		defer func() { c.mu.Lock(); c.waiting--; c.mu.Unlock() }()
		select {
		case <-f.done:
			return f.res
		case <-ctx.Done():
			return unavailable(fmt.Errorf("waiting for a TokenReview: %w", context.Cause(ctx)))
		}
	}
	f := &flight{done: make(chan struct{})}
	c.calls[key] = f
	c.mu.Unlock()

	finished := false
	defer func() {
		if !finished { // review panicked: release the waiters, let the panic go on
			f.res = unavailable(fmt.Errorf("TokenReview panicked"))
			c.mu.Lock()
			delete(c.calls, key)
			c.mu.Unlock()
			close(f.done)
		}
	}()
	f.res = review()
	finished = true

	c.mu.Lock()
	if t := now(); f.res.until.After(t) {
		c.putLocked(key, f.res, t)
	}
	delete(c.calls, key) // after the put: a new caller finds the entry or the flight, never neither
	c.mu.Unlock()
	close(f.done)
	return f.res
}

// getLocked returns an unexpired entry; an expired one is dropped.
func (c *reviewCache) getLocked(key cacheKey, now time.Time) (outcome, bool) {
	el, ok := c.entries[key]
	if !ok {
		return outcome{}, false
	}
	e := el.Value.(*cacheEntry)
	if !e.res.until.After(now) {
		c.removeLocked(el)
		return outcome{}, false
	}
	return e.res, true
}

// putLocked stores res. When full it drops expired entries first (at most one sweep per
// second, so a flood of new tokens costs O(1) each), then the oldest.
func (c *reviewCache) putLocked(key cacheKey, res outcome, now time.Time) {
	if el, ok := c.entries[key]; ok {
		el.Value.(*cacheEntry).res = res
		c.order.MoveToBack(el)
		return
	}
	if len(c.entries) >= c.max && now.Sub(c.lastSweep) >= time.Second {
		c.lastSweep = now
		for el := c.order.Front(); el != nil; {
			next := el.Next()
			if !el.Value.(*cacheEntry).res.until.After(now) {
				c.removeLocked(el)
			}
			el = next
		}
	}
	for len(c.entries) >= c.max {
		c.removeLocked(c.order.Front())
	}
	c.entries[key] = c.order.PushBack(&cacheEntry{key: key, res: res})
}

func (c *reviewCache) removeLocked(el *list.Element) {
	delete(c.entries, el.Value.(*cacheEntry).key)
	c.order.Remove(el)
}
