package dnsclient

import (
	"errors"
	"fmt"
	"testing"
)

func TestClass(t *testing.T) {
	t.Parallel()
	for err, want := range map[error]string{
		nil:                                 "ok",
		fmt.Errorf("x: %w", ErrPrereq):      "prereq",
		fmt.Errorf("x: %w", ErrRefused):     "refused",
		fmt.Errorf("x: %w", ErrTSIG):        "tsig",
		fmt.Errorf("x: %w", ErrUnreachable): "unreachable",
		errors.New("other"):                 "error",
	} {
		if got := Class(err); got != want {
			t.Errorf("Class(%v) = %q, want %q", err, got, want)
		}
	}
}
