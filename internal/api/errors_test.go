package api

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/zonename"
	"github.com/bindgate/bindgate/internal/zones"
)

// TestErrors checks status, exact JSON error body (docs/contract.md §3.3) and headers of every error
// path, and that protocol and auth refusals never reach the service.
func TestErrors(t *testing.T) {
	t.Parallel()
	huge := `{"zoneName":"` + strings.Repeat("a", 2<<20) + `"}`
	tests := []struct {
		name      string
		r         req
		svcErr    error // what the service answers
		status    int
		msg       string
		allow     string // expected Allow header
		reachesSv bool   // the service is called
	}{
		// authentication (docs/contract.md §15.1, §19 A7)
		{name: "no authorization header", r: req{method: "GET", target: "/api/v1/zones", auth: "-"}, status: 401, msg: "Unauthorized"},
		{name: "wrong token", r: req{method: "GET", target: "/api/v1/zones", auth: "Bearer nope"}, status: 401, msg: "Unauthorized"},
		{name: "wrong scheme", r: req{method: "DELETE", target: "/api/v1/zones/a.test", auth: "Basic " + testToken}, status: 401, msg: "Unauthorized"},
		{name: "token without scheme", r: req{method: "GET", target: "/api/v1/zones", auth: testToken}, status: 401, msg: "Unauthorized"},
		{name: "empty bearer", r: req{method: "POST", target: "/api/v1/server/reload", auth: "Bearer "}, status: 401, msg: "Unauthorized"},
		{name: "auth before body checks", r: req{method: "POST", target: "/api/v1/zones", auth: "-", body: "{", ctype: "text/plain"}, status: 401, msg: "Unauthorized"},

		// routing (docs/contract.md §2)
		{name: "unknown path", r: req{method: "GET", target: "/api/v1/nope"}, status: 404, msg: "Not found"},
		{name: "unknown path without token", r: req{method: "GET", target: "/api/v2/zones", auth: "-"}, status: 404, msg: "Not found"},
		{name: "root", r: req{method: "GET", target: "/"}, status: 404, msg: "Not found"},
		{name: "unknown zone verb", r: req{method: "POST", target: "/api/v1/zones/a.test/explode"}, status: 404, msg: "Not found"},
		{name: "records not in this build", r: req{method: "POST", target: "/api/v1/zones/a.test/records", body: "{}"}, status: 404, msg: "Not found"},
		{name: "trailing slash", r: req{method: "GET", target: "/api/v1/zones/"}, status: 404, msg: "Not found"},
		{name: "wrong method on zone", r: req{method: "PUT", target: "/api/v1/zones/a.test"}, status: 405, msg: "Method not allowed", allow: "DELETE, GET, HEAD, PATCH"},
		{name: "wrong method on collection", r: req{method: "DELETE", target: "/api/v1/zones"}, status: 405, msg: "Method not allowed", allow: "GET, HEAD, POST"},
		{name: "GET of an action", r: req{method: "GET", target: "/api/v1/zones/a.test/reload"}, status: 405, msg: "Method not allowed", allow: "POST"},
		{name: "POST health", r: req{method: "POST", target: "/api/v1/health", auth: "-"}, status: 405, msg: "Method not allowed", allow: "GET, HEAD"},

		// zone names (docs/contract.md §4)
		{name: "empty label", r: req{method: "GET", target: "/api/v1/zones/a..b/status"}, status: 400, msg: "Invalid request: Invalid zone name: empty label"},
		{name: "dot-dot segment", r: req{method: "GET", target: "/api/v1/zones/.."}, status: 400, msg: "Invalid request: Invalid zone name: empty label"},
		{name: "dot-dot segment before a verb", r: req{method: "POST", target: "/api/v1/zones/../reload"}, status: 400, msg: "Invalid request: Invalid zone name: empty label"},
		{name: "dot segment", r: req{method: "DELETE", target: "/api/v1/zones/."}, status: 400, msg: "Invalid request: Invalid zone name: empty"},
		{name: "encoded dot-dot", r: req{method: "DELETE", target: "/api/v1/zones/%2e%2e"}, status: 400, msg: "Invalid request: Invalid zone name: empty label"},
		{name: "encoded dot-dot before a verb", r: req{method: "POST", target: "/api/v1/zones/%2E%2E/freeze"}, status: 400, msg: "Invalid request: Invalid zone name: empty label"},
		{name: "encoded slash", r: req{method: "DELETE", target: "/api/v1/zones/a%2Fb"}, status: 400, msg: `Invalid request: Invalid zone name: character '/' not allowed`},
		{name: "backslash", r: req{method: "GET", target: "/api/v1/zones/a%5Cb"}, status: 400, msg: `Invalid request: Invalid zone name: character '\\' not allowed`},
		{name: "quote", r: req{method: "PATCH", target: "/api/v1/zones/a%22b", body: "{}"}, status: 400, msg: `Invalid request: Invalid zone name: character '"' not allowed`},
		{name: "newline", r: req{method: "GET", target: "/api/v1/zones/a%0Ab"}, status: 400, msg: `Invalid request: Invalid zone name: character '\n' not allowed`},
		{name: "leading hyphen", r: req{method: "POST", target: "/api/v1/zones/-a.test/notify"}, status: 400, msg: "Invalid request: Invalid zone name: a label must start with a letter or digit"},
		{name: "too long", r: req{method: "GET", target: "/api/v1/zones/" + strings.Repeat("a.", 127) + "a"}, status: 400, msg: "Invalid request: Invalid zone name: longer than 253 characters"},
		{name: "bad name checked before the body", r: req{method: "PATCH", target: "/api/v1/zones/a%2Fb", body: "{", ctype: "text/plain"}, status: 400, msg: `Invalid request: Invalid zone name: character '/' not allowed`},

		// bodies (docs/contract.md §3.1)
		{name: "text/plain", r: req{method: "POST", target: "/api/v1/zones", body: "{}", ctype: "text/plain"}, status: 415, msg: "Invalid request: Content-Type must be application/json"},
		{name: "no content type", r: req{method: "PATCH", target: "/api/v1/zones/a.test", body: "{}", ctype: "-"}, status: 415, msg: "Invalid request: Content-Type must be application/json"},
		{name: "bare +json", r: req{method: "POST", target: "/api/v1/zones", body: "{}", ctype: "application/+json"}, status: 415, msg: "Invalid request: Content-Type must be application/json"},
		{name: "json-ish", r: req{method: "POST", target: "/api/v1/zones", body: "{}", ctype: "application/jsonx"}, status: 415, msg: "Invalid request: Content-Type must be application/json"},
		{name: "too large", r: req{method: "POST", target: "/api/v1/zones", body: huge}, status: 413, msg: "Invalid request: body larger than 2097152 bytes"},
		{name: "malformed", r: req{method: "POST", target: "/api/v1/zones", body: `{"zoneName":`}, status: 400, msg: "Invalid request: malformed JSON"},
		{name: "not JSON at all", r: req{method: "PATCH", target: "/api/v1/zones/a.test", body: `alsoNotify=1`}, status: 400, msg: "Invalid request: malformed JSON"},
		{name: "trailing object", r: req{method: "POST", target: "/api/v1/zones", body: `{} {}`}, status: 400, msg: "Invalid request: trailing data after the JSON value"},
		{name: "trailing garbage", r: req{method: "POST", target: "/api/v1/zones", body: `{}x`}, status: 400, msg: "Invalid request: trailing data after the JSON value"},
		{name: "empty body", r: req{method: "PATCH", target: "/api/v1/zones/a.test", body: " ", ctype: "application/json"}, status: 400, msg: "Invalid request: empty body"},
		{name: "negative ttl", r: req{method: "POST", target: "/api/v1/zones", body: `{"zoneConfig":{"ttl":-1}}`}, status: 422, msg: "Invalid request: field zoneConfig.ttl must be an integer from 0 to 4294967295"},
		{name: "fractional ttl", r: req{method: "POST", target: "/api/v1/zones", body: `{"zoneConfig":{"ttl":1.5}}`}, status: 422, msg: "Invalid request: field zoneConfig.ttl must be an integer from 0 to 4294967295"},
		{name: "ttl 2^32", r: req{method: "POST", target: "/api/v1/zones", body: `{"zoneConfig":{"ttl":4294967296}}`}, status: 422, msg: "Invalid request: field zoneConfig.ttl must be an integer from 0 to 4294967295"},
		{name: "string for number", r: req{method: "POST", target: "/api/v1/zones", body: `{"zoneConfig":{"ttl":"300"}}`}, status: 422, msg: "Invalid request: field zoneConfig.ttl must be an integer from 0 to 4294967295"},
		{name: "priority out of range", r: req{method: "POST", target: "/api/v1/zones", body: `{"zoneConfig":{"records":[{"priority":65536}]}}`}, status: 422, msg: "Invalid request: field zoneConfig.records.priority must be an integer from 0 to 65535"},
		{name: "serial negative", r: req{method: "POST", target: "/api/v1/zones", body: `{"zoneConfig":{"soa":{"serial":-5}}}`}, status: 422, msg: "Invalid request: field zoneConfig.soa.serial must be an integer from 0 to 4294967295"},
		{name: "string for list", r: req{method: "PATCH", target: "/api/v1/zones/a.test", body: `{"alsoNotify":"10.0.0.1"}`}, status: 422, msg: "Invalid request: field alsoNotify must be an array"},
		{name: "number for bool", r: req{method: "PATCH", target: "/api/v1/zones/a.test", body: `{"inlineSigning":1}`}, status: 422, msg: "Invalid request: field inlineSigning must be a boolean"},
		{name: "array body", r: req{method: "POST", target: "/api/v1/zones", body: `[]`}, status: 422, msg: "Invalid request: the body must be an object"},

		// service errors (docs/contract.md §3.3, §3.4)
		{name: "invalid", r: req{method: "PATCH", target: "/api/v1/zones/x.test", body: `{}`}, svcErr: zones.Invalid("At least one field must be provided"), status: 400, msg: "Invalid request: At least one field must be provided", reachesSv: true},
		{name: "unprocessable", r: req{method: "POST", target: "/api/v1/zones", body: `{}`}, svcErr: zones.Unprocessable("zoneName is required"), status: 422, msg: "Invalid request: zoneName is required", reachesSv: true},
		{name: "not found", r: req{method: "GET", target: "/api/v1/zones/x.test/status"}, svcErr: zones.NotFound("x.test"), status: 404, msg: "Zone not found: x.test", reachesSv: true},
		{name: "not found on delete", r: req{method: "DELETE", target: "/api/v1/zones/x.test"}, svcErr: zones.NotFound("x.test"), status: 404, msg: "Zone not found: x.test", reachesSv: true},
		{name: "exists", r: req{method: "POST", target: "/api/v1/zones", body: `{}`}, svcErr: zones.Exists("x.test"), status: 409, msg: "Zone already exists: x.test", reachesSv: true},
		{name: "conflict", r: req{method: "POST", target: "/api/v1/zones/x.test/reload"}, svcErr: zones.Conflict("Zone x.test is dynamic; BIND refuses reload (use freeze and thaw)"), status: 409, msg: "Zone x.test is dynamic; BIND refuses reload (use freeze and thaw)", reachesSv: true},
		{name: "public error wrapped with internal cause", r: req{method: "GET", target: "/api/v1/zones/x.test"}, svcErr: fmt.Errorf("get: %w", errs.Wrap(errs.NotFound, errors.New("rndc: not found"), "Zone not found: x.test")), status: 404, msg: "Zone not found: x.test", reachesSv: true},
		{name: "not loaded is a typed 503", r: req{method: "GET", target: "/api/v1/zones/x.test/status"}, svcErr: zones.NotLoaded("x.test"), status: 503, msg: "Zone not loaded: x.test", reachesSv: true},
		{name: "unavailable", r: req{method: "GET", target: "/api/v1/zones/x.test/status"}, svcErr: fmt.Errorf("%w: dial 127.0.0.1:953: connection refused", zones.ErrUnavailable), status: 503, msg: "Service unavailable", reachesSv: true},
		{name: "deadline", r: req{method: "DELETE", target: "/api/v1/zones/x.test"}, svcErr: fmt.Errorf("rndc: %w", context.DeadlineExceeded), status: 503, msg: "Service unavailable", reachesSv: true},
		{name: "unavailable on list", r: req{method: "GET", target: "/api/v1/zones"}, svcErr: zones.ErrUnavailable, status: 503, msg: "Service unavailable", reachesSv: true},
		{name: "internal", r: req{method: "POST", target: "/api/v1/server/reload"}, svcErr: errors.New("rndc: reload failed: /etc/bind/named.conf:12: secret=abc"), status: 500, msg: "Internal server error", reachesSv: true},
		{name: "internal on server status", r: req{method: "GET", target: "/api/v1/server/status"}, svcErr: errors.New("boom"), status: 500, msg: "Internal server error", reachesSv: true},
		{name: "internal on reconcile", r: req{method: "POST", target: "/api/v1/server/reconcile"}, svcErr: errors.New("boom"), status: 500, msg: "Internal server error", reachesSv: true},
		{name: "public 5xx keeps its message", r: req{method: "GET", target: "/api/v1/zones/x.test"}, svcErr: &errs.Error{Msg: "Zone x.test could not be read"}, status: 500, msg: "Zone x.test could not be read", reachesSv: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.z.err = tc.svcErr
			w := e.do(tc.r)
			if w.Code != tc.status {
				t.Errorf("status = %d, want %d", w.Code, tc.status)
			}
			if diff := cmp.Diff(errJSON(tc.msg), w.Body.String()); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if got := w.Header().Get("X-Request-Id"); got != testReqID {
				t.Errorf("X-Request-Id = %q", got)
			}
			if got := w.Header().Get("Allow"); got != tc.allow {
				t.Errorf("Allow = %q, want %q", got, tc.allow)
			}
			if calls := e.z.Calls(); (len(calls) != 0) != tc.reachesSv {
				t.Errorf("service calls = %+v, want called: %v", calls, tc.reachesSv)
			}
		})
	}
}

// TestClassify pins the one mapping from an error kind to a status and public message
// (docs/contract.md §3.3, §3.4).
func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		err    error
		status int
		msg    string
	}{
		{"invalid", errs.New(errs.Invalid, "Invalid request: x"), 400, "Invalid request: x"},
		{"unprocessable", errs.New(errs.Unprocessable, "Invalid request: name is required"), 422, "Invalid request: name is required"},
		{"not found", errs.New(errs.NotFound, "Zone not found: a.test"), 404, "Zone not found: a.test"},
		{"conflict", errs.New(errs.Conflict, "c"), 409, "c"},
		{"exists is a conflict", zones.Exists("a.test"), 409, "Zone already exists: a.test"},
		{"precondition failed", errs.New(errs.PreconditionFailed, "stale"), 412, "stale"},
		{"too large", errs.New(errs.TooLarge, "big"), 413, "big"},
		{"unauthenticated", errs.New(errs.Unauthenticated, "Unauthorized"), 401, "Unauthorized"},
		{"forbidden", errs.New(errs.Forbidden, "Forbidden"), 403, "Forbidden"},
		{"unavailable without message", zones.ErrUnavailable, 503, "Service unavailable"},
		{"unavailable wrapped", fmt.Errorf("%w: dial: %w", zones.ErrUnavailable, errors.New("refused")), 503, "Service unavailable"},
		{"typed 503", zones.NotLoaded("a.test"), 503, "Zone not loaded: a.test"},
		{"insufficient storage", errs.New(errs.InsufficientStorage, "Insufficient storage"), 507, "Insufficient storage"},
		{"ENOSPC in a plain chain", fmt.Errorf("create a.test: %w", &os.PathError{Op: "write", Path: "/z/.a.tmp", Err: syscall.ENOSPC}), 507, "Insufficient storage"},
		{"EDQUOT inside an internal error", errs.Wrap(errs.Internal, fmt.Errorf("sync: %w", syscall.EDQUOT), "BIND refused to add the zone again"), 507, "Insufficient storage"},
		{"a specific kind wins over ENOSPC", errs.Wrap(errs.Unavailable, syscall.ENOSPC, "later"), 503, "later"},
		{"internal without message", &errs.Error{Err: errors.New("x")}, 500, "Internal server error"},
		{"4xx kind without message gets the status text", &errs.Error{Kind: errs.NotFound}, 404, "Not Found"},
		{"unknown kind is internal", &errs.Error{Kind: errs.Kind(99), Msg: "m"}, 500, "m"},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), 503, "Service unavailable"},
		{"plain error", errors.New("rndc: /etc/bind/x"), 500, "Internal server error"},
		{"http layer", &httpError{status: 405, msg: "Method not allowed"}, 405, "Method not allowed"},
		{"zone name", invalidZoneName(mustInvalidName(t, "a..b")), 400, "Invalid request: Invalid zone name: empty label"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, msg := classify(tc.err)
			if status != tc.status || msg != tc.msg {
				t.Errorf("classify(%v) = %d %q, want %d %q", tc.err, status, msg, tc.status, tc.msg)
			}
		})
	}
}

func mustInvalidName(t *testing.T, name string) error {
	t.Helper()
	_, err := zonename.Normalize(name)
	if err == nil {
		t.Fatalf("%q is valid", name)
	}
	return err
}
