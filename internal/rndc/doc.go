// Package rndc speaks BIND's control channel (ISCCC version 1, BIND's lib/isccc) natively, on
// the standard library, without the rndc binary.
//
// codec.go encodes and decodes ISCCC messages: ordered tables, HMAC-SHA-2 "hsha" signatures
// over the bytes after _auth, and a decoder that checks every length, caps nesting at
// MaxDepth and size at a caller's limit, and verifies every signature in constant time.
// client.go and conn.go are the Client: the nonce handshake, persistent authenticated
// connections lent to one command at a time from an internal/connpool pool, deadlines from
// the context, one transparent retry when an idle connection turns out to be closed, for
// read-only commands only (Repeatable): a change whose reply was lost is ErrDropped, never resent. errors.go maps named's result texts
// and transport failures to sentinels (docs/rndc-protocol.md §6, §8).
//
// The control channel is the scarce resource. named gets slower with every control message it
// has received recently (measured with this client: `status` from 0.12 to 11.6 ms and
// `addzone` from 0.8 to 10.7 ms after about 120,000 messages), and a zonestatus per zone per
// listing made a 10,000-zone GET /api/v1/zones time out within ten calls. The rule for every
// caller of this package:
//
//   - no control-channel message per zone on any read path or periodic task (listing, zone
//     counting, readiness): use what bindgate knows (its registry) and checks that do not
//     touch the control channel (SOA queries over DNS, named's statistics channel);
//   - at most a constant number of control messages per mutation or per single-zone request;
//   - a zone's configuration facts come from bindgate's own record of them (package zones),
//     not from a showzone per record write.
//
// A request about one named zone (zonestatus for GET /zones/{name}, showzone before a PATCH)
// is fine; a loop over zones that sends a message each is not. Only the zones a reconcile
// must repair cost messages.
//
// The wire format is described in docs/rndc-protocol.md; package rndctest is an
// in-process fake control channel for tests.
package rndc
