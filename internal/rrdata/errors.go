package rrdata

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrInvalid is wrapped by every InputError (errors.Is).
var ErrInvalid = errors.New("invalid record")

// InputError is a validation failure. Its text is public: it names the record's name, type or
// value, quoted with control characters escaped and cut short, so it can follow "Invalid
// record: " verbatim.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

// Unwrap returns ErrInvalid.
func (e *InputError) Unwrap() error { return ErrInvalid }

// Invalidf returns an *InputError.
func Invalidf(format string, a ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, a...)}
}

// maxQuoted bounds how much of a caller's value a message repeats.
const maxQuoted = 64

// quote renders s for a message: Go-quoted and cut to maxQuoted bytes.
func quote(s string) string {
	if len(s) > maxQuoted {
		return strconv.Quote(s[:maxQuoted]) + "..."
	}
	return strconv.Quote(s)
}
