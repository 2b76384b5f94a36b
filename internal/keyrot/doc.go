// Package keyrot drives named onto a rotated rndc/TSIG key without a failed request (issue 10).
//
// A Rotator is the Switch of the filewatch.Watcher that holds bindgate's keys. When the key
// files change it holds its gate (a sync.RWMutex the rndc and DNS clients take shared around
// every exchange) exclusively, so requests wait instead of failing, and:
//
//  1. sends `reconfig` with the OLD key (named.conf includes the same key file, so named loads
//     the new key);
//  2. proves the new key: `status` with the new rndc key, a TSIG-signed query with the new
//     TSIG key;
//  3. commits: the rndc client and the TSIG signer switch together (one value swapped), and
//     the gate opens.
//
// Orders: named restarted with the new key before bindgate noticed: reconfig with the old key
// is refused, the new key proves, switch. named.conf does not include the file: after the
// reconfig named still refuses the new key; the old key stays in use, the state is "pending"
// (log, metric, audit once per new key; readiness says so without failing), and the watcher
// retries with a backoff. A new key NAME is refused: zones' allow-update and named.conf's
// controls name the key, and bindgate does not rewrite them (docs/contract.md §14.3).
//
// A request refused for its key (named moved on its own) asks OtherRNDC or OtherTSIG, which
// first has the watcher look at the files at once, and then offers the current, next or
// previous key. The package never logs a secret: keys are described by name, algorithm and
// Fingerprint.
package keyrot
