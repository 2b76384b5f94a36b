package api

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bindgate/bindgate/internal/records"
)

// fastAddBodies are bodies of POST /records: the plain ones decodeAddFast takes and the ones it
// must leave to decodeBody (each for the reason in its comment).
var fastAddBodies = []struct {
	body string
	fast bool // decodeAddFast takes it
}{
	{`{"name":"www","type":"A","value":"192.0.2.1"}`, true},
	{`{"name":"www","type":"A","value":"192.0.2.1","ttl":300}`, true},
	{`{"name":"@","type":"MX","value":"mail.example.test.","ttl":3600,"priority":10}`, true},
	{" \t\r\n{ \"name\" : \"a\" ,\n\"type\":\"TXT\", \"value\":\"hello world\" } \n", true},
	{`{}`, true},
	{`{"ttl":0,"priority":0}`, true},
	{`{"ttl":4294967295,"priority":65535}`, true},
	{`{"value":"v=spf1 include:_spf.example.test ~all"}`, true},
	{`{"value":"a/b<>&'"}`, true},

	{`{"ttl":4294967296}`, false},         // out of range: 422
	{`{"priority":65536}`, false},         // out of range: 422
	{`{"ttl":-1}`, false},                 // negative: 422
	{`{"ttl":1.5}`, false},                // fraction: 422
	{`{"ttl":1e2}`, false},                // exponent: encoding/json's to judge
	{`{"ttl":01}`, false},                 // leading zero: malformed
	{`{"ttl":"300"}`, false},              // a string: 422
	{`{"ttl":12345678901}`, false},        // too many digits
	{`{"name":null}`, false},              // null: absent, left to encoding/json
	{`{"name":"a\"b"}`, false},            // an escape
	{`{"name":"a\u0041"}`, false},         // a \u escape
	{"{\"name\":\"caf\xc3\xa9\"}", false}, // non-ASCII
	{"{\"name\":\"a\xff\"}", false},       // invalid UTF-8: 400
	{"{\"name\":\"a\tb\"}", false},        // a control character: malformed
	{`{"name":"a","name":"b"}`, false},    // duplicate: 400
	{`{"ttl":1,"ttl":2}`, false},          // duplicate: 400
	{`{"Name":"a"}`, false},               // wrong case: 400
	{`{"extra":1,"name":"a"}`, false},     // unknown field: ignored by encoding/json
	{`{"name":1}`, false},                 // a number for a string: 422
	{`{"name":"a"} x`, false},             // trailing data: 400
	{`{"name":"a"}{}`, false},             // a second value: 400
	{`{"name":"a",}`, false},              // trailing comma: malformed
	{`{"name":"a"`, false},                // cut short: malformed
	{`{"name" "a"}`, false},               // no colon
	{`[]`, false},                         // not an object: 422
	{``, false},                           // empty: 400
	{`  `, false},                         // blank: 400
	{`{"name":"a"}` + "\x00", false},      // a NUL after the value
	{`{"ttl":300 ,"name":"x"}`, true},
	{`{"ttl":3 00}`, false}, // digits split by a space: malformed
}

// TestDecodeAddFastAgrees: every body decodeAddFast takes, decodeBody decodes to the same
// request without error; the plain bodies are taken (the fast path is used) and the others left.
func TestDecodeAddFastAgrees(t *testing.T) {
	t.Parallel()
	for _, tc := range fastAddBodies {
		t.Run(tc.body, func(t *testing.T) {
			t.Parallel()
			var fast records.AddRequest
			took := decodeAddFast([]byte(tc.body), &fast)
			if took != tc.fast {
				t.Errorf("decodeAddFast took it: %v, want %v", took, tc.fast)
			}
			checkFastAdd(t, []byte(tc.body), took, fast)
		})
	}
}

// checkFastAdd fails when decodeAddFast took body (as fast) and decodeBody does not decode it to
// the same request without error, and when it left body but changed the request (decodeBody
// then decodes into it: a field it does not set would keep the fast path's value).
func checkFastAdd(t *testing.T, body []byte, took bool, fast records.AddRequest) {
	t.Helper()
	if !took {
		if fast != (records.AddRequest{}) {
			t.Fatalf("decodeAddFast left %q but set the request: %+v", body, fast)
		}
		return
	}
	var slow records.AddRequest
	if err := decodeBody(body, nil, &slow); err != nil {
		t.Fatalf("decodeAddFast took %q, decodeBody: %v", body, err)
	}
	if diff := cmp.Diff(slow, fast); diff != "" {
		t.Fatalf("%q: decodeBody (-) and decodeAddFast (+) differ:\n%s", body, diff)
	}
}

// FuzzDecodeAddFast: whatever decodeAddFast takes, decodeBody decodes to the same request.
func FuzzDecodeAddFast(f *testing.F) {
	for _, tc := range fastAddBodies {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var fast records.AddRequest
		took := decodeAddFast(body, &fast)
		checkFastAdd(t, body, took, fast)
	})
}
