package dnsclient

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

// NetConn returns the TCP connection, for the pool.
func (c *conn) NetConn() net.Conn { return c.Conn }

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
