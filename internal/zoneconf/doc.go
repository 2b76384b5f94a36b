// Package zoneconf is the only place where bindgate writes BIND zone configuration text.
//
// It has four jobs:
//
//   - Address grammars (docs/contract.md §6): [ParseEndpoint], [ParseEndpoints] and [ParseACL] turn
//     caller strings into net/netip values, which are rendered again by bindgate; a caller
//     string never reaches BIND (docs/contract.md §19 B-8, C-1). [IsIdentifier] is the rule for every
//     name put, quoted, into rndc text (§19 B-3).
//   - The addzone block (§7.1): [Render] emits one line with the statements in the
//     contract's order.
//   - PATCH (§10): [ParseShowzone] splits what `rndc showzone` prints into top-level
//     statements, keeping each one's exact text, and [Merge] replaces only the statements a
//     request names. Everything else (CIDR prefixes, ports, keys, TLS, any/none, named ACLs,
//     update-policy, unknown options) is re-emitted byte for byte, and a keyword is never
//     emitted twice ([fix] docs/contract.md §18.8).
//   - Restore: [TextFile] gives a secondary's block the file and `masterfile-format text`
//     that let named load a zone file bindgate wrote from its copy, once each.
//
// What BIND 9.18 prints back is pinned in showzone_fixtures_test.go and checked against a
// real named (docs/contract.md §20.3). The surprises: showzone reorders statements into BIND's own
// clause order (a bindgate primary comes back as type, file, inline-signing, allow-transfer,
// allow-update, also-notify, dnssec-policy; a secondary as type, primaries, allow-transfer,
// also-notify); ACL addresses get a prefix length (10.0.0.7/32, 2001:db8::5/128);
// ACL keywords and names are quoted ("none", "any", "localnets"); allow-transfer is followed
// by two spaces; the type keyword and masters/primaries are kept as they were written;
// endpoint lists (also-notify, primaries) print "<ip> port <n>" unchanged.
//
// Errors: every problem with caller input wraps [ErrInvalid], and its text is safe to show
// after "Invalid request: ". Text that does not look like showzone output wraps [ErrSyntax].
package zoneconf
