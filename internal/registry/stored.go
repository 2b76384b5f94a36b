package registry

import (
	"strings"
	"time"
	"unique"
)

// stored is an entry as the registry holds it in memory (issue 13: at 10,000 zones the entries
// were a quarter of bindgate's heap). The zone is the map's key. Blocks of zones created alike
// differ only in the zone's name (its file's path, say), so a block is held as a template, the
// zone's name replaced by zoneMark, and interned: zones created alike share one string.
type stored struct {
	typ      string
	block    unique.Handle[string]
	marked   bool // block holds zoneMark for each occurrence of the zone's name
	zoneFile bool // the entry has a zone file (on disk only: Load)
	created  time.Time
	modified time.Time
}

// zoneMark stands for the zone's name in a block template. A block that holds it already (a
// NUL byte is never in a valid block, but the registry does not rely on that) is kept as is.
const zoneMark = "\x00"

// store returns e as held in memory.
func store(e Entry) stored {
	st := stored{typ: e.Type, zoneFile: e.hasFile(), created: e.Created, modified: e.Modified}
	switch e.Type { // one string for every entry, not one per decoded file
	case "primary":
		st.typ = "primary"
	case "secondary":
		st.typ = "secondary"
	}
	block := e.Block
	if e.Zone != "" && !strings.Contains(block, zoneMark) {
		block, st.marked = strings.ReplaceAll(block, e.Zone, zoneMark), true
	}
	st.block = unique.Make(block)
	return st
}

// entry returns the entry of zone held as st.
func (st stored) entry(zone string) Entry {
	block := st.block.Value()
	if st.marked {
		block = strings.ReplaceAll(block, zoneMark, zone)
	}
	return Entry{Zone: zone, Type: st.typ, Block: block, HasZoneFile: st.zoneFile, Created: st.created, Modified: st.modified}
}
