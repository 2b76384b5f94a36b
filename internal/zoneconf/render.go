package zoneconf

import (
	"strings"
)

// maxBlock keeps "addzone <zone> <block>" under named's 32 KiB message limit with room for the
// message envelope and the zone name.
const maxBlock = 32000

// Spec is what bindgate renders for addzone (CONTRACT §7.1).
type Spec struct {
	Type             string // "primary" or "secondary"
	File             string // absolute path; primaries only
	Primaries        []Endpoint
	UpdateKey        string // primaries only
	AlsoNotify       []Endpoint
	AllowTransfer    []ACLEntry
	AllowTransferSet bool // set and empty renders "allow-transfer { none; };"
	DNSSECPolicy     string
	InlineSigning    *bool
}

// Render returns the one-line block for `rndc addzone <zone> <block>`, statements in the
// contract's order, each only when it has content.
func Render(s Spec) (string, error) {
	var b strings.Builder
	b.WriteString("{ ")
	switch s.Type {
	case "primary":
		if s.File == "" || strings.ContainsFunc(s.File, unsafePathRune) {
			return "", invalid("zone file path is not usable")
		}
		b.WriteString(`type primary; file "` + s.File + `"; `)
		if s.UpdateKey != "" {
			if !IsIdentifier(s.UpdateKey) {
				return "", invalid("updateKeyName must match [A-Za-z0-9._-]{1,253}")
			}
			b.WriteString(`allow-update { key "` + s.UpdateKey + `"; }; `)
		}
	case "secondary":
		// [fix] CONTRACT §7.1: no file (as bindcar: re-transferred after a restart) and never
		// allow-update, which 9.18 applies to primaries only.
		if len(s.Primaries) == 0 {
			return "", invalid("a secondary zone needs at least one primary")
		}
		b.WriteString("type secondary; ")
		b.WriteString(endpointList("primaries", s.Primaries))
	default:
		return "", invalid("zone type must be primary or secondary")
	}
	if len(s.AlsoNotify) > 0 {
		b.WriteString(endpointList("also-notify", s.AlsoNotify))
	}
	if len(s.AllowTransfer) > 0 || s.AllowTransferSet {
		b.WriteString(aclList("allow-transfer", nil, s.AllowTransfer))
	}
	if s.DNSSECPolicy != "" {
		if !IsIdentifier(s.DNSSECPolicy) {
			return "", invalid("dnssecPolicy must match [A-Za-z0-9._-]{1,253}")
		}
		b.WriteString(`dnssec-policy "` + s.DNSSECPolicy + `"; `)
	}
	if s.InlineSigning != nil {
		b.WriteString(yesNo("inline-signing", *s.InlineSigning))
	}
	b.WriteString("};")
	if b.Len() > maxBlock {
		return "", ErrTooLarge
	}
	return b.String(), nil
}

func endpointList(kw string, eps []Endpoint) string {
	var b strings.Builder
	b.WriteString(kw + " { ")
	for _, e := range eps {
		b.WriteString(e.String() + "; ")
	}
	b.WriteString("}; ")
	return b.String()
}

// aclList renders kw with kept raw elements (key grants) first, then entries; an empty result
// is "{ none; }" so that an empty list never falls back to the options-level ACL.
func aclList(kw string, kept []string, entries []ACLEntry) string {
	var b strings.Builder
	b.WriteString(kw + " { ")
	for _, k := range kept {
		b.WriteString(k + "; ")
	}
	for _, e := range entries {
		b.WriteString(e.String() + "; ")
	}
	if len(kept)+len(entries) == 0 {
		b.WriteString("none; ")
	}
	b.WriteString("}; ")
	return b.String()
}

func yesNo(kw string, v bool) string {
	if v {
		return kw + " yes; "
	}
	return kw + " no; "
}

func unsafePathRune(r rune) bool { return r < 0x20 || r == 0x7f || r == '"' || r == '\\' }
