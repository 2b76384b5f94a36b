package rndc

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/bindgate/bindgate/internal/bindkey"
)

// conn is one authenticated control-channel connection.
type conn struct {
	nc    net.Conn
	key   bindkey.Key // the key it was authenticated with
	nonce uint32      // named's nonce for this connection, from the handshake reply
}

func (cn *conn) close() { _ = cn.nc.Close() }

// NetConn returns the TCP connection, for the pool.
func (cn *conn) NetConn() net.Conn { return cn.nc }

// ioError is an I/O failure during a round trip. noReply means no byte of the reply had been
// read, so named cannot have answered; with an EOF or a reset that is what named's silent
// close (a rejection, or an idle connection it dropped) looks like.
type ioError struct {
	err     error
	noReply bool
}

func (e *ioError) Error() string { return e.err.Error() }
func (e *ioError) Unwrap() error { return e.err }

// isNoReply reports whether err is a closed or reset connection before any reply byte.
func isNoReply(err error) bool {
	var ie *ioError
	return errors.As(err, &ie) && ie.noReply && isClosed(ie.err)
}

func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED)
}

// dial opens a connection and authenticates it: "null" without a nonce, whose verified reply
// carries the connection's nonce (docs/rndc-protocol.md §5).
func (c *Client) dial(ctx context.Context, key bindkey.Key) (*conn, error) {
	d := net.Dialer{Timeout: c.cfg.DialTimeout}
	nc, err := d.DialContext(ctx, "tcp", c.cfg.Addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctxError(ctx.Err())
		}
		return nil, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	cn := &conn{nc: nc, key: key}
	reply, err := c.roundTrip(ctx, cn, "null")
	if err != nil {
		cn.close()
		return nil, classify(ctx, err)
	}
	s, _ := reply.Sub("_ctrl").Str("_nonce")
	nonce, err := parseUint32(s)
	if err != nil || nonce == 0 {
		cn.close()
		return nil, fmt.Errorf("%w: handshake reply without a nonce", ErrProtocol)
	}
	cn.nonce = nonce
	return cn, nil
}

// roundTrip sends one command on cn and reads one verified reply. The connection's deadline
// is the context's (which Do caps at CallTimeout) for the write and every read; cancelling
// the context unblocks the I/O at once.
func (c *Client) roundTrip(ctx context.Context, cn *conn, command string) (Table, error) {
	ser := c.ser.Add(1)
	msg := Table{{"_ctrl", ctrl(ser, time.Now().Unix(), cn.nonce)}, {"_data", Table{{"type", []byte(command)}}}}
	frame, err := Marshal(msg, cn.key)
	if err != nil {
		return nil, err
	}
	if len(frame)-4 > MaxRequest {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(frame)-4)
	}

	deadline, _ := ctx.Deadline()
	if err := cn.nc.SetDeadline(deadline); err != nil {
		return nil, &ioError{err: err, noReply: true}
	}
	unblocked := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = cn.nc.SetDeadline(time.Unix(1, 0))
		close(unblocked)
	})
	defer func() {
		if !stop() {
			<-unblocked // never hand on a connection whose deadline may still be moved
		}
	}()

	if _, err := cn.nc.Write(frame); err != nil {
		return nil, &ioError{err: err, noReply: true}
	}
	var hdr [4]byte
	if n, err := io.ReadFull(cn.nc, hdr[:]); err != nil {
		return nil, &ioError{err: err, noReply: n == 0}
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n < 4 || uint64(n) > uint64(c.cfg.MaxResponse) {
		return nil, fmt.Errorf("%w: reply length %d (cap %d)", ErrProtocol, n, c.cfg.MaxResponse)
	}
	buf := make([]byte, 4+int(n))
	copy(buf, hdr[:])
	if _, err := io.ReadFull(cn.nc, buf[4:]); err != nil {
		return nil, &ioError{err: err}
	}
	reply, err := Unmarshal(buf, cn.key, c.cfg.MaxResponse)
	if err != nil {
		return nil, err
	}
	rc := reply.Sub("_ctrl")
	if _, ok := rc.Str("_rpl"); !ok {
		return nil, fmt.Errorf("%w: message is not a reply (no _rpl)", ErrProtocol)
	}
	if s, _ := rc.Str("_ser"); s != strconv.FormatUint(uint64(ser), 10) {
		return nil, fmt.Errorf("%w: reply _ser %q, sent %d", ErrProtocol, s, ser)
	}
	return reply, nil
}

// classify maps a round trip's failure to the package's errors. Errors already in the
// package's terms pass through.
func classify(ctx context.Context, err error) error {
	var ie *ioError
	var ne net.Error
	switch {
	case !errors.As(err, &ie):
		return err // ErrBadSignature, ErrProtocol, ErrTimeout, …
	case ctx.Err() != nil:
		return ctxError(ctx.Err())
	case errors.As(err, &ne) && ne.Timeout():
		return &timeoutError{cause: err}
	case ie.noReply && isClosed(ie.err):
		return fmt.Errorf("%w: %w", ErrRejected, ie.err)
	case errors.Is(err, io.ErrUnexpectedEOF), isClosed(ie.err):
		return fmt.Errorf("%w: reply cut short: %w", ErrProtocol, ie.err)
	}
	return fmt.Errorf("%w: %w", ErrUnreachable, ie.err)
}

// ctxError is the error for a context that ended: a deadline is ErrTimeout (and
// context.DeadlineExceeded), a cancellation stays context.Canceled.
func ctxError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &timeoutError{cause: err}
	}
	return fmt.Errorf("rndc: %w", err)
}

func parseUint32(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err
}
