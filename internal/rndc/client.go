package rndc

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/zonename"
)

// Config configures a Client.
type Config struct {
	Addr string // "127.0.0.1:953", "[::1]:953"
	// Key is read for every new connection, so a hot-reloaded key applies without a restart;
	// idle connections made with an older key are dropped.
	Key         func() bindkey.Key
	DialTimeout time.Duration // default 5 s
	CallTimeout time.Duration // default 10 s; the context may be shorter
	MaxResponse int           // default 1 MiB
	MaxIdle     int           // idle authenticated connections kept; default 4
	// Observe, when set, is called once per command with its verb, ErrorClass and duration.
	Observe func(verb, class string, d time.Duration)
}

// Response is a successful reply's result code, result text and output.
type Response struct {
	Result uint32
	Err    string
	Text   string
}

// Client speaks the control channel natively. It keeps up to MaxIdle authenticated
// connections and lends each to one command at a time, so it is safe for concurrent use:
// concurrent callers get separate connections, sequential ones reuse them and skip the
// dial and nonce handshake (named keeps one nonce per connection, controlconf.c).
type Client struct {
	cfg Config
	ser atomic.Uint32

	mu     sync.Mutex
	idle   []*conn
	closed bool
}

type conn struct {
	nc    net.Conn
	key   bindkey.Key
	nonce uint32
}

// New returns a Client. It does not connect.
func New(cfg Config) (*Client, error) {
	if cfg.Addr == "" || cfg.Key == nil {
		return nil, errors.New("rndc: Addr and Key are required")
	}
	if err := cfg.Key().Validate(); err != nil {
		return nil, fmt.Errorf("rndc: key: %w", err)
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 10 * time.Second
	}
	if cfg.MaxResponse <= 0 {
		cfg.MaxResponse = defaultMaxResp
	}
	if cfg.MaxIdle <= 0 {
		cfg.MaxIdle = 4
	}
	c := &Client{cfg: cfg}
	var seed [4]byte
	_, _ = rand.Read(seed[:])
	// named refuses a _ser/_tim pair it saw in the last 900 s, across connections: a random
	// start keeps two bindgate processes (or a restart) from colliding.
	c.ser.Store(binary.BigEndian.Uint32(seed[:]))
	return c, nil
}

// Zone runs `<verb> <zone> [rest...]`. The zone is re-validated here (CONTRACT §19 A9): only a
// normalised zone name reaches named; rest (bindgate's own rendered blocks) must be one line.
func (c *Client) Zone(ctx context.Context, verb, zone string, rest ...string) (Response, error) {
	if !zonename.IsNormal(zone) {
		return Response{}, fmt.Errorf("%w: zone %q", ErrBadArgument, zone)
	}
	for _, r := range rest {
		if strings.ContainsFunc(r, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
			return Response{}, fmt.Errorf("%w: control character in %s arguments", ErrBadArgument, verb)
		}
	}
	return c.Do(ctx, strings.Join(append([]string{verb, zone}, rest...), " "))
}

// Do runs one command line, e.g. "status", and returns named's reply. A result other than
// success is a *CommandError; transport failures are ErrRejected, ErrUnreachable, ErrTimeout,
// ErrBadSignature or ErrProtocol.
func (c *Client) Do(ctx context.Context, command string) (Response, error) {
	start := time.Now()
	verb, _, _ := strings.Cut(command, " ")
	resp, err := c.do(ctx, verb, command)
	if c.cfg.Observe != nil {
		c.cfg.Observe(verb, ErrorClass(err), time.Since(start))
	}
	return resp, err
}

func (c *Client) do(ctx context.Context, verb, command string) (Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	key := c.cfg.Key()
	cn, reused := c.get(key)
	for attempt := 0; ; attempt++ {
		if cn == nil {
			var err error
			if cn, err = c.dial(ctx, key); err != nil {
				return Response{}, err
			}
		}
		reply, err := c.roundTrip(ctx, cn, Table{{"type", []byte(command)}})
		if err == nil {
			c.put(cn)
			return toResponse(verb, reply)
		}
		cn.nc.Close()
		var nr noReply
		if reused && attempt == 0 && errors.As(err, &nr) && ctx.Err() == nil {
			// An idle pooled connection may have been closed by named; the command never ran.
			cn, reused = nil, false
			continue
		}
		return Response{}, classify(err, ctx)
	}
}

// noReply marks a failure before any byte of the reply arrived.
type noReply struct{ err error }

func (e noReply) Error() string { return e.err.Error() }
func (e noReply) Unwrap() error { return e.err }

func (c *Client) dial(ctx context.Context, key bindkey.Key) (*conn, error) {
	d := net.Dialer{Timeout: c.cfg.DialTimeout}
	nc, err := d.DialContext(ctx, "tcp", c.cfg.Addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, timeoutError{cause: ctx.Err()}
		}
		return nil, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	cn := &conn{nc: nc, key: key}
	// Handshake: "null" with no nonce; named answers with the connection's nonce.
	reply, err := c.roundTrip(ctx, cn, Table{{"type", []byte("null")}})
	if err != nil {
		nc.Close()
		return nil, classify(err, ctx)
	}
	nonce, _ := reply.Sub("_ctrl").Str("_nonce")
	n, err := strconv.ParseUint(nonce, 10, 32)
	if err != nil || n == 0 {
		nc.Close()
		return nil, fmt.Errorf("%w: handshake reply without a nonce", ErrProtocol)
	}
	cn.nonce = uint32(n)
	return cn, nil
}

// roundTrip sends one request and reads one verified reply.
func (c *Client) roundTrip(ctx context.Context, cn *conn, data Table) (Table, error) {
	deadline, _ := ctx.Deadline()
	if err := cn.nc.SetDeadline(deadline); err != nil {
		return nil, err
	}
	// Unblock I/O at once if the context is cancelled before its deadline.
	stop := context.AfterFunc(ctx, func() { cn.nc.SetDeadline(time.Now()) })
	defer stop()

	msg := Table{{"_ctrl", ctrl(c.ser.Add(1), time.Now().Unix(), cn.nonce)}, {"_data", data}}
	frame, err := Marshal(msg, cn.key)
	if err != nil {
		return nil, err
	}
	if len(frame)-4 > maxRequest {
		return nil, ErrTooLarge
	}
	if _, err := cn.nc.Write(frame); err != nil {
		return nil, noReply{err}
	}
	var hdr [4]byte
	if _, err := io.ReadFull(cn.nc, hdr[:]); err != nil {
		return nil, noReply{err}
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n < 4 || int64(n) > int64(c.cfg.MaxResponse) {
		return nil, fmt.Errorf("%w: reply length %d", ErrProtocol, n)
	}
	buf := make([]byte, 4+n)
	copy(buf, hdr[:])
	if _, err := io.ReadFull(cn.nc, buf[4:]); err != nil {
		return nil, err
	}
	reply, err := Unmarshal(buf, cn.key, c.cfg.MaxResponse)
	if err != nil {
		return nil, err
	}
	if _, ok := reply.Sub("_ctrl").Str("_rpl"); !ok {
		return nil, fmt.Errorf("%w: message is not a reply", ErrProtocol)
	}
	return reply, nil
}

func toResponse(verb string, reply Table) (Response, error) {
	d := reply.Sub("_data")
	res, _ := d.Str("result")
	n, err := strconv.ParseUint(res, 10, 32)
	if err != nil {
		return Response{}, fmt.Errorf("%w: result %q", ErrProtocol, res)
	}
	r := Response{Result: uint32(n)}
	r.Err, _ = d.Str("err")
	r.Text, _ = d.Str("text")
	if n != 0 {
		return r, &CommandError{Verb: verb, Result: r.Result, Err: r.Err, Text: r.Text}
	}
	return r, nil
}

// classify maps an I/O failure to the package's transport errors.
func classify(err error, ctx context.Context) error {
	var ne net.Error
	switch {
	case errors.Is(err, ErrBadSignature), errors.Is(err, ErrProtocol), errors.Is(err, ErrTooLarge),
		errors.Is(err, ErrTimeout), errors.Is(err, ErrUnreachable):
		return err
	case ctx.Err() != nil:
		return timeoutError{cause: ctx.Err()}
	case errors.As(err, &ne) && ne.Timeout():
		return timeoutError{cause: err}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE):
		return fmt.Errorf("%w: %w", ErrRejected, err)
	}
	return fmt.Errorf("%w: %w", ErrUnreachable, err)
}

func (c *Client) get(key bindkey.Key) (*conn, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.idle) > 0 {
		cn := c.idle[len(c.idle)-1]
		c.idle = c.idle[:len(c.idle)-1]
		if cn.key.Equal(key) {
			return cn, true
		}
		cn.nc.Close() // made with a key that has since been replaced
	}
	return nil, false
}

func (c *Client) put(cn *conn) {
	cn.nc.SetDeadline(time.Time{})
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || len(c.idle) >= c.cfg.MaxIdle {
		cn.nc.Close()
		return
	}
	c.idle = append(c.idle, cn)
}

// Close closes idle connections; connections in use close when their command ends.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for _, cn := range c.idle {
		cn.nc.Close()
	}
	c.idle = nil
	return nil
}
