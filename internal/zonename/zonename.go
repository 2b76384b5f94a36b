// Package zonename validates and normalises DNS zone names as bindgate accepts them
// (docs/contract.md §4). Every package that turns a caller's zone name into an rndc argument,
// a file name or a message calls Normalize first (sink re-validation, docs/contract.md §19 B-1, A9).
package zonename

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid is matched (errors.Is) by every error Normalize returns.
var ErrInvalid = errors.New("invalid zone name")

// Error is the error Normalize returns: Reason says what is wrong with the name, in words
// that are safe to show to the caller (it never repeats the name itself).
type Error struct {
	Reason string
}

// Error renders "invalid zone name: <reason>".
func (e *Error) Error() string { return ErrInvalid.Error() + ": " + e.Reason }

// Is makes every *Error match ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

func invalid(format string, a ...any) error {
	return &Error{Reason: fmt.Sprintf(format, a...)}
}

// MaxLen is the longest accepted name without its trailing dot (RFC 1035 §2.3.4 presentation limit).
const MaxLen = 253

// Normalize checks name against docs/contract.md §4 and returns it in lower case without the trailing dot.
//
// Accepted: 1-253 characters, dot-separated labels of 1-63 characters from [A-Za-z0-9_-], the first
// character of each label alphanumeric, one optional trailing dot. Everything else (empty labels,
// "/", "\", whitespace, quotes, braces, ";", control characters) is refused, so the result is safe
// as an rndc argument and as a file name component.
// [fix] bindcar kept the raw string, so "Example.com." and "example.com" got different files.
func Normalize(name string) (string, error) {
	n := strings.TrimSuffix(name, ".")
	if n == "" {
		return "", invalid("empty")
	}
	if len(n) > MaxLen {
		return "", invalid("longer than %d characters", MaxLen)
	}
	labelLen := 0
	for i := 0; i < len(n); i++ {
		c := n[i]
		switch {
		case c == '.':
			if labelLen == 0 {
				return "", invalid("empty label")
			}
			labelLen = 0
			continue
		case isAlnum(c):
		case c == '_' || c == '-':
			if labelLen == 0 {
				return "", invalid("a label must start with a letter or digit")
			}
		default:
			return "", invalid("character %q not allowed", rune(c))
		}
		labelLen++
		if labelLen > 63 {
			return "", invalid("label longer than 63 characters")
		}
	}
	if labelLen == 0 {
		return "", invalid("empty label")
	}
	return strings.ToLower(n), nil
}

// IsNormal reports whether name is already in the form Normalize returns.
func IsNormal(name string) bool {
	n, err := Normalize(name)
	return err == nil && n == name
}

// InZone reports whether the absolute or relative-free name owner (any case, optional trailing dot)
// equals zone or lies below it on a label boundary. zone must be normalised. docs/contract.md §12.2, §18.18.
func InZone(owner, zone string) bool {
	o := strings.ToLower(strings.TrimSuffix(owner, "."))
	return o == zone || strings.HasSuffix(o, "."+zone)
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
