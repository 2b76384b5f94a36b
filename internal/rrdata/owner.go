package rrdata

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/bindgate/bindgate/internal/quote"
	"github.com/bindgate/bindgate/internal/zonename"
)

// maxNameInput bounds the caller's name before IDN conversion, so that no mapping work is
// spent on text that could never become a 253-character name.
const maxNameInput = 1024

// Owner resolves name in zone to an absolute, lower-case owner name with a trailing dot
// (docs/contract.md §12.2). zone must be normalised (zonename.IsNormal).
//
//   - "@" is the apex; a name with a trailing dot is absolute; a name equal to the zone or
//     ending in "."+zone on a label boundary (any case) is absolute too; anything else is
//     relative to the zone.
//   - A label with non-ASCII characters is converted to punycode with the IDNA Lookup profile
//     (RFC 5891 §5, UTS 46 mapping): "bücher" becomes "xn--bcher-kva". ASCII labels are taken
//     as they are, so underscores stay allowed (_sip._tcp, RFC 8552).
//   - After conversion labels are 1-63 characters of [A-Za-z0-9_-], "*" only as the whole
//     leftmost label (RFC 4592), and the name is at most 253 characters.
//
// A name outside the zone is an error.
// [fix] docs/contract.md §18.18: bindcar's raw suffix test put "fooexample.com" inside "example.com".
func Owner(zone, name string) (string, error) {
	if !zonename.IsNormal(zone) {
		return "", Invalidf("zone name %s is not a normalised zone name", quote.Short(zone))
	}
	switch {
	case name == "@":
		return zone + ".", nil
	case name == "":
		return "", Invalidf("name is required")
	case name == "." || len(name) > maxNameInput:
		return "", Invalidf("name %s is not a name in zone %s", quote.Short(name), zone)
	case !utf8.ValidString(name):
		return "", Invalidf("name %s is not valid UTF-8", quote.Short(name))
	}
	abs := strings.HasSuffix(name, ".")
	labels := strings.Split(strings.TrimSuffix(name, "."), ".")
	for i, l := range labels {
		if i == 0 && l == "*" {
			continue
		}
		a, ok := label(l)
		if !ok {
			return "", Invalidf(`name %s: label %s: labels are 1-63 characters of [A-Za-z0-9_-] or an internationalised label, "*" only as the whole leftmost label, "@" only alone`, quote.Short(name), quote.Short(l))
		}
		labels[i] = a
	}
	ascii := strings.Join(labels, ".")
	var fq string
	switch {
	case abs, zonename.InZone(ascii, zone):
		fq = ascii + "."
	default:
		fq = ascii + "." + zone + "."
	}
	if !zonename.InZone(fq, zone) {
		return "", Invalidf("name %s is outside zone %s", quote.Short(name), zone)
	}
	if len(fq) > zonename.MaxLen+1 {
		return "", Invalidf("name %s is longer than %d characters in zone %s", quote.Short(name), zonename.MaxLen, zone)
	}
	return fq, nil
}

// label returns one label of a caller's name in lower-case ASCII, converting a non-ASCII label
// to its A-label, or false if the label is not allowed.
func label(l string) (string, bool) {
	if isASCII(l) {
		return strings.ToLower(l), ldhLabel(l)
	}
	// The Lookup profile maps case and width, applies the STD3 rules (no underscore in an
	// IDN label), checks hyphens, joiners and the Bidi rule (RFC 5893).
	a, err := idna.Lookup.ToASCII(l)
	if err != nil || !ldhLabel(a) || strings.Contains(a, "_") {
		return "", false
	}
	return strings.ToLower(a), true
}

// ldhLabel reports whether l is 1-63 bytes of letters, digits, hyphens and underscores.
func ldhLabel(l string) bool {
	if l == "" || len(l) > 63 {
		return false
	}
	for i := 0; i < len(l); i++ {
		if !isLDH(l[i]) {
			return false
		}
	}
	return true
}

// isLDH reports whether c is a letter, digit, hyphen or underscore.
func isLDH(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
