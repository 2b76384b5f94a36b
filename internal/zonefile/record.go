package zonefile

import (
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/zonename"
)

// Types are the record types a request may carry (CONTRACT §5 DnsRecord), upper case.
func Types() []string {
	return []string{"A", "AAAA", "CNAME", "MX", "TXT", "NS", "PTR", "SRV", "CAA"}
}

// OwnerName resolves a record name in zone (normalised) to an absolute, lower-case owner name
// (CONTRACT §12.2): "@" is the apex; a name with a trailing dot is absolute; a name equal to the
// zone or ending in "."+zone (label boundary, any case) is absolute too; anything else is
// relative to the zone. Labels are 1-63 characters of [A-Za-z0-9_-], "*" only as the whole
// leftmost label, at most 253 characters in all. A name outside the zone is an error.
// [fix] CONTRACT §18.18: bindcar's raw suffix test put "fooexample.com" inside "example.com".
func OwnerName(zone, name string) (string, error) {
	if !zonename.IsNormal(zone) {
		return "", invalidf("zone name %s is not a normalised zone name", quote(zone))
	}
	if name == "@" {
		return zone + ".", nil
	}
	if name == "" {
		return "", invalidf("name is required")
	}
	if name == "." || len(name) > 254 {
		return "", invalidf("name %s is not a name in zone %s", quote(name), zone)
	}
	for i, l := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		if i == 0 && l == "*" {
			continue
		}
		if l == "" || len(l) > 63 || strings.IndexFunc(l, func(r rune) bool { return r > 0x7f || !isLDH(byte(r)) }) >= 0 {
			return "", invalidf(`name %s: labels are 1-63 characters of [A-Za-z0-9_-], "*" only as the whole leftmost label, "@" only alone`, quote(name))
		}
	}
	var fq string
	switch {
	case strings.HasSuffix(name, "."):
		fq = strings.ToLower(name)
	case zonename.InZone(name, zone):
		fq = strings.ToLower(name) + "."
	default:
		fq = strings.ToLower(name) + "." + zone + "."
	}
	if !zonename.InZone(fq, zone) {
		return "", invalidf("name %s is outside zone %s", quote(name), zone)
	}
	if len(fq) > zonename.MaxLen+1 {
		return "", invalidf("name %s is longer than %d characters in zone %s", quote(name), zonename.MaxLen, zone)
	}
	return fq, nil
}

// ownerText is how a validated record name is written in the zone file: as given, except that
// an absolute name written without its trailing dot (CONTRACT §12.2) gets one, since the zone
// parser would otherwise append the origin.
func ownerText(zone, name string) string {
	if name != "@" && !strings.HasSuffix(name, ".") && zonename.InZone(name, zone) {
		return name + "."
	}
	return name
}

// ParseRecord turns one record into exactly one RR of its type (CONTRACT §12.3), with the
// record's TTL or defTTL. The value is master-file presentation syntax without control
// characters; ';', '(', ')', '$' and '\' only inside double quotes, so the parser can drop
// nothing as a comment and no directive can start. MX and SRV take their priority from
// r.Priority or as the value's first number, never both; CNAME, NS, PTR, MX and SRV targets
// are absolute; TXT character-strings are separated by blanks and at most 255 bytes each. The
// RR must also survive a second round trip through its own rendering unchanged. Errors are
// *InputError and name the field without the record index.
func ParseRecord(zone string, r Record, defTTL uint32) (dns.RR, error) {
	owner, err := OwnerName(zone, r.Name)
	if err != nil {
		return nil, err
	}
	t := strings.ToUpper(r.Type)
	if !asciiWord(r.Type) || !slices.Contains(Types(), t) {
		return nil, invalidf("type %s is not one of %s", quote(r.Type), strings.Join(Types(), " "))
	}
	v := r.Value
	if strings.TrimSpace(v) == "" {
		return nil, invalidf("%s value is required", t)
	}
	if strings.ContainsFunc(v, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
		return nil, invalidf("%s value contains a control character", t)
	}
	switch bad, open := unquoted(v, `;()$\`); {
	case open:
		return nil, invalidf("%s value %s has an unterminated quote", t, quote(v))
	case bad != 0:
		return nil, invalidf(`%s value %s: ';', '(', ')', '$' and '\' are only allowed inside double quotes`, t, quote(v))
	}
	ttl := defTTL
	if r.TTL != nil {
		ttl = *r.TTL
	}
	if ttl > MaxTTL {
		return nil, invalidf("ttl %d exceeds %d (RFC 2181)", ttl, MaxTTL)
	}
	if v, err = withPriority(t, v, r.Priority); err != nil {
		return nil, err
	}

	rr, err := dns.NewRR(owner + " " + strconv.FormatUint(uint64(ttl), 10) + " IN " + t + " " + v)
	if err != nil || rr == nil {
		return nil, invalidf("%s value %s does not parse as %s", t, quote(r.Value), t)
	}
	if rr.Header().Rrtype != dns.StringToType[t] || rr.Header().Class != dns.ClassINET {
		return nil, invalidf("%s value %s parses as another type", t, quote(r.Value))
	}
	if err := checkRData(t, r.Value, rr); err != nil {
		return nil, err
	}
	// What we write is rdata(rr), not the caller's text: it must mean the same thing.
	again, err := dns.NewRR(rr.Header().String() + rdata(rr))
	if err != nil || again == nil || !sameRR(rr, again) {
		return nil, invalidf("%s value %s does not survive a round trip", t, quote(r.Value))
	}
	return rr, nil
}

// withPriority returns the value miekg/dns should parse: for MX and SRV, the priority given
// separately goes first (CONTRACT §12.3, [fix] §18.18: bindcar answered 500 to MX without one).
func withPriority(t, v string, priority *uint16) (string, error) {
	var want int
	var forms string
	switch t {
	case "MX":
		want, forms = 1, `"<host>." with priority, or "<preference> <host>." without`
	case "SRV":
		want, forms = 3, `"<weight> <port> <target>." with priority, or "<priority> <weight> <port> <target>." without`
	default:
		return v, nil // priority is ignored for other types (CONTRACT §5)
	}
	n := len(strings.Fields(v))
	switch {
	case priority != nil && n == want:
		return strconv.FormatUint(uint64(*priority), 10) + " " + v, nil
	case priority == nil && n == want+1:
		return v, nil
	}
	return "", invalidf("%s value %s: give %s", t, quote(v), forms)
}

// checkRData applies the per-type rules miekg/dns does not.
func checkRData(t, value string, rr dns.RR) error {
	switch rr := rr.(type) {
	case *dns.CNAME:
		return absoluteTarget(t, value, rr.Target)
	case *dns.NS:
		return absoluteTarget(t, value, rr.Ns)
	case *dns.PTR:
		return absoluteTarget(t, value, rr.Ptr)
	case *dns.MX:
		return absoluteTarget(t, value, rr.Mx)
	case *dns.SRV:
		return absoluteTarget(t, value, rr.Target)
	case *dns.TXT:
		// miekg/dns splits an over-long string into 255-byte pieces instead of refusing it;
		// a caller must not get two strings where it sent one.
		lens, ok := txtStrings(value)
		if !ok {
			return invalidf("TXT value %s: write character-strings as \"quoted text\" or single words, separated by spaces", quote(value))
		}
		if len(lens) != len(rr.Txt) || slices.Max(lens) > 255 {
			return invalidf("TXT value %s: a character-string is longer than 255 bytes", quote(value))
		}
	case *dns.CAA:
		if !asciiWord(rr.Tag) { // RFC 8659 §4.1.1: the tag is letters and digits
			return invalidf("CAA value %s: the tag must be letters and digits, like issue", quote(value))
		}
	}
	return nil
}

// absoluteTarget requires the target name in value to have been written with a trailing dot:
// the records API has no origin a relative target could hang from (CONTRACT §12.3).
func absoluteTarget(t, value, target string) error {
	f := strings.Fields(value)
	if len(f) == 0 || !strings.HasSuffix(f[len(f)-1], ".") || !dns.IsFqdn(target) {
		return invalidf("%s value %s: the target must be an absolute name ending in \".\"", t, quote(value))
	}
	return nil
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

// txtStrings splits a TXT value into its character-strings and returns their lengths in bytes
// on the wire: "a b" is one string of 3, a b two of 1. Strings are separated by spaces; a quote
// inside an unquoted word, or a quoted string followed by anything but a space, is malformed
// (ok false). Escapes (\X, \DDD) count as one byte.
func txtStrings(v string) (lens []int, ok bool) {
	for i := 0; i < len(v); {
		if v[i] == ' ' {
			i++
			continue
		}
		n := 0
		if v[i] == '"' {
			j := i + 1
			for ; j < len(v) && v[j] != '"'; n++ {
				j += escLen(v[j:])
			}
			if j >= len(v) || j+1 < len(v) && v[j+1] != ' ' {
				return nil, false
			}
			i = j + 1
		} else {
			j := i
			for ; j < len(v) && v[j] != ' '; n++ {
				if v[j] == '"' {
					return nil, false
				}
				j += escLen(v[j:])
			}
			i = j
		}
		lens = append(lens, n)
	}
	return lens, len(lens) > 0
}

// escLen is the number of bytes of s that make its first wire byte: 4 for \DDD, 2 for \X, 1
// otherwise.
func escLen(s string) int {
	if s[0] != '\\' || len(s) < 2 {
		return 1
	}
	if len(s) >= 4 && isDigit(s[1]) && isDigit(s[2]) && isDigit(s[3]) {
		return 4
	}
	return 2
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
