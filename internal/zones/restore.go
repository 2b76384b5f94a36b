package zones

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/registry"
	"github.com/bindgate/bindgate/internal/rndc"
	"github.com/bindgate/bindgate/internal/zoneconf"
	"github.com/bindgate/bindgate/internal/zonecopy"
	"github.com/bindgate/bindgate/internal/zonefile"
)

// Where a restored zone's data came from (RestoredZone.Source).
const (
	SourceCopy     = "copy"     // bindgate's live copy (zonecopy), records and all
	SourceFile     = "file"     // the zone file (and journal) named left on disk; only its NZD was lost
	SourceRegistry = "registry" // the zone file bindgate first wrote: records added later are lost
	SourceTransfer = "transfer" // a secondary without a copy: named loads its own file if it kept one, else transfers
)

// restoreTimeout bounds one zone's restore. It runs detached from the request: once files are
// written, addzone must follow.
const restoreTimeout = 30 * time.Second

// restoreZone adds back a registered zone BIND does not know (issue 9 item 4); the caller holds
// the zone's lock and has seen zonestatus answer "not found". Sources, best first, for a primary:
//
//   - the zone file named left (if it starts with the zone's SOA), with its journal: named lost
//     only its NZD, so its own files are
//     its latest state; addzone alone. When the copy knows a later serial than the file then
//     serves, the file was stale: the zone is replaced from the copy.
//   - the copy: a zone file written from it, stale journals deleted, then addzone.
//   - the registry's first zone file, when there is no copy (logged: later records are lost).
//
// A restored primary's serial is never lower than the last one known to be served (the copy's,
// the last SOA a probe saw, the registry file's): when another is later (RFC 1982), max+1, so
// that secondaries take the next transfer.
//
// A secondary with a copy is restored the same way, file first, then the copy, so that it
// serves at once even while its primaries are unreachable (issue 9 item 2): the copy is written
// as a text zone file, at the serial it has (a secondary must never claim a serial above its
// primary's, which would stop every later transfer), and the zone is added with
// zoneconf.TextFile's block: the registry's plus `file` and `masterfile-format text` (9.18
// keeps secondaries in raw by default). named then refreshes from the primaries as after any
// load of a secondary's file (within the SOA retry interval, and at their NOTIFY). A secondary
// without a copy, or whose block sets another masterfile-format or names a file outside the
// zone directory, is added back with its block alone and waits for a transfer, as before.
//
// Errors wrapping ErrUnavailable mean BIND is unreachable; others carry a public reason.
func (s *Service) restoreZone(ctx context.Context, e registry.Entry) (RestoredZone, error) {
	ctx, cancel := detached(ctx, restoreTimeout)
	defer cancel()
	defer s.forgetProbe(e.Zone)
	r, err := s.restoreData(ctx, e)
	if err == nil && e.Type == "primary" {
		// The copy follows the restored zone at once, from the serial it had: a copy is never
		// replaced by a new base, so its history runs on across the restore (a restored serial
		// above the copy's is one change in it). A zone without a copy gets its base now, so
		// the next change is history too. A failure leaves it to NOTIFY and the sweep.
		if cerr := s.takeCopy(ctx, e.Zone, false); cerr != nil {
			s.log.Warn("restore: the zone copy could not be brought up to the restored zone yet", "zone", e.Zone, "err", cerr)
		}
	}
	return r, err
}

// restoreData is restoreZone without the copy's update.
func (s *Service) restoreData(ctx context.Context, e registry.Entry) (RestoredZone, error) {
	r := RestoredZone{Zone: e.Zone}
	if e.HasZoneFile && e.ZoneFile == nil { // the registry keeps it on disk only
		full, ok, err := s.reg.Load(e.Zone)
		if err != nil {
			return r, errs.Wrap(errs.Internal, err, "the registry entry could not be read")
		}
		if ok {
			e.ZoneFile = full.ZoneFile
		}
	}
	if s.copies != nil {
		if err := s.copies.Loaded(e.Zone); err != nil {
			return r, fmt.Errorf("the zone copy of %s cannot be read: %w", e.Zone, err)
		}
	}
	c, hasCopy := s.copyOf(e.Zone)
	if e.Type != "primary" {
		block, ok := s.secondaryBlock(e, hasCopy)
		if !ok {
			r.Source = SourceTransfer
			return r, s.addBack(ctx, e)
		}
		e.Block = block // for this addzone only: the registry keeps the caller's block
	}
	if hasCopy {
		last := c.Changed
		if c.Checked.After(last) {
			last = c.Checked
		}
		age := int64(s.now().Sub(last).Seconds())
		r.CopyAgeSeconds = &age
		if seen, ok := s.lastSeen(e.Zone); ok && serialAfter(seen, c.Serial) {
			r.Stale = true
			s.log.Warn("restore: the copy is older than the zone's last known change", "zone", e.Zone,
				"copy_serial", c.Serial, "last_seen_serial", seen)
		}
	}
	// A file named cannot load (empty, cut short or zeros: a power failure before the fsyncs a
	// create runs beside addzone, or outside damage) counts as none and is replaced below.
	onDisk, err := s.files.Loadable(e.Zone)
	if err != nil {
		return r, errs.Wrap(errs.Internal, err, "zone file cannot be checked")
	}
	switch {
	case onDisk:
		r.Source = SourceFile
		if err := s.addBack(ctx, e); err != nil {
			return r, err
		}
		served, err := s.dns.Serial(ctx, e.Zone)
		if err != nil {
			return r, nil // loading; the report has no serial
		}
		r.Serial = &served
		if !hasCopy || !serialAfter(c.Serial, served) {
			return r, nil
		}
		s.log.Warn("restore: the zone file is older than the copy; restoring from the copy", "zone", e.Zone,
			"file_serial", served, "copy_serial", c.Serial)
		if _, err := s.rndc.Zone(ctx, "delzone", e.Zone); err != nil {
			return r, restoreErr(e.Zone, "delzone", err)
		}
		return s.restoreFromCopy(ctx, e, c, r)
	case hasCopy:
		return s.restoreFromCopy(ctx, e, c, r)
	case len(e.ZoneFile) == 0:
		return r, errs.New(errs.Internal, "zone file is missing and neither the copy nor the registry holds its data")
	}
	r.Source, r.Stale = SourceRegistry, true
	data, serial := e.ZoneFile, uint32(0)
	if old, ok := zonefile.Serial(e.Zone, data); ok {
		serial = old
		if next := s.nextSerial(e.Zone, old, old); next != old {
			if data, err = zonefile.WithSerial(e.Zone, data, next); err != nil {
				return r, errs.Wrap(errs.Internal, err, "zone file could not be rebuilt")
			}
			serial = next
		}
	}
	if err := s.writeFresh(ctx, e.Zone, data); err != nil {
		return r, err
	}
	s.log.Warn("restore: no copy and no zone file; rebuilt from the registry (records added later are lost)", "zone", e.Zone)
	r.Serial = &serial
	return r, s.addBack(ctx, e)
}

// secondaryBlock is the block that makes named load secondary e from a text zone file in the
// zone directory (zoneconf.TextFile), and whether e is to be restored that way: only with a
// copy to write, and only into bindgate's own file, <zone dir>/<z>.zone, the one path it writes
// and deletes. Otherwise e waits for a transfer; why is logged.
func (s *Service) secondaryBlock(e registry.Entry, hasCopy bool) (string, bool) {
	if e.Type != "secondary" || !hasCopy {
		return "", false
	}
	block, path, err := zoneconf.TextFile(e.Block, s.files.Path(e.Zone))
	switch {
	case errors.Is(err, zoneconf.ErrNotText):
		s.log.Warn("restore: the secondary's block keeps its file in another format than text; it is not written from the copy and waits for a transfer",
			"zone", e.Zone, "err", err)
		return "", false
	case err != nil:
		s.log.Error("restore: the secondary's block cannot take a zone file; it waits for a transfer", "zone", e.Zone, "err", err)
		return "", false
	case path != s.files.Path(e.Zone):
		s.log.Warn("restore: the secondary's block names a file outside bindgate's zone directory; it is not written from the copy and waits for a transfer",
			"zone", e.Zone)
		return "", false
	}
	return block, true
}

// restoreFromCopy writes e's zone file from copy c and adds the zone. A primary's serial follows
// the serial rule; a secondary's stays the copy's, which its primaries served.
func (s *Service) restoreFromCopy(ctx context.Context, e registry.Entry, c zonecopy.Copy, r RestoredZone) (RestoredZone, error) {
	r.Source = SourceCopy
	serial := c.Serial
	if e.Type == "primary" {
		regSerial := c.Serial
		if rs, ok := zonefile.Serial(e.Zone, e.ZoneFile); ok {
			regSerial = rs
		}
		serial = s.nextSerial(e.Zone, c.Serial, regSerial)
	}
	data, err := zonefile.FromRecords(e.Zone, c.RRs, serial)
	if err != nil {
		return r, errs.Wrap(errs.Internal, err, "the copy could not be written as a zone file")
	}
	if err := s.writeFresh(ctx, e.Zone, data); err != nil {
		return r, err
	}
	r.Serial = &serial
	return r, s.addBack(ctx, e)
}

// writeFresh replaces z's file after removing its journals: they belong to data this file
// replaces and named would replay them onto it (zonefile.journalSuffixes).
func (s *Service) writeFresh(ctx context.Context, z string, data []byte) error {
	err := s.files.RemoveJournals(ctx, z)
	if err == nil {
		err = s.files.Write(ctx, z, data)
	}
	if err != nil {
		return s.bookkeepingErr("restore", z, fmt.Errorf("zone file: %w", err))
	}
	return nil
}

// addBack sends addzone with the registry's block. A zone that is back already is fine.
func (s *Service) addBack(ctx context.Context, e registry.Entry) error {
	_, err := s.change(ctx, "addzone", e.Zone, e.Block, nil)
	if err == nil || errors.Is(err, rndc.ErrExists) {
		return nil
	}
	return restoreErr(e.Zone, "addzone", err)
}

func restoreErr(z, verb string, err error) error {
	if mapped := bindErr(verb, z, err); errors.Is(mapped, ErrUnavailable) {
		return mapped
	}
	return errs.Wrap(errs.Internal, err, "BIND refused to add the zone again")
}

// nextSerial is the serial a restore of data at serial have may use: have itself, unless a
// later serial is known (another, or the last a probe saw named serve), then that one + 1.
func (s *Service) nextSerial(z string, have, other uint32) uint32 {
	top := have
	if serialAfter(other, top) {
		top = other
	}
	if seen, ok := s.lastSeen(z); ok && serialAfter(seen, top) {
		top = seen
	}
	if top == have {
		return have
	}
	return top + 1
}

// serialAfter reports whether serial a is later than b in RFC 1982 arithmetic.
func serialAfter(a, b uint32) bool { return a != b && int32(a-b) > 0 }

// noteSerial remembers the serial a probe saw named serve for z.
func (s *Service) noteSerial(z string, serial uint32) {
	s.seenMu.Lock()
	h := s.heard[z]
	h.serial, h.hasSerial = serial, true
	s.heard[z] = h
	s.seenMu.Unlock()
}

// NoteSerial records that named was seen serving zone at serial (the copy's serial sweep may
// call it). A restore never goes below the last serial seen, and flags a copy older than it.
func (s *Service) NoteSerial(zone string, serial uint32) { s.noteSerial(zone, serial) }

// SeenSerials returns the serial named was last seen serving, per zone, as SOA queries found it
// (reconcile, listing): the app hands the startup reconcile's to the copy's first sweep, so
// that a start asks every zone's SOA once (issue 13).
func (s *Service) SeenSerials() map[string]uint32 {
	s.seenMu.Lock()
	defer s.seenMu.Unlock()
	out := make(map[string]uint32, len(s.heard))
	for z, h := range s.heard {
		if h.hasSerial {
			out[z] = h.serial
		}
	}
	return out
}

func (s *Service) lastSeen(z string) (uint32, bool) {
	s.seenMu.Lock()
	defer s.seenMu.Unlock()
	h := s.heard[z]
	return h.serial, h.hasSerial
}
