// Package zonecopy is bindgate's durable live copy of every managed zone's data, with its change
// history. named may lose its zone files and NZD (an ephemeral volume, bindy issue #486); from
// this copy a lost zone is restored with its records, reads are answered without an AXFR, and
// the history gives listings, diffs and rollback (issue 9, items 2, 4, 5, 6).
//
// It owns storage only: it never talks to named, never decides when to fetch (the NOTIFY
// listener and IXFR/AXFR fetcher call Replace and Append) and keeps no fact about a zone other
// than its data (configuration belongs to the registry and the zones package).
//
// # Storage
//
// One directory per zone, <Dir>/<zone>/, named after the normalised zone name (zonename), read
// and written only through an *os.Root on Dir. It holds two files:
//
//   - snapshot: the zone at a base serial in zone-file presentation format (absolute names, one
//     record per line, the SOA first, then canonical order), after a header line
//     ";bindgate-zonecopy-snapshot v=1 zone=Z serial=N seq=S changed=RFC3339 crc32c=HEX" giving
//     the change sequence number S folded into it, when that state came to be, and a CRC-32C of
//     the body. Written with atomicfile (temp file, fsync, rename, directory fsync).
//   - changes: an append-only log of the changes after the base, oldest first. Each record is
//     a 4-byte big-endian payload length, a 4-byte CRC-32C of the payload, then the payload:
//     JSON {"v":1,"seq","from","to","at","actors","soa","removed":[RR text],"added":[RR text]}.
//     seq numbers the zone's changes one by one across compactions; serials are only compared
//     for equality (RFC 1982: they wrap, so "older" is not defined by them). After the records
//     the file holds zero bytes reserved for the next ones (from 4 KiB, doubling with the log
//     by at most 1 MiB at a time): a record length of zero ends the log.
//
// A loaded copy is held in memory whole (the current records, and the retained changes as their
// encoded records); reads never touch the disk once a zone is loaded. Loading
// 10,000 small zones (a snapshot and two changes each) takes 0.8-2.3 s on the shared 2-core
// development machine, almost all of it open/read/close system calls (TestLoadTenThousand
// logs the figure). So bindgate opens the store with Config.Lazy (issue 13): Open only lists
// the zone directories, each zone's copy is loaded by its first use (which every other use of
// the zone waits for) or by LoadAll, which bindgate runs once its startup reconcile is done. A
// copy that fails to load fails every writer of its zone and LoadAll, naming the file, and is
// never written over; readers see no copy.
//
// # Cache
//
// With Config.MaxLoaded the store holds about that many copies in memory (issue 13: at 10,000
// zones the copies were most of bindgate's heap, and the heap's double its RSS). Beyond it the
// least recently used copies are unloaded, down to three quarters of the bound: their files
// stay as they are, and the store keeps of each only its serial and Confirm's Checked time,
// which the serial sweep, listings and Zones ask of every zone and get without a load. Any
// other use of an unloaded copy (a read of its records or history, a change, a Tx, Delete)
// loads it again first, as a first use loads a copy at a lazy Open, and sees exactly what it
// would have seen had the copy stayed. Memory changes only after the disk (see below), so an
// unloaded copy loses nothing; the state that lives in memory only is why a copy is never
// unloaded while a writer or a Tx holds it, while a local change is unverified, or while it is
// suspect or its log is marked for a rewrite (so more than MaxLoaded copies stay loaded while
// more are pinned that way), nor while it is among the quarter of MaxLoaded used last (a copy
// loaded for a writer stays until the writer holds it). Reading a copy again costs two small
// files (about 0.1-0.2 ms for a small zone); a Snapshot's Generation changes with each load.
//
// # Durability and fsync policy
//
// A write is durable when the call returns nil, and memory changes only after that, so a failed
// call leaves the copy as it was: Append and Replace of an existing copy write all their
// records in one write and one fdatasync when they fit the reserved zeros (the file's size and
// blocks do not change, so no metadata needs committing: on ext4 no journal commit, which would
// otherwise wait for or hold up named's own journal fsync on the same filesystem), else in one
// write of the records and a new reserve and one fsync (plus a directory fsync when the log
// file is new); a first Replace writes the snapshot atomically, the parent directory's fsync
// (the new zone directory's entry) running beside the snapshot's own two fsyncs; Delete removes
// the snapshot first (a zone directory without a snapshot is leftover, removed at Open), then
// fsyncs the zone's directory. Discard is Delete without that fsync, for a caller that records
// the deletion durably itself (the zones package's tombstone) and removes a copy a power
// failure brings back. A failed append is truncated away again; if even that fails the log is
// rewritten whole before the next append. A full disk or quota (ENOSPC, EDQUOT) is
// errs.InsufficientStorage; a read-only filesystem (EROFS) is errs.Unavailable; other failures
// are internal. Confirm's Checked time is memory only. The
// change logs of up to 256 zones stay open between writes (closed before a compaction replaces
// the file, and at Close), which spares a busy zone an open and close per change.
//
// A change made ahead of named (BeginUpdate, Tx) follows the same rule: Tx.Write computes it and
// appends it durably while the update is in flight, memory changes at Commit, and Abort turns its bytes
// back into reserved zeros (durably, so a refused update cannot reappear after a crash). A crash between
// Write and Commit leaves a change whose update got no answer; the copy then has it, and the
// next fetch from named keeps or undoes it (an IXFR from a serial named does not have falls
// back to a full transfer). Until then the copy is Suspect: BeginUpdate refuses it
// (ErrNotLocal), since named may have given the change's serial to another change, whose SOA
// then equals the copy's and would pass an UPDATE's SOA prerequisite.
//
// # Crashes and damage
//
// At Open the reserved zeros after a change log's records are kept as they are. A torn last
// record (cut short by a crash during a write that was therefore never acknowledged: its frame
// runs past the end of the file, or zeros follow a partial record) is truncated away with a
// warning. Any other damage (a bad checksum before the last
// record, a snapshot that does not parse, a record that does not follow the one before) fails
// Open (lazily: the zone and LoadAll) with an error naming the file: starting with a zone's data silently lost or rolled back is
// the failure this package exists to prevent. Removing the zone's directory is the fix; the
// copy is then taken again by AXFR.
//
// # Retention and compaction
//
// A change is kept while it is among the zone's last MaxChanges (default 1000) or younger than
// MaxAge (default 30 days), whichever keeps more; memory drops an older change as soon as an
// Append makes it fall out. The log is compacted when the bytes of its records beyond retention
// reach both the bytes still needed (snapshot plus retained records) and 64 KiB, so that
// rewriting stays amortised O(1) per append and the disk holds at most about twice what
// retention needs. Retention is never cut short for size: lower MaxAge to bound a busy zone.
// Compaction writes the snapshot at the oldest retained serial (state computed by undoing the
// retained changes), then rewrites the log with the retained records, each atomically. A crash
// between the two leaves the new snapshot with the old log, whose records up to the snapshot's
// seq are skipped at Open; a crash before or after leaves a consistent pair as well.
package zonecopy
