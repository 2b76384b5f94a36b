// Package zoneconf renders the configuration blocks bindgate gives addzone and modzone, parses
// the address lists callers send, and merges changes into the text `rndc showzone` prints
// without losing anything (CONTRACT §6, §7.1, §10). Caller strings never reach BIND: every
// address is parsed into a netip value and rendered again (CONTRACT §19 C-1, B-8).
package zoneconf

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Errors. Every input error wraps ErrInvalid; its text is safe to show after "Invalid request: ".
var (
	ErrInvalid      = errors.New("invalid zone configuration")
	ErrTooLarge     = errors.New("zone configuration too large for one rndc command")
	ErrNotPrimary   = errors.New("zone is not a primary")
	ErrNotSecondary = errors.New("zone is not a secondary")
	ErrUpdatePolicy = errors.New("zone uses update-policy")
	ErrSyntax       = errors.New("showzone text not understood")
)

// MaxEntries bounds every address list (CONTRACT §6).
const MaxEntries = 64

// Endpoint is a server address with an optional port (0 = none).
type Endpoint struct {
	Addr netip.Addr
	Port uint16
}

// String renders BIND's syntax: "192.0.2.1", "192.0.2.1 port 5353", "2001:db8::1 port 5353".
func (e Endpoint) String() string {
	if e.Port == 0 {
		return e.Addr.String()
	}
	return e.Addr.String() + " port " + strconv.Itoa(int(e.Port))
}

type invalidError struct{ msg string }

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

func invalid(format string, a ...any) error { return &invalidError{fmt.Sprintf(format, a...)} }

// ParseEndpoint accepts 192.0.2.1, 2001:db8::1, 192.0.2.1:5353, [2001:db8::1]:5353 and
// "192.0.2.1 port 5353". Host names, zone-scoped IPv6 (%eth0), prefixes and keys are refused.
func ParseEndpoint(s string) (Endpoint, error) {
	s = strings.TrimSpace(s)
	if f := strings.Fields(s); len(f) == 3 && f[1] == "port" {
		a, err := parseAddr(f[0])
		if err != nil {
			return Endpoint{}, err
		}
		p, err := parsePort(f[2])
		return Endpoint{a, p}, err
	}
	if strings.HasPrefix(s, "[") || strings.Count(s, ":") == 1 {
		ap, err := netip.ParseAddrPort(s)
		if err != nil || ap.Addr().Zone() != "" {
			return Endpoint{}, invalid("bad address and port")
		}
		p, err := parsePort(strconv.Itoa(int(ap.Port())))
		return Endpoint{ap.Addr().Unmap(), p}, err
	}
	a, err := parseAddr(s)
	return Endpoint{Addr: a}, err
}

func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, invalid("not an IP address")
	}
	return a.Unmap(), nil
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, invalid("port must be 1-65535")
	}
	return uint16(n), nil
}

// ParseEndpoints parses an endpoint list; field names it in errors (e.g. "primaries").
// Exact duplicates collapse.
func ParseEndpoints(field string, list []string) ([]Endpoint, error) {
	if len(list) > MaxEntries {
		return nil, invalid("%s has %d entries; at most %d are allowed", field, len(list), MaxEntries)
	}
	out := make([]Endpoint, 0, len(list))
	seen := map[Endpoint]bool{}
	for _, s := range list {
		e, err := ParseEndpoint(s)
		if err != nil {
			return nil, invalid(`%s contains an invalid entry: %q (expected "<ip>", "<ip>:<port>" or "[<ipv6>]:<port>")`, field, s)
		}
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out, nil
}

// ACLEntry is an address-match-list element: an address (Bare) or a CIDR prefix.
type ACLEntry struct {
	Prefix netip.Prefix
	Bare   bool
}

// String renders the entry as BIND reads it.
func (a ACLEntry) String() string {
	if a.Bare {
		return a.Prefix.Addr().String()
	}
	return a.Prefix.String()
}

// ParseACLEntry accepts a bare IPv4/IPv6 address or a CIDR prefix without host bits (BIND
// refuses those: "address/prefix length mismatch"). No ports, names, keys, "!" or keywords.
func ParseACLEntry(s string) (ACLEntry, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil || p.Addr().Zone() != "" {
			return ACLEntry{}, invalid("not a CIDR prefix")
		}
		if p.Masked() != p {
			return ACLEntry{}, invalid("prefix has host bits set")
		}
		return ACLEntry{Prefix: p}, nil
	}
	a, err := parseAddr(s)
	if err != nil {
		return ACLEntry{}, err
	}
	return ACLEntry{Prefix: netip.PrefixFrom(a, a.BitLen()), Bare: true}, nil
}

// ParseACL parses an ACL list; field names it in errors (e.g. "allow-transfer").
func ParseACL(field string, list []string) ([]ACLEntry, error) {
	if len(list) > MaxEntries {
		return nil, invalid("%s has %d entries; at most %d are allowed", field, len(list), MaxEntries)
	}
	out := make([]ACLEntry, 0, len(list))
	seen := map[ACLEntry]bool{}
	for _, s := range list {
		e, err := ParseACLEntry(s)
		if err != nil {
			return nil, invalid("%s contains an invalid address: %q", field, s)
		}
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out, nil
}

// IsIdentifier reports whether s may be put, quoted, into rndc text (CONTRACT §19 B-3).
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
