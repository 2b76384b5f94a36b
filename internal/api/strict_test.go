package api

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bindgate/bindgate/internal/records"
)

// TestStrictJSON: request JSON is read as strictly as bindcar's serde reads it (issue 8 item
// 8): a duplicate key, a key in the wrong case and invalid UTF-8 are 400 naming the field and
// never reach the service; unknown fields stay ignored (docs/contract.md §3.1); nested objects too.
func TestStrictJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, target, method, body string
		status                     int
		msg                        string // "" for a success
	}{
		{name: "duplicate key", body: `{"zoneName":"a.test","zoneType":"primary","zoneName":"b.test"}`,
			status: 400, msg: "Invalid request: duplicate field zoneName"},
		{name: "duplicate nested key", body: `{"zoneName":"a.test","zoneConfig":{"soa":{"serial":1,"serial":2}}}`,
			status: 400, msg: "Invalid request: duplicate field zoneConfig.soa.serial"},
		{name: "duplicate map key", body: `{"zoneConfig":{"nameServerIps":{"ns1":"10.0.0.1","ns1":"10.0.0.2"}}}`,
			status: 400, msg: "Invalid request: duplicate field zoneConfig.nameServerIps.ns1"},
		{name: "duplicate unknown key", body: `{"zoneName":"a.test","x":1,"x":2}`,
			status: 400, msg: "Invalid request: duplicate field x"},
		{name: "same key in two array elements is fine", body: `{"zoneName":"a.test","zoneConfig":{"records":[{"name":"a"},{"name":"b"}]}}`},
		{name: "upper case", body: `{"ZONENAME":"a.test"}`,
			status: 400, msg: "Invalid request: unknown field ZONENAME (names are case-sensitive: zoneName)"},
		{name: "wrong case beside the right one", body: `{"zoneName":"a.test","zonename":"b.test"}`,
			status: 400, msg: "Invalid request: unknown field zonename (names are case-sensitive: zoneName)"},
		{name: "wrong case nested", body: `{"zoneName":"a.test","zoneConfig":{"soa":{"PrimaryNs":"ns1.a.test."}}}`,
			status: 400, msg: "Invalid request: unknown field zoneConfig.soa.PrimaryNs (names are case-sensitive: zoneConfig.soa.primaryNs)"},
		{name: "wrong case in an array element", body: `{"zoneConfig":{"records":[{"name":"a"},{"TTL":5}]}}`,
			status: 400, msg: "Invalid request: unknown field zoneConfig.records.TTL (names are case-sensitive: zoneConfig.records.ttl)"},
		{name: "unknown field ignored", body: `{"zoneName":"a.test","somethingNew":{"a":[1,2]},"zoneConfig":{"soa":{"extra":true}}}`},
		{name: "invalid UTF-8 value", body: "{\"zoneName\":\"a\xff.test\"}",
			status: 400, msg: "Invalid request: field zoneName is not valid UTF-8"},
		{name: "invalid UTF-8 nested", body: "{\"zoneConfig\":{\"soa\":{\"adminEmail\":\"\xc3(\"}}}",
			status: 400, msg: "Invalid request: field zoneConfig.soa.adminEmail is not valid UTF-8"},
		{name: "lone surrogate escape", body: `{"zoneName":"a\ud800.test"}`,
			status: 400, msg: "Invalid request: field zoneName is not valid UTF-8"},
		{name: "reversed surrogate pair", body: `{"zoneName":"\udc00\ud800"}`,
			status: 400, msg: "Invalid request: field zoneName is not valid UTF-8"},
		{name: "invalid UTF-8 in a key", body: "{\"zoneConfig\":{\"\xff\":1}}",
			status: 400, msg: "Invalid request: a field name in zoneConfig is not valid UTF-8"},
		{name: "invalid UTF-8 in an unknown field's value", body: "{\"zoneName\":\"a.test\",\"note\":[\"\xff\"]}",
			status: 400, msg: "Invalid request: field note is not valid UTF-8"},
		{name: "escaped U+FFFD and a surrogate pair are valid", body: `{"zoneName":"\ufffd\ud83d\ude00 \uFFFD` + "\xef\xbf\xbd" + `"}`},
		{name: "long key cut in the message", body: `{"` + strings.Repeat("k", 100) + `":1,"` + strings.Repeat("k", 100) + `":2}`,
			status: 400, msg: "Invalid request: duplicate field " + strings.Repeat("k", 64) + "…"},
		{name: "type error stays 422", body: `{"zoneName":"a.test","zoneName":5}`,
			status: 422, msg: "Invalid request: field zoneName must be a string"},
		{name: "malformed stays 400", body: `{"zoneName":"a.test",`,
			status: 400, msg: "Invalid request: malformed JSON"},
		{name: "PATCH zone duplicate", method: "PATCH", target: "/api/v1/zones/a.test", body: `{"alsoNotify":[],"alsoNotify":["10.0.0.1"]}`,
			status: 400, msg: "Invalid request: duplicate field alsoNotify"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			method, target := "POST", "/api/v1/zones"
			if tc.method != "" {
				method, target = tc.method, tc.target
			}
			w := e.do(req{method: method, target: target, body: tc.body})
			if tc.msg == "" {
				if w.Code >= 300 {
					t.Fatalf("status %d %s, want success", w.Code, w.Body)
				}
				return
			}
			if w.Code != tc.status || w.Body.String() != errJSON(tc.msg) {
				t.Errorf("got %d %s\nwant %d %s", w.Code, w.Body, tc.status, errJSON(tc.msg))
			}
			if calls := e.z.Calls(); len(calls) != 0 {
				t.Errorf("service called: %+v", calls)
			}
		})
	}
}

// BenchmarkDecodeLargeSync measures decodeJSON on a PUT rrsets body near the 2 MiB limit,
// strict check included.
func BenchmarkDecodeLargeSync(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"rrsets":[`)
	for i := 0; sb.Len() < 2<<20-200; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"name":"host%d","type":"A","ttl":300,"records":["192.0.2.1","192.0.2.2"]}`, i)
	}
	sb.WriteString(`]}`)
	body := sb.String()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r := httptest.NewRequest("PUT", "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var req records.SyncRequest
		if err := decodeJSON(httptest.NewRecorder(), r, 4<<20, nil, &req); err != nil {
			b.Fatal(err)
		}
	}
}
