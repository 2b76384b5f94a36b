package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBindgate builds cmd/bindgate into a temporary directory as deploy/Dockerfile builds the
// image's (static, no cgo, trimmed, stripped: what runs is what is measured) and returns the
// binary's path.
func buildBindgate(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "bindgate")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "github.com/bindgate/bindgate/cmd/bindgate")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startProcess runs bin (buildBindgate) as its own process with env (the configuration startAPIStoppable gives the in-process one) on a free loopback
// port, so that its memory is its own and not the benchmark's. It returns its URL, its process
// and a function that stops it (SIGTERM, at most 30 s for the graceful shutdown, then SIGKILL).
// Its log goes to bindgate.log in a temporary directory, printed when it fails to stop cleanly.
func startProcess(b *testing.B, bin string, env map[string]string) (string, *bindgateProcess, func()) {
	b.Helper()
	dir := b.TempDir()
	port := freePort(b)
	cmd := exec.Command(bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "API_PORT=" + strconv.Itoa(port)}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logPath := filepath.Join(dir, "bindgate.log")
	logf, err := os.Create(logPath)
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait(); logf.Close() }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				log, _ := os.ReadFile(logPath)
				b.Errorf("bindgate exited: %v\n%s", err, lastLines(log, 20))
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			b.Error("bindgate did not stop within 30 s of SIGTERM; killed")
		}
	}
	b.Cleanup(stop)
	return fmt.Sprintf("http://127.0.0.1:%d", port), &bindgateProcess{cmd.Process, logPath}, stop
}

// bindgateProcess is a bindgate started by startProcess.
type bindgateProcess struct {
	*os.Process
	log string // its log file
}

// waitLog waits until the process has logged msg (its JSON "msg"), at most d.
func (p *bindgateProcess) waitLog(b *testing.B, msg string, d time.Duration) {
	b.Helper()
	want := []byte(`"msg":"` + msg + `"`)
	deadline := time.Now().Add(d)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if log, _ := os.ReadFile(p.log); bytes.Contains(log, want) {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("bindgate did not log %q within %v", msg, d)
		}
		<-tick.C
	}
}

// memory is a process's resident set now and at its peak (/proc/<pid>/status VmRSS, VmHWM).
// memory is a process's resident set, in bytes: its total and peak, and the total's private
// (anonymous: heap, stacks) and file-backed (the binary's pages, shared with the page cache)
// parts.
type memory struct{ rss, peak, anon, file int64 }

func readMemory(b *testing.B, p *bindgateProcess) memory {
	b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Pid))
	if err != nil {
		b.Fatal(err)
	}
	var m memory
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM" && k != "RssAnon" && k != "RssFile") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			b.Fatalf("/proc/%d/status: %s: %v", p.Pid, sc.Text(), err)
		}
		switch k {
		case "VmRSS":
			m.rss = kb << 10
		case "VmHWM":
			m.peak = kb << 10
		case "RssAnon":
			m.anon = kb << 10
		case "RssFile":
			m.file = kb << 10
		}
	}
	if m.rss == 0 || m.peak == 0 {
		b.Fatalf("/proc/%d/status has no VmRSS or VmHWM", p.Pid)
	}
	return m
}

// logged returns field of the first log line whose msg is msg ("" if none).
func (p *bindgateProcess) logged(msg, field string) string {
	raw, _ := os.ReadFile(p.log)
	for line := range strings.Lines(string(raw)) {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == msg {
			v, _ := m[field].(string)
			return v
		}
	}
	return ""
}

// goMemory is what bindgate's Go runtime says of its memory (its /metrics, the Go collector):
// live heap, heap the runtime holds but does not use, stacks, all it took from the OS, and the
// next GC's goal.
func goMemory(b *testing.B, hc *http.Client, url string) string {
	b.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+benchToken)
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	vals := map[string]float64{}
	for line := range strings.Lines(string(body)) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), " "); ok && !strings.HasPrefix(k, "#") {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				vals[k] = f
			}
		}
	}
	var out []string
	for _, k := range []string{"go_memstats_heap_inuse_bytes", "go_memstats_heap_idle_bytes", "go_memstats_heap_released_bytes",
		"go_memstats_stack_inuse_bytes", "go_memstats_sys_bytes", "go_memstats_next_gc_bytes", "go_goroutines"} {
		v, ok := vals[k]
		switch {
		case !ok:
			continue
		case k == "go_goroutines":
			out = append(out, fmt.Sprintf("goroutines %.0f", v))
		default:
			out = append(out, fmt.Sprintf("%s %s", strings.TrimSuffix(strings.TrimPrefix(k, "go_memstats_"), "_bytes"), mb(int64(v))))
		}
	}
	return strings.Join(out, ", ")
}

// mb is n bytes in decimal megabytes (the stricter reading of "30 MB").
func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// processCPU is the CPU time (user and system) process pid has used so far, from
// /proc/<pid>/stat (utime and stime, in clock ticks of 1/100 s on Linux).
func processCPU(b *testing.B, pid int) time.Duration {
	b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The command name (field 2) may hold spaces; the fields after its closing parenthesis
	// are plain: state is the first, utime the 12th and stime the 13th.
	_, rest, ok := bytes.Cut(raw, []byte(") "))
	f := strings.Fields(string(rest))
	if !ok || len(f) < 13 {
		b.Fatalf("/proc/%d/stat: unexpected %q", pid, raw)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			b.Fatalf("/proc/%d/stat: %v", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}
