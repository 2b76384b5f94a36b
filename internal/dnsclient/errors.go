package dnsclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"

	"github.com/miekg/dns"
)

// The outcomes of an exchange. A returned *Error matches exactly one of them with errors.Is
// (or none, for a cancelled context, which matches context.Canceled instead).
var (
	ErrRefused     = errors.New("update refused")      // rcode REFUSED
	ErrNotAuth     = errors.New("not authoritative")   // NOTAUTH with no TSIG error
	ErrNotZone     = errors.New("name not in zone")    // NOTZONE
	ErrPrereq      = errors.New("prerequisite failed") // YXDOMAIN, YXRRSET, NXDOMAIN, NXRRSET in an update reply
	ErrTSIG        = errors.New("TSIG failure")        // BADSIG/BADKEY/BADTIME, a reply that does not verify, or an unsigned reply
	ErrServFail    = errors.New("server failure")      // SERVFAIL
	ErrUnreachable = errors.New("server unreachable")  // dial failure, or a fresh connection closed before any reply
	ErrTimeout     = errors.New("timed out")           // deadline / i/o timeout; also matches context.DeadlineExceeded
	ErrProtocol    = errors.New("unexpected reply")    // FORMERR, NOTIMP, any other rcode, malformed reply, id mismatch
	ErrClosed      = errors.New("client closed")       // a call after Close
)

// Operation names, as given to Config.Observe and kept in Error.Op.
const (
	opUpdate = "update"
	opAXFR   = "axfr"
	opIXFR   = "ixfr"
	opQuery  = "query"
)

// Error is the error every call returns. Kind is one of the package's sentinels (nil for a
// cancelled context), Err the underlying cause if any. It holds the key's name, never its
// secret.
type Error struct {
	Op        string // "update", "axfr", "ixfr" or "query"
	Zone      string // the update's zone, the transferred zone, or the queried name (FQDN)
	Key       string // the TSIG key's name
	Rcode     int    // the reply's rcode; -1 when there was no usable reply
	TSIGError uint16 // the TSIG error code in the reply (dns.RcodeBadSig, …); 0 if none
	Kind      error  // ErrRefused, ErrTSIG, …
	Err       error  // the cause, e.g. a net.OpError; may be nil
}

// Error names the operation, zone, outcome, rcode, TSIG error and key name.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("dns " + e.Op)
	if e.Zone != "" {
		b.WriteString(" " + e.Zone)
	}
	b.WriteString(": ")
	var details []string
	if e.Rcode >= 0 {
		details = append(details, "rcode "+rcodeName(e.Rcode))
	}
	if e.TSIGError != 0 {
		details = append(details, "tsig error "+rcodeName(int(e.TSIGError)))
	}
	if e.Key != "" {
		details = append(details, "key "+strconv.Quote(e.Key))
	}
	switch {
	case e.Kind != nil && e.Err != nil:
		b.WriteString(e.Kind.Error() + ": " + e.Err.Error())
	case e.Kind != nil:
		b.WriteString(e.Kind.Error())
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	}
	if len(details) > 0 {
		b.WriteString(" (" + strings.Join(details, ", ") + ")")
	}
	return b.String()
}

// Unwrap returns the sentinel and the cause.
func (e *Error) Unwrap() []error {
	var errs []error
	for _, err := range []error{e.Kind, e.Err} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func rcodeName(rc int) string {
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return strconv.Itoa(rc)
}

// Transient reports whether err may go away by itself (named down, restarting or slow):
// ErrServFail, ErrUnreachable or ErrTimeout.
func Transient(err error) bool {
	return errors.Is(err, ErrServFail) || errors.Is(err, ErrUnreachable) || errors.Is(err, ErrTimeout)
}

// rcodeKind maps a reply's rcode to a sentinel (nil for NOERROR). The prerequisite rcodes
// (RFC 2136 §2.4) mean ErrPrereq only in an update reply.
func rcodeKind(op string, rcode int) error {
	switch rcode {
	case dns.RcodeSuccess:
		return nil
	case dns.RcodeRefused:
		return ErrRefused
	case dns.RcodeNotAuth:
		return ErrNotAuth
	case dns.RcodeNotZone:
		return ErrNotZone
	case dns.RcodeServerFailure:
		return ErrServFail
	case dns.RcodeYXDomain, dns.RcodeYXRrset, dns.RcodeNXRrset, dns.RcodeNameError:
		if op == opUpdate {
			return ErrPrereq
		}
	}
	return ErrProtocol
}

// isTSIGErr reports whether err is miekg/dns's verdict on a reply's TSIG.
func isTSIGErr(err error) bool {
	for _, e := range []error{dns.ErrSig, dns.ErrSecret, dns.ErrKeyAlg, dns.ErrTime, dns.ErrNoSig, dns.ErrAuth} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// isClosed reports whether err is the peer closing or resetting the connection.
func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED)
}

// isTimeout reports whether err is an I/O deadline passing (the connection's deadline is the
// context's, which may fire a moment before the context's own timer).
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// transport maps an I/O failure on a connection (or its dialling) to an *Error. ctx is the
// exchange's context (already bounded by Config.Timeout); readAny says whether any reply byte
// had arrived.
func (e *Error) transport(ctx context.Context, err error, readAny bool) *Error {
	e.Rcode = -1
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		e.Kind, e.Err = ErrTimeout, context.DeadlineExceeded
	case ctx.Err() != nil:
		e.Kind, e.Err = nil, ctx.Err()
	case isTimeout(err):
		e.Kind, e.Err = ErrTimeout, fmt.Errorf("%w (%w)", context.DeadlineExceeded, err)
	case !readAny && isClosed(err):
		e.Kind, e.Err = ErrUnreachable, fmt.Errorf("connection closed before a reply: %w", err)
	default:
		e.Kind, e.Err = ErrProtocol, err
	}
	return e
}

// Class names err's kind for metrics: ok, prereq, refused, notauth, notzone, tsig, servfail,
// unreachable, timeout, protocol or error.
func Class(err error) string {
	for _, c := range []struct {
		sentinel error
		name     string
	}{
		{ErrPrereq, "prereq"}, {ErrRefused, "refused"}, {ErrNotAuth, "notauth"}, {ErrNotZone, "notzone"},
		{ErrTSIG, "tsig"}, {ErrServFail, "servfail"}, {ErrUnreachable, "unreachable"}, {ErrTimeout, "timeout"},
		{ErrProtocol, "protocol"},
	} {
		if errors.Is(err, c.sentinel) {
			return c.name
		}
	}
	if err == nil {
		return "ok"
	}
	return "error"
}
