package ddns

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/bindkey"
)

// Defaults for the zero values of Config.
const (
	DefaultTimeout = 10 * time.Second // CONTRACT §12.4
	DefaultMaxIdle = 4
	fudge          = 300 // seconds of clock skew TSIG tolerates (RFC 8945 §5.2.3)
)

// Config configures a Client.
type Config struct {
	Addr    string             // host:port of named's DNS listener
	Key     func() bindkey.Key // current TSIG key, read for every exchange (hot reload)
	Timeout time.Duration      // per exchange; default 10 s; an earlier ctx deadline wins
	MaxIdle int                // pooled idle TCP connections; default 4
	// Observe, when set, is called once per public call with the op ("update", "axfr",
	// "query"), its duration and its final error.
	Observe func(op string, d time.Duration, err error)
}

// Client exchanges signed DNS messages with one server. It is safe for concurrent use.
type Client struct {
	cfg Config

	mu     sync.Mutex
	idle   []net.Conn // raw connections: a dns.Conn keeps the last request's TSIG MAC and
	closed bool       // would chain it into the next request's signature (BADSIG), so each exchange wraps anew
}

// New returns a Client; it does not dial.
func New(cfg Config) (*Client, error) {
	if cfg.Key == nil {
		return nil, errors.New("ddns: Config.Key is required")
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, fmt.Errorf("ddns: server address %q: %w", cfg.Addr, err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxIdle == 0 {
		cfg.MaxIdle = DefaultMaxIdle
	}
	return &Client{cfg: cfg}, nil
}

// Close closes the idle connections; later calls dial afresh and do not pool.
func (c *Client) Close() error {
	c.mu.Lock()
	idle := c.idle
	c.idle, c.closed = nil, true
	c.mu.Unlock()
	for _, co := range idle {
		_ = co.Close()
	}
	return nil
}

// Update sends m, built with (*dns.Msg).SetUpdate plus prerequisites and updates, signed with
// the current key (any TSIG m already has is replaced), and maps the reply's rcode.
func (c *Client) Update(ctx context.Context, m *dns.Msg) (err error) {
	defer c.observe("update", time.Now(), &err)
	zone := ""
	if len(m.Question) > 0 {
		zone = m.Question[0].Name
	}
	_, err = c.exchange(ctx, "update", zone, m)
	return err
}

// Query asks name/qtype and returns the answer's records of that name and type (all of the
// name's for dns.TypeANY); NXDOMAIN and NODATA give nil, nil.
func (c *Client) Query(ctx context.Context, name string, qtype uint16) (rrs []dns.RR, err error) {
	defer c.observe("query", time.Now(), &err)
	name = dns.Fqdn(name)
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = false
	r, err := c.exchange(ctx, "query", name, m)
	if err != nil {
		return nil, err
	}
	for _, rr := range r.Answer {
		h := rr.Header()
		if strings.EqualFold(h.Name, name) && (qtype == dns.TypeANY || h.Rrtype == qtype) {
			rrs = append(rrs, rr)
		}
	}
	return rrs, nil
}

// Serial returns zone's SOA serial.
func (c *Client) Serial(ctx context.Context, zone string) (uint32, error) {
	rrs, err := c.Query(ctx, zone, dns.TypeSOA)
	if err != nil {
		return 0, err
	}
	for _, rr := range rrs {
		if soa, ok := rr.(*dns.SOA); ok {
			return soa.Serial, nil
		}
	}
	return 0, &Error{Op: "query", Zone: dns.Fqdn(zone), Rcode: -1, kind: ErrNotZone, cause: errors.New("no SOA in the answer")}
}

func (c *Client) observe(op string, start time.Time, err *error) {
	if c.cfg.Observe != nil {
		c.cfg.Observe(op, time.Since(start), *err)
	}
}

// exchange sends m signed on a pooled connection and returns the verified reply, or an
// *Error. A reply whose rcode is an error is returned as the error only.
func (c *Client) exchange(ctx context.Context, op, name string, m *dns.Msg) (*dns.Msg, error) {
	key := c.cfg.Key()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		co, pooled, err := c.get(ctx, attempt > 0)
		if err != nil {
			return nil, c.netErr(ctx, op, name, key, ErrUnreachable, err)
		}
		r, err := c.roundTrip(ctx, co, key, m)
		if err != nil && r == nil {
			_ = co.Close()
			if pooled && attempt == 0 && stale(err) && ctx.Err() == nil {
				continue // named closed the idle connection before reading: send again
			}
			return nil, c.netErr(ctx, op, name, key, ErrProtocol, err)
		}
		if err != nil || r.Truncated {
			_ = co.Close() // a connection whose reply failed verification is not reused
		} else {
			c.put(co)
		}
		return c.check(op, name, key, r, err)
	}
}

// roundTrip signs a copy of m with key and exchanges it on co.
func (c *Client) roundTrip(ctx context.Context, co *dns.Conn, key bindkey.Key, m *dns.Msg) (*dns.Msg, error) {
	req := m.Copy()
	req.Id = dns.Id()
	if t := req.IsTsig(); t != nil {
		req.Extra = req.Extra[:len(req.Extra)-1]
	}
	kn := keyName(key)
	req.SetTsig(kn, key.Algorithm.TSIGName(), fudge, time.Now().Unix())
	cl := &dns.Client{Net: "tcp", TsigSecret: map[string]string{kn: key.SecretBase64()}, Timeout: c.cfg.Timeout}
	r, _, err := cl.ExchangeWithConnContext(ctx, req, co)
	return r, err
}

// check maps a reply (and a verification error that came with it) to the result.
func (c *Client) check(op, name string, key bindkey.Key, r *dns.Msg, verr error) (*dns.Msg, error) {
	e := &Error{Op: op, Zone: name, Key: key.Name, Rcode: r.Rcode}
	t := r.IsTsig()
	switch {
	case t != nil && t.Error != 0:
		e.TSIGCode, e.kind = t.Error, ErrTSIG
		return nil, e
	case verr != nil:
		e.kind, e.cause = ErrTSIG, verr
		if errors.Is(verr, dns.ErrId) {
			e.kind = ErrProtocol
		}
		return nil, e
	case t == nil:
		e.kind, e.cause = ErrTSIG, errors.New("the reply is not signed")
		return nil, e
	}
	if kind := rcodeKind(op, r.Rcode, 0); kind != nil && !(op == "query" && r.Rcode == dns.RcodeNameError) {
		e.kind = kind
		return nil, e
	}
	return r, nil
}

// netErr wraps a failure without a reply: a timeout when the deadline passed.
func (c *Client) netErr(ctx context.Context, op, name string, key bindkey.Key, kind, err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		kind = ErrTimeout
		err = fmt.Errorf("%w", context.Cause(ctx))
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout(), ctx.Err() != nil:
		kind = ErrTimeout
	}
	return &Error{Op: op, Zone: name, Key: key.Name, Rcode: -1, kind: kind, cause: err}
}

// stale reports errors of a connection the server closed while it sat idle.
func stale(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}

// get takes an idle connection, or dials one (always when fresh).
func (c *Client) get(ctx context.Context, fresh bool) (co *dns.Conn, pooled bool, err error) {
	if !fresh {
		var nc net.Conn
		c.mu.Lock()
		if n := len(c.idle); n > 0 {
			nc = c.idle[n-1]
			c.idle = c.idle[:n-1]
		}
		c.mu.Unlock()
		if nc != nil {
			return &dns.Conn{Conn: nc}, true, nil
		}
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", c.cfg.Addr)
	if err != nil {
		return nil, false, err
	}
	return &dns.Conn{Conn: nc}, false, nil
}

// put returns a healthy connection to the pool, or closes it when the pool is full.
func (c *Client) put(co *dns.Conn) {
	c.mu.Lock()
	if !c.closed && c.cfg.MaxIdle > 0 && len(c.idle) < c.cfg.MaxIdle {
		_ = co.SetDeadline(time.Time{})
		c.idle = append(c.idle, co.Conn)
		co = nil
	}
	c.mu.Unlock()
	if co != nil {
		_ = co.Close()
	}
}

// keyName is the TSIG owner name of key: lower case, absolute.
func keyName(key bindkey.Key) string { return dns.Fqdn(strings.ToLower(key.Name)) }

// Transfer reads zone by TSIG-signed AXFR on a new connection and returns its records in
// transfer order without the closing SOA, so the first record is the SOA.
func (c *Client) Transfer(ctx context.Context, zone string) (out []dns.RR, err error) {
	defer c.observe("axfr", time.Now(), &err)
	zone = dns.Fqdn(zone)
	key := c.cfg.Key()
	ctx, cancel := context.WithTimeout(ctx, 4*c.cfg.Timeout) // a large zone takes longer than one exchange
	defer cancel()
	co, _, err := c.get(ctx, true)
	if err != nil {
		return nil, c.netErr(ctx, "axfr", zone, key, ErrUnreachable, err)
	}
	defer co.Close()
	stop := context.AfterFunc(ctx, func() { _ = co.Close() }) // the deadline covers the whole transfer
	defer stop()

	kn := keyName(key)
	m := new(dns.Msg)
	m.SetAxfr(zone)
	m.SetTsig(kn, key.Algorithm.TSIGName(), fudge, time.Now().Unix())
	t := &dns.Transfer{Conn: co, TsigSecret: map[string]string{kn: key.SecretBase64()}, ReadTimeout: c.cfg.Timeout, WriteTimeout: c.cfg.Timeout}
	env, err := t.In(m, c.cfg.Addr)
	if err != nil {
		return nil, c.netErr(ctx, "axfr", zone, key, ErrProtocol, err)
	}
	for e := range env {
		if e.Error != nil && err == nil {
			err = c.xfrErr(ctx, zone, key, e.Error)
		}
		if err == nil {
			out = append(out, e.RR...)
		}
	}
	if err != nil {
		return nil, err
	}
	if len(out) > 1 {
		if _, ok := out[len(out)-1].(*dns.SOA); ok {
			out = out[:len(out)-1]
		}
	}
	if len(out) == 0 {
		return nil, &Error{Op: "axfr", Zone: zone, Rcode: -1, kind: ErrProtocol, cause: errors.New("empty transfer")}
	}
	return out, nil
}

// xfrErr maps an error from dns.Transfer, which reports a reply rcode only in its text
// ("bad xfr rcode: N").
func (c *Client) xfrErr(ctx context.Context, zone string, key bindkey.Key, err error) error {
	var rc int
	if _, serr := fmt.Sscanf(err.Error(), "dns: bad xfr rcode: %d", &rc); serr == nil {
		kind := rcodeKind("axfr", rc, 0)
		if kind == nil {
			kind = ErrProtocol
		}
		return &Error{Op: "axfr", Zone: zone, Key: key.Name, Rcode: rc, kind: kind}
	}
	switch {
	case errors.Is(err, dns.ErrSig), errors.Is(err, dns.ErrSecret), errors.Is(err, dns.ErrKeyAlg), errors.Is(err, dns.ErrTime), errors.Is(err, dns.ErrNoSig):
		return &Error{Op: "axfr", Zone: zone, Key: key.Name, Rcode: -1, kind: ErrTSIG, cause: err}
	}
	return c.netErr(ctx, "axfr", zone, key, ErrProtocol, err)
}
