// Package errs owns the kinds of failure bindgate's domain packages report: invalid input, not
// found, conflict, precondition failed, too large, unavailable and so on. An *Error carries a
// Kind, a public message that may go verbatim into an error body, and the wrapped cause, which
// is for the log only.
//
// Domain packages (zones, records, ...) build their errors here and never import net/http or
// carry status codes; the HTTP layer (internal/api) alone turns a Kind into a status. This
// package must never learn about HTTP, and must never decide by matching error text.
package errs
