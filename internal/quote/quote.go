package quote

import (
	"strconv"
	"strings"
)

// MaxShort bounds how many bytes of a value Short repeats.
const MaxShort = 64

// Short renders s for an error message: Go-quoted (control characters and invalid UTF-8
// escaped) and cut to MaxShort bytes, with "..." after the closing quote when cut, so a wrong
// paste stays readable.
func Short(s string) string {
	if len(s) > MaxShort {
		return strconv.Quote(s[:MaxShort]) + "..."
	}
	return strconv.Quote(s)
}

// BIND renders s as a quoted string of BIND's configuration grammar: '"' and '\' get a
// backslash, which makes BIND's lexer take the next character literally (lib/isc/lex.c).
// Control characters pass through unchanged; callers that write them refuse them first.
func BIND(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}
