package zoneconf

import (
	"net/netip"
	"strconv"
	"strings"
)

// MaxEntries bounds every address list (docs/contract.md §6), which with the other statements keeps
// a block far below the 32 KiB rndc limit.
const MaxEntries = 64

// Endpoint is a server address (primaries, also-notify) with an optional port.
type Endpoint struct {
	Addr netip.Addr
	Port uint16 // 0 = none: BIND's default applies
}

// String renders BIND's syntax: "192.0.2.1", "192.0.2.1 port 5353", "2001:db8::1 port 5353"
// (no brackets: the port is a separate clause).
func (e Endpoint) String() string {
	if e.Port == 0 {
		return e.Addr.String()
	}
	return e.Addr.String() + " port " + strconv.Itoa(int(e.Port))
}

// valid reports whether e is something ParseEndpoint could have returned.
func (e Endpoint) valid() bool {
	return e.Addr.IsValid() && e.Addr.Zone() == "" && !e.Addr.Is4In6()
}

// ParseEndpoint parses one endpoint (docs/contract.md §6): "192.0.2.1", "2001:db8::1",
// "192.0.2.1:5353", "[2001:db8::1]:5353" or BIND's own "192.0.2.1 port 5353". The port is
// 1-65535. Host names, zone-scoped IPv6 ("fe80::1%eth0"), prefixes, keys and surrounding
// blanks are refused. IPv4-mapped IPv6 addresses are unmapped. The error wraps ErrInvalid.
func ParseEndpoint(s string) (Endpoint, error) {
	if host, port, ok := strings.Cut(s, " port "); ok {
		a, err := parseAddr(host)
		if err != nil {
			return Endpoint{}, err
		}
		p, err := parsePort(port)
		return Endpoint{Addr: a, Port: p}, err
	}
	if strings.HasPrefix(s, "[") || strings.Count(s, ":") == 1 {
		i := strings.LastIndexByte(s, ':')
		if i < 0 {
			return Endpoint{}, invalid("bad [<ipv6>]:<port>")
		}
		host, port := s[:i], s[i+1:]
		if h, ok := strings.CutPrefix(host, "["); ok {
			if host, ok = strings.CutSuffix(h, "]"); !ok || !strings.Contains(host, ":") {
				return Endpoint{}, invalid("bad [<ipv6>]:<port>")
			}
		}
		a, err := parseAddr(host)
		if err != nil {
			return Endpoint{}, err
		}
		p, err := parsePort(port)
		return Endpoint{Addr: a, Port: p}, err
	}
	a, err := parseAddr(s)
	return Endpoint{Addr: a}, err
}

// parseAddr parses an IPv4 or IPv6 address without zone and unmaps IPv4-mapped IPv6.
func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, invalid("not an IP address")
	}
	return a.Unmap(), nil
}

// parsePort accepts 1-65535 written with ASCII digits only (no sign, no blanks).
func parsePort(s string) (uint16, error) {
	if s == "" || len(s) > 5 || strings.Trim(s, "0123456789") != "" {
		return 0, invalid("port must be 1-65535")
	}
	n, _ := strconv.Atoi(s)
	if n < 1 || n > 65535 {
		return 0, invalid("port must be 1-65535")
	}
	return uint16(n), nil
}

// ParseEndpoints parses an endpoint list. field is the name used in messages ("primaries",
// "alsoNotify"…): `primaries contains an invalid entry: "x" (expected "<ip>", "<ip>:<port>"
// or "[<ipv6>]:<port>")` (docs/contract.md §6). Exact duplicates collapse, first one kept; more than
// MaxEntries entries are refused. Errors wrap ErrInvalid.
func ParseEndpoints(field string, list []string) ([]Endpoint, error) {
	if len(list) > MaxEntries {
		return nil, tooMany(field, len(list))
	}
	out := make([]Endpoint, 0, len(list))
	for _, s := range list {
		e, err := ParseEndpoint(s)
		if err != nil {
			return nil, invalid(`%s contains an invalid entry: %q (expected "<ip>", "<ip>:<port>" or "[<ipv6>]:<port>")`, field, s)
		}
		if !contains(out, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

func tooMany(field string, n int) error {
	return invalid("%s has %d entries; at most %d are allowed", field, n, MaxEntries)
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// ACLEntry is one address-match-list element bindgate writes: an address or a CIDR prefix.
type ACLEntry struct {
	Prefix netip.Prefix // masked; a single address has the full length (/32, /128)
	Bare   bool         // written as a plain address ("10.0.0.7"), as the caller gave it
}

// String renders the entry as BIND reads it: "10.0.0.7" (Bare) or "10.0.0.0/24".
func (a ACLEntry) String() string {
	if a.Bare {
		return a.Prefix.Addr().String()
	}
	return a.Prefix.String()
}

// valid reports whether a is something ParseACLEntry could have returned.
func (a ACLEntry) valid() bool {
	p := a.Prefix
	return p.IsValid() && p.Addr().Zone() == "" && !p.Addr().Is4In6() && p.Masked() == p &&
		(!a.Bare || p.IsSingleIP())
}

// ParseACLEntry parses one ACL element (docs/contract.md §6): a bare IPv4/IPv6 address or a CIDR
// prefix. A prefix with host bits set ("10.0.0.1/24") is refused, as BIND refuses it
// ("address/prefix length mismatch"); so are ports, names, keys, "!", keywords (any, none…),
// zones and blanks. IPv4-mapped forms are unmapped. The error wraps ErrInvalid.
func ParseACLEntry(s string) (ACLEntry, error) {
	if !strings.Contains(s, "/") {
		a, err := parseAddr(s)
		if err != nil {
			return ACLEntry{}, err
		}
		return ACLEntry{Prefix: netip.PrefixFrom(a, a.BitLen()), Bare: true}, nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil || p.Addr().Zone() != "" {
		return ACLEntry{}, invalid("not a CIDR prefix")
	}
	if p.Masked() != p {
		return ACLEntry{}, invalid("prefix has host bits set")
	}
	if a := p.Addr(); a.Is4In6() {
		if p.Bits() < 96 {
			return ACLEntry{}, invalid("IPv4-mapped prefix shorter than /96")
		}
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return ACLEntry{Prefix: p}, nil
}

// ParseACL parses an ACL list. field is the name used in messages ("allow-transfer"…):
// `allow-transfer contains an invalid address: "x"` (docs/contract.md §6). Entries naming the same
// prefix collapse ("10.0.0.7" and "10.0.0.7/32"), first one kept; more than MaxEntries
// entries are refused. Errors wrap ErrInvalid.
func ParseACL(field string, list []string) ([]ACLEntry, error) {
	if len(list) > MaxEntries {
		return nil, tooMany(field, len(list))
	}
	out := make([]ACLEntry, 0, len(list))
	for _, s := range list {
		e, err := ParseACLEntry(s)
		if err != nil {
			return nil, invalid("%s contains an invalid address: %q", field, s)
		}
		if !containsPrefix(out, e.Prefix) {
			out = append(out, e)
		}
	}
	return out, nil
}

func containsPrefix(list []ACLEntry, p netip.Prefix) bool {
	for _, e := range list {
		if e.Prefix == p {
			return true
		}
	}
	return false
}

// IsIdentifier reports whether s may be put, quoted, into rndc text as a key or policy name:
// [A-Za-z0-9._-]{1,253} (docs/contract.md §19 B-3).
func IsIdentifier(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
