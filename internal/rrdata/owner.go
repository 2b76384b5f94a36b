package rrdata

import (
	"strings"

	"golang.org/x/net/idna"

	"github.com/bindgate/bindgate/internal/zonename"
)

// Owner resolves a record name in zone like OwnerASCII, after converting internationalised
// labels to their A-label (punycode) form with the IDNA lookup profile: "bücher" becomes
// "xn--bcher-kva". ASCII labels pass unchanged, underscores included (_sip._tcp).
func Owner(zone, name string) (string, error) {
	if name == "@" || isASCII(name) {
		return OwnerASCII(zone, name)
	}
	labels := strings.Split(name, ".")
	for i, l := range labels {
		if isASCII(l) {
			continue
		}
		a, err := idna.Lookup.ToASCII(l)
		if err != nil || a == "" || !isASCII(a) {
			return "", Invalidf("name %s: label %s is not a valid internationalised name", quote(name), quote(l))
		}
		labels[i] = a
	}
	return OwnerASCII(zone, strings.Join(labels, "."))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// IsLDH reports whether c is a letter, digit, hyphen or underscore.
func IsLDH(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// OwnerASCII resolves a record name in zone (normalised) to an absolute, lower-case owner name
// (CONTRACT §12.2): "@" is the apex; a name with a trailing dot is absolute; a name equal to the
// zone or ending in "."+zone (label boundary, any case) is absolute too; anything else is
// relative to the zone. Labels are 1-63 characters of [A-Za-z0-9_-], "*" only as the whole
// leftmost label, at most 253 characters in all. A name outside the zone is an error.
// [fix] CONTRACT §18.18: bindcar's raw suffix test put "fooexample.com" inside "example.com".
func OwnerASCII(zone, name string) (string, error) {
	if !zonename.IsNormal(zone) {
		return "", Invalidf("zone name %s is not a normalised zone name", quote(zone))
	}
	if name == "@" {
		return zone + ".", nil
	}
	if name == "" {
		return "", Invalidf("name is required")
	}
	if name == "." || len(name) > 254 {
		return "", Invalidf("name %s is not a name in zone %s", quote(name), zone)
	}
	for i, l := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		if i == 0 && l == "*" {
			continue
		}
		if l == "" || len(l) > 63 || strings.IndexFunc(l, func(r rune) bool { return r > 0x7f || !IsLDH(byte(r)) }) >= 0 {
			return "", Invalidf(`name %s: labels are 1-63 characters of [A-Za-z0-9_-], "*" only as the whole leftmost label, "@" only alone`, quote(name))
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
		return "", Invalidf("name %s is outside zone %s", quote(name), zone)
	}
	if len(fq) > zonename.MaxLen+1 {
		return "", Invalidf("name %s is longer than %d characters in zone %s", quote(name), zonename.MaxLen, zone)
	}
	return fq, nil
}
