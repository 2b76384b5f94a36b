package dnsclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/connpool"
)

// Defaults for the zero values of Config. An update waits at most 10 s, well inside the 25 s a
// whole request may take, so a slow named leaves time to answer 503.
const (
	DefaultTimeout = 10 * time.Second // Config.Timeout
)

// Config configures a Client.
type Config struct {
	Addr    string             // host:port of named's DNS listener
	Key     func() bindkey.Key // current TSIG key, called for every exchange (the key is hot-reloaded)
	Timeout time.Duration      // per exchange; default 10s; an earlier ctx deadline wins
	MaxIdle int                // pooled idle TCP connections; default 4 (negative: none)
	// IdleTimeout closes a pooled connection idle this long; default 25 s (connpool.Config).
	IdleTimeout time.Duration
	// Gate, when set, is held shared around each exchange of an update or query (the key read
	// with it); a key switch holds it exclusively, so exchanges wait for it instead of racing
	// named's reconfiguration.
	Gate *sync.RWMutex
	// OtherKey, when set, is asked for another key after named refused the one an update or
	// query was signed with (a TSIG error BADSIG or BADKEY: named ran nothing); the message is
	// sent once more signed with the key it returns, or with the key in use if a switch
	// committed one meanwhile, and again with a newer key if named moved on during that retry
	// (bindkey.Do). It is called without the Gate held.
	OtherKey func(ctx context.Context, refused bindkey.Key) (bindkey.Key, bool)
	// UDP makes Serial ask over UDP first, falling back to TCP when the answer is lost,
	// truncated or the port refuses datagrams (udp.go): a pass over thousands of zones then
	// opens no connection per query. Updates, transfers and Query stay on TCP.
	UDP bool
	// Observe, if set, is called once per public call with the op ("update", "axfr" or
	// "query"; Serial is a query), the call's duration and its error.
	Observe func(op string, d time.Duration, err error)
}

// Client sends TSIG-signed updates, queries and zone transfers to one named. It is safe for
// concurrent use.
type Client struct {
	cfg   Config
	dials atomic.Int64 // connections dialled, for tests
	pool  *connpool.Pool[*conn]
	udp   *connpool.Pool[udpConn] // Config.UDP's sockets
}

// New returns a Client for cfg. It validates Addr and Key but does not dial: startup does not
// contact BIND (docs/contract.md §14.3).
func New(cfg Config) (*Client, error) {
	if cfg.Key == nil {
		return nil, errors.New("dnsclient: Config.Key is required")
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, fmt.Errorf("dnsclient: Config.Addr %q: %w", cfg.Addr, err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	// TSIG signs each message, not the connection, so a key change leaves pooled
	// connections usable: this client never invalidates the pool.
	pool := connpool.New[*conn](connpool.Config{MaxIdle: cfg.MaxIdle, IdleTimeout: cfg.IdleTimeout})
	return &Client{cfg: cfg, pool: pool, udp: connpool.New[udpConn](connpool.Config{MaxIdle: cfg.MaxIdle, IdleTimeout: cfg.IdleTimeout})}, nil
}

// Close closes the idle connections; a connection in use is closed when its exchange ends.
// Calls after Close fail with ErrClosed.
func (c *Client) Close() error {
	return errors.Join(c.pool.Close(), c.udp.Close())
}

// observe reports a public call to Config.Observe; deferred, it reads the call's final error
// through errp.
func (c *Client) observe(op string, start time.Time, errp *error) {
	if c.cfg.Observe != nil {
		c.cfg.Observe(op, time.Since(start), *errp)
	}
}

// Update sends m, built by the caller with (*dns.Msg).SetUpdate(zone) plus prerequisites and
// updates, TSIG-signed over TCP on a pooled connection, verifies the reply's TSIG and maps
// its rcode: nil on NOERROR, else an *Error matching ErrPrereq, ErrRefused, ErrNotAuth, …
// Update signs a copy of m; m itself is not modified (a TSIG the caller added is replaced).
func (c *Client) Update(ctx context.Context, m *dns.Msg) (err error) {
	defer c.observe(opUpdate, time.Now(), &err)
	if m == nil || m.Opcode != dns.OpcodeUpdate || len(m.Question) != 1 {
		return &Error{Op: opUpdate, Rcode: -1, Err: errors.New("not an UPDATE message with one zone")}
	}
	_, err = c.exchange(ctx, opUpdate, m.Question[0].Name, m)
	return err
}

// Query asks name/qtype (TSIG-signed, TCP, pooled connection) and returns the answer
// section's RRs of that name and type (for dns.TypeANY, all of the name's RRs). NXDOMAIN and
// NODATA give nil, nil.
func (c *Client) Query(ctx context.Context, name string, qtype uint16) (rrs []dns.RR, err error) {
	defer c.observe(opQuery, time.Now(), &err)
	return c.query(ctx, name, qtype)
}

func (c *Client) query(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	return c.queryOver(ctx, name, qtype, false)
}

// queryOver is query, over UDP first when udp is set (exchangeUDP).
func (c *Client) queryOver(ctx context.Context, name string, qtype uint16, udp bool) ([]dns.RR, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = false
	var r *dns.Msg
	err := errUseTCP
	if udp {
		r, err = c.exchangeVia(ctx, opQuery, m.Question[0].Name, m, c.exchangeUDP)
	}
	if errors.Is(err, errUseTCP) {
		r, err = c.exchange(ctx, opQuery, m.Question[0].Name, m)
	}
	if err != nil {
		return nil, err
	}
	var rrs []dns.RR
	for _, rr := range r.Answer {
		h := rr.Header()
		if strings.EqualFold(h.Name, m.Question[0].Name) && (qtype == dns.TypeANY || h.Rrtype == qtype) {
			rrs = append(rrs, rr)
		}
	}
	return rrs, nil
}

// Serial returns the zone's SOA serial, from a query of the apex SOA. When there is no SOA
// answer (named does not serve the zone, or zone is not a zone apex), and when named answers
// the query REFUSED or NOTAUTH, the error matches ErrNotZone.
func (c *Client) Serial(ctx context.Context, zone string) (serial uint32, err error) {
	defer c.observe(opQuery, time.Now(), &err)
	zone = dns.Fqdn(zone)
	rrs, err := c.queryOver(ctx, zone, dns.TypeSOA, c.cfg.UDP)
	if e, ok := errors.AsType[*Error](err); ok && (e.Kind == ErrRefused || e.Kind == ErrNotAuth) {
		e.Kind = ErrNotZone
		return 0, e
	}
	if err != nil {
		return 0, err
	}
	for _, rr := range rrs {
		if soa, ok := rr.(*dns.SOA); ok {
			return soa.Serial, nil
		}
	}
	return 0, &Error{Op: opQuery, Zone: zone, Key: c.cfg.Key().Name, Rcode: dns.RcodeSuccess, Kind: ErrNotZone,
		Err: errors.New("no SOA record at the name")}
}

// exchange sends m, signed, on a pooled connection (retrying once on a fresh one when the
// pooled one turns out closed) and returns the verified reply, whose rcode is NOERROR (or
// NXDOMAIN, for a query).
func (c *Client) exchange(ctx context.Context, op, zone string, m *dns.Msg) (*dns.Msg, error) {
	return c.exchangeVia(ctx, op, zone, m, c.exchangeKey)
}

// exchangeVia is exchange with the transport given (exchangeKey: TCP; exchangeUDP): the
// key, the Gate and the retry with another key are the same over both.
func (c *Client) exchangeVia(ctx context.Context, op, zone string, m *dns.Msg,
	via func(ctx context.Context, op, zone string, m *dns.Msg, key bindkey.Key) (*dns.Msg, error)) (*dns.Msg, error) {
	sw := bindkey.Switchable{Gate: c.cfg.Gate, Other: c.cfg.OtherKey}
	return bindkey.Do(ctx, sw, c.cfg.Key, keyRefused, func(key bindkey.Key, _ bool) (*dns.Msg, error) {
		return via(ctx, op, zone, m, key)
	})
}

// keyRefused is KeyRefused in bindkey.Do's form.
func keyRefused(err error, _ bindkey.Key) bool { return KeyRefused(err) }

// KeyRefused reports whether err is named refusing the request's TSIG key: a reply whose TSIG
// error is BADSIG or BADKEY (RFC 8945 §5.2; named answers NOTAUTH and runs nothing). BADTIME
// is a clock problem, which another key does not fix.
func KeyRefused(err error) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.Kind == ErrTSIG && (e.TSIGError == dns.RcodeBadSig || e.TSIGError == dns.RcodeBadKey)
}

// precheck is what every exchange checks before it sends: ctx still live, the key usable.
func (base Error) precheck(ctx context.Context, key bindkey.Key) error {
	if err := ctx.Err(); err != nil {
		return base.transport(ctx, err, false)
	}
	if err := key.Validate(); err != nil {
		base.Err = fmt.Errorf("key: %w", err)
		return &base
	}
	return nil
}

// exchangeKey is exchange with the key given.
func (c *Client) exchangeKey(ctx context.Context, op, zone string, m *dns.Msg, key bindkey.Key) (*dns.Msg, error) {
	base := Error{Op: op, Zone: zone, Key: key.Name, Rcode: -1}
	if err := base.precheck(ctx, key); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	l, err := c.pool.Get(ctx, c.dial)
	for {
		if err != nil {
			e := base
			switch {
			case errors.Is(err, connpool.ErrClosed):
				e.Kind = ErrClosed
				return nil, &e
			case ctx.Err() != nil || isTimeout(err):
				return nil, e.transport(ctx, err, false)
			}
			e.Kind, e.Err = ErrUnreachable, err
			return nil, &e
		}
		cn := l.Conn
		s := newSigner(key)
		req := m.Copy()
		if t := req.IsTsig(); t != nil {
			req.Extra = req.Extra[:len(req.Extra)-1]
		}
		s.sign(req)
		// err, not a new one: the retry below sets it for the check at the top of the loop.
		var r *dns.Msg
		var closed bool
		r, closed, err = c.roundTrip(ctx, cn, req, s)
		if r == nil {
			_ = cn.Close()
			if l.Reused && cn.read == 0 && isClosed(err) && ctx.Err() == nil {
				// named closed the idle connection after the pool's check and before reading
				// the request: once more on a fresh connection, whose failure is final.
				c.pool.DropIdle()
				l, err = c.pool.Dial(ctx, c.dial)
				continue
			}
			e := base
			return nil, e.transport(ctx, err, cn.read > 0)
		}
		e := base
		keep, rerr := checkReply(&e, r, cn.first(), err, s, time.Now())
		if keep && !closed {
			cn.reset()
			c.pool.Put(l)
		} else {
			_ = cn.Close()
		}
		if op == opQuery && keep && r.Rcode == dns.RcodeNameError {
			return r, nil // NXDOMAIN: a verified answer that the name does not exist
		}
		if rerr != nil {
			return nil, rerr
		}
		return r, nil
	}
}

// roundTrip writes req on cn and reads one reply with miekg/dns, which signs req and verifies
// a signed reply. r is nil when no reply was read at all (err is then an I/O error); otherwise
// err is miekg's verdict on the reply (TSIG, id or parse error), if any. Cancelling ctx
// closes cn at once; closed then reports that cn may not be reused.
func (c *Client) roundTrip(ctx context.Context, cn *conn, req *dns.Msg, s *signer) (r *dns.Msg, closed bool, err error) {
	cn.reset()
	done := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = cn.Close()
		close(done)
	})
	defer func() {
		if !stop() {
			<-done
			closed = true
		}
	}()
	dc := &dns.Conn{Conn: cn} // a fresh dns.Conn: no request MAC left from an earlier exchange
	cl := &dns.Client{Net: "tcp", TsigProvider: s, Timeout: c.cfg.Timeout}
	r, _, err = cl.ExchangeWithConnContext(ctx, req, dc)
	if r != nil && cn.first() == nil {
		r = nil // not a complete message (cannot happen with miekg's reader; be safe)
	}
	return r, false, err
}

// checkReply fills e from reply r (raw: its wire form; verr: miekg's verification error) and
// returns it unless r is a verified NOERROR reply. keep reports whether the connection that
// carried r is still in a known state: r was complete, parsed, matched the request's id and
// its TSIG verified.
func checkReply(e *Error, r *dns.Msg, raw []byte, verr error, s *signer, now time.Time) (keep bool, err error) {
	e.Rcode = r.Rcode
	t := r.IsTsig()
	switch {
	case verr != nil && !isTSIGErr(verr):
		e.Kind, e.Err = ErrProtocol, verr // id mismatch, malformed reply
		return false, e
	case t == nil:
		e.Kind, e.Err = ErrTSIG, errors.New("unsigned reply to a signed request")
		return false, e
	case t.Error != dns.RcodeSuccess:
		e.TSIGError, e.Kind = t.Error, ErrTSIG
		return false, e
	case errors.Is(verr, dns.ErrAuth) && r.Rcode == dns.RcodeNotAuth:
		verr = s.verifyRaw(raw, now) // miekg does not verify NOTAUTH replies
	}
	if verr != nil {
		e.Kind, e.Err = ErrTSIG, fmt.Errorf("reply does not verify: %w", verr)
		return false, e
	}
	if !r.Response {
		e.Kind, e.Err = ErrProtocol, errors.New("message is not a reply")
		return false, e
	}
	if e.Kind = rcodeKind(e.Op, r.Rcode); e.Kind != nil {
		return true, e
	}
	return true, nil
}
