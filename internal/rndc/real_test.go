package rndc_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/namedproc"
	"github.com/bindgate/bindgate/internal/namedtest"
	"github.com/bindgate/bindgate/internal/rndc"
)

func client(t *testing.T, n *namedproc.Named, key bindkey.Key) *rndc.Client {
	t.Helper()
	c, err := rndc.New(rndc.Config{Addr: n.ControlAddr, Key: func() bindkey.Key { return key }, CallTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestRealNamed exercises every verb bindgate uses against named 9.18 and records the result
// texts it returns (RNDC-PROTOCOL.md §8; CONTRACT §20 items 2, 7 and 10).
func TestRealNamed(t *testing.T) {
	n := namedtest.Start(t, namedproc.Options{})
	c := client(t, n, n.Key)
	ctx := t.Context()

	st, err := c.Do(ctx, "status")
	if err != nil || !strings.Contains(st.Text, "server is up and running") {
		t.Fatalf("status = %+v, %v", st, err)
	}

	// Reused connections, sequential and concurrent.
	for i := range 30 {
		if _, err := c.Do(ctx, "status"); err != nil {
			t.Fatalf("sequential %d: %v", i, err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			if _, err := c.Do(ctx, "status"); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent: %v", err)
	}

	const z = "rndc.test"
	file := filepath.Join(n.ZoneDir, z+".zone")
	zoneText := "$ORIGIN rndc.test.\n$TTL 300\n@ IN SOA ns1 admin ( 1 3600 600 604800 86400 )\n@ IN NS ns1\nns1 IN A 127.0.0.1\n"
	if err := os.WriteFile(file, []byte(zoneText), 0o644); err != nil {
		t.Fatal(err)
	}
	block := `{ type primary; file "` + file + `"; allow-update { key "` + n.Key.Name + `"; }; };`

	tests := []struct {
		name    string
		verb    string
		zone    string
		rest    []string
		wantErr error
		text    string // substring of Text on success
	}{
		{"zonestatus unknown", "zonestatus", z, nil, rndc.ErrNotFound, ""},
		{"delzone unknown", "delzone", z, nil, rndc.ErrNotFound, ""},
		{"addzone", "addzone", z, []string{block}, nil, ""},
		{"addzone again", "addzone", z, []string{block}, rndc.ErrExists, ""},
		{"zonestatus", "zonestatus", z, nil, nil, "reconfigurable via modzone: yes"},
		{"showzone", "showzone", z, nil, nil, `allow-update { key "` + n.Key.Name + `"; };`},
		{"reload dynamic", "reload", z, nil, rndc.ErrDynamic, ""},
		{"freeze", "freeze", z, nil, nil, ""},
		{"freeze again", "freeze", z, nil, rndc.ErrAlreadyFrozen, ""},
		{"thaw", "thaw", z, nil, nil, "thaw was successful"},
		{"thaw again", "thaw", z, nil, nil, ""},
		{"notify", "notify", z, nil, nil, "zone notify queued"},
		{"retransfer primary", "retransfer", z, nil, rndc.ErrFailure, ""},
		{"sync", "sync", z, nil, nil, ""},
		{"delzone", "delzone", z, nil, nil, ""},
		{"addzone bad policy", "addzone", z, []string{`{ type primary; file "` + file + `"; dnssec-policy "nope"; };`}, rndc.ErrNotFound, ""},
	}
	for _, tc := range tests {
		resp, err := c.Zone(ctx, tc.verb, tc.zone, tc.rest...)
		var ce *rndc.CommandError
		errors.As(err, &ce)
		t.Logf("%-20s result=%d err=%q text=%q", tc.name, resp.Result, errString(ce), textOf(resp, ce))
		if tc.wantErr == nil && err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.wantErr)
		}
		if tc.text != "" && !strings.Contains(resp.Text, tc.text) {
			t.Errorf("%s: text %q lacks %q", tc.name, resp.Text, tc.text)
		}
	}

	// Arguments that must never reach named.
	for _, bad := range []string{"a b", `a"b`, "a;b", "a{b", "../x", "a\nb", ""} {
		if _, err := c.Zone(ctx, "zonestatus", bad); !errors.Is(err, rndc.ErrBadArgument) {
			t.Errorf("zone %q: %v, want ErrBadArgument", bad, err)
		}
	}

	// A wrong key: named closes silently.
	wrong := n.Key
	wrong.Secret = []byte("definitely-not-the-key-0123456789")
	if _, err := client(t, n, wrong).Do(ctx, "status"); !errors.Is(err, rndc.ErrRejected) || !rndc.Transient(err) {
		t.Errorf("wrong key: %v, want ErrRejected", err)
	}

	// named restarts under a client holding pooled connections: the next call reconnects.
	if err := n.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(ctx, "status"); err != nil {
		t.Fatalf("after named restart: %v", err)
	}

	// named down: unreachable, and bounded in time.
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := c.Do(cctx, "status"); !rndc.Transient(err) {
		t.Errorf("named down: %v, want a transient error", err)
	}
}

func errString(ce *rndc.CommandError) string {
	if ce == nil {
		return ""
	}
	return ce.Err
}

func textOf(r rndc.Response, ce *rndc.CommandError) string {
	if ce != nil {
		return ce.Text
	}
	if len(r.Text) > 80 {
		return r.Text[:80] + "…"
	}
	return r.Text
}
