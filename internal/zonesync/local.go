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

// prefetched is an IXFR from the serial before the oldest unverified local change, made
// without the zone's lock (prefetch).
type prefetched struct {
	from uint32
	res  dnsclient.IXFRResult
}

// prefetch makes, without the zone's lock, the IXFR that compares zone's unverified local
// changes with named's record of them, when there are any.
// Holding the lock for the transfer held the records committer too: under a stream of API
// changes that was one IXFR of 0.5 s of changes every 0.5 s (verifyDelay), 35-75 ms each on the
// development machine, and the writers' p99 with it. The comparison itself is made under the
// lock (verifyPrefetched).
func (s *Syncer) prefetch(ctx context.Context, zone string) (prefetched, bool) {
	from, local := s.cfg.Copy.Unverified(zone)
	if !local {
		return prefetched{}, false
	}
	res, err := s.ixfr(ctx, zone, from)
	if err != nil || res.Full != nil {
		return prefetched{}, false
	}
	return prefetched{from: from, res: res}, true
}

// verifyPrefetched compares pre with zone's copy (zone's lock held) and reports whether that
// settled the fetch: every step named made matches the copy's, and named is at the copy's
// serial (the local changes are all verified) or behind it at a serial the copy went through
// (those up to it are, and the rest is compared later). Anything else (the copy moved under
// another verification, a step that differs, named past the copy) leaves it to fetchLocked,
// which transfers again under the lock and takes the zone whole when named's record differs.
func (s *Syncer) verifyPrefetched(zone string, pre prefetched) bool {
	have, ok := s.cfg.Copy.Serial(zone)
	if from, local := s.cfg.Copy.Unverified(zone); !ok || !local || from != pre.from || len(pre.res.Deltas) == 0 {
		return false
	}
	steps := pre.res.Deltas
	at := steps[len(steps)-1].To
	if steps[0].From != pre.from || at != pre.res.Serial {
		return false
	}
	for i, d := range steps {
		if d.From == have || d.To == have && i < len(steps)-1 || // named is past the copy
			!s.cfg.Copy.Matches(zone, zonecopy.Change{From: d.From, To: d.To, Removed: d.Removed, Added: d.Added}) {
			return false
		}
	}
	s.cfg.Copy.VerifiedTo(zone, at)
	if s.cfg.OnCheck != nil {
		s.cfg.OnCheck(true)
	}
	if at == have {
		s.cfg.Copy.Confirm(zone, have)
	} else {
		s.verifyLater(zone) // the changes after at
	}
	return true
}
