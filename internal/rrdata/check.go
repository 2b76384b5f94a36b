package rrdata

import (
	"encoding/hex"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/quote"
)

// checkRData applies the per-type rules miekg/dns does not. value is the text that was parsed
// (for MX and SRV with the priority put first).
func checkRData(t, value string, rr dns.RR) error {
	f := strings.Fields(value)
	last := f[len(f)-1]
	switch rr := rr.(type) {
	case *dns.CNAME, *dns.NS, *dns.PTR:
		if last == "." {
			return Invalidf("%s value %s: the target must be a host name, not the root", t, quote.Short(value))
		}
		return absoluteTarget(t, value, last, targetName(rr))
	case *dns.MX, *dns.SRV: // "." is null MX (RFC 7505) or no service (RFC 2782)
		return absoluteTarget(t, value, last, targetName(rr))
	case *dns.TXT:
		// miekg/dns splits an over-long string into 255-byte pieces instead of refusing it;
		// a caller must not get two strings where it sent one.
		lens, ok := txtStrings(value)
		if !ok {
			return Invalidf("TXT value %s: write character-strings as \"quoted text\" or single words, separated by spaces", quote.Short(value))
		}
		if len(lens) != len(rr.Txt) || slices.Max(lens) > 255 {
			return Invalidf("TXT value %s: a character-string is longer than 255 bytes", quote.Short(value))
		}
	case *dns.CAA:
		if !asciiWord(rr.Tag) { // RFC 8659 §4.1.1: the tag is letters and digits
			return Invalidf("CAA value %s: the tag must be letters and digits, like issue", quote.Short(value))
		}
	case *dns.TLSA:
		// RFC 6698 §2.1, RFC 7218: usage 0-3, selector 0-1, matching type 0 (full), 1 (SHA-256),
		// 2 (SHA-512).
		if rr.Usage > 3 || rr.Selector > 1 || rr.MatchingType > 2 {
			return Invalidf("TLSA value %s: usage must be 0-3, selector 0-1, matching type 0-2", quote.Short(value))
		}
		return hexData(t, value, "certificate data", rr.Certificate, []int{0, 32, 64}[rr.MatchingType])
	case *dns.SSHFP:
		// RFC 4255, 6594, 7479, 8709: algorithm 1 RSA, 2 DSA, 3 ECDSA, 4 Ed25519, 6 Ed448;
		// fingerprint type 1 SHA-1, 2 SHA-256.
		if !slices.Contains([]uint8{1, 2, 3, 4, 6}, rr.Algorithm) || rr.Type < 1 || rr.Type > 2 {
			return Invalidf("SSHFP value %s: algorithm must be 1, 2, 3, 4 or 6 and fingerprint type 1 or 2", quote.Short(value))
		}
		return hexData(t, value, "fingerprint", rr.FingerPrint, []int{0, 20, 32}[rr.Type])
	case *dns.DS:
		// RFC 4034 §5.1 (algorithm 0 is reserved), digest types 1 SHA-1 (RFC 4034),
		// 2 SHA-256 (RFC 4509), 4 SHA-384 (RFC 6605).
		n := map[uint8]int{1: 20, 2: 32, 4: 48}[rr.DigestType]
		if rr.Algorithm == 0 || n == 0 {
			return Invalidf("DS value %s: algorithm must be 1-255 and digest type 1, 2 or 4", quote.Short(value))
		}
		return hexData(t, value, "digest", rr.Digest, n)
	case *dns.NAPTR:
		// RFC 3403 §4.1: flags are A-Z and 0-9; regexp and replacement are mutually exclusive.
		if rr.Flags != "" && !asciiWord(rr.Flags) {
			return Invalidf("NAPTR value %s: flags must be letters and digits", quote.Short(value))
		}
		if rr.Regexp != "" && rr.Replacement != "." {
			return Invalidf("NAPTR value %s: give a regexp or a replacement, not both (RFC 3403)", quote.Short(value))
		}
		return absoluteTarget(t, value, last, rr.Replacement)
	case *dns.SVCB:
		return checkSVCB(t, value, f, rr)
	case *dns.HTTPS:
		return checkSVCB(t, value, f, &rr.SVCB)
	}
	return nil
}

// checkSVCB checks an SVCB or HTTPS record (RFC 9460): the target is absolute or "."; priority
// 0 is AliasMode, which needs a target and takes no parameters (§2.4.2).
func checkSVCB(t, value string, f []string, rr *dns.SVCB) error {
	if len(f) < 2 {
		return Invalidf("%s value %s: give \"<priority> <target>. [key=value ...]\"", t, quote.Short(value))
	}
	if err := absoluteTarget(t, value, f[1], rr.Target); err != nil {
		return err
	}
	if rr.Priority == 0 && (rr.Target == "." || len(rr.Value) > 0) {
		return Invalidf("%s value %s: priority 0 (alias mode) needs a target name and no parameters", t, quote.Short(value))
	}
	return nil
}

// absoluteTarget requires the target name written as field in value to end in ".": the records
// API has no origin a relative target could hang from (docs/contract.md §12.3). The target is the root
// or labels of [A-Za-z0-9_-], so that its rendering needs no escapes and reads back as written.
func absoluteTarget(t, value, field, target string) error {
	if !strings.HasSuffix(field, ".") || !dns.IsFqdn(target) {
		return Invalidf("%s value %s: the target must be an absolute name ending in \".\"", t, quote.Short(value))
	}
	if target == "." {
		return nil
	}
	for _, l := range strings.Split(strings.TrimSuffix(target, "."), ".") {
		if !ldhLabel(l) {
			return Invalidf("%s value %s: the target's labels must be 1-63 characters of [A-Za-z0-9_-]", t, quote.Short(value))
		}
	}
	return nil
}

// hexData requires s to be non-empty hex of n bytes (any length if n is 0).
func hexData(t, value, what, s string, n int) error {
	b, err := hex.DecodeString(s)
	switch {
	case err != nil || len(b) == 0:
		return Invalidf("%s value %s: the %s must be hexadecimal", t, quote.Short(value), what)
	case n != 0 && len(b) != n:
		return Invalidf("%s value %s: the %s must be %d bytes (%d hex digits), not %d", t, quote.Short(value), what, n, 2*n, len(b))
	}
	return nil
}

// targetName returns the name in rr's rdata that refers to another name: the CNAME, NS or PTR
// target, MX exchange, SRV target, NAPTR replacement or SVCB/HTTPS target, as stored in rr, and
// "" for other types. The root "." is returned as is; it names no other host (null MX, RFC
// 7505; no SRV service, RFC 2782; no NAPTR replacement; SVCB "." = the owner itself, RFC 9460).
func targetName(rr dns.RR) string {
	var n string
	switch rr := rr.(type) {
	case *dns.CNAME:
		n = rr.Target
	case *dns.NS:
		n = rr.Ns
	case *dns.PTR:
		n = rr.Ptr
	case *dns.MX:
		n = rr.Mx
	case *dns.SRV:
		n = rr.Target
	case *dns.NAPTR:
		n = rr.Replacement
	case *dns.SVCB:
		n = rr.Target
	case *dns.HTTPS:
		n = rr.Target
	}
	return n
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
