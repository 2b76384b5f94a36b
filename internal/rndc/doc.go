// Package rndc speaks BIND's control channel (ISCCC version 1, BIND's lib/isccc) natively, on
// the standard library, without the rndc binary.
//
// codec.go encodes and decodes ISCCC messages: ordered tables, HMAC-SHA-2 "hsha" signatures
// over the bytes after _auth, and a decoder that checks every length, caps nesting at
// MaxDepth and size at a caller's limit, and verifies every signature in constant time.
// client.go and conn.go are the Client: the nonce handshake, persistent authenticated
// connections lent to one command at a time from an internal/connpool pool, deadlines from
// the context, one transparent retry when an idle connection turns out to be closed. errors.go maps named's result texts
// and transport failures to sentinels (RNDC-PROTOCOL.md §6, §8).
//
// The wire format is described in shared/RNDC-PROTOCOL.md; package rndctest is an
// in-process fake control channel for tests.
package rndc
