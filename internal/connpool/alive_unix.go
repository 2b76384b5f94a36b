//go:build unix

package connpool

import (
	"errors"
	"syscall"
)

// rawPeerClosed peeks at the socket without blocking (Go's sockets are non-blocking):
// EAGAIN means open and quiet; 0 bytes means the peer's FIN arrived; data or any other error
// means the connection is out of step or broken.
func rawPeerClosed(rc syscall.RawConn) bool {
	closed := true
	err := rc.Read(func(fd uintptr) bool {
		var b [1]byte
		for {
			_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK)
			switch {
			case errors.Is(err, syscall.EINTR):
				continue
			case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EWOULDBLOCK):
				closed = false
			} // else EOF (0 bytes), unsolicited bytes or an error: closed
			return true // done: never wait for readability
		}
	})
	return err != nil || closed
}
