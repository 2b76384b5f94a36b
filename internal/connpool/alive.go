package connpool

import (
	"errors"
	"net"
	"os"
	"syscall"
	"time"
)

// peerClosed reports whether an idle connection can no longer carry a request: the peer
// closed or reset it, or sent bytes nobody asked for. It never blocks.
func peerClosed(nc net.Conn) bool {
	if sc, ok := nc.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			return rawPeerClosed(rc)
		}
	}
	// Not a socket (net.Pipe in tests, a wrapper): a read with an expired deadline. For a
	// socket that would not do: Go's poller fails it with a timeout before any read(2).
	if err := nc.SetReadDeadline(time.Unix(1, 0)); err != nil {
		return true
	}
	var b [1]byte
	n, err := nc.Read(b[:])
	if n > 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	return nc.SetReadDeadline(time.Time{}) != nil
}
