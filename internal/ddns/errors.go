package ddns

import (
	"errors"
	"fmt"

	"github.com/miekg/dns"
)

// Sentinels for errors.Is; every error of the package wraps exactly one.
var (
	ErrRefused     = errors.New("update refused")
	ErrNotAuth     = errors.New("not authoritative")
	ErrNotZone     = errors.New("name not in zone")
	ErrPrereq      = errors.New("prerequisite failed")
	ErrTSIG        = errors.New("TSIG failure")
	ErrServFail    = errors.New("server failure")
	ErrUnreachable = errors.New("server unreachable")
	ErrTimeout     = errors.New("timed out")
	ErrProtocol    = errors.New("unexpected reply")
)

// Error is a failed exchange: the op (update, axfr, query), the zone or name, and the reply's
// rcode and TSIG error when there was a reply. Its text may name the key, never its secret.
type Error struct {
	Op       string
	Zone     string
	Key      string // the TSIG key name
	Rcode    int    // -1 when no reply was read
	TSIGCode uint16 // the reply's TSIG error (BADSIG 16, BADKEY 17, BADTIME 18), or 0
	kind     error
	cause    error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s %s: %v", e.Op, e.Zone, e.kind)
	if e.Rcode >= 0 {
		s += " (rcode " + rcodeName(e.Rcode)
		if e.TSIGCode != 0 {
			s += ", TSIG error " + rcodeName(int(e.TSIGCode))
		}
		s += ")"
	}
	if e.kind == ErrTSIG && e.Key != "" {
		s += fmt.Sprintf(" with key %q", e.Key)
	}
	if e.cause != nil {
		s += ": " + e.cause.Error()
	}
	return s
}

// Is matches the error's sentinel.
func (e *Error) Is(target error) bool { return target == e.kind }

// Unwrap returns the cause (a network error, a context error), if any.
func (e *Error) Unwrap() error { return e.cause }

func rcodeName(rc int) string {
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return fmt.Sprintf("RCODE%d", rc)
}

// Transient reports failures a retry may fix: SERVFAIL, unreachable, timed out.
func Transient(err error) bool {
	return errors.Is(err, ErrServFail) || errors.Is(err, ErrUnreachable) || errors.Is(err, ErrTimeout)
}

// Rcode returns the reply rcode carried by err, if any.
func Rcode(err error) (int, bool) {
	var e *Error
	if errors.As(err, &e) && e.Rcode >= 0 {
		return e.Rcode, true
	}
	return 0, false
}

// Class names err's kind for metrics: ok, prereq, refused, notauth, notzone, tsig, servfail,
// unreachable, timeout, protocol or error.
func Class(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrPrereq):
		return "prereq"
	case errors.Is(err, ErrRefused):
		return "refused"
	case errors.Is(err, ErrNotAuth):
		return "notauth"
	case errors.Is(err, ErrNotZone):
		return "notzone"
	case errors.Is(err, ErrTSIG):
		return "tsig"
	case errors.Is(err, ErrServFail):
		return "servfail"
	case errors.Is(err, ErrUnreachable):
		return "unreachable"
	case errors.Is(err, ErrTimeout):
		return "timeout"
	case errors.Is(err, ErrProtocol):
		return "protocol"
	}
	return "error"
}

// rcodeKind maps a reply rcode to its sentinel; nil for NOERROR.
func rcodeKind(op string, rc int, tsigErr uint16) error {
	switch {
	case tsigErr != 0:
		return ErrTSIG
	case rc == dns.RcodeSuccess:
		return nil
	case rc == dns.RcodeRefused:
		return ErrRefused
	case rc == dns.RcodeNotAuth:
		return ErrNotAuth
	case rc == dns.RcodeNotZone:
		return ErrNotZone
	case rc == dns.RcodeServerFailure:
		return ErrServFail
	case op == "update" && (rc == dns.RcodeYXDomain || rc == dns.RcodeYXRrset || rc == dns.RcodeNXRrset || rc == dns.RcodeNameError):
		return ErrPrereq
	case rc == dns.RcodeBadSig || rc == dns.RcodeBadKey || rc == dns.RcodeBadTime:
		return ErrTSIG
	}
	return ErrProtocol
}
