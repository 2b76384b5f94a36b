package ddns

import (
	"context"
	"encoding/binary"
	"net"
)

// conn is a TCP connection to named that records the first DNS message it reads (with its
// two-byte length), so that a reply miekg/dns discarded or refused can still be inspected,
// and counts the bytes read, so that a retry is only made when no reply byte arrived.
type conn struct {
	net.Conn
	rec  []byte // the first message read since reset, length prefix included
	full bool   // rec holds a complete message
	read int    // bytes read since reset
}

// Read records what it reads until one whole message is in rec.
func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read += n
	if !c.full && n > 0 {
		c.rec = append(c.rec, p[:n]...)
		if len(c.rec) >= 2 {
			if want := 2 + int(binary.BigEndian.Uint16(c.rec)); len(c.rec) >= want {
				c.rec, c.full = c.rec[:want], true
			}
		}
	}
	return n, err
}

// reset forgets what was read, before the next exchange.
func (c *conn) reset() { c.rec, c.full, c.read = c.rec[:0], false, 0 }

// first returns the first complete message read since reset, without its length; nil if
// none.
func (c *conn) first() []byte {
	if !c.full {
		return nil
	}
	return c.rec[2:]
}

// dial connects to named. The context bounds the connect (its deadline is already capped by
// Config.Timeout).
func (c *Client) dial(ctx context.Context) (*conn, error) {
	c.dials.Add(1)
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", c.cfg.Addr)
	if err != nil {
		return nil, err
	}
	return &conn{Conn: nc}, nil
}

// get borrows an idle connection, or returns nil.
func (c *Client) get() (*conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if n := len(c.idle); n > 0 {
		cn := c.idle[n-1]
		c.idle[n-1] = nil
		c.idle = c.idle[:n-1]
		return cn, nil
	}
	return nil, nil
}

// put gives a healthy connection back to the pool, or closes it when the pool is full.
func (c *Client) put(cn *conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || len(c.idle) >= c.cfg.MaxIdle {
		_ = cn.Close()
		return
	}
	cn.reset()
	c.idle = append(c.idle, cn)
}

// dropIdle closes the idle connections: when one pooled connection was found closed by named,
// the older ones are likely closed too.
func (c *Client) dropIdle() {
	c.mu.Lock()
	idle := c.idle
	c.idle = nil
	c.mu.Unlock()
	for _, cn := range idle {
		_ = cn.Close()
	}
}
