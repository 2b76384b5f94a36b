// Package registry is bindgate's durable record of every zone it manages: its type, the
// configuration block last applied with addzone or modzone, and (for primaries) the zone file
// bindgate first wrote. named keeps added zones in an NZD database in its working directory,
// which in a pod is often ephemeral (bindy issue #486); with the registry, zones named lost can
// be added again, and a lost zone file rebuilt.
//
// # Storage
//
// One small JSON file per zone, <dir>/zones/<zone>.json, written through an *os.Root with
// atomicfile (temp file, fsync, rename, directory fsync), plus an in-memory map behind a
// sync.RWMutex that answers every read. The map holds each block as a template with the zone's
// name taken out, interned (package unique), so zones created alike share one block in memory,
// and not the zone file, which only a restore reads (Load reads it from the entry's file; Get
// and List say there is one). Issue 13: at 10,000 zones the entries were a quarter of
// bindgate's heap. Why this and not the alternatives:
//
//   - O(1) per change: one small write and two fsyncs whatever the number of zones. A single
//     JSON file would be rewritten whole on every change (megabytes per create at 10,000
//     zones); an append-only log is O(1) too but needs compaction and torn-tail recovery.
//   - Crash safe by rename: a crash leaves the old entry or the new one, never a torn file, and
//     no recovery code runs at startup (temp files of an interrupted write are removed).
//   - No dependency: bbolt would add one, and it fsyncs per commit as well, so it is not faster
//     for the one change per request bindgate makes.
//   - It mirrors how named keeps one zone file per zone, so an operator can read, back up and
//     repair it with ls, cat and rm.
//
// The cost is startup, which reads N small files: 10,000 entries of about 500 bytes loaded in
// 0.4-0.7 s one at a time on the 2-core development machine with a warm page cache and other
// work running, almost all open/read/close system calls and JSON decoding; Open reads them 2
// per CPU at a time, each with four system calls (openat relative to the entries directory,
// two reads, close: readat_linux.go), in 0.17 s on a quiet machine (TestLoadTenThousand
// reports the figure; issue 13).
// BenchmarkPut measures one change at about 2.6 ms there, dominated by the two fsyncs.
//
// # Format
//
// Each file is one JSON object: {"v":1,"zone":...,"type":...,"block":...,"zoneFile":base64,
// "created":RFC 3339,"modified":RFC 3339}. "v" is the format version; Open refuses a version it
// does not know instead of guessing.
//
// # Order of writes around a BIND change (issue 9 item 1)
//
// The registry records intent first, so that no failure or cancellation after BIND changed can
// leave an entry that disagrees with what the API answered:
//
//   - create: the entry, then the zone file, are written before addzone; a failed addzone removes
//     them. The entry comes first (not in parallel with the file), so a crash never leaves a file
//     bindgate wrote that no entry accounts for; the zone's tombstone, if any, is then removed.
//     The entry is durable before addzone; the zone file of a name with nothing left of an
//     earlier zone is created exclusively and its fsyncs run beside addzone, done before the
//     201 (zones.Create; the entry holds the file's bytes, and reconcile rebuilds a file a
//     power failure left empty or torn).
//   - modify: the new block is written before modzone; a failed modzone puts the previous entry
//     back. A registry failure answers 507/500 and BIND is not touched.
//   - delete: a tombstone is written, then the entry removed, before delzone, each made durable
//     by one directory fsync, in that order; a failed delzone puts the entry back and removes
//     the tombstone. So a delzone can never leave an entry behind for reconcile to re-add, and
//     a crash never leaves the entry gone without the tombstone. A DELETE of a zone BIND no
//     longer has removes a leftover entry (tombstoning it first) and answers 404. The two steps
//     are two fsyncs because they are in two directories; one record for both would need
//     another storage format (an append-only log), not taken so far.
//
// # Tombstones
//
// A deleted zone can come back without bindgate: named killed right after it answered delzone
// ("scheduled for removal") still has the zone in its NZD, and serves it again when it starts.
// So each delete leaves a tombstone, <dir>/tombstones/<zone>, holding the time of the delete
// (RFC 3339), written before delzone. Only its name must survive a crash, so it is written in
// place and made durable by one fsync of its directory (no temp file, no fsync of its own); a
// crash may leave it empty or cut short, and it is then dated by its modification time. Reconcile (startup, named restart,
// manual) deletes every zone named serves that has a tombstone and no entry, and removes the
// zone file and copy a delete killed before its clean-up left; only tombstoned zones are
// touched, never a zone file of a zone bindgate has no record of deleting (bindcar's zones are
// <zone>.zone files without entries that named does serve). A create of the name removes the
// tombstone. Tombstones expire after TombstoneTTL (7 days): Open and each reconcile remove
// older ones, so the directory stays bounded by the deletes of a week. A tombstone that cannot
// be parsed is kept, dated by its file's modification time.
//
// The zones package runs the BIND change and everything after it on a context detached from
// the request, with its own timeout, and reports every failure (log, metric, non-2xx).
//
// # Corrupt entries
//
// Open fails on an entry file it cannot read, naming the file but never repeating its content
// (it holds configuration blocks). Quarantining it instead would let bindgate start with a zone
// silently forgotten, which is the failure the registry exists to prevent; atomic writes mean
// such a file only appears through outside damage, which an operator should look at. The error
// says to fix or remove the file.
package registry
