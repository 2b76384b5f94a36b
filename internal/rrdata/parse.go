package rrdata

import (
	"bytes"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// MaxTTL is the largest TTL (RFC 2181 §8).
const MaxTTL = 2147483647

// maxValue bounds a record value before it is parsed.
const maxValue = 4096

// Record is one caller-supplied record.
type Record struct {
	Name     string
	Type     string
	Value    string
	TTL      *uint32
	Priority *uint16
}

// ZoneFileTypes are the types a zone-create request may carry (CONTRACT §5 DnsRecord).
func ZoneFileTypes() []string {
	return []string{"A", "AAAA", "CNAME", "MX", "TXT", "NS", "PTR", "SRV", "CAA"}
}

// AllTypes are the types the records API accepts (issue 3).
func AllTypes() []string {
	return append(ZoneFileTypes(), "TLSA", "SSHFP", "NAPTR", "DS", "HTTPS", "SVCB")
}

// Value renders rr's data in master-file syntax, without owner, TTL, class and type.
func Value(rr dns.RR) string {
	return strings.TrimPrefix(rr.String(), rr.Header().String())
}

// Parse turns one record into exactly one RR of its type (CONTRACT §12.3), with the
// record's TTL or defTTL. The value is master-file presentation syntax without control
// characters; ';', '(', ')', '$' and '\' only inside double quotes, so the parser can drop
// nothing as a comment and no directive can start. MX and SRV take their priority from
// r.Priority or as the value's first number, never both; CNAME, NS, PTR, MX and SRV targets
// are absolute; TXT character-strings are separated by blanks and at most 255 bytes each. The
// RR must also survive a second round trip through its own rendering unchanged. Errors are
// *InputError and name the field without the record index.
func Parse(zone string, r Record, defTTL uint32, types []string) (dns.RR, error) {
	owner, err := Owner(zone, r.Name)
	if err != nil {
		return nil, err
	}
	t := strings.ToUpper(r.Type)
	if types == nil {
		types = AllTypes()
	}
	if !asciiWord(r.Type) || !slices.Contains(types, t) {
		return nil, Invalidf("type %s is not one of %s", quote(r.Type), strings.Join(types, " "))
	}
	v := r.Value
	if len(v) > maxValue {
		return nil, Invalidf("%s value is longer than %d bytes", t, maxValue)
	}
	if strings.TrimSpace(v) == "" {
		return nil, Invalidf("%s value is required", t)
	}
	if strings.ContainsFunc(v, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
		return nil, Invalidf("%s value contains a control character", t)
	}
	switch bad, open := unquoted(v, `;()$\`); {
	case open:
		return nil, Invalidf("%s value %s has an unterminated quote", t, quote(v))
	case bad != 0:
		return nil, Invalidf(`%s value %s: ';', '(', ')', '$' and '\' are only allowed inside double quotes`, t, quote(v))
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

	rr, err := dns.NewRR(owner + " " + strconv.FormatUint(uint64(ttl), 10) + " IN " + t + " " + v)
	if err != nil || rr == nil {
		return nil, Invalidf("%s value %s does not parse as %s", t, quote(r.Value), t)
	}
	if rr.Header().Rrtype != dns.StringToType[t] || rr.Header().Class != dns.ClassINET {
		return nil, Invalidf("%s value %s parses as another type", t, quote(r.Value))
	}
	if err := checkRData(t, r.Value, rr); err != nil {
		return nil, err
	}
	// What we write is rdata(rr), not the caller's text: it must mean the same thing.
	again, err := dns.NewRR(rr.Header().String() + Value(rr))
	if err != nil || again == nil || !Same(rr, again) {
		return nil, Invalidf("%s value %s does not survive a round trip", t, quote(r.Value))
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
	return "", Invalidf("%s value %s: give %s", t, quote(v), forms)
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
			return Invalidf("TXT value %s: write character-strings as \"quoted text\" or single words, separated by spaces", quote(value))
		}
		if len(lens) != len(rr.Txt) || slices.Max(lens) > 255 {
			return Invalidf("TXT value %s: a character-string is longer than 255 bytes", quote(value))
		}
	case *dns.NAPTR:
		if rr.Replacement != "." {
			return absoluteTarget(t, value, rr.Replacement)
		}
	case *dns.SVCB:
		return checkSVCB(t, value, rr.Priority, rr.Target, len(rr.Value))
	case *dns.HTTPS:
		return checkSVCB(t, value, rr.Priority, rr.Target, len(rr.Value))
	case *dns.TLSA:
		if rr.Usage > 3 || rr.Selector > 1 || rr.MatchingType > 2 {
			return Invalidf("TLSA value %s: usage is 0-3, selector 0-1, matching type 0-2", quote(value))
		}
		if want := map[uint8]int{1: 64, 2: 128}[rr.MatchingType]; want != 0 && len(rr.Certificate) != want {
			return Invalidf("TLSA value %s: matching type %d needs a %d-byte digest", quote(value), rr.MatchingType, want/2)
		}
	case *dns.SSHFP:
		want := map[uint8]int{1: 40, 2: 64}[rr.Type]
		if !slices.Contains([]uint8{1, 2, 3, 4, 6}, rr.Algorithm) || want == 0 || len(rr.FingerPrint) != want {
			return Invalidf("SSHFP value %s: algorithm 1-4 or 6, fingerprint type 1 (SHA-1, 20 bytes) or 2 (SHA-256, 32 bytes)", quote(value))
		}
	case *dns.DS:
		want := map[uint8]int{1: 40, 2: 64, 4: 96}[rr.DigestType]
		if want == 0 || len(rr.Digest) != want {
			return Invalidf("DS value %s: digest type 1 (20 bytes), 2 (32 bytes) or 4 (48 bytes) with a digest of that length", quote(value))
		}
	case *dns.CAA:
		if !asciiWord(rr.Tag) { // RFC 8659 §4.1.1: the tag is letters and digits
			return Invalidf("CAA value %s: the tag must be letters and digits, like issue", quote(value))
		}
	}
	return nil
}

// absoluteTarget requires the target name in value to have been written with a trailing dot:
// the records API has no origin a relative target could hang from (CONTRACT §12.3).
func absoluteTarget(t, value, target string) error {
	f := strings.Fields(value)
	if len(f) == 0 || !strings.HasSuffix(f[len(f)-1], ".") || !dns.IsFqdn(target) {
		return Invalidf("%s value %s: the target must be an absolute name ending in \".\"", t, quote(value))
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
// records of one type.
func wireRData(rr dns.RR) ([]byte, bool) {
	c := dns.Copy(rr)
	c.Header().Name = "."
	buf := make([]byte, dns.Len(c))
	off, err := dns.PackRR(c, buf, 0, nil, false)
	if err != nil {
		return nil, false
	}
	return buf[:off], true
}

// checkSVCB applies RFC 9460's rules miekg/dns leaves to the caller: the target is absolute
// ("." means the owner), and alias mode (priority 0) carries a real target and no parameters.
func checkSVCB(t, value string, prio uint16, target string, params int) error {
	if f := strings.Fields(value); target != "." && (len(f) < 2 || !strings.HasSuffix(f[1], ".") || !dns.IsFqdn(target)) {
		return Invalidf("%s value %s: the target must be an absolute name ending in \".\"", t, quote(value))
	}
	if prio == 0 && (target == "." || params > 0) {
		return Invalidf("%s value %s: alias mode (priority 0) needs a target name and no parameters", t, quote(value))
	}
	return nil
}

// Target returns the name rr's data points at (CNAME, NS, PTR, MX, SRV, NAPTR, SVCB and
// HTTPS targets), or "" when it has none.
func Target(rr dns.RR) string {
	switch rr := rr.(type) {
	case *dns.CNAME:
		return rr.Target
	case *dns.NS:
		return rr.Ns
	case *dns.PTR:
		return rr.Ptr
	case *dns.MX:
		return rr.Mx
	case *dns.SRV:
		return rr.Target
	case *dns.NAPTR:
		return rr.Replacement
	case *dns.SVCB:
		return rr.Target
	case *dns.HTTPS:
		return rr.Target
	}
	return ""
}
