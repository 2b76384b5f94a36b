package api

import (
	"context"
	"testing"
	"time"

	"github.com/bindgate/bindgate/internal/keyrot"
)

// fakeKeys is a KeyService with a fixed status and reload result.
type fakeKeys struct {
	st      keyrot.Status
	result  string
	reloads int
}

func (f *fakeKeys) Status() keyrot.Status { return f.st }

func (f *fakeKeys) Reload(context.Context) (keyrot.Report, error) {
	f.reloads++
	return keyrot.Report{Result: f.result, Status: f.st}, nil
}

func TestKeyRoutes(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	info := keyrot.Info{Name: "bindgate-key", Algorithm: "hmac-sha256", Fingerprint: "ba7816bf", LoadedAt: at}
	next := keyrot.Info{Name: "bindgate-key", Algorithm: "hmac-sha256", Fingerprint: "0badf00d"}
	keys := &fakeKeys{st: keyrot.Status{Key: info, State: keyrot.StatePending, Next: &next, Reason: "named did not load the new key"}, result: keyrot.Pending}
	e := newEnv(t, func(c *Config) { c.Keys = keys })
	for _, tc := range []struct {
		name string
		r    req
		code int
		body string
	}{
		{"status keeps bindy's field and adds the key",
			req{method: "GET", target: "/api/v1/server/status"}, 200,
			`{"status":"version: BIND 9.18\nserver is up and running","key":{"name":"bindgate-key","algorithm":"hmac-sha256","fingerprint":"ba7816bf","loadedAt":"2026-01-02T03:04:05Z"},` +
				`"keyState":"pending","nextKey":{"name":"bindgate-key","algorithm":"hmac-sha256","fingerprint":"0badf00d","loadedAt":"0001-01-01T00:00:00Z"},"keyReason":"named did not load the new key"}`},
		{"reload answers the result and the key",
			req{method: "POST", target: "/api/v1/server/keys/reload"}, 200,
			`{"result":"pending","key":{"name":"bindgate-key","algorithm":"hmac-sha256","fingerprint":"ba7816bf","loadedAt":"2026-01-02T03:04:05Z"},` +
				`"keyState":"pending","nextKey":{"name":"bindgate-key","algorithm":"hmac-sha256","fingerprint":"0badf00d","loadedAt":"0001-01-01T00:00:00Z"},"keyReason":"named did not load the new key"}`},
		{"reload needs authentication", req{method: "POST", target: "/api/v1/server/keys/reload", auth: "-"}, 401, ""},
		{"pending does not fail readiness", req{method: "GET", target: "/api/v1/ready", auth: "-"}, 200,
			`{"ready":true,"checks":["zone_dir: ok","rndc: ok","key: pending"]}`},
	} {
		w := e.do(tc.r)
		if w.Code != tc.code {
			t.Fatalf("%s: %d %s", tc.name, w.Code, w.Body)
		}
		if tc.body != "" && w.Body.String() != tc.body+"\n" {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, w.Body, tc.body)
		}
	}
	if keys.reloads != 1 {
		t.Errorf("%d reloads, want 1", keys.reloads)
	}
}
