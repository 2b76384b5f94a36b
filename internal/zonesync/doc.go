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
//
// One lock per zone serialises every writer of that zone's copy. The records committer holds
// it (Hold) from before it sends an UPDATE until the copy has recorded the change
// (RecordUpdate), so a change is attributed to the API callers who made it even when named's
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
// Measured on the 2-core development VM (bench: BenchmarkCopyBreakdown, BenchmarkZoneCopy,
// 2026-12-07): the UPDATE itself p50 1.7 ms; then Record adds an IXFR over a new TCP
// connection, 0.84 ms (of it the TCP dial 0.14 ms; the rest is TSIG, named's xfrout and
// its info-level transfer log lines, and parsing), and the copy's append, 0.6 ms (a bare
// fsync of the log is 0.28 ms here; writing into a preallocated log would save 0.07 ms). In
// all the copy adds 1.3-1.4 ms to a 1.5 ms change: the issue's < 10% is not met, and cannot
// be while a 2xx waits for a durable write (the fsync alone is 0.28 ms) and for named's
// serial (one round trip, 0.4 ms on a pooled connection). The options weighed:
//
//   - A NOTIFY for a serial the copy already has no longer fetches (queue.go): after every
//     API change named's NOTIFY used to take the lock for a second, useless IXFR. Adopted;
//     it did not move the p50 measurably (named's NOTIFY comes 0.1-0.5 s later, rarely
//     while the next change waits) but spares named a transfer per change.
//   - A pooled, authenticated connection for the IXFR would save at most the dial (0.14 ms,
//     10% of the added cost). Not done yet.
//   - Applying the sent UPDATE to the copy locally and reading the new serial with one SOA
//     query is rejected: the query is not atomic with the UPDATE, so a direct update (bindy)
//     landing between them gives a copy at named's serial without that update, which Fresh
//     would then serve as current; named's own changes (DNSSEC signatures, an ignored CNAME
//     add) would also differ. It would save 0.4 ms at the price of the guarantee.
//   - The fsync is already grouped: one Append, one fsync per committed batch.
//   - max-ixfr-ratio: with a one-record change named already answered with deltas in 299 of
//     300 IXFRs of a small zone, but two steps (an API change and a direct update) exceed the
//     ratio, and one stored change for both leaves the API change's serial out of the
//     history. Set to unlimited on bindgate's zones.
//   - The answer's serial comes from the IXFR (RecordUpdate), not from a SOA query after it:
//     one round trip less, and the update's own serial even when a direct update follows.
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
