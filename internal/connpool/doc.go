// Package connpool keeps idle connections to one server for reuse. It is the one pool behind
// the rndc control-channel client and the DNS client (issue 8, item 2).
//
// A connection is lent to one caller at a time: Get reuses an idle connection or dials, and
// Put gives a healthy one back. The pool owns what happens between uses:
//
//   - At most MaxIdle connections stay idle; the surplus is closed on Put.
//   - A connection idle for IdleTimeout is closed, by a timer the pool owns (stopped by
//     Close), and never reused after that, so it is dropped before the server's own idle
//     limit (named's tcp-idle-timeout) cuts it.
//   - Invalidate starts a new generation, for a key change: idle connections are closed at
//     once and connections lent before it are closed on Put instead of being kept.
//   - Before an idle connection is lent, a non-blocking read checks that the peer has not
//     closed it (EOF, a reset, or stray bytes that put the stream out of step); such a
//     connection is closed and the next one tried, so a request does not fail because named
//     closed an idle connection. The check cannot see a close that races with the request;
//     callers still retry once on a fresh connection when a reused one fails before any
//     reply byte.
//
// The pool never reads or writes a protocol message and never decides whether a connection
// is healthy after use: the caller does, by choosing Put or closing the connection itself.
package connpool
