package zonesync

import (
	"context"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/dnsclient"
	"github.com/bindgate/bindgate/internal/zonecopy"
)

// Local applies upd, the update section of an UPDATE the records committer is about to send
// (zone's lock held: Hold), to zone's copy ahead of named, and returns it as a zonecopy.Tx:
// the committer sends the update with the Tx's From as a prerequisite and its SOA as the last
// update, writes the Tx while the update is in flight, and commits it once named applied the
// update. The new serial follows the zone's serial-update-method (method: "", "increment",
// "unixtime" or "date") as named would have chosen it.
//
// This is the API's fast path (doc.go, "What recording an API change costs"): the copy has the
// change without an IXFR, and its fsync overlaps the update's round trip. named's own record
// of the change is compared with the copy's at its next fetch of the zone (its NOTIFY for the
// change, or the sweep), and a copy that differs is replaced by a full transfer, so a rule of
// named's that zonecopy does not model costs a transfer, never a wrong copy.
//
// It fails with zonecopy.ErrNotLocal for an update or a zone it does not handle (a zone
// bindgate does not manage, a record type named maintains) and zonecopy.ErrNotFound without a
// copy: send the update the ordinary way then (RecordUpdate).
func (s *Syncer) Local(ctx context.Context, zone string, upd []dns.RR, method string, actors []zonecopy.Actor) (*zonecopy.Tx, error) {
	if !s.cfg.Managed(zone) {
		return nil, zonecopy.ErrNotLocal
	}
	now := time.Now()
	return s.cfg.Copy.BeginUpdate(ctx, zone, upd, func(old uint32) uint32 { return NextSerial(method, old, now) }, actors)
}

// NextSerial is the serial named gives a zone after an update that does not set one itself
// (BIND's dns_update_soaserial for serial-update-method): increment adds one; unixtime takes the
// current time and date today's YYYYMMDD00 when that is greater in serial arithmetic (RFC 1982),
// else they too add one. Zero is skipped.
func NextSerial(method string, old uint32, now time.Time) uint32 {
	var n uint32
	switch method {
	case "unixtime":
		n = uint32(now.Unix())
	case "date":
		y, m, d := now.UTC().Date()
		n = uint32((y*10000 + int(m)*100 + d) * 100)
	}
	if n != 0 && serialGreater(n, old) {
		return n
	}
	if n = old + 1; n == 0 {
		n = 1
	}
	return n
}

// serialGreater is RFC 1982 §3.2's "a > b".
func serialGreater(a, b uint32) bool {
	return a != b && (a > b && a-b < 1<<31 || a < b && b-a > 1<<31)
}

// verifyLocal checks the locally applied changes of zone (serials from -> have, as the copy
// stores them) against named's IXFR from `from`, which res is: it returns the differences that
// follow have (to append as usual) and ok; ok is false when named's steps differ from the
// copy's, so the caller takes the zone whole.
func (s *Syncer) verifyLocal(zone string, have uint32, res []dnsclient.Delta) (rest []dnsclient.Delta, ok bool) {
	for i, d := range res {
		if d.From == have {
			return res[i:], true
		}
		if !s.cfg.Copy.Matches(zone, zonecopy.Change{From: d.From, To: d.To, Removed: d.Removed, Added: d.Added}) {
			return nil, false
		}
		if d.To == have {
			return res[i+1:], true
		}
	}
	return nil, false
}
