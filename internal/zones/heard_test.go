package zones

import (
	"testing"
	"time"
)

// A recorded probe is trusted for listFresh after it was made and never before it (a clock
// set back); none recorded is never fresh.
func TestHeardFresh(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	probedAt := heard{state: notLoaded, probedAt: at.UnixNano()}
	for _, tc := range []struct {
		name  string
		h     heard
		now   time.Time
		fresh bool
	}{
		{"just now", probedAt, at, true},
		{"within listFresh", probedAt, at.Add(listFresh - time.Nanosecond), true},
		{"at listFresh", probedAt, at.Add(listFresh), false},
		{"clock set back", probedAt, at.Add(-time.Second), false},
		{"serial only", heard{serial: 7, hasSerial: true}, at, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, ok := tc.h.fresh(tc.now)
			if ok != tc.fresh || ok && st != tc.h.state {
				t.Errorf("fresh = %v, %v; want %v, %v", st, ok, tc.h.state, tc.fresh)
			}
		})
	}
	if (heard{serial: 7, hasSerial: true}).forgotten() || probedAt.forgotten() || !(heard{state: served}).forgotten() {
		t.Error("forgotten: an entry with a serial or a probe counts as empty, or one with neither does not")
	}
}
