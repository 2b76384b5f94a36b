package connpool

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// ErrClosed is returned by Get and Dial after Close.
var ErrClosed = errors.New("connpool: closed")

// Conn is what a Pool holds: a client's connection state around one net.Conn. The pool
// closes NetConn() to drop a connection and reads it to see whether the peer closed it.
type Conn interface {
	NetConn() net.Conn
}

// Defaults for the zero values of Config.
const (
	DefaultMaxIdle     = 4                // Config.MaxIdle
	DefaultIdleTimeout = 25 * time.Second // Config.IdleTimeout: under named's tcp-idle-timeout (30 s)
)

// Config configures a Pool. The zero value is usable.
type Config struct {
	// MaxIdle is how many idle connections are kept; 0 means DefaultMaxIdle, a negative
	// value keeps none.
	MaxIdle int
	// IdleTimeout closes a connection that has been idle this long; 0 means
	// DefaultIdleTimeout, a negative value keeps idle connections until they are found
	// closed or the pool is closed.
	IdleTimeout time.Duration
}

// Lease is a connection lent by Get or Dial. Give it back with Put, or close Conn.
type Lease[C Conn] struct {
	Conn   C
	Reused bool   // Conn was idle in the pool, not dialled for this lease
	gen    uint64 // the pool's generation when the lease was made
}

// Pool keeps idle connections of type C. It is safe for concurrent use.
type Pool[C Conn] struct {
	cfg Config

	mu     sync.Mutex
	idle   []idleConn[C] // oldest first; Get takes the newest
	gen    uint64
	closed bool
	timer  *time.Timer // runs sweep; armed while idle is not empty
	armed  bool
}

type idleConn[C Conn] struct {
	c     C
	since time.Time
}

// New returns an empty pool for cfg. It does not dial, and cannot fail: every Config is
// usable.
func New[C Conn](cfg Config) *Pool[C] {
	if cfg.MaxIdle == 0 {
		cfg.MaxIdle = DefaultMaxIdle
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	return &Pool[C]{cfg: cfg}
}

// Get lends an idle connection that is still open (newest first), or one from dial. Idle
// connections found closed by the peer are closed and skipped. dial's error is returned as
// it is.
func (p *Pool[C]) Get(ctx context.Context, dial func(context.Context) (C, error)) (Lease[C], error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return Lease[C]{}, ErrClosed
		}
		expired := p.expire(time.Now())
		n := len(p.idle)
		if n == 0 {
			p.mu.Unlock()
			closeAll(expired)
			return p.Dial(ctx, dial)
		}
		ic := p.idle[n-1]
		p.idle[n-1] = idleConn[C]{}
		p.idle = p.idle[:n-1]
		gen := p.gen
		p.mu.Unlock()
		closeAll(expired)
		if peerClosed(ic.c.NetConn()) {
			_ = ic.c.NetConn().Close()
			continue
		}
		return Lease[C]{Conn: ic.c, Reused: true, gen: gen}, nil
	}
}

// Dial lends a freshly dialled connection, never an idle one: for the retry after a reused
// connection failed.
func (p *Pool[C]) Dial(ctx context.Context, dial func(context.Context) (C, error)) (Lease[C], error) {
	p.mu.Lock()
	closed, gen := p.closed, p.gen
	p.mu.Unlock()
	if closed {
		return Lease[C]{}, ErrClosed
	}
	c, err := dial(ctx)
	if err != nil {
		return Lease[C]{}, err
	}
	return Lease[C]{Conn: c, gen: gen}, nil
}

// Put gives back a connection that is in a known, reusable state. It is closed instead when
// the pool is full or closed, or when Invalidate was called since the lease was made.
func (p *Pool[C]) Put(l Lease[C]) {
	p.mu.Lock()
	if p.closed || l.gen != p.gen || len(p.idle) >= p.cfg.MaxIdle {
		p.mu.Unlock()
		_ = l.Conn.NetConn().Close()
		return
	}
	p.idle = append(p.idle, idleConn[C]{c: l.Conn, since: time.Now()})
	p.arm()
	p.mu.Unlock()
}

// Invalidate starts a new generation (the key changed): the idle connections are closed, and
// connections lent before now are closed when they are put back.
func (p *Pool[C]) Invalidate() {
	p.mu.Lock()
	p.gen++
	idle := p.takeIdle()
	p.mu.Unlock()
	closeAll(idle)
}

// DropIdle closes the idle connections, e.g. when one turned out closed by a restarted
// server and the others likely are too.
func (p *Pool[C]) DropIdle() {
	p.mu.Lock()
	idle := p.takeIdle()
	p.mu.Unlock()
	closeAll(idle)
}

// Idle returns how many connections are idle.
func (p *Pool[C]) Idle() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

// Close closes the idle connections and stops the idle timer; a lent connection is closed
// when it is put back. Get and Dial then fail with ErrClosed.
func (p *Pool[C]) Close() error {
	p.mu.Lock()
	p.closed = true
	if p.timer != nil {
		p.timer.Stop()
	}
	idle := p.takeIdle()
	p.mu.Unlock()
	closeAll(idle)
	return nil
}

// takeIdle empties the idle set and returns what it held (p.mu held).
func (p *Pool[C]) takeIdle() []idleConn[C] {
	idle := p.idle
	p.idle = nil
	return idle
}

// expire removes the connections idle for IdleTimeout at now and returns them (p.mu held).
func (p *Pool[C]) expire(now time.Time) []idleConn[C] {
	if p.cfg.IdleTimeout <= 0 {
		return nil
	}
	i := 0
	for i < len(p.idle) && now.Sub(p.idle[i].since) >= p.cfg.IdleTimeout {
		i++
	}
	if i == 0 {
		return nil
	}
	expired := append([]idleConn[C](nil), p.idle[:i]...)
	p.idle = append(p.idle[:0], p.idle[i:]...)
	clear(p.idle[len(p.idle):cap(p.idle)])
	return expired
}

// arm makes sure the timer will sweep when the oldest idle connection expires (p.mu held).
func (p *Pool[C]) arm() {
	if p.armed || p.closed || p.cfg.IdleTimeout <= 0 || len(p.idle) == 0 {
		return
	}
	d := time.Until(p.idle[0].since.Add(p.cfg.IdleTimeout))
	if p.timer == nil {
		p.timer = time.AfterFunc(d, p.sweep)
	} else {
		p.timer.Reset(d)
	}
	p.armed = true
}

// sweep closes expired idle connections and re-arms the timer for the next.
func (p *Pool[C]) sweep() {
	p.mu.Lock()
	p.armed = false
	var expired []idleConn[C]
	if !p.closed {
		expired = p.expire(time.Now())
		p.arm()
	}
	p.mu.Unlock()
	closeAll(expired)
}

func closeAll[C Conn](idle []idleConn[C]) {
	for _, ic := range idle {
		_ = ic.c.NetConn().Close()
	}
}
