// Package auth authenticates API callers (CONTRACT §15.1).
//
// This build has two modes, fixed at startup: the shared secret (BIND_API_TOKEN), whose bearer
// token is compared in constant time over SHA-256 digests so that neither its content nor its
// length leaks through timing (CONTRACT §19 A15), and the explicit no-auth mode (DISABLE_AUTH,
// guarded at startup, CONTRACT §15.3). Kubernetes TokenReview arrives with a later issue. There
// is no mode that accepts any non-empty token (CONTRACT §19 B-4).
//
// Every refusal wraps ErrUnauthenticated and carries a short reason for the log and for the
// bindgate_auth_failures_total metric; the caller only ever sees a bare 401 "Unauthorized"
// (CONTRACT §19 A7). Neither errors nor log lines ever contain a token. The HTTP middleware
// that calls an Authenticator lives in internal/api.
package auth
