// Package zonename validates and normalises DNS zone names as bindgate accepts them
// (CONTRACT §4). Every package that turns a caller's zone name into an rndc argument,
// a file name or a message calls Normalize first (sink re-validation, CONTRACT §19 B-1, A9).
package zonename

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid is wrapped by every error Normalize returns.
var ErrInvalid = errors.New("invalid zone name")

// MaxLen is the longest accepted name without its trailing dot (RFC 1035 §2.3.4 presentation limit).
const MaxLen = 253

// Normalize checks name against CONTRACT §4 and returns it in lower case without the trailing dot.
//
// Accepted: 1-253 characters, dot-separated labels of 1-63 characters from [A-Za-z0-9_-], the first
// character of each label alphanumeric, one optional trailing dot. Everything else (empty labels,
// "/", "\", whitespace, quotes, braces, ";", control characters) is refused, so the result is safe
// as an rndc argument and as a file name component.
// [fix] bindcar kept the raw string, so "Example.com." and "example.com" got different files.
func Normalize(name string) (string, error) {
	n := strings.TrimSuffix(name, ".")
	if n == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalid)
	}
	if len(n) > MaxLen {
		return "", fmt.Errorf("%w: longer than %d characters", ErrInvalid, MaxLen)
	}
	labelLen := 0
	for i := 0; i < len(n); i++ {
		c := n[i]
		switch {
		case c == '.':
			if labelLen == 0 {
				return "", fmt.Errorf("%w: empty label", ErrInvalid)
			}
			labelLen = 0
			continue
		case isAlnum(c):
		case c == '_' || c == '-':
			if labelLen == 0 {
				return "", fmt.Errorf("%w: a label must start with a letter or digit", ErrInvalid)
			}
		default:
			return "", fmt.Errorf("%w: character %q not allowed", ErrInvalid, rune(c))
		}
		labelLen++
		if labelLen > 63 {
			return "", fmt.Errorf("%w: label longer than 63 characters", ErrInvalid)
		}
	}
	if labelLen == 0 {
		return "", fmt.Errorf("%w: empty label", ErrInvalid)
	}
	return strings.ToLower(n), nil
}

// IsNormal reports whether name is already in the form Normalize returns.
func IsNormal(name string) bool {
	n, err := Normalize(name)
	return err == nil && n == name
}

// InZone reports whether the absolute or relative-free name owner (any case, optional trailing dot)
// equals zone or lies below it on a label boundary. zone must be normalised. CONTRACT §12.2, §18.18.
func InZone(owner, zone string) bool {
	o := strings.ToLower(strings.TrimSuffix(owner, "."))
	return o == zone || strings.HasSuffix(o, "."+zone)
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
