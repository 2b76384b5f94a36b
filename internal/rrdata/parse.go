package rrdata

import (
	"bytes"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/quote"
)

// MaxTTL is the largest TTL a record may carry (RFC 2181 §8).
const MaxTTL = 2147483647

// maxValueLen bounds a record value, in bytes, before it is parsed. Far above any sane record
// and below the 65535-byte RDATA limit (RFC 1035 §3.2.1).
const maxValueLen = 4096

// Record is one caller-supplied record (docs/contract.md §5 DnsRecord, §12.1).
type Record struct {
	// Name is the owner: "@", relative to the zone, or absolute (docs/contract.md §12.2).
	Name string
	// Type is the record type in any case.
	Type string
	// Value is the rdata in master-file presentation syntax (docs/contract.md §12.3).
	Value string
	// TTL is the record's TTL; nil means the caller's default.
	TTL *uint32
	// Priority is the MX preference or SRV priority; ignored for other types (docs/contract.md §5).
	Priority *uint16
}

// AllTypes are the record types Parse accepts by default, upper case.
func AllTypes() []string {
	return []string{"A", "AAAA", "CNAME", "MX", "TXT", "NS", "PTR", "SRV", "CAA",
		"TLSA", "SSHFP", "NAPTR", "DS", "HTTPS", "SVCB"}
}

// ZoneFileTypes are the record types a create-zone request may carry (docs/contract.md §5 DnsRecord).
func ZoneFileTypes() []string {
	return []string{"A", "AAAA", "CNAME", "MX", "TXT", "NS", "PTR", "SRV", "CAA"}
}

// Parse turns r into exactly one RR of its type (docs/contract.md §12.3): owner from Owner(zone,
// r.Name), class IN, TTL from r.TTL or else defTTL (at most MaxTTL). types restricts the
// accepted types (upper case); nil means AllTypes().
//
// The value is at most maxValueLen bytes of presentation syntax without control characters;
// ';', '(', ')', '$' and '\' appear only inside double quotes, so the parser can drop nothing
// as a comment, no directive can start and nothing spans lines. MX and SRV take their priority
// from r.Priority or as the value's first number, never both. The RR must pass its type's
// checks (see checkRData), pack on the wire, and survive a round trip through its own
// rendering unchanged. Every error is an *InputError naming the name, type or value at fault.
func Parse(zone string, r Record, defTTL uint32, types []string) (dns.RR, error) {
	owner, err := Owner(zone, r.Name)
	if err != nil {
		return nil, err
	}
	if types == nil {
		types = AllTypes()
	}
	t := strings.ToUpper(r.Type)
	if !asciiWord(r.Type) || !slices.Contains(types, t) || !slices.Contains(AllTypes(), t) {
		return nil, Invalidf("type %s is not one of %s", quote.Short(r.Type), strings.Join(types, " "))
	}
	v := r.Value
	if len(v) > maxValueLen {
		return nil, Invalidf("%s value is longer than %d bytes", t, maxValueLen)
	}
	switch bad, open := unquoted(v, `;()$\`); {
	case strings.TrimSpace(v) == "":
		return nil, Invalidf("%s value is required", t)
	case strings.ContainsFunc(v, func(c rune) bool { return c < 0x20 || c == 0x7f }):
		return nil, Invalidf("%s value contains a control character", t)
	case open:
		return nil, Invalidf("%s value %s: unterminated double quote", t, quote.Short(v))
	case bad != 0:
		return nil, Invalidf(`%s value %s: ';', '(', ')', '$' and '\' are only allowed inside double quotes`, t, quote.Short(v))
	}
	ttl := defTTL
	if r.TTL != nil {
		ttl = *r.TTL
	}
	if ttl > MaxTTL {
		return nil, Invalidf("ttl %d exceeds %d (RFC 2181)", ttl, MaxTTL)
	}
	if v, err = withPriority(t, v, r.Priority); err != nil {
		return nil, err
	}
	if rr, ok := plainAddress(owner, ttl, t, v); ok {
		return rr, nil
	}

	rr, err := dns.NewRR(owner + " " + strconv.FormatUint(uint64(ttl), 10) + " IN " + t + " " + v)
	if err != nil || rr == nil {
		return nil, Invalidf("%s value %s: does not parse as %s", t, quote.Short(r.Value), t)
	}
	if rr.Header().Rrtype != dns.StringToType[t] || rr.Header().Class != dns.ClassINET {
		return nil, Invalidf("%s value %s: parses as another type", t, quote.Short(r.Value))
	}
	if err := checkRData(t, v, rr); err != nil {
		return nil, err
	}
	// Escapes can make the rendering four times the input ("é" is "\195\169"); a value a
	// caller reads back must be accepted again as it is (found by FuzzParse).
	if len(Value(rr)) > maxValueLen {
		return nil, Invalidf("%s value %s: is longer than %d bytes as rendered", t, quote.Short(r.Value), maxValueLen)
	}
	if _, ok := wireRData(rr); !ok {
		return nil, Invalidf("%s value %s: does not encode as %s", t, quote.Short(r.Value), t)
	}
	// Callers send and store Value(rr), not the caller's text: it must mean the same thing.
	again, err := dns.NewRR(rr.Header().String() + Value(rr))
	if err != nil || again == nil || !Same(rr, again) {
		return nil, Invalidf("%s value %s: does not survive a round trip", t, quote.Short(r.Value))
	}
	return rr, nil
}

// plainAddress is Parse's shortcut for the commonest values, an A record's dotted quad and an
// AAAA record's colon-hex address (a PATCH of 100 A RRsets spent a fifth of its time in the
// zone parser, twice per record): v made only of the characters such an address has, and
// parsing as one, gives the RR the zone parser would give (miekg/dns scan_rr.go: net.ParseIP
// of the one token; A without ':', AAAA with it), which needs none of the checks after the
// parse. Anything else (ok false), including an AAAA that is an IPv4-mapped address (rendered
// in a form of its own), takes the parser's way with its errors.
func plainAddress(owner string, ttl uint32, t, v string) (_ dns.RR, ok bool) {
	hdr := dns.RR_Header{Name: owner, Class: dns.ClassINET, Ttl: ttl}
	switch t {
	case "A":
		if !onlyOf(v, "0123456789.") {
			return nil, false
		}
		ip := net.ParseIP(v)
		if ip == nil {
			return nil, false
		}
		hdr.Rrtype = dns.TypeA
		return &dns.A{Hdr: hdr, A: ip}, true
	case "AAAA":
		if !onlyOf(v, "0123456789abcdefABCDEF:") {
			return nil, false
		}
		ip := net.ParseIP(v)
		if ip == nil || ip.To4() != nil {
			return nil, false
		}
		hdr.Rrtype = dns.TypeAAAA
		return &dns.AAAA{Hdr: hdr, AAAA: ip}, true
	}
	return nil, false
}

// onlyOf reports whether s is non-empty and made of the bytes in set only.
func onlyOf(s, set string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(set, s[i]) < 0 {
			return false
		}
	}
	return true
}

// Value renders rr's rdata in master-file syntax, without owner, TTL, class and type, e.g.
// "10 mail.example.com.".
func Value(rr dns.RR) string {
	// A and AAAA, the commonest, render their address directly, as their String methods do
	// after the header (miekg/dns types.go): rendering the header twice to cut it off again
	// was two fifths of planning a PATCH of 100 A RRsets.
	switch rr := rr.(type) {
	case *dns.A:
		if rr.A == nil {
			return ""
		}
		return rr.A.String()
	case *dns.AAAA:
		switch {
		case rr.AAAA == nil:
			return ""
		case rr.AAAA.To4() != nil:
			return "::ffff:" + rr.AAAA.String()
		}
		return rr.AAAA.String()
	}
	return valueOf(rr)
}

// valueOf is Value the general way: the record's rendering without its header's.
func valueOf(rr dns.RR) string {
	return strings.TrimPrefix(rr.String(), rr.Header().String())
}

// withPriority returns the value miekg/dns should parse: for MX and SRV, the priority given
// separately goes first (docs/contract.md §12.3, [fix] §18.18: bindcar answered 500 to MX without one).
func withPriority(t, v string, priority *uint16) (string, error) {
	var want int
	var forms string
	switch t {
	case "MX":
		want, forms = 1, `"<host>." with priority, or "<preference> <host>." without`
	case "SRV":
		want, forms = 3, `"<weight> <port> <target>." with priority, or "<priority> <weight> <port> <target>." without`
	default:
		return v, nil // priority is ignored for other types (docs/contract.md §5)
	}
	n := len(strings.Fields(v))
	switch {
	case priority != nil && n == want:
		return strconv.FormatUint(uint64(*priority), 10) + " " + v, nil
	case priority == nil && n == want+1:
		return v, nil
	}
	return "", Invalidf("%s value %s: give %s", t, quote.Short(v), forms)
}

// unquoted returns the first byte of chars found outside double quotes (0 if none), and whether
// a quote is left open. Inside quotes a backslash escapes the next byte.
func unquoted(s, chars string) (bad byte, open bool) {
	in := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case in && c == '\\':
			i++
		case c == '"':
			in = !in
		case !in && strings.IndexByte(chars, c) >= 0:
			return c, false
		}
	}
	return 0, in
}

// asciiWord reports whether s is non-empty ASCII letters and digits.
func asciiWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// Same reports whether a and b are the same record: owner (any case), class, type, TTL and
// data. Data is compared as dns.IsDuplicate does (names in any case) or, failing that, on the
// wire, because miekg/dns keeps TXT and CAA text in escaped presentation form ("\065" and "A"
// are the same byte but different strings).
func Same(a, b dns.RR) bool {
	ah, bh := a.Header(), b.Header()
	if ah.Ttl != bh.Ttl || ah.Rrtype != bh.Rrtype || ah.Class != bh.Class || !strings.EqualFold(ah.Name, bh.Name) {
		return false
	}
	if dns.IsDuplicate(a, b) {
		return true
	}
	aw, aok := wireRData(a)
	bw, bok := wireRData(b)
	return aok && bok && bytes.Equal(aw, bw)
}

// wireRData packs rr with its owner replaced by the root, so only the data differs between two
// records of one type. ok is false if rr does not pack (miekg/dns parses hex fields without
// checking them, for one).
func wireRData(rr dns.RR) (_ []byte, ok bool) {
	c := dns.Copy(rr)
	c.Header().Name = "."
	buf := make([]byte, dns.Len(c))
	off, err := dns.PackRR(c, buf, 0, nil, false)
	if err != nil {
		return nil, false
	}
	return buf[:off], true
}
