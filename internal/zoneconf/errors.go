package zoneconf

import (
	"errors"
	"fmt"
)

// Sentinel errors; match them with errors.Is.
var (
	// ErrInvalid is wrapped by every error about caller input. The error's own text is safe
	// to show after "Invalid request: " (docs/contract.md §3.3).
	ErrInvalid = errors.New("invalid zone configuration")
	// ErrTooLarge means a block would not fit in one rndc message (named rejects control
	// messages over 32 KiB, docs/rndc-protocol.md §9). It also matches ErrInvalid (docs/contract.md §6: 400).
	ErrTooLarge = errors.New("zone configuration too large for one rndc command")
	// ErrNotPrimary means allowUpdate was asked of a zone that is not a primary (docs/contract.md §10).
	// It also matches ErrInvalid.
	ErrNotPrimary = errors.New("zone is not a primary")
	// ErrNotSecondary means primaries was asked of a zone that is not a secondary. It also
	// matches ErrInvalid.
	ErrNotSecondary = errors.New("zone is not a secondary")
	// ErrUpdatePolicy means allowUpdate was asked of a zone that uses update-policy, which
	// BIND does not allow beside allow-update. It also matches ErrInvalid.
	ErrUpdatePolicy = errors.New("zone uses update-policy")
	// ErrSyntax means text given to ParseShowzone (or a statement in it that Merge must
	// rewrite) is not understood. It is bindgate's or BIND's fault, not the caller's.
	ErrSyntax = errors.New("showzone text not understood")
)

// inputError is an error about caller input: it matches ErrInvalid and, if set, kind. Its
// text is the public message.
type inputError struct {
	kind error
	msg  string
}

func (e *inputError) Error() string { return e.msg }

func (e *inputError) Is(target error) bool {
	return target == ErrInvalid || (e.kind != nil && target == e.kind)
}

func invalid(format string, a ...any) error {
	return &inputError{msg: fmt.Sprintf(format, a...)}
}

func invalidKind(kind error, format string, a ...any) error {
	return &inputError{kind: kind, msg: fmt.Sprintf(format, a...)}
}

func tooLarge(n int) error {
	return invalidKind(ErrTooLarge, "the zone configuration is %d bytes; at most %d fit in one rndc command", n, maxBlock)
}

func syntaxErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrSyntax, fmt.Sprintf(format, a...))
}
