package registry

import (
	"strings"
	"time"
	"unique"
)

// stored is an entry as the registry holds it in memory: 32 bytes beside the zone, its map key
// (issue 13: at 10,000 zones the entries were a quarter of bindgate's heap). Blocks of zones
// created alike differ only in the zone's name (its file's path, say), so the type and the
// block are held as a template, the zone's name replaced by zoneMark, and interned: zones
// created alike share one. The zone file stays on disk (Load). The times are kept to the
// nanosecond, in UTC (the entry files hold them in UTC).
type stored struct {
	tmpl     unique.Handle[template]
	marked   bool // the block holds zoneMark for each occurrence of the zone's name
	zoneFile bool // the entry has a zone file (on disk only: Load)
	created  int64
	modified int64
}

// template is what zones created alike share of their entries.
type template struct{ typ, block string }

// zoneMark stands for the zone's name in a block template. A block that holds it already (a
// NUL byte is never in a valid block, but the registry does not rely on that) is kept as is.
const zoneMark = "\x00"

// store returns e as held in memory.
func store(e Entry) stored {
	st := stored{zoneFile: e.hasFile(), created: unixNano(e.Created), modified: unixNano(e.Modified)}
	block := e.Block
	if e.Zone != "" && !strings.Contains(block, zoneMark) {
		block, st.marked = strings.ReplaceAll(block, e.Zone, zoneMark), true
	}
	st.tmpl = unique.Make(template{e.Type, block})
	return st
}

// entry returns the entry of zone held as st.
func (st stored) entry(zone string) Entry {
	t := st.tmpl.Value()
	block := t.block
	if st.marked {
		block = strings.ReplaceAll(block, zoneMark, zone)
	}
	return Entry{Zone: zone, Type: t.typ, Block: block, HasZoneFile: st.zoneFile, Created: fromUnixNano(st.created), Modified: fromUnixNano(st.modified)}
}

// unixNano is t in Unix nanoseconds, 0 for the zero time (which UnixNano does not represent).
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
