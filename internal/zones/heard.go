package zones

import "time"

// heard is what SOA queries told bindgate about one zone: the last serial seen served (a
// restore never goes below it) and what the last query said, and when (listings trust it for
// listFresh). One small value per zone in one map: at 10,000 zones, two maps of these facts
// held about 1.3 MB of heap (issue 13).
type heard struct {
	serial    uint32
	hasSerial bool
	state     serving
	probedAt  int64 // Unix nanoseconds of the last query's answer; 0: none recorded
}

// forgotten reports whether h holds nothing any more (its map entry can go).
func (h heard) forgotten() bool { return !h.hasSerial && h.probedAt == 0 }

// fresh returns the state h's last query found if it was recorded within listFresh before now.
func (h heard) fresh(now time.Time) (serving, bool) {
	if h.probedAt == 0 {
		return 0, false
	}
	at := time.Unix(0, h.probedAt)
	return h.state, now.Sub(at) < listFresh && !now.Before(at)
}
