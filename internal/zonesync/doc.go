// Package zonesync keeps bindgate's live zone copy (internal/zonecopy) current within about a
// second of any change to a managed zone, whoever made it: bindgate's API, bindy's own RFC 2136
// updates sent straight to named, DNSSEC signing by named, rndc by hand (issue 9, item 2). It
// uses DNS's own machinery, never the control channel:
//
//   - listener.go: a NOTIFY listener (RFC 1996) on a loopback address, UDP and TCP. named
//     sends NOTIFY there because every zone bindgate manages carries bindgate's own
//     `also-notify { <addr> port <p> key "<transfer key>"; };` entry (package zones adds it,
//     package zoneconf keeps it out of sight). Only a NOTIFY signed with that TSIG key is
//     accepted; anything else is refused (RFC 8945 §5.2: NOTAUTH with the TSIG error, or
//     REFUSED when unsigned or for a zone bindgate does not manage).
//   - queue.go: accepted NOTIFYs queue their zone, at most once at a time (repeats coalesce;
//     a NOTIFY during a fetch queues the zone once more), in a bounded queue served by a
//     bounded number of workers. A NOTIFY dropped because the queue is full is caught by the
//     sweep.
//   - fetch.go: a fetch brings one zone's copy to named's serial: IXFR from the copy's serial
//     (RFC 1995) appended as changes; a full AXFR stored with zonecopy.Replace when there is
//     no copy yet, when named answers AXFR-style or refuses IXFR, or when the copy reports
//     ErrGap or ErrDiverged. Success ends with zonecopy.Confirm.
//   - sweep.go: every Config.Interval (default 60 s) one SOA query per managed zone, a few at
//     a time, fetches the zones whose serial moved or that have no copy: it fills the copies at
//     startup and catches a lost NOTIFY.
//   - compare.go: after each sweep, a few zones are transferred whole and compared with their
//     copy, so that each is once per Config.CompareInterval (default a day): a change named
//     loaded without a new serial shows in no serial, and only this finds it.
//
// One lock per zone serialises every writer of that zone's copy. The records committer holds
// it (Hold, which first waits for the zone's copy to be loaded and fails, before any UPDATE,
// when it cannot be: zonecopy.Config.Lazy) from before it sends an UPDATE until the copy has
// recorded the change (RecordUpdate), so a change is attributed to the API callers who made it even when named's
// NOTIFY for it arrives first: the NOTIFY's fetch waits, then finds the copy up to date.
// Writers that do not take the lock (bindy's direct updates, named's signing) may add steps
// before and after the API's own, so RecordUpdate picks the step that is the UPDATE's by
// content (attrib.go), attributes the callers to it alone and returns its serial, which the
// committer answers without another query. That needs one step per transaction: bindgate
// sets max-ixfr-ratio unlimited on its zones (package zoneconf), since named otherwise
// answers a small zone's IXFR AXFR-style and the copy stores one change for several. When it
// still does (a journal that does not reach back), or no step matches, the last step is the
// callers', as Record does.
//
// # What recording an API change costs, and why it is done this way
//
// Measured on the 2-core development VM (bench: BenchmarkCopyBreakdown, BenchmarkZoneCopy):
// the ordinary path above waits, after the UPDATE, for an IXFR over a new TCP connection
// (0.84 ms, of it the dial 0.14 ms; the rest is TSIG, named's xfrout and its transfer log
// lines, and parsing) and the copy's append (0.6 ms; a bare fsync is 0.28 ms). That added
// 38-49% to a one-record change's p50, against the issue's < 10%. So an API change of a
// zone bindgate manages, unsigned, takes a fast path instead (local.go, Local):
//
//   - zonecopy computes the change the UPDATE makes to the copy as BIND applies it
//     (zonecopy.Tx: CNAME rules, RRset TTLs, singletons, the apex's SOA and NS), and the new
//     serial by the zone's serial-update-method (NextSerial);
//   - the committer sends the UPDATE with the copy's SOA as a value-dependent prerequisite
//     and the new SOA as its last record: named applies it to exactly the data the change was
//     computed from, with exactly that serial, or applies nothing (a direct update landed in
//     between: NXRRSET, and the ordinary path runs, which fetches both). This is what the
//     rejected "apply locally, then read the serial" lacked: the prerequisite and the serial
//     travel in the update itself, so no other writer can slip in between;
//   - the change is computed, written and fsynced to the copy's log while the UPDATE is in
//     flight (only the serial is fixed before it is sent), and made visible once named
//     answered NOERROR (aborted, and cut from the log, otherwise);
//   - named's own record of the change is still compared: the NOTIFY for the serial (or the
//     sweep) schedules, 0.5 s later, one IXFR from the serial before the oldest unchecked
//     local change; each step must equal the copy's (zonecopy.Matches), else the zone is
//     taken whole by AXFR and the difference counted (bindgate_copy_local_checks_total and
//     bindgate_copy_errors_total{source="verify"}). A rule of named's the model lacks thus
//     costs a transfer, never a wrong copy for longer than that. That IXFR is made without
//     the zone's lock and compared under it (local.go, prefetch), so the committer goes on
//     meanwhile: the steps named had by then are checked, later ones at the next comparison.
//
// Measured the same way, the copy then adds 0.07-0.29 ms (5-22% over nine runs, three of them
// on a quiet machine: 13-22%) to a one-record change's p50, nearly all of it the copy's flush
// to disk: with the flush switched off it adds 0.01-0.03 ms. Overlapping the flush with the
// update does not hide it: named flushes its journal in the same request and the virtual disk
// serialises flushes, whose floor here is 0.18-0.19 ms (bench: BenchmarkFlushFloor). The
// < 10% target is therefore out of reach on this machine while a 2xx waits for the change to
// be durable in the copy (the log's reserve of zeros, package zonecopy, saves 0.03 ms a flush). Signed zones (dnssec-policy, inline-signing), zones
// bindgate does not manage, and a batch whose If-Match serial is not the copy's keep the
// ordinary path.
//
// Decisions kept from the ordinary path:
//
//   - A NOTIFY for a serial the copy already has, or went past by its own local changes
//     (zonecopy.Passed), does not fetch (queue.go), nor wait for the zone's lock, except to
//     check local changes, later and once for many.
//   - The fsync is grouped: one per committed batch.
//   - max-ixfr-ratio unlimited on bindgate's zones: named answers one step per transaction,
//     which both attribution and the comparison of local changes need.
//   - The answer's serial comes from the change itself (fast path) or from the IXFR
//     (RecordUpdate), never from a SOA query after it.
//
// Reads (Fresh, Offer) let the RRset and export routes answer from the copy: Fresh returns the
// copy, as a read-only snapshot without copying a record, when one SOA query shows named at the
// copy's serial; Offer stores a transfer the reader made anyway, when named still serves that
// serial.
//
// The Syncer owns every goroutine it starts (the two servers, the workers, the sweep); Close
// stops them and waits. It must be closed before the DNS client it uses. It never sends an
// rndc control message (package rndc's rule: no control message per zone on periodic or read
// paths), never changes a zone in named, and keeps no fact about a zone other than what the
// copy holds: which zones are managed it asks Config.Managed and Config.Zones.
package zonesync
