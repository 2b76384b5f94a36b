package rrdata

import (
	"fmt"
	"strconv"
)

// InputError is a validation failure. Its message is public: it names the record's name, type
// or value, quoted so that control characters never reach a response or a log raw.
type InputError struct {
	Msg string
}

// Error returns the public message.
func (e *InputError) Error() string { return e.Msg }

// Invalidf returns an *InputError with a formatted message. Callers quote caller text in args
// themselves (with %q or strconv.Quote).
func Invalidf(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// maxQuoted bounds how much of a caller's text an error message repeats.
const maxQuoted = 64

// quote renders s for a message: Go-quoted (control characters escaped) and cut to maxQuoted
// bytes.
func quote(s string) string {
	if len(s) > maxQuoted {
		return strconv.Quote(s[:maxQuoted]) + "..."
	}
	return strconv.Quote(s)
}
