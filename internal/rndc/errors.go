package rndc

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Transport and protocol failures (docs/rndc-protocol.md §6). ErrRejected, ErrBadSignature,
// ErrUnreachable and ErrTimeout are transient (see Transient): the HTTP layer answers 503.
var (
	// ErrRejected: named closed a fresh connection, or reset it, before any reply. It does that
	// silently for a wrong key or algorithm, clock skew, a replayed _ser, a bad nonce, or a
	// source address outside the controls ACL; only its log says which.
	ErrRejected = errors.New("rndc: connection closed without a reply (wrong key or algorithm, clock skew, or control ACL)")
	// ErrBadSignature: a reply whose HMAC does not verify. Such a reply is never used.
	ErrBadSignature = errors.New("rndc: reply signature does not verify")
	// ErrUnreachable: the control channel could not be dialled (named down, wrong address).
	ErrUnreachable = errors.New("rndc: control channel unreachable")
	// ErrTimeout: the call's deadline (the context's, or Config.CallTimeout) passed. When the
	// deadline was a context's, the error also matches context.DeadlineExceeded.
	ErrTimeout = errors.New("rndc: timed out")
	// ErrTooLarge: the request exceeds named's 32 KiB message limit; nothing was sent.
	ErrTooLarge = errors.New("rndc: request larger than 32 KiB")
	// ErrProtocol: a malformed, truncated or oversized reply, or a message that is not a reply.
	ErrProtocol = errors.New("rndc: protocol error")
	// ErrBadArgument: an argument with characters that must never reach named (docs/contract.md §19 A9).
	ErrBadArgument = errors.New("rndc: unsafe argument")
	// ErrDropped: the connection closed after a command that changes named's state was sent and
	// before any reply, so named may or may not have run it. The client never resends such a
	// command (see Repeatable); the caller finds out what happened, e.g. with zonestatus.
	ErrDropped = errors.New("rndc: connection dropped before the reply; the command may have run")
	// ErrClosed: the Client was closed.
	ErrClosed = errors.New("rndc: client closed")
)

// Result errors: a *CommandError matches one of these by named's `err` text
// (isc_result_totext), never by the number, which changed between BIND versions, and never by
// the `text` output (docs/rndc-protocol.md §8). What a result means depends on the verb: "not
// found" on addzone or modzone is a missing policy or key, not a missing zone.
var (
	ErrExists         = errors.New("rndc: already exists")    // addzone of an existing zone
	ErrNotFound       = errors.New("rndc: not found")         // zone verbs on an unknown zone
	ErrNotLoaded      = errors.New("rndc: zone not loaded")   // configured zone without data yet
	ErrPermission     = errors.New("rndc: permission denied") // addzone without allow-new-zones
	ErrDynamic        = errors.New("rndc: dynamic zone")      // reload of a zone taking updates
	ErrUnknownCommand = errors.New("rndc: unknown command")   // verb named does not know
	ErrAlreadyFrozen  = errors.New("rndc: already frozen")    // freeze of a frozen zone
	ErrNotDynamic     = errors.New("rndc: not dynamic")       // freeze of a static zone
	ErrNotPrimary     = errors.New("rndc: not primary")       // freeze of a secondary
	ErrFailure        = errors.New("rndc: failure")           // generic; see the text
	// ErrBadZone: addzone or modzone whose zone data failed to load. named answers with the
	// loader's own result ("bad zone" for an in-zone NS without an address, "unknown
	// class/type" for a bad record, ...) and the text "dns_zone_loadnew failed: <result>"
	// (bin/named/server.c), so both mark it.
	ErrResultTimedOut = errors.New("rndc: named reported timed out") // transient
	ErrBadZone        = errors.New("rndc: zone data failed to load")
	// ErrWrongZoneType: a verb that needs another zone type, such as retransfer of a primary.
	// named answers the generic "failure" with the text "retransfer: inappropriate zone type:
	// <type>" (bin/named/server.c, named_server_retransfercommand), so only the text tells it
	// from other failures; this is the one place that reads it.
	ErrWrongZoneType = errors.New("rndc: inappropriate zone type")
)

// textWrongZoneType is the words named puts in the text of ErrWrongZoneType.
const textWrongZoneType = "inappropriate zone type"

// resultErr maps named's result text to a sentinel. "not master" is the pre-9.18 spelling.
func resultErr(text string) error {
	switch text {
	case "already exists":
		return ErrExists
	case "not found":
		return ErrNotFound
	case "zone not loaded":
		return ErrNotLoaded
	case "permission denied":
		return ErrPermission
	case "dynamic zone":
		return ErrDynamic
	case "unknown command":
		return ErrUnknownCommand
	case "already frozen":
		return ErrAlreadyFrozen
	case "not dynamic":
		return ErrNotDynamic
	case "not primary", "not master":
		return ErrNotPrimary
	case "failure":
		return ErrFailure
	case "timed out":
		return ErrResultTimedOut
	}
	return nil
}

// CommandError is a command named ran and answered with a non-zero result. Err is named's
// result text and Text its output; both may hold BIND's words and file paths, so the error
// belongs in logs, not in API responses. It never holds key material.
type CommandError struct {
	Verb   string // the command's first word
	Result uint32 // isc_result_t; for logs only
	Err    string // named's result text, e.g. "already exists"
	Text   string // named's output, possibly empty
}

// Error renders the verb, result and named's texts.
func (e *CommandError) Error() string {
	msg := fmt.Sprintf("rndc %s: %s (result %d)", e.Verb, e.Err, e.Result)
	if t := strings.TrimSpace(e.Text); t != "" {
		msg += ": " + t
	}
	return msg
}

// Is reports whether target is the sentinel for e's result text.
func (e *CommandError) Is(target error) bool {
	switch target {
	case ErrBadZone:
		return e.Err == "bad zone" || strings.HasPrefix(e.Text, "dns_zone_loadnew failed:")
	case ErrWrongZoneType:
		return e.Err == "failure" && strings.Contains(e.Text, textWrongZoneType)
	}
	s := resultErr(e.Err)
	return s != nil && s == target
}

// timeoutError is ErrTimeout. A deadline is the only way a call times out (the connection's
// deadline is the context's), so it also matches context.DeadlineExceeded.
type timeoutError struct{ cause error }

func (e *timeoutError) Error() string { return ErrTimeout.Error() + ": " + e.cause.Error() }
func (e *timeoutError) Unwrap() error { return e.cause }
func (e *timeoutError) Is(t error) bool {
	return t == ErrTimeout || t == context.DeadlineExceeded
}

// Transient reports whether err may go away by itself: named down, restarting, slow, or not
// (yet) accepting our key. These are the failures the HTTP layer answers with 503.
func Transient(err error) bool {
	for _, s := range []error{ErrRejected, ErrBadSignature, ErrUnreachable, ErrTimeout, ErrResultTimedOut, ErrDropped} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// ErrorClass names err's outcome for metrics: ok, exists, not_found, not_loaded, rejected
// (including a bad reply signature), dropped, timeout, unreachable, or error.
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
	case errors.Is(err, ErrDropped):
		return "dropped"
	case errors.Is(err, ErrTimeout), errors.Is(err, ErrResultTimedOut):
		return "timeout"
	case errors.Is(err, ErrUnreachable):
		return "unreachable"
	}
	return "error"
}
