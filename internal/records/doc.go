// Package records changes and reads the data of BIND zones: bindcar's one-record routes
// (docs/contract.md §12), atomic RRset changes, declarative sync and export. Changes become RFC 2136
// update messages sent through internal/dnsclient; reads are AXFR. A zone's change history and
// rollback (history.go, rollback.go) read the zone copy (History, internal/zonecopy) and never
// write it; a rollback is an ordinary change sent through the same planner and committer. What records must know about a
// zone's configuration (is it a primary, does it take updates) it asks the zones service
// through ZoneFacts before each change, and keeps no copy of it.
//
// Three rules shape it:
//   - Validation happens before anything is sent: every value becomes a typed RR
//     (internal/rrdata) and every change BIND would silently ignore (lib/ns/update.c: CNAME
//     beside other data, the last apex NS, wildcard NS, SOA) is refused here with the reason.
//   - A change is one update message: deletions before additions, guarded by prerequisites
//     that make BIND refuse the whole message when the zone moved under it, rather than
//     checking in a separate read (no read-then-write race).
//   - Writers to one zone are group-committed (commit.go): while a message is in flight, the
//     next changes queue and go together, each caller still getting its own result; after a
//     message of several callers' changes the committer waits briefly for those callers'
//     next changes, so that writers in a loop keep going together.
package records
