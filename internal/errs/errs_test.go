package errs_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/bindgate/bindgate/internal/errs"
)

func TestKindOf(t *testing.T) {
	t.Parallel()
	cause := errors.New("rndc: not found")
	sentinel := errs.Sentinel(errs.Unavailable, "x: unavailable")
	tests := []struct {
		name   string
		err    error
		kind   errs.Kind
		public string
	}{
		{"plain error is internal", errors.New("boom"), errs.Internal, ""},
		{"context error is internal here (api decides 503)", context.DeadlineExceeded, errs.Internal, ""},
		{"new", errs.New(errs.Invalid, "Invalid request: %s", "x"), errs.Invalid, "Invalid request: x"},
		{"wrapped in fmt.Errorf", fmt.Errorf("op: %w", errs.New(errs.NotFound, "Zone not found: a")), errs.NotFound, "Zone not found: a"},
		{"outermost wins", errs.Wrap(errs.Conflict, errs.New(errs.NotFound, "inner"), "outer"), errs.Conflict, "outer"},
		{"sentinel wrapped", fmt.Errorf("%w: dial: %w", sentinel, cause), errs.Unavailable, ""},
		{"too large", errs.New(errs.TooLarge, "big"), errs.TooLarge, "big"},
		{"insufficient storage", errs.New(errs.InsufficientStorage, "full"), errs.InsufficientStorage, "full"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := errs.KindOf(tc.err); got != tc.kind {
				t.Errorf("KindOf = %v, want %v", got, tc.kind)
			}
			if got := errs.Public(tc.err); got != tc.public {
				t.Errorf("Public = %q, want %q", got, tc.public)
			}
			if tc.kind != errs.Internal && !errs.Is(tc.err, tc.kind) {
				t.Errorf("Is(%v) = false", tc.kind)
			}
		})
	}
}

func TestErrorKeepsCause(t *testing.T) {
	t.Parallel()
	cause := errors.New("rndc: not found")
	e := errs.Wrap(errs.NotFound, cause, "Zone not found: %s", "a.test")
	if !errors.Is(e, cause) {
		t.Error("cause lost")
	}
	if got, want := e.Error(), "Zone not found: a.test: rndc: not found"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	s := errs.Sentinel(errs.Unavailable, "zones: BIND unavailable")
	if got := fmt.Errorf("%w: x", s); !errors.Is(got, s) || got.Error() != "zones: BIND unavailable: x" {
		t.Errorf("sentinel: %v", got)
	}
	if got := (&errs.Error{Kind: errs.Conflict}).Error(); got != "conflict" {
		t.Errorf("empty Error() = %q", got)
	}
}

func TestStorageFull(t *testing.T) {
	t.Parallel()
	full := &os.PathError{Op: "fsync", Path: "/state/x", Err: syscall.ENOSPC}
	tests := []struct {
		name string
		err  error
		full bool
		kind errs.Kind
	}{
		{"ENOSPC wrapped", fmt.Errorf("registry: %w", full), true, errs.InsufficientStorage},
		{"EDQUOT", fmt.Errorf("x: %w", syscall.EDQUOT), true, errs.InsufficientStorage},
		{"typed", errs.New(errs.InsufficientStorage, "full"), true, errs.InsufficientStorage},
		{"internal wrapping ENOSPC", errs.Wrap(errs.Internal, full, "could not"), true, errs.InsufficientStorage},
		{"a specific kind is kept", errs.Wrap(errs.Conflict, full, "c"), true, errs.Conflict},
		{"other errno", fmt.Errorf("x: %w", syscall.EROFS), false, errs.Internal},
	}
	for _, tc := range tests {
		if got := errs.StorageFull(tc.err); got != tc.full {
			t.Errorf("%s: StorageFull = %v, want %v", tc.name, got, tc.full)
		}
		if got := errs.KindOfStorage(tc.err); got != tc.kind {
			t.Errorf("%s: KindOfStorage = %v, want %v", tc.name, got, tc.kind)
		}
	}
}
