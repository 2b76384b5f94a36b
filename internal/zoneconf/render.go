package zoneconf

import (
	"strings"
)

// maxBlock bounds a rendered block so that "addzone <zone> <block>" (or modzone) with its
// ISCCC envelope stays under named's 32 KiB control-message limit: 32768 minus the zone
// name (253), the verb and roughly 200 bytes of envelope and HMAC leaves ~32300.
const maxBlock = 32000

// Spec is what bindgate renders for addzone (docs/contract.md §7.1). Fields that do not apply to the
// zone type are ignored.
type Spec struct {
	Type             string     // "primary" or "secondary"
	File             string     // absolute path of the zone file; primary only
	Primaries        []Endpoint // secondary only; at least one
	UpdateKey        string     // primary only; "" = no allow-update; IsIdentifier
	AlsoNotify       []Endpoint
	AllowTransfer    []ACLEntry
	AllowTransferSet bool // set and empty renders "allow-transfer { none; };" ([fix] §6)
	// TransferKey, when set, is granted transfers in a rendered allow-transfer list (first, as
	// `key "<k>"`), so bindgate itself can read the zone by AXFR for the RRset API whatever
	// addresses the list names; IsIdentifier.
	TransferKey string
	// SelfNotify, when set, is bindgate's own also-notify entry, rendered first in the list
	// (issue 9: named NOTIFYs bindgate's listener, which keeps the zone copy current). Like
	// TransferKey it is bindgate's, never the caller's: Merge keeps it through a PATCH.
	SelfNotify    *NotifyTarget
	DNSSECPolicy  string // "" = none; IsIdentifier
	InlineSigning *bool  // nil = no statement
}

// Render returns the one-line block for `rndc addzone <zone> <block>`: the statements of
// docs/contract.md §7.1 in its order, each only when it has content, e.g.
//
//	{ type primary; file "/var/cache/bind/example.com.zone"; allow-update { key "bindy-operator"; }; also-notify { 10.244.2.7 port 5353; }; allow-transfer { 10.244.2.7; }; dnssec-policy "default"; inline-signing yes; };
//
// Every value is re-checked here, since this text goes to BIND (docs/contract.md §19 B-3, B-8):
// errors wrap ErrInvalid; a block over ~32000 bytes is ErrTooLarge.
func Render(s Spec) (string, error) {
	var st []string
	switch s.Type {
	case "primary":
		if !strings.HasPrefix(s.File, "/") || strings.ContainsFunc(s.File, unsafePathRune) {
			return "", invalid("the zone file path must be absolute and free of quotes, backslashes and control characters")
		}
		st = append(st, "type primary;", `file "`+s.File+`";`)
		if s.UpdateKey != "" {
			if !IsIdentifier(s.UpdateKey) {
				return "", invalid("updateKeyName must match [A-Za-z0-9._-]{1,253}")
			}
			st = append(st, `allow-update { key "`+s.UpdateKey+`"; };`)
		}
	case "secondary":
		// [fix] docs/contract.md §7.1: a secondary gets no file (as bindcar: kept in memory and
		// transferred again after a restart) and never allow-update, which 9.18 applies to
		// primaries only (named-checkconf refuses it; addzone accepts it silently, §20.1).
		if len(s.Primaries) == 0 {
			return "", invalid("Secondary zones require at least one primary server in 'primaries' field")
		}
		if err := checkEndpoints("primaries", s.Primaries); err != nil {
			return "", err
		}
		st = append(st, "type secondary;", endpointList("primaries", s.Primaries))
	default:
		return "", invalid("Invalid zone type: %s. Must be 'primary' or 'secondary'", s.Type)
	}
	if len(s.AlsoNotify) > 0 || s.SelfNotify != nil {
		if err := checkEndpoints("also-notify", s.AlsoNotify); err != nil {
			return "", err
		}
		var kept []string
		if s.SelfNotify != nil {
			if err := s.SelfNotify.check(); err != nil {
				return "", err
			}
			kept = []string{s.SelfNotify.String()}
		}
		st = append(st, notifyList("", kept, s.AlsoNotify))
	}
	if len(s.AllowTransfer) > 0 || s.AllowTransferSet {
		if err := checkACL("allow-transfer", s.AllowTransfer); err != nil {
			return "", err
		}
		var kept []string
		if s.TransferKey != "" {
			if !IsIdentifier(s.TransferKey) {
				return "", invalid("the transfer key name must match [A-Za-z0-9._-]{1,253}")
			}
			kept = []string{`key "` + s.TransferKey + `"`}
		}
		st = append(st, aclList("allow-transfer", "", kept, s.AllowTransfer))
	}
	if s.SelfNotify != nil {
		st = append(st, selfIXFRRatio, selfNotifyDelay) // named 9.18 prints them in this order
	}
	if s.DNSSECPolicy != "" {
		if !IsIdentifier(s.DNSSECPolicy) {
			return "", invalid("dnssecPolicy must match [A-Za-z0-9._-]{1,253}")
		}
		st = append(st, policyStatement(s.DNSSECPolicy))
	}
	if s.InlineSigning != nil {
		st = append(st, yesNo("inline-signing", *s.InlineSigning))
	}
	block := joinBlock(st)
	if len(block) > maxBlock {
		return "", tooLarge(len(block))
	}
	return block, nil
}

// checkEndpoints re-checks values a caller may have built without ParseEndpoints.
func checkEndpoints(field string, eps []Endpoint) error {
	if len(eps) > MaxEntries {
		return tooMany(field, len(eps))
	}
	for _, e := range eps {
		if !e.valid() {
			return invalid("%s contains an invalid entry", field)
		}
	}
	return nil
}

// checkACL re-checks values a caller may have built without ParseACL.
func checkACL(field string, l []ACLEntry) error {
	if len(l) > MaxEntries {
		return tooMany(field, len(l))
	}
	for _, e := range l {
		if !e.valid() {
			return invalid("%s contains an invalid address", field)
		}
	}
	return nil
}

// selfNotifyDelay goes with bindgate's also-notify entry: named 9.18 sends the NOTIFYs of a
// zone's later changes at most every notify-delay seconds (default 5), which would put
// changes made outside bindgate up to 5 s behind in the copy (issue 9 wants 2 s).
const selfNotifyDelay = "notify-delay 0;"

// selfIXFRRatio goes with it too: named answers an IXFR AXFR-style when the differences are
// larger than max-ixfr-ratio (default 100%) of the zone, which for a small zone already
// happens with two steps, and bindgate's copy then keeps one change for several: an API
// change's serial would be missing from the history and attributed with another writer's
// change (issue 9: no gap in the history of API changes). Unlimited keeps one step per
// transaction; the journal already bounds how far back an IXFR reaches.
const selfIXFRRatio = "max-ixfr-ratio unlimited;"

// NotifyTarget is an also-notify entry with a TSIG key: named signs its NOTIFYs to Endpoint
// with Key. bindgate's own entry is the one carrying its transfer key.
type NotifyTarget struct {
	Endpoint Endpoint
	Key      string // IsIdentifier
}

// String renders `127.0.0.1 port 5399 key "bindgate-key"`, as named 9.18 accepts and prints it.
func (n NotifyTarget) String() string { return n.Endpoint.String() + ` key "` + n.Key + `"` }

func (n NotifyTarget) check() error {
	if !n.Endpoint.valid() || n.Endpoint.Port == 0 || !IsIdentifier(n.Key) {
		return invalid("bindgate's NOTIFY target needs an address, a port and a key name matching [A-Za-z0-9._-]{1,253}")
	}
	return nil
}

// notifyList renders `also-notify [header] { kept…; eps…; };`.
func notifyList(header string, kept []string, eps []Endpoint) string {
	var b strings.Builder
	b.WriteString("also-notify ")
	if header != "" {
		b.WriteString(header + " ")
	}
	b.WriteString("{ ")
	for _, k := range kept {
		b.WriteString(k + "; ")
	}
	for _, e := range eps {
		b.WriteString(e.String() + "; ")
	}
	b.WriteString("};")
	return b.String()
}

// endpointList renders `kw { a; b port 5353; };`.
func endpointList(kw string, eps []Endpoint) string {
	var b strings.Builder
	b.WriteString(kw + " { ")
	for _, e := range eps {
		b.WriteString(e.String() + "; ")
	}
	b.WriteString("};")
	return b.String()
}

// aclList renders `kw [header] { kept…; entries…; };`: kept raw elements (key grants) first,
// then the entries. An empty list is written "{ none; }" so that it never falls back to the
// options-level ACL ([fix] docs/contract.md §6, §18.10).
func aclList(kw, header string, kept []string, entries []ACLEntry) string {
	var b strings.Builder
	b.WriteString(kw + " ")
	if header != "" {
		b.WriteString(header + " ")
	}
	b.WriteString("{ ")
	for _, k := range kept {
		b.WriteString(k + "; ")
	}
	for _, e := range entries {
		b.WriteString(e.String() + "; ")
	}
	if len(kept)+len(entries) == 0 {
		b.WriteString("none; ")
	}
	b.WriteString("};")
	return b.String()
}

func policyStatement(p string) string { return `dnssec-policy "` + p + `";` }

func yesNo(kw string, v bool) string {
	if v {
		return kw + " yes;"
	}
	return kw + " no;"
}

func unsafePathRune(r rune) bool { return r < 0x20 || r == 0x7f || r == '"' || r == '\\' }
