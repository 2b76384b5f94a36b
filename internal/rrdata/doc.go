// Package rrdata turns caller-supplied record names and values into validated miekg/dns RRs
// (docs/contract.md §5 DnsRecord, §12.2, §12.3). Zone creation (internal/zonefile) and the records API
// (RFC 2136 updates) share it, so both accept exactly the same records.
//
// Owner resolves a record name inside a zone: "@", relative, absolute, IDN (converted to
// punycode) and wildcard names. Parse turns one Record into exactly one RR of its type. A value
// is master-file presentation syntax on one line without control characters, in which ';',
// '(', ')', '$' and '\' appear only inside double quotes: no comment can make the parser drop
// text and no directive ($INCLUDE, $GENERATE, $ORIGIN) can start. The RR must survive a round
// trip through its own rendering and pack on the wire, and each type has the checks miekg/dns
// leaves out (absolute targets, 255-byte TXT strings, hex lengths for TLSA, SSHFP and DS, ...).
//
// Every validation failure is an *InputError whose message is safe to return to the caller: it
// names the name, type or value at fault, quoted with quote.Short (Go syntax, cut to a short
// prefix).
package rrdata
