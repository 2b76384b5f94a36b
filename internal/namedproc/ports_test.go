package namedproc

import (
	"net"
	"strconv"
	"testing"
)

// TestFreePortBelowEphemeralRange: a port for a process that restarts on it is picked below the
// kernel's ephemeral range, where no client socket is given it, is free for TCP and UDP when
// asked, and is never the port to avoid.
func TestFreePortBelowEphemeralRange(t *testing.T) {
	t.Parallel()
	low := ephemeralLow()
	for _, tc := range []struct {
		name       string
		udp        bool
		avoidFirst bool // later picks must avoid the first one
	}{
		{"tcp", false, false},
		{"tcp and udp", true, false},
		{"avoiding a port", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			first, err := freePort(tc.udp, 0)
			if err != nil {
				t.Fatal(err)
			}
			avoid := 0
			if tc.avoidFirst {
				avoid = first
			}
			for range 20 {
				p, err := freePort(tc.udp, avoid)
				if err != nil {
					t.Fatal(err)
				}
				if p == avoid {
					t.Fatalf("picked %d, which it was told to avoid", p)
				}
				if low > lowestPort && (p < lowestPort || p >= low) {
					t.Fatalf("picked %d, outside [%d, %d)", p, lowestPort, low)
				}
				addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
				l, err := net.Listen("tcp4", addr)
				if err != nil {
					t.Fatalf("TCP %s not free: %v", addr, err)
				}
				l.Close()
				if tc.udp {
					u, err := net.ListenPacket("udp4", addr)
					if err != nil {
						t.Fatalf("UDP %s not free: %v", addr, err)
					}
					u.Close()
				}
			}
		})
	}
}
