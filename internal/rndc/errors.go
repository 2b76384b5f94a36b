package rndc

import (
	"context"
	"errors"
	"fmt"
)

// Transport and protocol failures. All but ErrBadArgument and ErrTooLarge are transient: the
// HTTP layer answers 503 for them (RNDC-PROTOCOL.md §6).
var (
	// ErrRejected: named closed the connection without a reply. It does that for a wrong key or
	// algorithm, clock skew, a replayed _ser, or a source address outside the control ACL.
	ErrRejected = errors.New("rndc: connection closed without a reply (wrong key or algorithm, clock skew, or control ACL)")
	// ErrBadSignature: a reply whose HMAC does not verify; never treated as a result.
	ErrBadSignature = errors.New("rndc: reply signature does not verify")
	// ErrUnreachable: the control channel could not be dialled.
	ErrUnreachable = errors.New("rndc: control channel unreachable")
	// ErrTimeout: the call's deadline passed.
	ErrTimeout = errors.New("rndc: timed out")
	// ErrProtocol: a malformed message.
	ErrProtocol = errors.New("rndc: protocol error")
	// ErrTooLarge: the request exceeds named's 32 KiB limit.
	ErrTooLarge = errors.New("rndc: request larger than 32 KiB")
	// ErrBadArgument: a zone argument with characters that must never reach named (CONTRACT A9).
	ErrBadArgument = errors.New("rndc: unsafe argument")
)

// Result errors, matched by the `err` text named sends (isc_result_totext), never by the
// number, which changed between BIND versions (RNDC-PROTOCOL.md §8).
var (
	ErrExists         = errors.New("rndc: already exists")
	ErrNotFound       = errors.New("rndc: not found")
	ErrNotLoaded      = errors.New("rndc: zone not loaded")
	ErrPermission     = errors.New("rndc: permission denied")
	ErrDynamic        = errors.New("rndc: dynamic zone")
	ErrUnknownCommand = errors.New("rndc: unknown command")
	ErrAlreadyFrozen  = errors.New("rndc: already frozen")
	ErrNotDynamic     = errors.New("rndc: not dynamic")
	ErrNotPrimary     = errors.New("rndc: not primary")
	ErrFailure        = errors.New("rndc: failure")
	ErrBadZone        = errors.New("rndc: bad zone") // addzone/modzone: the zone's data failed to load
	ErrResultTimedOut = errors.New("rndc: named reported timed out")
)

var resultErrs = map[string]error{
	"already exists":    ErrExists,
	"not found":         ErrNotFound,
	"zone not loaded":   ErrNotLoaded,
	"not loaded":        ErrNotLoaded,
	"permission denied": ErrPermission,
	"dynamic zone":      ErrDynamic,
	"unknown command":   ErrUnknownCommand,
	"already frozen":    ErrAlreadyFrozen,
	"not dynamic":       ErrNotDynamic,
	"not primary":       ErrNotPrimary,
	"not master":        ErrNotPrimary,
	"failure":           ErrFailure,
	"bad zone":          ErrBadZone,
	"timed out":         ErrResultTimedOut,
}

// CommandError is a command named ran and answered with a non-zero result. Err is named's
// result text, Text its output; they may contain BIND's words and paths: logs only.
type CommandError struct {
	Verb   string
	Result uint32
	Err    string
	Text   string
}

func (e *CommandError) Error() string {
	if e.Text != "" {
		return fmt.Sprintf("rndc %s: %s (result %d): %s", e.Verb, e.Err, e.Result, e.Text)
	}
	return fmt.Sprintf("rndc %s: %s (result %d)", e.Verb, e.Err, e.Result)
}

// Is matches the result sentinels by named's result text.
func (e *CommandError) Is(target error) bool {
	s, ok := resultErrs[e.Err]
	return ok && s == target
}

// timeoutError is ErrTimeout that also matches context.DeadlineExceeded when the caller's
// context expired.
type timeoutError struct{ cause error }

func (e timeoutError) Error() string { return ErrTimeout.Error() + ": " + e.cause.Error() }
func (e timeoutError) Is(t error) bool {
	return t == ErrTimeout || (t == context.DeadlineExceeded && errors.Is(e.cause, context.DeadlineExceeded))
}
func (e timeoutError) Unwrap() error { return e.cause }

// Transient reports whether err may go away on retry: named down, slow, or rejecting the key.
func Transient(err error) bool {
	return errors.Is(err, ErrRejected) || errors.Is(err, ErrBadSignature) || errors.Is(err, ErrUnreachable) ||
		errors.Is(err, ErrTimeout) || errors.Is(err, ErrResultTimedOut) || errors.Is(err, ErrProtocol) ||
		errors.Is(err, context.DeadlineExceeded)
}

// ErrorClass names err's class for metrics: ok, exists, not_found, not_loaded, rejected,
// timeout, unreachable, or error.
func ErrorClass(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrExists):
		return "exists"
	case errors.Is(err, ErrNotFound):
		return "not_found"
	case errors.Is(err, ErrNotLoaded):
		return "not_loaded"
	case errors.Is(err, ErrRejected), errors.Is(err, ErrBadSignature):
		return "rejected"
	case errors.Is(err, ErrTimeout), errors.Is(err, ErrResultTimedOut):
		return "timeout"
	case errors.Is(err, ErrUnreachable):
		return "unreachable"
	}
	return "error"
}
