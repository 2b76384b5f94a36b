package namedproc

import "testing"

// TestFreePortBelowEphemeralRange: a port for a process that restarts on it is picked below the
// kernel's ephemeral range, where no client socket is given it, and is never the port to avoid.
// That it was free when picked is freePort's own check; binding it again here would race every
// other test picking ports at the same time.
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
			}
		})
	}
}
