package zonefile

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/quote"
	"github.com/bindgate/bindgate/internal/rrdata"
	"github.com/bindgate/bindgate/internal/zonename"
)

// MaxTTL is the largest TTL a zone file may carry (RFC 2181 §8).
const MaxTTL = rrdata.MaxTTL

// SOA is the zone's SOA record (docs/contract.md §5 SoaRecord).
type SOA struct {
	// PrimaryNS is the MNAME: a host name of [A-Za-z0-9._-], absolute or relative to the zone.
	PrimaryNS string
	// AdminEmail is the RNAME in DNS mailbox form ("admin.example.com."), never "a@b".
	AdminEmail                                  string
	Serial, Refresh, Retry, Expire, NegativeTTL uint32
}

// Record is one entry of a create request's records (docs/contract.md §5 DnsRecord, §12.2, §12.3).
type Record struct {
	Name, Type, Value string
	// TTL is the record's TTL; nil means the zone's $TTL.
	TTL *uint32
	// Priority is the MX preference or SRV priority; ignored for other types.
	Priority *uint16
}

// Spec is everything a new primary's zone file is made of (docs/contract.md §5 ZoneConfig).
type Spec struct {
	// Zone is the normalised zone name (zonename.Normalize); anything else is refused.
	Zone string
	// TTL is the $TTL.
	TTL uint32
	SOA SOA
	// NameServers become "@ IN NS <ns>" lines, in order.
	NameServers []string
	// NameServerIPs maps a host to its glue address: A for IPv4, AAAA for IPv6.
	NameServerIPs map[string]string
	Records       []Record
}

// Rendered is a rendered zone file.
type Rendered struct {
	// Data is the zone file's text.
	Data []byte
	// SkippedGlue lists, sorted, the NameServerIPs hosts outside the zone. They are not
	// written (BIND would ignore them as out-of-zone data); the caller logs them (docs/contract.md §7.2).
	SkippedGlue []string
}

// Render validates s and renders its zone file as docs/contract.md §7.2 lays it out:
//
//	$ORIGIN <zone>.
//	$TTL <ttl>
//	@ IN SOA <primaryNs> <adminEmail> ( <serial> <refresh> <retry> <expire> <negativeTtl> )
//	@ IN NS <ns>                                  one per name server, in order
//	<host> IN A <ipv4> | <host> IN AAAA <ipv6>    one per in-zone glue host, sorted by host
//	<name> [<ttl>] IN <TYPE> <rdata>              one per record, in order
//
// Names are written as given, except that a record owner ending in the zone name without a
// trailing dot gets one (docs/contract.md §12.2 reads it as absolute). Record data is miekg/dns's
// rendering of the parsed value, so priorities come first for MX and SRV. Every error from
// bad input wraps ErrInvalid (it is an *InputError).
func Render(s Spec) (Rendered, error) {
	z, err := zonename.Normalize(s.Zone)
	if err != nil || z != s.Zone {
		return Rendered{}, invalidf("zone name %s is not a normalised zone name", quote.Short(s.Zone))
	}
	origin := z + "."
	if s.TTL > MaxTTL {
		return Rendered{}, invalidf("ttl %d exceeds %d (RFC 2181)", s.TTL, MaxTTL)
	}
	if !hostName(s.SOA.PrimaryNS) {
		return Rendered{}, invalidf("soa.primaryNs %s must be a host name of [A-Za-z0-9._-] like ns1.example.com.", quote.Short(s.SOA.PrimaryNS))
	}
	if strings.Contains(s.SOA.AdminEmail, "@") || !hostName(s.SOA.AdminEmail) {
		return Rendered{}, invalidf("soa.adminEmail must be a DNS mailbox like admin.example.com., not an email address")
	}

	soa := &dns.SOA{
		Hdr:    hdr(origin, dns.TypeSOA, s.TTL),
		Ns:     absolute(s.SOA.PrimaryNS, origin),
		Mbox:   absolute(s.SOA.AdminEmail, origin),
		Serial: s.SOA.Serial, Refresh: s.SOA.Refresh, Retry: s.SOA.Retry, Expire: s.SOA.Expire,
		Minttl: s.SOA.NegativeTTL,
	}
	lines := []string{
		"$ORIGIN " + origin,
		"$TTL " + strconv.FormatUint(uint64(s.TTL), 10),
		fmt.Sprintf("@ IN SOA %s %s ( %d %d %d %d %d )", s.SOA.PrimaryNS, s.SOA.AdminEmail,
			s.SOA.Serial, s.SOA.Refresh, s.SOA.Retry, s.SOA.Expire, s.SOA.NegativeTTL),
	}
	want := []dns.RR{soa}

	for i, ns := range s.NameServers {
		if !hostName(ns) {
			return Rendered{}, invalidf("nameServers[%d] %s must be a host name of [A-Za-z0-9._-]", i, quote.Short(ns))
		}
		lines = append(lines, "@ IN NS "+ns)
		want = append(want, &dns.NS{Hdr: hdr(origin, dns.TypeNS, s.TTL), Ns: absolute(ns, origin)})
	}

	var out Rendered
	for _, h := range slices.Sorted(maps.Keys(s.NameServerIPs)) {
		line, rr, err := glue(h, s.NameServerIPs[h], origin, s.TTL)
		if err != nil {
			return Rendered{}, err
		}
		if rr == nil {
			out.SkippedGlue = append(out.SkippedGlue, h)
			continue
		}
		lines = append(lines, line)
		want = append(want, rr)
	}

	for i, r := range s.Records {
		rr, err := ParseRecord(z, r, s.TTL)
		if err != nil {
			return Rendered{}, prefixed(fmt.Sprintf("records[%d]", i), err)
		}
		line := ownerText(z, r.Name, rr.Header().Name)
		if r.TTL != nil {
			line += " " + strconv.FormatUint(uint64(*r.TTL), 10)
		}
		lines = append(lines, line+" IN "+dns.TypeToString[rr.Header().Rrtype]+" "+rrdata.Value(rr))
		want = append(want, rr)
	}

	// Defence in depth for C-2: only our own first two lines may be directives, and no field
	// may have brought a line break. Validation above already makes both impossible.
	for _, l := range lines[2:] {
		if strings.HasPrefix(l, "$") || strings.ContainsAny(l, "\r\n") {
			return Rendered{}, invalidf("the zone file would contain a directive or line break from the request")
		}
	}
	text := strings.Join(lines, "\n") + "\n"
	if err := readBack(text, origin, want); err != nil {
		return Rendered{}, err
	}
	out.Data = []byte(text)
	return out, nil
}

// glue validates one nameServerIps entry. It returns a nil RR, and no error, for a host outside
// the zone.
func glue(host, addr, origin string, ttl uint32) (string, dns.RR, error) {
	if !hostName(host) {
		return "", nil, invalidf("nameServerIps: %s must be a host name of [A-Za-z0-9._-]", quote.Short(host))
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil || ip.Zone() != "" {
		return "", nil, invalidf("nameServerIps[%s]: %s is not an IPv4 or IPv6 address", quote.Short(host), quote.Short(addr))
	}
	owner := absolute(host, origin)
	if !dns.IsSubDomain(origin, owner) {
		return "", nil, nil
	}
	// [fix] docs/contract.md §18.13: IPv6 glue is AAAA (bindcar wrote A). An IPv4-mapped IPv6 address
	// is the IPv4 address.
	ip = ip.Unmap()
	if ip.Is4() {
		return host + " IN A " + ip.String(), &dns.A{Hdr: hdr(owner, dns.TypeA, ttl), A: ip.AsSlice()}, nil
	}
	return host + " IN AAAA " + ip.String(), &dns.AAAA{Hdr: hdr(owner, dns.TypeAAAA, ttl), AAAA: ip.AsSlice()}, nil
}

func hdr(name string, rrtype uint16, ttl uint32) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: rrtype, Class: dns.ClassINET, Ttl: ttl}
}

// hostName accepts a domain name in presentation form made only of [A-Za-z0-9._-], absolute or
// relative, without empty labels (docs/contract.md §5).
func hostName(s string) bool {
	if s == "" || len(s) > 254 || s[0] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLDH(c) && c != '.' {
			return false
		}
	}
	_, ok := dns.IsDomainName(s)
	return ok
}

// isLDH reports whether c is a letter, digit, hyphen or underscore.
func isLDH(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// absolute resolves a name as the zone parser will: relative names are below origin.
func absolute(name, origin string) string {
	if dns.IsFqdn(name) {
		return strings.ToLower(name)
	}
	return strings.ToLower(name) + "." + origin
}

// readBack parses text as named will read it (origin set, $INCLUDE off) and checks that it
// holds exactly the records in want, in order: the SOA first, each inside the zone, each equal
// in owner, type, TTL and data to the one validated (docs/contract.md §7.2, §19 C-2).
func readBack(text, origin string, want []dns.RR) error {
	zp := dns.NewZoneParser(strings.NewReader(text), origin, "")
	zp.SetIncludeAllowed(false)
	n := 0
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		switch {
		case n == 0 && rr.Header().Rrtype != dns.TypeSOA:
			return invalidf("the zone file does not start with its SOA record")
		case !dns.IsSubDomain(origin, rr.Header().Name):
			return invalidf("the zone file has a record outside the zone: %s", quote.Short(rr.Header().Name))
		case n >= len(want):
			return invalidf("the zone file has more records than the request gave")
		case !rrdata.Same(rr, want[n]):
			return invalidf("the zone file does not read back as the request (record %d: %s)", n, quote.Short(rr.String()))
		}
		n++
	}
	if err := zp.Err(); err != nil {
		return invalidf("the zone file does not parse: %s", quote.Short(err.Error()))
	}
	if n != len(want) {
		return invalidf("the zone file has %d records, the request %d", n, len(want))
	}
	return nil
}
