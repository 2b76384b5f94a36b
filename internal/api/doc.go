// Package api is bindgate's HTTP layer: bindcar's routes and wire contract (docs/contract.md §2-§3, §8-§13),
// JSON in and out, one error mapping, request ids, metrics, request logging and authentication.
// Zone logic lives in internal/zones behind the ZoneService interface.
//
// Every request passes, outermost first: request id, recover, metrics, logging, then the route
// (the mux, whose own plain-text 404/405 answers are replaced by the JSON error body), and on
// authenticated routes auth, then the per-request timeout, then the handler. Recover sits inside
// request id so that a panic's 500 still carries the id, and metrics and logging outside auth so
// that refused requests are counted and logged too. A
// handler has the shape func(w, r) error; one adapter turns a returned error into the response
// through writeError, the single place that maps errors to statuses and bodies and logs 5xx
// causes, once, with the request id (docs/contract.md §3.3, §19 A-3).
package api
