package zoneconf

import (
	"strings"
)

// Modification names the statements a PATCH changes; nil fields are left alone.
type Modification struct {
	AlsoNotify    *[]Endpoint
	AllowTransfer *[]ACLEntry
	AllowUpdate   *[]ACLEntry
	Primaries     *[]Endpoint
	DNSSECPolicy  *string
	InlineSigning *bool
}

// alias maps an old keyword to the one bindgate emits.
func alias(kw string) string {
	if kw == "masters" {
		return "primaries"
	}
	return kw
}

// Merge applies m to z and returns the block for `rndc modzone`. Statements m does not name are
// re-emitted byte for byte; a replaced statement keeps its position; new ones are appended; a
// keyword is never emitted twice (a later duplicate in z is dropped) ([fix] CONTRACT §18.8).
// changed is false when the result means the same as z.
func Merge(z Zone, m Modification) (block string, changed bool, err error) {
	repl := map[string]*string{} // keyword -> new raw ("" removes it)
	set := func(kw, raw string) { repl[kw] = &raw }
	typ := z.Type()

	if m.AlsoNotify != nil {
		if len(*m.AlsoNotify) == 0 {
			set("also-notify", "")
		} else {
			set("also-notify", strings.TrimSpace(endpointList("also-notify", *m.AlsoNotify)))
		}
	}
	if m.Primaries != nil {
		if typ != "secondary" {
			return "", false, ErrNotSecondary
		}
		if len(*m.Primaries) == 0 {
			return "", false, invalid("primaries must not be empty")
		}
		set("primaries", strings.TrimSpace(endpointList("primaries", *m.Primaries)))
	}
	if m.AllowTransfer != nil {
		keys, err := keyElements(z, "allow-transfer")
		if err != nil {
			return "", false, err
		}
		set("allow-transfer", strings.TrimSpace(aclList("allow-transfer", keys, *m.AllowTransfer)))
	}
	if m.AllowUpdate != nil {
		if typ != "primary" {
			return "", false, ErrNotPrimary
		}
		if z.Has("update-policy") {
			return "", false, ErrUpdatePolicy
		}
		// [fix] CONTRACT §18.11: the key grant record updates depend on is kept.
		keys, err := keyElements(z, "allow-update")
		if err != nil {
			return "", false, err
		}
		if len(keys)+len(*m.AllowUpdate) == 0 {
			set("allow-update", "")
		} else {
			set("allow-update", strings.TrimSpace(aclList("allow-update", keys, *m.AllowUpdate)))
		}
	}
	if m.DNSSECPolicy != nil {
		if !IsIdentifier(*m.DNSSECPolicy) {
			return "", false, invalid("dnssecPolicy must match [A-Za-z0-9._-]{1,253}")
		}
		set("dnssec-policy", `dnssec-policy "`+*m.DNSSECPolicy+`";`)
	}
	if m.InlineSigning != nil {
		set("inline-signing", strings.TrimSpace(yesNo("inline-signing", *m.InlineSigning)))
	}

	var out []string
	seen := map[string]bool{}
	for _, st := range z.Statements {
		kw := alias(st.Keyword)
		if seen[kw] {
			changed = true // a duplicate BIND printed; emitting it again would be an error
			continue
		}
		seen[kw] = true
		if r, ok := repl[kw]; ok {
			if *r != "" {
				out = append(out, *r)
			}
			if *r == "" || canonical(*r) != canonical(st.Raw) {
				changed = true
			}
			continue
		}
		out = append(out, st.Raw)
	}
	for _, kw := range []string{"primaries", "allow-update", "also-notify", "allow-transfer", "dnssec-policy", "inline-signing"} {
		if r, ok := repl[kw]; ok && !seen[kw] && *r != "" {
			out = append(out, *r)
			changed = true
		}
	}
	block = "{ " + strings.Join(out, " ") + " };"
	if len(block) > maxBlock {
		return "", false, ErrTooLarge
	}
	return block, changed, nil
}

// keyElements returns the `key "…"` elements of statement kw, which a PATCH keeps.
func keyElements(z Zone, kw string) ([]string, error) {
	for _, st := range z.Statements {
		if st.Keyword != kw {
			continue
		}
		els, err := listElements(st.Raw)
		if err != nil {
			return nil, err
		}
		var keys []string
		for _, e := range els {
			if f := strings.Fields(e); len(f) == 2 && f[0] == "key" {
				keys = append(keys, e)
			}
		}
		return keys, nil
	}
	return nil, nil
}
