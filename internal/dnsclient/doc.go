// Package dnsclient sends RFC 2136 dynamic updates, AXFR requests and queries to named, signed
// with TSIG (RFC 8945), in process with github.com/miekg/dns: no nsupdate or dig child
// processes, and the key never reaches an argument list or a file.
//
// Choices:
//
//   - Updates and queries go over TCP. An update never meets UDP truncation (RFC 2136 §3.8
//     would have us retry it over TCP anyway), and one TCP connection carries many exchanges,
//     so a burst of updates costs one handshake instead of one per message. The exception is
//     Serial with Config.UDP (udp.go), which bindgate sets: a pass over 10,000 zones' SOAs
//     (reconcile, listing, the copy's sweep) as 64 TCP connections at once overflowed named's
//     accept queue (tcp-listen-queue, default 10), and each dropped SYN waited the kernel's 1 s
//     retransmit (issue 13). A UDP query is verified like a TCP one and asked again over TCP
//     when its answer is lost (after 1 s), truncated or refused by the network.
//   - Connections are pooled by internal/connpool (Config.MaxIdle idle ones, each for at most
//     Config.IdleTimeout). Each exchange borrows one connection
//     exclusively; callers beyond the pool dial their own, and the surplus is closed on
//     return. A connection is kept only after a complete reply whose TSIG verified, whatever
//     its rcode: anything else (I/O error, unsigned or forged reply, id mismatch, malformed
//     message) closes it, since its stream can no longer be trusted.
//   - named closes idle TCP connections (tcp-idle-timeout, 30 s by default), so a pooled
//     connection may be dead when it is taken; the pool drops those it sees closed before
//     lending them, but a close can race with the request. When writing to or reading from a connection
//     taken from the pool fails with EOF, a reset or a broken pipe before any reply byte
//     arrived, named cannot have answered and, having closed an idle connection, has not read
//     the request: the exchange is retried exactly once on a freshly dialled connection. A
//     fresh connection's failure, a timeout, or a failure after reply bytes arrived is never
//     retried: the update may have been applied, and RFC 2136 updates are not idempotent in
//     general.
//   - TSIG is per message, so every exchange signs with the key Config.Key returns at that
//     moment (hot reload) and pooled connections survive a key change. The owner name is the
//     lower-cased key name (RFC 4034 §6.2 canonical form), the fudge 300 s.
//   - Replies are verified by miekg/dns, with three gaps closed here: an unsigned reply to a
//     signed request is refused (miekg only verifies a TSIG that is present); a reply carrying
//     a TSIG error (BADSIG, BADKEY, BADTIME) is ErrTSIG; and a NOTAUTH reply, which miekg
//     refuses to verify at all (stripTsig returns ErrAuth for every NOTAUTH message), is
//     verified by this package (tsig.go) before it is believed.
//   - Deadlines: every exchange is bounded by the earlier of the context's deadline and
//     Config.Timeout; a cancelled context closes the connection at once. AXFR uses
//     dns.Transfer on a connection this package dials, and the whole transfer is bounded.
//
// Errors are *Error values that match the sentinels (ErrRefused, ErrPrereq, …) with
// errors.Is and carry the operation, zone, rcode and TSIG error; their text may name the key
// but never holds its secret.
package dnsclient
