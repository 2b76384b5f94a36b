// Package zonefile renders the zone file bindgate writes for a new primary (CONTRACT §7.2) and
// keeps zone files in BIND_ZONE_DIR through an *os.Root. Every name and value is parsed as its
// RR type and rendered again by miekg/dns, and the whole text must parse back with $INCLUDE
// off, so no caller text can smuggle a directive or a second record into the file (C-2, B-8).
package zonefile

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/zonename"
)

// ErrInvalid is wrapped by every input error; the text after it is fit for "Invalid request: ".
var ErrInvalid = errors.New("invalid zone data")

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

// MaxTTL is the largest TTL (RFC 2181 §8).
const MaxTTL = 2147483647

// SOA is the zone's SOA record.
type SOA struct {
	PrimaryNS, AdminEmail                       string
	Serial, Refresh, Retry, Expire, NegativeTTL uint32
}

// Record is one record of a create request.
type Record struct {
	Name, Type, Value string
	TTL               *uint32
	Priority          *uint16
}

// Spec is a new primary zone.
type Spec struct {
	Zone          string
	TTL           uint32
	SOA           SOA
	NameServers   []string
	NameServerIPs map[string]string
	Records       []Record
}

// Rendered is a rendered zone file and the glue hosts left out because they lie outside the
// zone (BIND would ignore them as out-of-zone data; the caller logs them).
type Rendered struct {
	Data        []byte
	SkippedGlue []string
}

// allowedTypes are the record types of CONTRACT §5.
func allowedTypes() []string {
	return []string{"A", "AAAA", "CNAME", "MX", "TXT", "NS", "PTR", "SRV", "CAA"}
}

// Render validates s and renders its zone file.
func Render(s Spec) (Rendered, error) {
	z, err := zonename.Normalize(s.Zone)
	if err != nil || z != s.Zone {
		return Rendered{}, invalid("zone name %q is not normalised", s.Zone)
	}
	origin := z + "."
	if s.TTL > MaxTTL {
		return Rendered{}, invalid("ttl %d exceeds %d (RFC 2181)", s.TTL, MaxTTL)
	}
	if !hostName(s.SOA.PrimaryNS) {
		return Rendered{}, invalid("soa.primaryNs %q is not a host name", s.SOA.PrimaryNS)
	}
	if strings.Contains(s.SOA.AdminEmail, "@") || !hostName(s.SOA.AdminEmail) {
		return Rendered{}, invalid("soa.adminEmail must be a DNS mailbox like admin.example.com., not an email address")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "$ORIGIN %s\n$TTL %d\n", origin, s.TTL)
	fmt.Fprintf(&b, "@ IN SOA %s %s ( %d %d %d %d %d )\n", s.SOA.PrimaryNS, s.SOA.AdminEmail,
		s.SOA.Serial, s.SOA.Refresh, s.SOA.Retry, s.SOA.Expire, s.SOA.NegativeTTL)
	count := 1
	for i, ns := range s.NameServers {
		if !hostName(ns) {
			return Rendered{}, invalid("nameServers[%d] %q is not a host name", i, ns)
		}
		fmt.Fprintf(&b, "@ IN NS %s\n", ns)
		count++
	}
	var out Rendered
	hosts := make([]string, 0, len(s.NameServerIPs))
	for h := range s.NameServerIPs {
		hosts = append(hosts, h)
	}
	slices.Sort(hosts)
	for _, h := range hosts {
		if !hostName(h) {
			return Rendered{}, invalid("nameServerIps: %q is not a host name", h)
		}
		ip, err := netip.ParseAddr(s.NameServerIPs[h])
		if err != nil || ip.Zone() != "" {
			return Rendered{}, invalid("nameServerIps[%q]: %q is not an IP address", h, s.NameServerIPs[h])
		}
		owner := absolute(h, origin)
		if !dns.IsSubDomain(origin, owner) {
			out.SkippedGlue = append(out.SkippedGlue, h)
			continue
		}
		ip = ip.Unmap()
		typ := "A" // [fix] CONTRACT §18.13: IPv6 glue is AAAA
		if ip.Is6() {
			typ = "AAAA"
		}
		fmt.Fprintf(&b, "%s IN %s %s\n", owner, typ, ip)
		count++
	}
	for i, r := range s.Records {
		rr, err := ParseRecord(z, r.Name, r.Type, r.Value, r.TTL, r.Priority, s.TTL)
		if err != nil {
			return Rendered{}, fmt.Errorf("%w (records[%d])", err, i)
		}
		b.WriteString(rr.String())
		b.WriteByte('\n')
		count++
	}
	if err := parseBack(b.String(), origin, count); err != nil {
		return Rendered{}, err
	}
	out.Data = []byte(b.String())
	return out, nil
}

// hostName accepts a domain name in presentation form made of [A-Za-z0-9._-] (CONTRACT §5).
func hostName(s string) bool {
	if s == "" || len(s) > 254 || strings.HasPrefix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	_, ok := dns.IsDomainName(s)
	return ok
}

func absolute(name, origin string) string {
	if dns.IsFqdn(name) {
		return strings.ToLower(name)
	}
	return strings.ToLower(name) + "." + origin
}

// OwnerName resolves a record owner in zone z (CONTRACT §12.2): "@" is the apex; a trailing dot
// or a name equal to the zone or ending in "."+zone (label boundary, any case) is absolute;
// anything else is relative to the zone. Outside the zone is an error.
func OwnerName(z, name string) (string, error) {
	if name == "@" {
		return z + ".", nil
	}
	if name == "" || len(name) > 254 {
		return "", invalid("record name %q is empty or too long", name)
	}
	labels := strings.Split(strings.TrimSuffix(name, "."), ".")
	for i, l := range labels {
		if l == "*" && i == 0 {
			continue
		}
		if l == "" || len(l) > 63 || strings.ContainsFunc(l, func(r rune) bool {
			return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' || r == '-')
		}) {
			return "", invalid("record name %q: labels are 1-63 characters of [A-Za-z0-9_-], '*' only as the whole leftmost label", name)
		}
	}
	var fq string
	switch {
	case strings.HasSuffix(name, "."):
		fq = strings.ToLower(name)
	case zonename.InZone(name, z):
		fq = strings.ToLower(name) + "."
	default:
		fq = strings.ToLower(name) + "." + z + "."
	}
	if !zonename.InZone(fq, z) {
		return "", invalid("record name %q is outside zone %s", name, z)
	}
	if len(fq) > 254 {
		return "", invalid("record name %q is too long", name)
	}
	return fq, nil
}

// ParseRecord turns one caller record into exactly one RR of the stated type (CONTRACT §12.3):
// MX and SRV take their priority from priority or from the value, TXT strings are at most 255
// bytes, target names are absolute, and nothing in the value may be dropped by the parser.
func ParseRecord(z, name, typ, value string, ttl *uint32, priority *uint16, defTTL uint32) (dns.RR, error) {
	owner, err := OwnerName(z, name)
	if err != nil {
		return nil, err
	}
	t := strings.ToUpper(typ)
	if !slices.Contains(allowedTypes(), t) {
		return nil, invalid("record type %q is not one of %s", typ, strings.Join(allowedTypes(), " "))
	}
	if strings.ContainsFunc(value, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return nil, invalid("%s %s value contains a control character", name, t)
	}
	if unquoted(value, ";()$\\") {
		return nil, invalid("%s %s value %q: ';', '(', ')', '$' and '\\' are only allowed inside quotes", name, t, value)
	}
	rrTTL := defTTL
	if ttl != nil {
		if *ttl > MaxTTL {
			return nil, invalid("%s %s ttl %d exceeds %d", name, t, *ttl, MaxTTL)
		}
		rrTTL = *ttl
	}
	fields := strings.Fields(value)
	rdata := value
	switch t {
	case "MX", "SRV":
		want := map[string]int{"MX": 1, "SRV": 3}[t]
		switch {
		case priority != nil && len(fields) == want:
			rdata = strconv.Itoa(int(*priority)) + " " + value
		case priority == nil && len(fields) == want+1:
		default:
			return nil, invalid("%s %s value %q: give %d fields with priority, or %d without", name, t, value, want, want+1)
		}
		fallthrough
	case "CNAME", "NS", "PTR":
		if len(fields) == 0 || !strings.HasSuffix(fields[len(fields)-1], ".") {
			return nil, invalid("%s %s target must be an absolute name ending in '.'", name, t)
		}
	}
	rr, err := dns.NewRR(fmt.Sprintf("%s %d IN %s %s", owner, rrTTL, t, rdata))
	if err != nil || rr == nil {
		return nil, invalid("%s %s value %q does not parse", name, t, value)
	}
	if dns.TypeToString[rr.Header().Rrtype] != t {
		return nil, invalid("%s %s value %q parses as another type", name, t, value)
	}
	if txt, ok := rr.(*dns.TXT); ok {
		// miekg/dns splits an over-long string into several instead of refusing it; a caller
		// must not get two strings where it sent one (CONTRACT §12.3: each at most 255 bytes).
		strs := charStrings(value)
		if len(strs) != len(txt.Txt) {
			return nil, invalid("%s TXT: a character-string is longer than 255 bytes", name)
		}
		for _, s := range txt.Txt {
			if len(s) > 255 {
				return nil, invalid("%s TXT: a character-string is longer than 255 bytes", name)
			}
		}
	}
	return rr, nil
}

// charStrings splits a TXT value into its character-strings: "a b" is one, a b two.
func charStrings(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		switch {
		case s[i] == ' ':
			i++
		case s[i] == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			out = append(out, s[i+1:min(j, len(s))])
			i = j + 1
		default:
			j := i
			for j < len(s) && s[j] != ' ' {
				j++
			}
			out = append(out, s[i:j])
			i = j
		}
	}
	return out
}

// unquoted reports whether s has any of chars outside double quotes.
func unquoted(s, chars string) bool {
	in := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && in:
			i++
		case c == '"':
			in = !in
		case !in && strings.IndexByte(chars, c) >= 0:
			return true
		}
	}
	return in // an unterminated quote is refused too
}

// parseBack reads the rendered text as named will (origin set, $INCLUDE off): SOA first,
// exactly want records, all inside the zone.
func parseBack(text, origin string, want int) error {
	zp := dns.NewZoneParser(strings.NewReader(text), origin, "")
	zp.SetIncludeAllowed(false)
	n := 0
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		if n == 0 && rr.Header().Rrtype != dns.TypeSOA {
			return invalid("the zone file does not start with its SOA")
		}
		if !dns.IsSubDomain(origin, rr.Header().Name) {
			return invalid("record %s is outside the zone", rr.Header().Name)
		}
		n++
	}
	if err := zp.Err(); err != nil {
		return invalid("the zone file does not parse: %v", err)
	}
	if n != want {
		return invalid("the zone file has %d records, expected %d", n, want)
	}
	return nil
}
