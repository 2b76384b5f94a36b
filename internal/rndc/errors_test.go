package rndc_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/bindgate/bindgate/internal/rndc"
)

var resultSentinels = []error{
	rndc.ErrExists, rndc.ErrNotFound, rndc.ErrNotLoaded, rndc.ErrPermission, rndc.ErrDynamic,
	rndc.ErrUnknownCommand, rndc.ErrAlreadyFrozen, rndc.ErrNotDynamic, rndc.ErrNotPrimary,
	rndc.ErrFailure, rndc.ErrResultTimedOut,
}

// The `err` texts of docs/rndc-protocol.md §8 and what they mean, end to end through the fake.
func TestResultMapping(t *testing.T) {
	t.Parallel()
	srv, c := fake(t, nil)
	tests := []struct {
		result    uint32
		err       string
		want      error // nil: no sentinel
		class     string
		transient bool
	}{
		{18, "already exists", rndc.ErrExists, "exists", false},
		{23, "not found", rndc.ErrNotFound, "not_found", false},
		{123, "zone not loaded", rndc.ErrNotLoaded, "not_loaded", false},
		{6, "permission denied", rndc.ErrPermission, "error", false},
		{171, "dynamic zone", rndc.ErrDynamic, "error", false},
		{172, "unknown command", rndc.ErrUnknownCommand, "error", false},
		{154, "already frozen", rndc.ErrAlreadyFrozen, "error", false},
		{181, "not dynamic", rndc.ErrNotDynamic, "error", false},
		{178, "not primary", rndc.ErrNotPrimary, "error", false},
		{178, "not master", rndc.ErrNotPrimary, "error", false},
		{25, "failure", rndc.ErrFailure, "error", false},
		{2, "timed out", rndc.ErrResultTimedOut, "timeout", true},
		{24, "unexpected end of input", nil, "error", false},
		{25, "Already Exists", nil, "error", false},
		{25, "zone already exists", nil, "error", false},
		{25, "", nil, "error", false},
	}
	for _, tc := range tests {
		t.Run(tc.err, func(t *testing.T) {
			srv.Handle("zonestatus", func(string) rndc.Response {
				// The text holds other sentinels' words: only `err` counts (docs/contract.md §18.21).
				return rndc.Response{Result: tc.result, Err: tc.err, Text: "zone already exists? not found"}
			})
			resp, err := c.Zone(t.Context(), "zonestatus", "a.test")
			ce, ok := errors.AsType[*rndc.CommandError](err)
			if !ok || ce.Verb != "zonestatus" || ce.Result != tc.result || ce.Err != tc.err || resp.Result != tc.result {
				t.Fatalf("Zone = %+v, %#v", resp, err)
			}
			for _, s := range resultSentinels {
				if errors.Is(err, s) != (s == tc.want) {
					t.Errorf("errors.Is(%v, %v) = %v", err, s, !(s == tc.want))
				}
			}
			if got := rndc.ErrorClass(err); got != tc.class {
				t.Errorf("class %q, want %q", got, tc.class)
			}
			if rndc.Transient(err) != tc.transient {
				t.Errorf("Transient = %v", !tc.transient)
			}
		})
	}
}

func TestErrorClassAndTransient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err       error
		class     string
		transient bool
	}{
		{nil, "ok", false},
		{fmt.Errorf("x: %w", rndc.ErrRejected), "rejected", true},
		{fmt.Errorf("x: %w", rndc.ErrBadSignature), "rejected", true},
		{fmt.Errorf("x: %w", rndc.ErrUnreachable), "unreachable", true},
		{fmt.Errorf("x: %w", rndc.ErrTimeout), "timeout", true},
		{rndc.ErrProtocol, "error", false},
		{rndc.ErrTooLarge, "error", false},
		{rndc.ErrBadArgument, "error", false},
		{rndc.ErrClosed, "error", false},
		{context.Canceled, "error", false},
		{&rndc.CommandError{Err: "not found"}, "not_found", false},
	}
	for _, tc := range tests {
		if got := rndc.ErrorClass(tc.err); got != tc.class {
			t.Errorf("ErrorClass(%v) = %q, want %q", tc.err, got, tc.class)
		}
		if got := rndc.Transient(tc.err); got != tc.transient {
			t.Errorf("Transient(%v) = %v", tc.err, got)
		}
	}
}

func TestCommandErrorText(t *testing.T) {
	t.Parallel()
	e := &rndc.CommandError{Verb: "addzone", Result: 25, Err: "failure", Text: "configure_zone failed: x\n"}
	if got, want := e.Error(), "rndc addzone: failure (result 25): configure_zone failed: x"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = &rndc.CommandError{Verb: "zonestatus", Result: 23, Err: "not found"}
	if got := e.Error(); strings.HasSuffix(got, ": ") || got != "rndc zonestatus: not found (result 23)" {
		t.Errorf("Error() = %q", got)
	}
}

// A zone whose data fails to load is ErrBadZone whatever the loader's own result was.
func TestBadZone(t *testing.T) {
	t.Parallel()
	for _, ce := range []*rndc.CommandError{
		{Verb: "addzone", Result: 108, Err: "bad zone", Text: "dns_zone_loadnew failed: bad zone"},
		{Verb: "addzone", Result: 80, Err: "unknown class/type", Text: "dns_zone_loadnew failed: unknown class/type"},
	} {
		if !errors.Is(ce, rndc.ErrBadZone) {
			t.Errorf("%v is not ErrBadZone", ce)
		}
	}
	for _, ce := range []*rndc.CommandError{
		{Verb: "addzone", Result: 23, Err: "not found", Text: "configure_zone failed: not found"},
		{Verb: "addzone", Result: 25, Err: "failure", Text: "zone dns_zone_loadnew failed: later in the text"},
	} {
		if errors.Is(ce, rndc.ErrBadZone) {
			t.Errorf("%v matched ErrBadZone", ce)
		}
	}
}

// retransfer of a primary is named's generic "failure" whose text alone says why
// (bin/named/server.c); ErrWrongZoneType is that case and nothing else.
func TestWrongZoneType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ce   *rndc.CommandError
		want bool
	}{
		{"retransfer of a primary", &rndc.CommandError{Verb: "retransfer", Result: 25, Err: "failure", Text: "retransfer: inappropriate zone type: primary"}, true},
		{"with a trailing newline", &rndc.CommandError{Verb: "retransfer", Result: 25, Err: "failure", Text: "retransfer: inappropriate zone type: primary\n"}, true},
		{"other failure", &rndc.CommandError{Verb: "retransfer", Result: 25, Err: "failure", Text: "zone transfer failed"}, false},
		{"words under another result", &rndc.CommandError{Verb: "retransfer", Result: 23, Err: "not found", Text: "inappropriate zone type"}, false},
		{"no text", &rndc.CommandError{Verb: "retransfer", Result: 25, Err: "failure"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := fmt.Errorf("zone a.test: %w", tc.ce)
			if got := errors.Is(err, rndc.ErrWrongZoneType); got != tc.want {
				t.Errorf("errors.Is(%v, ErrWrongZoneType) = %v, want %v", err, got, tc.want)
			}
			if tc.want && !errors.Is(err, rndc.ErrFailure) {
				t.Errorf("%v no longer matches ErrFailure", err)
			}
		})
	}
}
