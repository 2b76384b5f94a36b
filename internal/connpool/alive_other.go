//go:build !unix

package connpool

import "syscall"

// rawPeerClosed cannot peek without blocking here; a close is then seen by the request, and
// the caller's retry on a fresh connection covers it.
func rawPeerClosed(syscall.RawConn) bool { return false }
