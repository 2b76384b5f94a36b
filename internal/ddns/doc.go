// Package ddns sends RFC 2136 dynamic updates, AXFR requests and queries to BIND, all signed
// with TSIG (RFC 8945) through github.com/miekg/dns, in process: no nsupdate child, the key
// never on an argv or in a file.
//
// Everything goes over TCP: an update or an AXFR never truncates, and one connection carries
// many messages, so a stream of changes pays the TCP handshake once. Connections are pooled
// (MaxIdle idle ones) and each carries one exchange at a time. named closes idle TCP
// connections (tcp-idle-timeout, 30 s by default), so a pooled connection may be dead when it
// is taken: if the exchange fails on it before any reply byte arrived, named never read the
// message (a closed connection is not processed), and it is sent once more on a fresh
// connection. A failure on a fresh connection, or a timeout, is never retried: the update may
// have been applied.
//
// Replies must be signed with the same key and verify; an unsigned reply to a signed request
// is refused (ErrTSIG), since anyone on the path could have forged it.
package ddns
