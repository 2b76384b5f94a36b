package rndc

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/connpool"
)

// Defaults for the zero values of Config. A dial waits at most 5 s and a call 10 s, inside the
// 25 s a whole request may take, so a slow or unreachable named leaves time to answer 503.
const (
	DefaultDialTimeout = 5 * time.Second  // Config.DialTimeout
	DefaultCallTimeout = 10 * time.Second // Config.CallTimeout
)

// Config configures a Client.
type Config struct {
	// Addr is the control channel's host:port, e.g. "127.0.0.1:953" or "[::1]:953".
	Addr string
	// Key returns the control key. It is read for every command, so a hot-reloaded key applies
	// without a restart; idle connections made with another key are then dropped.
	Key func() bindkey.Key
	// DialTimeout caps the TCP connect; default 5 s. The context may be shorter.
	DialTimeout time.Duration
	// CallTimeout caps a whole command (dial, handshake, request, reply); default 10 s. The
	// context may be shorter.
	CallTimeout time.Duration
	// MaxResponse caps a reply's length word; default 1 MiB.
	MaxResponse int
	// MaxIdle is how many authenticated idle connections are kept for reuse; default 4, and a
	// negative value disables reuse (connpool.Config).
	MaxIdle int
	// IdleTimeout closes a connection idle for this long; default 25 s (connpool.Config).
	IdleTimeout time.Duration
	// Gate, when set, is held shared around each attempt of a command (the key read with
	// it); a key switch holds it exclusively, so commands wait for the switch to end instead
	// of racing named's reconfiguration.
	Gate *sync.RWMutex
	// OtherKey, when set, is asked for another key after named refused the one a command was
	// sent with (a fresh connection closed without a reply, or a dropped change whose key a
	// fresh handshake then shows refused: named checks the signature before it runs
	// anything); the command is sent once more with the key it returns, or with the key in use
	// if a switch committed one meanwhile, and again with a newer key if named moved on during
	// that retry (bindkey.Do). It is called without the Gate held, so it may switch keys itself.
	OtherKey func(ctx context.Context, refused bindkey.Key) (bindkey.Key, bool)
	// Observe, when set, is called once per command with the command's first word, its
	// ErrorClass and its duration (not for arguments refused with ErrBadArgument, which are
	// never attempted).
	Observe func(verb string, class string, d time.Duration)
}

// Response is named's answer to a command: the result code (0 on success, and only then is
// there no error), the result text and the command's output.
type Response struct {
	Result uint32
	Err    string
	Text   string
}

// Client speaks the control channel natively. It is safe for concurrent use.
//
// Connections persist (the issue that asked for pooling supersedes docs/rndc-protocol.md §5's one
// connection per command): a new connection is authenticated once with the "null" handshake,
// whose reply carries the nonce named then expects on every later message of that connection
// (controlconf.c). Each command borrows one connection exclusively and gives it back after a
// complete, verified reply; concurrent callers get separate connections, and up to MaxIdle
// stay open between commands, for at most IdleTimeout (internal/connpool). Any I/O or protocol
// error closes the connection it happened on; a key change closes them all.
type Client struct {
	cfg Config
	ser atomic.Uint32 // _ser of the last message; named drops a _ser/_tim pair it has seen

	pool *connpool.Pool[*conn]

	mu  sync.Mutex
	key bindkey.Key // the key of the pool's current generation
}

// New returns a Client for cfg. It does not connect: startup does not contact BIND
// (docs/contract.md §14.3).
func New(cfg Config) (*Client, error) {
	if cfg.Key == nil {
		return nil, errors.New("rndc: Config.Key is required")
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, fmt.Errorf("rndc: Config.Addr %q: %w", cfg.Addr, err)
	}
	if err := cfg.Key().Validate(); err != nil {
		return nil, fmt.Errorf("rndc: key: %w", err)
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	if cfg.MaxResponse <= 0 {
		cfg.MaxResponse = DefaultMaxResponse
	}
	c := &Client{
		cfg:  cfg,
		pool: connpool.New[*conn](connpool.Config{MaxIdle: cfg.MaxIdle, IdleTimeout: cfg.IdleTimeout}),
		key:  cfg.Key(),
	}
	// named refuses a _frm;_to;_ser;_tim it saw in the last 900 s, across connections
	// (cc.c isccc_cc_checkdup): a random start keeps two clients, or a restarted bindgate, apart.
	var seed [4]byte
	_, _ = rand.Read(seed[:]) // never fails (crypto/rand)
	c.ser.Store(binary.BigEndian.Uint32(seed[:]))
	return c, nil
}

// Zone runs `verb zone rest...`, joined with single spaces. The zone is re-validated here
// (docs/contract.md §19 A9) and refused with ErrBadArgument if it holds control characters,
// whitespace, quotes, braces, ';', '/', '\\', non-ASCII bytes or a leading '-'. verb (e.g.
// "zonestatus", "dnssec -status") and rest (bindgate's own rendered blocks) must be single
// lines.
func (c *Client) Zone(ctx context.Context, verb, zone string, rest ...string) (Response, error) {
	if err := checkZone(zone); err != nil {
		return Response{}, err
	}
	if verb == "" || hasControl(verb) {
		return Response{}, fmt.Errorf("%w: verb %q", ErrBadArgument, verb)
	}
	parts := []string{verb, zone}
	for _, r := range rest {
		if hasControl(r) {
			return Response{}, fmt.Errorf("%w: control character in the %s arguments", ErrBadArgument, verb)
		}
		if r != "" {
			parts = append(parts, r)
		}
	}
	return c.Do(ctx, strings.Join(parts, " "))
}

// checkZone refuses zone arguments that could change what named parses (isc_lex: quotes,
// braces, ';' comments, whitespace) or a file path built from them.
func checkZone(zone string) error {
	if zone == "" || len(zone) > 255 || zone[0] == '-' {
		return fmt.Errorf("%w: zone %q", ErrBadArgument, zone)
	}
	for i := 0; i < len(zone); i++ {
		switch b := zone[i]; {
		case b <= ' ', b >= 0x7f, strings.IndexByte(`"'{};/\`, b) >= 0:
			return fmt.Errorf("%w: zone %q", ErrBadArgument, zone)
		}
	}
	return nil
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// Do runs one command line, e.g. "status" or "addzone z { … };", and returns named's reply.
//
// A non-zero result is a *CommandError (match it with errors.Is against ErrExists,
// ErrNotFound, …). Transport failures are ErrRejected, ErrUnreachable, ErrTimeout (which also
// matches context.DeadlineExceeded), ErrBadSignature, ErrProtocol or ErrTooLarge; a cancelled
// context gives context.Canceled.
func (c *Client) Do(ctx context.Context, command string) (Response, error) {
	if command == "" || hasControl(command) {
		return Response{}, fmt.Errorf("%w: command must be one non-empty line", ErrBadArgument)
	}
	start := time.Now()
	verb, _, _ := strings.Cut(command, " ")
	resp, err := c.do(ctx, verb, command)
	if c.cfg.Observe != nil {
		c.cfg.Observe(verb, ErrorClass(err), time.Since(start))
	}
	return resp, err
}

func (c *Client) do(ctx context.Context, verb, command string) (Response, error) {
	if len(command) > MaxRequest {
		return Response{}, ErrTooLarge
	}
	if err := ctx.Err(); err != nil {
		return Response{}, ctxError(err)
	}
	sw := bindkey.Switchable{Gate: c.cfg.Gate, Other: c.cfg.OtherKey}
	refused := func(err error, key bindkey.Key) bool { return c.keyRefused(ctx, err, key) }
	return bindkey.Do(ctx, sw, c.cfg.Key, refused, func(key bindkey.Key, first bool) (Response, error) {
		return c.attempt(ctx, verb, command, key, first)
	})
}

// keyRefused reports whether err is named refusing key: a fresh connection closed without a
// reply, or a change dropped after it was sent when a fresh handshake with key is refused too
// (named verifies a message before running it, so the change did not run).
func (c *Client) keyRefused(ctx context.Context, err error, key bindkey.Key) bool {
	switch {
	case ctx.Err() != nil:
		return false
	case errors.Is(err, ErrRejected):
		return true
	case !errors.Is(err, ErrDropped):
		return false
	}
	pctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	cn, perr := c.dial(pctx, key)
	if perr == nil {
		cn.close()
	}
	return errors.Is(perr, ErrRejected)
}

// attempt sends command once with key (retrying a read-only one on a fresh connection when a
// pooled one turns out closed). note makes key the pool's generation; an alternative key
// tried once does not.
func (c *Client) attempt(ctx context.Context, verb, command string, key bindkey.Key, note bool) (Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	if err := key.Validate(); err != nil {
		return Response{}, fmt.Errorf("rndc: key: %w", err)
	}
	if note {
		c.noteKey(key)
	}
	dial := func(ctx context.Context) (*conn, error) { return c.dial(ctx, key) }
	l, err := c.pool.Get(ctx, dial)
	if err == nil && l.Reused && !l.Conn.key.Equal(key) {
		// Made with another key by a command that raced with the change: never reuse it.
		l.Conn.close()
		l, err = c.pool.Dial(ctx, dial)
	}
	for {
		if err != nil {
			if errors.Is(err, connpool.ErrClosed) {
				return Response{}, ErrClosed
			}
			return Response{}, err
		}
		var reply Table
		reply, err = c.roundTrip(ctx, l.Conn, command)
		if errors.Is(err, ErrTooLarge) { // nothing was sent: the connection is still good
			c.pool.Put(l)
			return Response{}, err
		}
		if err == nil {
			resp, err := toResponse(verb, reply)
			if errors.Is(err, ErrProtocol) {
				l.Conn.close()
			} else {
				c.pool.Put(l)
			}
			return resp, err
		}
		l.Conn.close()
		if isNoReply(err) && ctx.Err() == nil && !Repeatable(command) {
			// The connection closed after the command was written and before any reply: named
			// may have run it (a restart right after addzone, say). A change is never sent
			// twice blindly; the caller asks BIND what happened (package zones: zonestatus).
			if l.Reused {
				c.pool.DropIdle()
			}
			return Response{}, fmt.Errorf("%w: %s: %w", ErrDropped, verb, err)
		}
		if l.Reused && isNoReply(err) && ctx.Err() == nil {
			// named closed the idle connection after the pool's check (a restart, say). The
			// command is read-only, so running it twice is harmless: try once more on a fresh
			// connection. A fresh connection's failure is the answer. The other idle
			// connections are likely dead too.
			c.pool.DropIdle()
			l, err = c.pool.Dial(ctx, dial)
			continue
		}
		return Response{}, classify(ctx, err)
	}
}

// Repeatable reports whether command only reads named's state, so that sending it twice is
// harmless: status, zonestatus, showzone, "dnssec -status", and the handshake's null. Every
// other command (addzone, delzone, modzone, reload, freeze, ...) changes something and is never
// retried by the client.
func Repeatable(command string) bool {
	verb, rest, _ := strings.Cut(command, " ")
	switch verb {
	case "status", "zonestatus", "showzone", "null", "version":
		return true
	case "dnssec":
		return strings.HasPrefix(rest, "-status ")
	}
	return false
}

// noteKey starts a new pool generation when the key differs from the last one seen, so that
// no connection authenticated with the old key is reused.
func (c *Client) noteKey(key bindkey.Key) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.key.Equal(key) {
		c.key = key
		c.pool.Invalidate()
	}
}

func toResponse(verb string, reply Table) (Response, error) {
	d := reply.Sub("_data")
	if d == nil {
		return Response{}, fmt.Errorf("%w: reply without _data", ErrProtocol)
	}
	res, _ := d.Str("result")
	n, err := parseUint32(res)
	if err != nil {
		return Response{}, fmt.Errorf("%w: result %q", ErrProtocol, res)
	}
	r := Response{Result: n}
	r.Err, _ = d.Str("err")
	r.Text, _ = d.Str("text")
	if n != 0 {
		return r, &CommandError{Verb: verb, Result: r.Result, Err: r.Err, Text: r.Text}
	}
	return r, nil
}

// Close closes the idle connections; a connection in use is closed when its command ends.
// Commands after Close fail with ErrClosed.
func (c *Client) Close() error {
	return c.pool.Close()
}
