// Package webhook is ExternalDNS's webhook provider, protocol version 1 (issue 12 item 2):
// ExternalDNS runs with --provider=webhook beside bindgate and calls this listener to read the
// records of the zones it may manage and to apply its plans.
//
// The protocol (kubernetes-sigs/external-dns docs/tutorials/webhook-provider.md) has four
// calls: GET / negotiates (the domain filter), GET /records lists endpoints, POST
// /adjustendpoints normalises the desired endpoints before ExternalDNS plans, and POST
// /records applies a plan. It has no authentication, so the listener acts as one configured
// principal, whose zone scopes (package access) bound what it reads and writes, and it listens
// on loopback unless the operator insists.
//
// The package owns the translation between ExternalDNS endpoints (one per RRset, names
// without the trailing dot, TXT targets as ExternalDNS writes them) and bindgate's RRsets; it
// never talks to BIND itself: reads and writes go through package records (one atomic Patch
// per zone), so the zone copy, history and audit see webhook changes like API changes.
package webhook
