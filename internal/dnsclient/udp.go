package dnsclient

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/bindkey"
)

// udpTimeout bounds a query over UDP before it is asked again over TCP. On loopback a reply
// takes well under a millisecond; a datagram is only lost when a socket buffer overflows.
const udpTimeout = time.Second

// udpBuffer holds a reply: without EDNS named answers at most 512 bytes over UDP and sets TC
// beyond, so a bigger datagram is refused as malformed.
const udpBuffer = 4096

// udpConn is a connected UDP socket to named, pooled like the TCP connections (a socket per
// query cost more than the query: socket, connect and close, and the poller's registration).
// One goes back to the pool only after the reply to its query was read, so no late reply
// can meet the next query.
type udpConn struct {
	net.Conn
	buf []byte // udpBuffer bytes for the replies read on it (one query at a time)
}

// NetConn returns the socket, for the pool.
func (c udpConn) NetConn() net.Conn { return c.Conn }

func (c *Client) dialUDP(ctx context.Context) (udpConn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "udp", c.cfg.Addr)
	if err != nil {
		return udpConn{}, err
	}
	return udpConn{Conn: nc, buf: make([]byte, udpBuffer)}, nil
}

// errUseTCP: the UDP attempt got no usable answer (lost, truncated, no UDP listener); ask over
// TCP. Nothing was changed by it: only queries go over UDP.
var errUseTCP = errors.New("dnsclient: no answer over UDP")

// exchangeUDP is exchangeKey over UDP, for queries only (Config.UDP): one datagram each way on a
// pooled socket, so thousands of queries at once (a reconcile's SOA pass at 10,000 zones)
// need no TCP handshake and never meet named's TCP accept queue (tcp-listen-queue, default 10),
// whose overflow costs a dropped SYN and the kernel's 1 s retransmit (issue 13). The reply is
// verified exactly as over TCP (checkReply). It returns errUseTCP when the answer is lost,
// truncated or refused by the network; a verified reply, or ctx ending, is final.
func (c *Client) exchangeUDP(ctx context.Context, op, zone string, m *dns.Msg, key bindkey.Key) (*dns.Msg, error) {
	base := Error{Op: op, Zone: zone, Key: key.Name, Rcode: -1}
	if err := base.precheck(ctx, key); err != nil {
		return nil, err
	}
	uctx, cancel := context.WithTimeout(ctx, min(udpTimeout, c.cfg.Timeout))
	defer cancel()
	l, err := c.udp.Get(uctx, c.dialUDP)
	if err != nil {
		return nil, errUseTCP
	}
	nc := l.Conn.Conn
	clean := false // a reply to this query was read: nothing of it can arrive later
	defer func() {
		if clean {
			_ = nc.SetDeadline(time.Time{})
			c.udp.Put(l)
		} else {
			_ = nc.Close()
		}
	}()
	dl, _ := uctx.Deadline()
	_ = nc.SetDeadline(dl)
	stop := context.AfterFunc(uctx, func() { _ = nc.SetDeadline(time.Now()) })
	defer stop()

	s := newSigner(key)
	req := m.Copy()
	if t := req.IsTsig(); t != nil {
		req.Extra = req.Extra[:len(req.Extra)-1]
	}
	s.sign(req)
	wire, _, err := dns.TsigGenerateWithProvider(req, s, "", false)
	if err != nil {
		e := base
		e.Kind, e.Err = ErrProtocol, fmt.Errorf("sign: %w", err)
		return nil, &e
	}
	if _, err := nc.Write(wire); err != nil {
		return nil, errUseTCP
	}
	// The socket's own buffer (a new 4 KiB per query was a tenth of a reconcile's CPU at 10,000
	// zones, issue 13): nothing keeps a slice of it once this returns (Unpack and the
	// verification copy what they keep).
	buf := l.Conn.buf
	for {
		n, err := nc.Read(buf)
		switch {
		case err != nil && ctx.Err() != nil:
			e := base
			return nil, e.transport(ctx, err, false)
		case err != nil:
			return nil, errUseTCP // lost (timeout) or no UDP listener (ICMP port unreachable)
		}
		raw := buf[:n]
		r := new(dns.Msg)
		if r.Unpack(raw) != nil || r.Id != req.Id || !r.Response {
			continue // not the reply to this query: wait on until the deadline
		}
		clean = stop() // the socket goes back to the pool unless the deadline already fired
		if r.Truncated {
			return nil, errUseTCP
		}
		var verr error
		if r.IsTsig() != nil {
			verr = dns.TsigVerifyWithProvider(raw, s, hex.EncodeToString(s.reqMAC), false)
		}
		e := base
		keep, rerr := checkReply(&e, r, raw, verr, s, time.Now())
		if keep && r.Rcode == dns.RcodeNameError {
			return r, nil // NXDOMAIN: a verified answer that the name does not exist
		}
		if rerr != nil {
			return nil, rerr
		}
		return r, nil
	}
}
