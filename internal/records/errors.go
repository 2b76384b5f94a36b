package records

import (
	"errors"

	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/zonename"
)

// The records service answers with *errs.Error values; the HTTP layer maps their kinds
// (docs/contract.md §3.4). The constructors below fix the public wording of each case.

// invalidRecord is a 400 with bindcar's "Invalid record: " prefix (docs/contract.md §3.3).
func invalidRecord(format string, a ...any) *errs.Error {
	return errs.New(errs.Invalid, "Invalid record: "+format, a...)
}

// invalidRequest is a 400 for a request that is well-formed JSON but not a valid change.
func invalidRequest(format string, a ...any) *errs.Error {
	return errs.New(errs.Invalid, "Invalid request: "+format, a...)
}

// invalidName is the 400 for a zone name zonename refuses, worded as the zone service and
// the API word it.
func invalidName(err error) *errs.Error {
	reason := "not a valid name"
	if ze, ok := errors.AsType[*zonename.Error](err); ok {
		reason = ze.Reason
	}
	return errs.Wrap(errs.Invalid, err, "Invalid request: Invalid zone name: %s", reason)
}

// unprocessable is a 422 for a body of the wrong shape (a required field missing).
func unprocessable(format string, a ...any) *errs.Error {
	return errs.New(errs.Unprocessable, "Invalid request: "+format, a...)
}

// tooLarge is a 413 for a change that cannot be made as one operation.
func tooLarge(format string, a ...any) *errs.Error {
	return errs.New(errs.TooLarge, "Invalid request: "+format, a...)
}

// zoneNotFound is the contract's (docs/contract.md) 404 for zone z.
func zoneNotFound(z string) *errs.Error {
	return errs.New(errs.NotFound, "Zone not found: %s", z)
}

// recordNotFound is the 404 of a PUT whose currentValue is absent (docs/contract.md §12.4 [fix]).
func recordNotFound(format string, a ...any) *errs.Error {
	return errs.New(errs.NotFound, "Record not found: "+format, a...)
}

// notUpdatable is the 400 "Dynamic updates not enabled" of docs/contract.md §12.2.
func notUpdatable(msg string) *errs.Error {
	return &errs.Error{Kind: errs.Invalid, Msg: "Dynamic updates not enabled: " + msg}
}

// conflict is a 409: a change BIND would ignore, or a concurrent change got in first.
func conflict(format string, a ...any) *errs.Error {
	return errs.New(errs.Conflict, format, a...)
}

// conflictCause is conflict with the cause kept for the log.
func conflictCause(cause error, format string, a ...any) *errs.Error {
	return errs.Wrap(errs.Conflict, cause, format, a...)
}

// preconditionFailed is the 412 of a stale If-Match serial.
func preconditionFailed(format string, a ...any) *errs.Error {
	return errs.New(errs.PreconditionFailed, format, a...)
}

// unavailable is a 503 with the fixed text; cause goes to the log.
func unavailable(cause error) *errs.Error {
	return &errs.Error{Kind: errs.Unavailable, Msg: "Service unavailable", Err: cause}
}

// notLoaded is the typed 503 of docs/contract.md §8.3.
func notLoaded(z string) *errs.Error {
	return errs.New(errs.Unavailable, "Zone not loaded: %s", z)
}

// errInternal marks failures that are bindgate's or BIND's fault with nothing to tell the
// caller: 500 "Internal server error" via the API's default mapping.
var errInternal = errors.New("records: internal failure")
