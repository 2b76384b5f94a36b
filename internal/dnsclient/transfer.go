package dnsclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/connpool"
)

// Transfer reads zone (with or without the trailing dot) by TSIG-signed AXFR over a new TCP
// connection and returns its RRs in transfer order without the closing SOA, so the first RR
// is the SOA. The whole transfer is bounded by the earlier of ctx's deadline and
// Config.Timeout. Every message must verify (miekg/dns checks each one, RFC 8945 §5.3.1).
func (c *Client) Transfer(ctx context.Context, zone string) (rrs []dns.RR, err error) {
	defer c.observe(opAXFR, time.Now(), &err)
	return c.transfer(ctx, dns.Fqdn(zone))
}

func (c *Client) transfer(ctx context.Context, zone string) ([]dns.RR, error) {
	q := new(dns.Msg)
	q.SetAxfr(zone)
	rrs, err := c.xfr(ctx, opAXFR, zone, q)
	if err != nil {
		return nil, err
	}
	if len(rrs) < 2 || rrs[0].Header().Rrtype != dns.TypeSOA || rrs[len(rrs)-1].Header().Rrtype != dns.TypeSOA {
		return nil, &Error{Op: opAXFR, Zone: zone, Key: c.cfg.Key().Name, Rcode: -1, Kind: ErrProtocol,
			Err: errors.New("transfer does not start and end with the SOA")}
	}
	return rrs[:len(rrs)-1], nil
}

// xfr sends the transfer request q (AXFR or IXFR) signed over a new TCP connection and returns
// every RR of the answer in order, closing SOA included.
//
// A transfer does not hold the Gate (a long AXFR would hold up a key switch and every request
// behind it); one refused for its key (BADSIG/BADKEY: named moved to another key meanwhile)
// is made once more with the key OtherKey gives (or a newer one, bindkey.Do). A transfer only
// reads, so that is harmless.
func (c *Client) xfr(ctx context.Context, op, zone string, q *dns.Msg) ([]dns.RR, error) {
	sw := bindkey.Switchable{Other: c.cfg.OtherKey} // no Gate: see above
	return bindkey.Do(ctx, sw, c.cfg.Key, keyRefused, func(key bindkey.Key, first bool) ([]dns.RR, error) {
		if !first {
			q = q.Copy()
		}
		return c.xfrKey(ctx, op, zone, q, key)
	})
}

func (c *Client) xfrKey(ctx context.Context, op, zone string, q *dns.Msg, key bindkey.Key) ([]dns.RR, error) {
	e := &Error{Op: op, Zone: zone, Key: key.Name, Rcode: -1}
	if err := ctx.Err(); err != nil {
		return nil, e.transport(ctx, err, false)
	}
	if err := key.Validate(); err != nil {
		e.Err = fmt.Errorf("key: %w", err)
		return nil, e
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	// A transfer gets a connection of its own, never pooled: dns.Transfer leaves the stream
	// in a state no later exchange should inherit.
	l, err := c.pool.Dial(ctx, c.dial)
	cn := l.Conn
	if err != nil {
		if errors.Is(err, connpool.ErrClosed) {
			e.Kind = ErrClosed
			return nil, e
		}
		if ctx.Err() != nil || isTimeout(err) {
			return nil, e.transport(ctx, err, false)
		}
		e.Kind, e.Err = ErrUnreachable, err
		return nil, e
	}
	defer cn.Close()
	// dns.Transfer moves the read deadline forward for every message; closing the connection
	// when ctx ends is what bounds the whole transfer.
	deadline, _ := ctx.Deadline()
	_ = cn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = cn.Close() })
	defer stop()

	s := newSigner(key)
	s.sign(q)
	tr := &dns.Transfer{Conn: &dns.Conn{Conn: cn}, TsigProvider: s, ReadTimeout: time.Until(deadline)}
	ch, err := tr.In(q, c.cfg.Addr)
	if err != nil {
		return nil, e.transport(ctx, err, false)
	}
	var rrs []dns.RR
	var xerr error
	for env := range ch { // In's goroutine ends after an error or the closing SOA, and closes ch
		if env.Error != nil {
			xerr = env.Error
			continue
		}
		rrs = append(rrs, env.RR...)
	}
	if xerr != nil {
		return nil, c.transferError(ctx, e, cn, xerr, s, len(rrs) > 0)
	}
	return rrs, nil
}

// transferError maps the error that ended a transfer. A failure on the first message is
// judged on the message itself (recorded by cn): its rcode, its TSIG error, its signature.
func (c *Client) transferError(ctx context.Context, e *Error, cn *conn, xerr error, s *signer, later bool) error {
	if ctx.Err() != nil {
		return e.transport(ctx, xerr, cn.read > 0)
	}
	if raw := cn.first(); raw != nil && !later {
		r := new(dns.Msg)
		if err := r.Unpack(raw); err != nil {
			e.Kind, e.Err = ErrProtocol, err
			return e
		}
		var verr error
		if isTSIGErr(xerr) {
			verr = xerr
		}
		if _, err := checkReply(e, r, raw, verr, s, time.Now()); err != nil {
			return err
		}
		e.Rcode = -1 // the first message was fine: the failure came later
	}
	switch {
	case isTSIGErr(xerr):
		e.Kind, e.Err = ErrTSIG, fmt.Errorf("reply does not verify: %w", xerr)
	case errors.Is(xerr, dns.ErrId), errors.Is(xerr, dns.ErrSoa):
		e.Kind, e.Err = ErrProtocol, xerr
	default:
		return e.transport(ctx, xerr, cn.read > 0)
	}
	return e
}
