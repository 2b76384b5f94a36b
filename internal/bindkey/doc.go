// Package bindkey holds BIND HMAC keys and reads the files they live in.
//
// Key is the type shared by the rndc control channel and TSIG-signed dynamic updates; it
// redacts its secret wherever it could be printed (docs/contract.md §19 A4). LoadRNDCConf reads
// rndc.conf with its includes, and BIND key files (rndc.key, tsig-keygen output), which are
// rndc.conf without options (docs/contract.md §14.3). It reads BIND's configuration grammar with the bindconf lexer (comments
// skipped) and one statement parser (grammar.go).
//
// Parse errors name the file, line and byte offset, never the text found there (docs/contract.md §19 A3):
// the text around a secret is the secret. Only SHA-2 HMACs are accepted (A12), include nesting
// stops at MaxIncludeDepth and cycles are refused (A17), several keys without a default are an
// error rather than an arbitrary pick (A18), and an empty or non-base64 secret is refused (A19).
package bindkey
