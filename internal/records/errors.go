package records

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is a records failure whose Msg may be shown to the caller; Err is the cause, for the
// log only. It implements the API's publicError (StatusCode, PublicMessage).
type Error struct {
	Status int
	Msg    string
	Err    error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// StatusCode is the HTTP status for e.
func (e *Error) StatusCode() int { return e.Status }

// PublicMessage is the text of the error body.
func (e *Error) PublicMessage() string { return e.Msg }

// invalidRecord is a 400 with bindcar's "Invalid record: " prefix (CONTRACT §3.3).
func invalidRecord(format string, a ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Msg: "Invalid record: " + fmt.Sprintf(format, a...)}
}

// invalidRequest is a 400 for a request that is well-formed JSON but not a valid change.
func invalidRequest(format string, a ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Msg: "Invalid request: " + fmt.Sprintf(format, a...)}
}

// unprocessable is a 422 for a body of the wrong shape (a required field missing).
func unprocessable(format string, a ...any) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Msg: "Invalid request: " + fmt.Sprintf(format, a...)}
}

// zoneNotFound is CONTRACT's 404 for zone z.
func zoneNotFound(z string) *Error {
	return &Error{Status: http.StatusNotFound, Msg: "Zone not found: " + z}
}

// recordNotFound is the 404 of a PUT whose currentValue is absent (CONTRACT §12.4 [fix]).
func recordNotFound(format string, a ...any) *Error {
	return &Error{Status: http.StatusNotFound, Msg: "Record not found: " + fmt.Sprintf(format, a...)}
}

// notUpdatable is the 400 "Dynamic updates not enabled" of CONTRACT §12.2.
func notUpdatable(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Msg: "Dynamic updates not enabled: " + msg}
}

// conflict is a 409: a change BIND would ignore, or a concurrent change got in first.
func conflict(format string, a ...any) *Error {
	return &Error{Status: http.StatusConflict, Msg: fmt.Sprintf(format, a...)}
}

// preconditionFailed is the 412 of a stale If-Match serial.
func preconditionFailed(format string, a ...any) *Error {
	return &Error{Status: http.StatusPreconditionFailed, Msg: fmt.Sprintf(format, a...)}
}

// unavailable is a 503 with the fixed text; cause goes to the log.
func unavailable(cause error) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Msg: "Service unavailable", Err: cause}
}

// notLoaded is the typed 503 of CONTRACT §8.3.
func notLoaded(z string) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Msg: "Zone not loaded: " + z}
}

// errInternal marks failures that are bindgate's or BIND's fault with nothing to tell the
// caller: 500 "Internal server error" via the API's default mapping.
var errInternal = errors.New("records: internal failure")
