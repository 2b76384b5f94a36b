package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/bindgate/bindgate/internal/auth"
	"github.com/bindgate/bindgate/internal/records"
)

func TestClipJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		limit    int
		want     string
		wantSize int
		wantCut  bool
	}{
		{"fits", "example.com", 20, "example.com", 11, false},
		{"exact", "abcde", 5, "abcde", 5, false},
		{"cut ascii", "abcdefghij", 8, "abcde…", 8, true},
		{"cut on a rune boundary", "ééééé", 8, "éé…", 7, true}, // é is 2 bytes
		{"escapes count", "\x00\x00\x00", 12, "\x00…", 9, true},
		{"quotes count", `""""`, 8, `""""`, 8, false},
		{"invalid UTF-8 counts as \\ufffd", "\xff\xff", 11, "\xff…", 9, true},
		{"limit below the mark", "abcdef", 2, "", 0, true},
		{"empty", "", 0, "", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, size, cut := clipJSON(tc.in, tc.limit)
			if got != tc.want || size != tc.wantSize || cut != tc.wantCut {
				t.Errorf("clipJSON(%q, %d) = %q, %d, %v; want %q, %d, %v",
					tc.in, tc.limit, got, size, cut, tc.want, tc.wantSize, tc.wantCut)
			}
			if size > tc.limit {
				t.Errorf("size %d over the limit %d", size, tc.limit)
			}
		})
	}
}

type bigPrincipal struct{ name string }

func (b bigPrincipal) Authenticate(*http.Request) (auth.Principal, error) {
	return auth.Principal{Name: b.name, Kind: auth.KindToken}, nil
}

// failingPatch is a RecordService whose Patch fails; nothing else is called.
type failingPatch struct{ RecordService }

func (failingPatch) Patch(context.Context, string, records.PatchRequest, *uint32) (records.PatchResult, error) {
	return records.PatchResult{}, errors.New("boom")
}

// TestAuditLineBounded: a request that controls the principal, the method and 100 changed
// names of 10 KB each still writes one audit line within maxAuditLine, marked truncated
// (issue 8 item 8).
func TestAuditLineBounded(t *testing.T) {
	t.Parallel()
	audit := &syncBuffer{}
	e := newEnv(t, func(c *Config) {
		c.Audit = newJSONLogger(audit)
		c.Auth = bigPrincipal{name: strings.Repeat("p\x01", 50_000)}
		c.Records = failingPatch{}
	})
	var body strings.Builder
	body.WriteString(`{"rrsets":[`)
	for i := range 100 {
		if i > 0 {
			body.WriteString(",")
		}
		body.WriteString(`{"name":"` + strings.Repeat("é", 5000) + `","type":"A","changetype":"DELETE"}`)
	}
	body.WriteString(`]}`)
	e.do(req{method: "PATCH", target: "/api/v1/zones/example.com/rrsets", body: body.String()})
	e.do(req{method: strings.Repeat("X", 20_000), target: "/api/v1/zones/example.com"})
	lines := strings.Split(strings.TrimSpace(audit.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d audit lines, want 2", len(lines))
	}
	for i, line := range lines {
		if len(line) > maxAuditLine {
			t.Errorf("line %d is %d bytes, cap %d", i, len(line), maxAuditLine)
		}
	}
	var patch, bad map[string]string
	_ = json.Unmarshal([]byte(lines[0]), &patch) // non-string values are left out
	_ = json.Unmarshal([]byte(lines[1]), &bad)
	if !strings.Contains(lines[0], `"truncated":true`) || !strings.HasSuffix(patch["principal"], auditCutMark) ||
		!strings.HasPrefix(patch["changes"], "DELETE é") || !strings.HasSuffix(patch["changes"], auditCutMark) {
		t.Errorf("PATCH line not cut with the mark: %.300s", lines[0])
	}
	if patch["zone"] != "example.com" || patch["request_id"] != testReqID || patch["result"] != "failed" {
		t.Errorf("PATCH line lost its short attributes: %.300s", lines[0])
	}
	if !strings.Contains(lines[1], `"truncated":true`) || !strings.HasSuffix(bad["method"], auditCutMark) {
		t.Errorf("method line not cut with the mark: %.300s", lines[1])
	}
}
