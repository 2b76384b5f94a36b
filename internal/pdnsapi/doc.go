// Package pdnsapi is the PowerDNS-compatible subset of bindgate's API (issue 12): the paths,
// JSON shapes and status codes of PowerDNS's HTTP API that dnscontrol, lexicon, lego and
// ExternalDNS's pdns provider use, mapped onto the zone and records services. The handlers
// run in api.Server's route table, so the address allowlist, rate limit, authentication
// (X-API-Key, checked as a bearer token), zone scopes, in-flight bound, audit, metrics and
// request ids apply to them exactly as to bindcar's routes; api.Server renders their errors
// in PowerDNS's body, {"error":"…"}.
//
// What is supported and what is not is listed in README ("PowerDNS-compatible API").
package pdnsapi
