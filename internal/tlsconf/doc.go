// Package tlsconf serves the API's certificate and, for mTLS, its client CA from PEM files
// that may be replaced while bindgate runs (docs/contract.md §14.1: BIND_TLS_CERT, BIND_TLS_KEY,
// BIND_TLS_CLIENT_CA, BIND_TLS_RELOAD_INTERVAL).
//
// New loads the files once and fails startup when they do not form a usable pair. After that
// a Reloader re-reads them every ReloadInterval and on Check (bindgate calls it on SIGHUP),
// compares a SHA-256 of each file's content with the one in use, like CoreDNS's reload plugin,
// and swaps the parsed result in through an atomic pointer. A new set that does not load
// (unparseable, a key that does not match the certificate, a file missing halfway through a
// rotation) keeps the set in use and logs a warning naming the file.
//
// Files are always opened by path, never kept open: Kubernetes updates a Secret volume by
// pointing its "..data" symlink at a new directory, so only a fresh open sees the new content.
//
// Neither errors nor logs carry key material: they name the setting and the path, and the
// causes they wrap are the fixed texts of crypto/tls and crypto/x509 (docs/contract.md §19 B-7).
package tlsconf
