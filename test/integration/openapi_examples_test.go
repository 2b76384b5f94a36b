package integration

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestOpenAPIExamples sends the OpenAPI document's examples to a real named, in an order that
// makes them work as they are written for `make run` (issue 11): every operation, its path
// and query parameters from their examples, its request body example; each must answer the
// operation's documented success status (and, through send, match the document).
func TestOpenAPIExamples(t *testing.T) {
	s := startStackWith(t, func(env map[string]string) { env["BIND_ENABLE_DOCS"] = "true" })
	// The ready example is the ready state: /ready is 503 while the startup reconcile runs,
	// the first milliseconds after start.
	waitReady(t, s)
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		op     string
		status int // 0: the documented success status
	}{
		{op: "health"}, {op: "ready"}, {op: "metrics"},
		{op: "openapiDocument"}, {op: "docsUI"}, {op: "docsAsset"},
		{op: "createZone"}, {op: "listZones"}, {op: "getZone"}, {op: "getZoneStatus"}, {op: "modifyZone"},
		{op: "addRecord"}, {op: "updateRecord"}, {op: "removeRecord"},
		{op: "getRRsets"}, {op: "patchRRsets"}, {op: "syncRRsets"}, {op: "exportZone"},
		{op: "listHistory"}, {op: "getHistoryChange"}, {op: "rollback"},
		// A dynamic zone reloads only while frozen (its documented 409 otherwise).
		{op: "freezeZone"}, {op: "reloadZone"}, {op: "thawZone"}, {op: "notifyZone"},
		// example.test is a primary: retransfer is for secondaries, its documented 400.
		{op: "retransferZone", status: 400},
		{op: "getServerStatus"}, {op: "reloadKeys"}, {op: "reloadServer"}, {op: "reconcile"},
		{op: "deleteZone"},
		// The PowerDNS-compatible API (issue 12), on a zone of its own making.
		{op: "pdnsAPIVersions"}, {op: "pdnsServers"}, {op: "pdnsServer"}, {op: "pdnsCreateZone"}, {op: "pdnsListZones"},
		{op: "pdnsGetZone"}, {op: "pdnsPatchZone"}, {op: "pdnsNotify"}, {op: "pdnsCryptokeys"}, {op: "pdnsDeleteZone"},
	}
	var sent []string
	for _, st := range steps {
		path, method, op := c.find(t, st.op)
		sent = append(sent, st.op)
		target, body := exampleRequest(t, path, op)
		want := st.status
		if want == 0 {
			want = successStatus(t, op)
		}
		var b any
		if body != nil {
			b = body
		}
		r := s.do(method, target, b)
		if r.Status != want {
			t.Fatalf("%s %s (%s): status %d, want %d; body %s", method, target, st.op, r.Status, want, r.Raw)
		}
	}
	// Every operation is in the sequence: a new route and its examples get sent too.
	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			if !slices.Contains(sent, op.OperationID) {
				t.Errorf("%s %s (%s) is not sent by this test", method, path, op.OperationID)
			}
		}
	}
}

// find returns the path template, method and operation of operationId.
func (c *contract) find(t *testing.T, id string) (string, string, *openapi3.Operation) {
	t.Helper()
	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == id {
				return path, method, op
			}
		}
	}
	t.Fatalf("no operation %s in the document", id)
	return "", "", nil
}

// exampleRequest fills the path and query parameters of op with their examples (the first
// enum value when there is none) and returns the target and the request body example.
func exampleRequest(t *testing.T, path string, op *openapi3.Operation) (string, any) {
	t.Helper()
	c, _ := loadContract()
	params := slices.Clone(c.doc.Paths.Find(path).Parameters)
	params = append(params, op.Parameters...)
	q := url.Values{}
	for _, ref := range params {
		p := ref.Value
		v := p.Example
		if v == nil && p.Schema != nil && len(p.Schema.Value.Enum) > 0 {
			v = p.Schema.Value.Enum[0]
		}
		if v == nil {
			if p.Required {
				t.Fatalf("%s: parameter %s has no example", path, p.Name)
			}
			continue
		}
		str := exampleString(v)
		switch p.In {
		case "path":
			path = strings.ReplaceAll(path, "{"+p.Name+"}", url.PathEscape(str))
		case "query":
			q.Set(p.Name, str)
		}
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	if op.RequestBody == nil {
		return path, nil
	}
	mt := op.RequestBody.Value.Content.Get("application/json")
	if mt == nil || mt.Example == nil {
		t.Fatalf("%s %s: request body without an application/json example", path, op.OperationID)
	}
	return path, mt.Example
}

func exampleString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// successStatus is op's one documented 2xx status.
func successStatus(t *testing.T, op *openapi3.Operation) int {
	t.Helper()
	for code := range op.Responses.Map() {
		if n, err := strconv.Atoi(code); err == nil && n >= 200 && n < 300 {
			return n
		}
	}
	t.Fatalf("%s: no 2xx response", op.OperationID)
	return 0
}
