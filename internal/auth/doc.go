// Package auth authenticates API callers (docs/contract.md §15).
//
// Three modes, fixed at startup: the shared secret (BIND_API_TOKEN), whose bearer token is
// compared in constant time over SHA-256 digests so that neither its content nor its length
// leaks through timing (docs/contract.md §19 A15); Kubernetes TokenReview (tokenreview.go), one HTTPS
// POST to the API server per token and cache period, with no client-go (docs/contract.md §15.2); and
// the explicit no-auth mode (DISABLE_AUTH, guarded at startup, docs/contract.md §15.3). There is no
// mode that accepts any non-empty token (docs/contract.md §19 B-4).
//
// Every refusal wraps ErrUnauthenticated and carries a short reason for the log and for the
// bindgate_auth_failures_total metric; the caller only ever sees a bare 401 "Unauthorized"
// (docs/contract.md §19 A7). A TokenReview that could not be completed (API server unreachable, slow,
// 5xx, 429, malformed answer) is ErrAuthUnavailable instead, which the API answers with a
// retryable 503: fail closed, but do not tell the client its token is bad. Neither errors nor
// log lines ever contain a token; the TokenReview cache is keyed by the token's SHA-256. The
// HTTP middleware that calls an Authenticator lives in internal/api.
package auth
