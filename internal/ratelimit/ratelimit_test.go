package ratelimit

import (
	"net/netip"
	"testing"
	"testing/synctest"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func ip(s string) netip.Addr         { return netip.MustParseAddr(s) }

// TestRate checks N-per-period math with a burst (docs/contract.md §16 [fix]).
func TestRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name              string
		requests, burst   int
		period            time.Duration
		after             time.Duration // wait after the burst is spent
		wantAfterBurst    int           // tokens available after waiting
		wantRetryAfterSec int
	}{
		{"600 per minute, burst 50", 600, 50, time.Minute, time.Second, 10, 1},
		{"100 per minute, burst 10", 100, 10, time.Minute, 6 * time.Second, 10, 1},
		{"1 per hour, burst 1", 1, 1, time.Hour, 30 * time.Minute, 0, 1800},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{t: time.Unix(1_000_000, 0)}
			l := New(Config{Requests: tc.requests, Period: tc.period, Burst: tc.burst, Now: c.now})
			for i := range tc.burst {
				if ok, _ := l.Allow(ip("10.0.0.1")); !ok {
					t.Fatalf("request %d of the burst refused", i)
				}
			}
			if ok, _ := l.Allow(ip("10.0.0.1")); ok {
				t.Fatal("request beyond the burst allowed")
			}
			c.add(tc.after)
			got := 0
			for range tc.burst + 5 {
				ok, retry := l.Allow(ip("10.0.0.1"))
				if !ok {
					if tc.wantAfterBurst == 0 && retry != tc.wantRetryAfterSec {
						t.Errorf("Retry-After = %d, want %d", retry, tc.wantRetryAfterSec)
					}
					if retry < 1 {
						t.Errorf("Retry-After %d < 1", retry)
					}
					break
				}
				got++
			}
			if got != tc.wantAfterBurst {
				t.Errorf("%d allowed after %s, want %d", got, tc.after, tc.wantAfterBurst)
			}
			// Another client has its own bucket.
			if ok, _ := l.Allow(ip("10.0.0.2")); !ok {
				t.Error("a second client was limited by the first one's bucket")
			}
		})
	}
}

// TestReplayBurst: after a pod restart bindy replays one call per zone as fast as it can and
// retries a 429 with its backoff (50 ms doubling). With the defaults a 200-zone replay
// completes in a few seconds and no call is retried more than twice, so nothing gives up.
func TestReplayBurst(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Unix(1_000_000, 0)}
	start := c.t
	l := New(Config{Requests: 600, Period: time.Minute, Burst: 50, Now: c.now})
	worst := 0
	for range 200 {
		backoff, tries := 50*time.Millisecond, 0
		for {
			ok, _ := l.Allow(ip("10.0.0.9"))
			if ok {
				break
			}
			tries++
			c.add(backoff)
			backoff *= 2
		}
		worst = max(worst, tries)
		c.add(time.Millisecond)
	}
	if worst > 2 {
		t.Errorf("a call needed %d retries", worst)
	}
	if d := c.t.Sub(start); d > 20*time.Second {
		t.Errorf("the replay took %s", d)
	}
}

func TestIdleEviction(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Unix(1_000_000, 0)}
	l := New(Config{Requests: 10, Period: time.Second, Burst: 1, Idle: time.Minute, Now: c.now})
	for i := range 100 {
		l.Allow(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}))
	}
	if l.Len() != 100 {
		t.Fatalf("Len = %d", l.Len())
	}
	c.add(2 * time.Minute)
	l.Allow(ip("10.1.0.1"))
	if l.Len() != 1 {
		t.Errorf("Len after idle = %d, want 1", l.Len())
	}
	// IPv4-mapped IPv6 is the same client as IPv4.
	l.Allow(ip("::ffff:10.1.0.1"))
	if l.Len() != 1 {
		t.Errorf("mapped address got its own bucket")
	}
}

// TestClientKey: IPv4 by address, IPv4-mapped IPv6 as IPv4, IPv6 by its /64 (issue 8 item 8).
func TestClientKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::"},
		{"2001:db8:1:2::1", "2001:db8:1:2::"},
		{"fe80::1%eth0", "fe80::"},
		{"::1", "::"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := clientKey(ip(tc.in)); got != ip(tc.want) {
				t.Errorf("clientKey(%s) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

// TestIPv6SharesSlash64: addresses of one /64 draw from one bucket; another /64 has its own.
func TestIPv6SharesSlash64(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := New(Config{Requests: 1, Period: time.Hour, Burst: 2})
		for i := range 2 {
			a := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i + 1)})
			if ok, _ := l.Allow(a); !ok {
				t.Fatalf("request %d from the /64 refused", i)
			}
		}
		if ok, _ := l.Allow(ip("2001:db8::ffff:1234")); ok {
			t.Error("a third address in the same /64 got a fresh bucket")
		}
		if ok, _ := l.Allow(ip("2001:db8:0:1::1")); !ok {
			t.Error("a neighbouring /64 was limited by another's bucket")
		}
		if l.Len() != 2 {
			t.Errorf("Len = %d, want 2", l.Len())
		}
	})
}

// TestMaxClients: a flood of distinct clients never holds more than MaxClients buckets, and
// the one evicted is the least recently used, not an active client.
func TestMaxClients(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := New(Config{Requests: 1, Period: time.Hour, Burst: 1, MaxClients: 100})
		active := ip("198.51.100.1")
		if ok, _ := l.Allow(active); !ok {
			t.Fatal("first request refused")
		}
		for i := range 10_000 {
			l.Allow(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}))
			if i%50 == 0 {
				// The active client keeps being refused: its spent bucket is never
				// evicted while it is in use, so it never gets a fresh burst.
				if ok, _ := l.Allow(active); ok {
					t.Fatalf("active client allowed again after %d other clients", i)
				}
			}
			if n := l.Len(); n > 100 {
				t.Fatalf("Len = %d after %d clients, cap 100", n, i+1)
			}
		}
	})
}

// Len is the number of buckets held.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
