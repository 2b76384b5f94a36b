package app

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bindgate/bindgate/internal/config"
)

// plainEnv is a bindgate environment without TLS whose BIND is unreachable, with an audit
// log file.
func plainEnv(t *testing.T) map[string]string {
	return map[string]string{
		"BINDGATE_NOTIFY_ADDR": "127.0.0.1:0",
		"BIND_ZONE_DIR":        t.TempDir(),
		"BIND_API_TOKEN":       "test-token",
		"RNDC_SERVER":          "127.0.0.1:1",
		"NSUPDATE_SERVER":      "127.0.0.1:1",
		"RNDC_SECRET":          "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"BINDGATE_AUDIT_LOG":   filepath.Join(t.TempDir(), "audit.log"),
	}
}

var goroutineHeader = regexp.MustCompile(`^goroutine (\d+) `)

// ourGoroutines returns the stacks of running goroutines with a frame of ours, by goroutine
// id, leaving out the testing framework's (test functions, paused parallel tests).
func ourGoroutines() map[string]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := map[string]string{}
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		m := goroutineHeader.FindStringSubmatch(g)
		if m == nil || strings.Contains(g, "testing.tRunner") {
			continue
		}
		for line := range strings.SplitSeq(g, "\n") {
			if strings.HasPrefix(line, "github.com/bindgate/bindgate/") {
				out[m[1]] = g
				break
			}
		}
	}
	return out
}

// checkNoGoroutinesLeft fails the test when goroutines of ours that were not in before are
// still running at the deadline. It polls: a goroutine that has signalled its WaitGroup may
// still be a few instructions from exiting.
func checkNoGoroutinesLeft(t *testing.T, before map[string]string, d time.Duration) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		var left []string
		for id, g := range ourGoroutines() {
			if _, ok := before[id]; !ok {
				left = append(left, g)
			}
		}
		if len(left) == 0 {
			return
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			slices.Sort(left)
			t.Fatalf("%d goroutines of ours outlived Run:\n\n%s", len(left), strings.Join(left, "\n\n"))
		}
	}
}

// openFiles returns the targets of this process's open file descriptors.
func openFiles(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	var out []string
	for _, e := range ents {
		if p, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// TestRunLeavesNothingBehind runs the whole app without named, with every background loop on
// (startup reconcile retrying an unreachable BIND, the key watcher, the zone count), sends it
// requests that reach the rndc client, stops it, and checks that no goroutine of ours is
// left and the audit log file is closed (issue 8 item 5: nothing outlives Shutdown).
func TestRunLeavesNothingBehind(t *testing.T) {
	env := plainEnv(t)
	cfg := load(t, env)
	before := ourGoroutines()

	addr, logs, stop := startRun(t, cfg, Options{
		Reload: func() (config.Config, error) {
			return config.Load(nil, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		},
		KeyCheckInterval: 10 * time.Millisecond,
	})
	// The startup reconcile has run (or is waiting to retry).
	logs.waitFor(t, `"msg":"startup reconcile`, 10*time.Second)

	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	defer hc.CloseIdleConnections()
	for _, rq := range []struct{ method, path, body string }{
		{"GET", "/api/v1/health", ""},
		{"GET", "/metrics", ""},
		{"GET", "/api/v1/zones", ""},
		{"POST", "/api/v1/zones/example.test/records", `{"name":"www","type":"A","value":"192.0.2.1"}`},
	} {
		req, err := http.NewRequestWithContext(t.Context(), rq.method, "http://"+addr+rq.path, strings.NewReader(rq.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer test-token")
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", rq.method, rq.path, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	checkNoGoroutinesLeft(t, before, 5*time.Second)
	if slices.Contains(openFiles(t), env["BINDGATE_AUDIT_LOG"]) {
		t.Error("the audit log is still open after Run returned")
	}
}

// TestServeReportsCloserErrors: a part that fails to close is logged, and its error is
// returned by Run's serve step, joined with the others'; every closer still runs.
func TestServeReportsCloserErrors(t *testing.T) {
	cfg := load(t, plainEnv(t))
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	h, err := build(t.Context(), cfg, Options{}, log)
	if err != nil {
		t.Fatal(err)
	}
	errA, errB := errors.New("closer A failed"), errors.New("closer B failed")
	var ran []string
	h.closers = append(h.closers,
		func() error { ran = append(ran, "A"); return errA },
		func() error { ran = append(ran, "ok"); return nil },
		func() error { ran = append(ran, "B"); return errB },
	)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // serve starts, then shuts down at once
	hup := make(chan os.Signal)
	err = h.serve(ctx, cfg, Options{Listener: ln}, log, hup)
	if !errors.Is(err, errA) || !errors.Is(err, errB) {
		t.Errorf("serve = %v, want both closer errors", err)
	}
	if want := []string{"B", "ok", "A"}; !slices.Equal(ran, want) {
		t.Errorf("closers ran %v, want %v (reverse order, all of them)", ran, want)
	}
	for _, e := range []error{errA, errB} {
		if !strings.Contains(logs.String(), e.Error()) {
			t.Errorf("the log lacks %q:\n%s", e, logs.String())
		}
	}
	if h.close(log) != nil {
		t.Error("a second close ran the closers again")
	}
}

// TestBuildFailureReportsCloserErrors: when startup fails half-way, the parts built so far
// are closed and their close errors come with the startup error.
func TestBuildFailureReportsCloserErrors(t *testing.T) {
	env := plainEnv(t)
	env["BINDGATE_AUDIT_LOG"] = filepath.Join(t.TempDir(), "missing-dir", "audit.log") // fails last
	cfg := load(t, env)
	err := Run(t.Context(), cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "BINDGATE_AUDIT_LOG") {
		t.Fatalf("Run = %v, want the audit log's open error", err)
	}
}
