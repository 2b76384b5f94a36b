package rrdata

import (
	"fmt"
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
