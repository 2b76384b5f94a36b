package zonefile

import (
	"errors"
	"fmt"
)

// ErrInvalid is wrapped by every error caused by the caller's input (errors.Is).
var ErrInvalid = errors.New("invalid zone data")

// InputError is an error in the caller's input. Its text is public: it names the field (and
// record index) and quotes at most a short, escaped prefix of the offending value, so it can
// follow "Invalid request: " or "Invalid record: " verbatim.
type InputError struct {
	Msg string
}

// Error returns the public message.
func (e *InputError) Error() string { return e.Msg }

// Unwrap returns ErrInvalid, so that errors.Is(err, ErrInvalid) holds.
func (e *InputError) Unwrap() error { return ErrInvalid }

func invalidf(format string, a ...any) *InputError {
	return &InputError{Msg: fmt.Sprintf(format, a...)}
}

// prefixed puts "field: " before an InputError's message; other errors pass unchanged.
func prefixed(field string, err error) error {
	if ie, ok := errors.AsType[*InputError](err); ok {
		return &InputError{Msg: field + ": " + ie.Msg}
	}
	return err
}
