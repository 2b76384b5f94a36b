package errs

import (
	"errors"
	"fmt"
	"syscall"
)

// Kind is the class of a failure, as the caller should see it.
type Kind int

// The kinds. The zero value is Internal: a failure with nothing the caller can act on.
const (
	Internal            Kind = iota // bindgate's or BIND's fault; a retry may help
	Invalid                         // the request is not a valid change for this zone or state
	Unprocessable                   // the body has the wrong shape (a required field missing)
	NotFound                        // the zone, or the record to change, does not exist
	Conflict                        // the change conflicts with the current state
	PreconditionFailed              // the caller's If-Match no longer holds
	TooLarge                        // the request is larger than one operation may be
	Unauthenticated                 // no valid credentials
	Forbidden                       // valid credentials, not allowed for this resource
	Unavailable                     // BIND unreachable, slow or rejecting our key; retry later
	InsufficientStorage             // the disk or a quota is full
)

var kindNames = [...]string{
	Internal: "internal", Invalid: "invalid", Unprocessable: "unprocessable", NotFound: "not found",
	Conflict: "conflict", PreconditionFailed: "precondition failed", TooLarge: "too large",
	Unauthenticated: "unauthenticated", Forbidden: "forbidden", Unavailable: "unavailable",
	InsufficientStorage: "insufficient storage",
}

// String names k for logs and tests.
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is a failure of a known Kind. Msg is public: it goes verbatim into the error body, so
// it must never hold BIND's text, a path or a key name. Err is the cause, for the log only.
// An empty Msg lets the HTTP layer use its fixed text for the kind (for Internal and
// Unavailable, the only messages docs/contract.md §3.3 allows besides typed ones).
type Error struct {
	Kind Kind
	Msg  string
	Err  error
}

// Error renders the public message and the cause.
func (e *Error) Error() string {
	switch {
	case e.Msg == "" && e.Err == nil:
		return e.Kind.String()
	case e.Msg == "":
		return e.Err.Error()
	case e.Err == nil:
		return e.Msg
	}
	return e.Msg + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns an error of kind k whose public message is format applied to a.
func New(k Kind, format string, a ...any) *Error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, a...)}
}

// Wrap returns an error of kind k with a public message that wraps cause.
func Wrap(k Kind, cause error, format string, a ...any) *Error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, a...), Err: cause}
}

// Sentinel returns an error of kind k with no public message, for a package's exported
// sentinel: errors.Is matches it by identity, and KindOf(fmt.Errorf("...: %w", s)) is k.
func Sentinel(k Kind, text string) *Error {
	return &Error{Kind: k, Err: errors.New(text)}
}

// KindOf returns the kind of the outermost *Error in err's chain, and Internal when there is
// none (or err is nil: callers check for nil first).
func KindOf(err error) Kind {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Kind
	}
	return Internal
}

// Is reports whether err carries an *Error of kind k.
func Is(err error, k Kind) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.Kind == k
}

// Public returns the public message of the outermost *Error in err's chain, or "".
func Public(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Msg
	}
	return ""
}

// StorageFull reports whether err's chain says a disk or a quota is full: syscall.ENOSPC or
// syscall.EDQUOT however deeply wrapped (an *os.PathError from a write, an fsync, a rename),
// or an *Error of kind InsufficientStorage. Write paths need not map these themselves: the
// HTTP layer asks StorageFull of every failure that carries no more specific kind.
func StorageFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || Is(err, InsufficientStorage)
}

// KindOfStorage is KindOf, except that a failure of no specific kind (Internal) whose chain
// holds a full disk or quota (StorageFull) is InsufficientStorage.
func KindOfStorage(err error) Kind {
	k := KindOf(err)
	if k == Internal && StorageFull(err) {
		return InsufficientStorage
	}
	return k
}
