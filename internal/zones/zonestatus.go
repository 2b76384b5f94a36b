package zones

import (
	"strconv"
	"strings"
)

// zoneStatusInfo is what bindgate reads from `rndc zonestatus` (bin/named/server.c
// named_server_zonestatus): one "key: value" per line.
type zoneStatusInfo struct {
	Type           string // primary, secondary, ... ("" when absent)
	Serial         *uint32
	Files          []string
	Reconfigurable bool // "reconfigurable via modzone: yes"; false for named.conf zones
	HasReconfig    bool // the line was present
}

func parseZoneStatus(text string) zoneStatusInfo {
	var zs zoneStatusInfo
	for line := range strings.Lines(text) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "type":
			zs.Type = normalizeType(v)
		case "serial": // not "signed serial" (docs/contract.md §8.2)
			if n, err := strconv.ParseUint(v, 10, 32); err == nil {
				u := uint32(n)
				zs.Serial = &u
			}
		case "files":
			for f := range strings.FieldsSeq(v) {
				zs.Files = append(zs.Files, strings.Trim(f, `"`))
			}
		case "reconfigurable via modzone":
			zs.HasReconfig = true
			zs.Reconfigurable = v == "yes"
		}
	}
	return zs
}

// normalizeType maps BIND's old keywords to the ones bindcar reports.
func normalizeType(t string) string {
	switch t = strings.ToLower(strings.TrimSpace(t)); t {
	case "master":
		return "primary"
	case "slave":
		return "secondary"
	}
	return t
}
