// Package rndc speaks BIND's control channel (ISCCC v1, lib/isccc) natively on the standard
// library: HMAC-SHA-2 signed messages, the nonce handshake, every reply's signature verified,
// typed errors from named's result texts, and pooled persistent connections. It never starts
// the rndc binary. See shared/RNDC-PROTOCOL.md for the wire format.
package rndc
