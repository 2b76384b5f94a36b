//go:build linux

package integration

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bindgate/bindgate/internal/namedproc"
	"github.com/bindgate/bindgate/internal/namedtest"
)

// The fault suite kills bindgate with SIGKILL, which an in-process app.Run cannot model: the
// process must really die mid-request, with its half-done writes. So these tests run the real
// binary as a child, built once per test binary.

// binDir holds the bindgate binary the fault tests run; TestMain removes it.
var (
	binOnce         sync.Once
	binPath, binDir string
	binErr          error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// bindgateBinary builds cmd/bindgate (CGO_ENABLED=0, no -race: the child is the subject, not
// the race detector's) into a temporary directory, once per test binary.
func bindgateBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "bindgate-bin-")
		if binErr != nil {
			return
		}
		goBin, err := exec.LookPath("go") // go test puts GOROOT/bin first on PATH
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(binDir, "bindgate")
		cmd := exec.Command(goBin, "build", "-trimpath", "-o", binPath, "github.com/bindgate/bindgate/cmd/bindgate")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatalf("build bindgate: %v", binErr)
	}
	return binPath
}

// bgProc is bindgate running as a child process in front of a named, on one loopback port
// kept across restarts (so clients need not be told), its log appended to a file.
type bgProc struct {
	t        *testing.T
	bin      string
	env      []string
	logPath  string
	stateDir string // BINDGATE_STATE_DIR

	mu   sync.Mutex
	url  string
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd is reaped
}

// startBindgate starts the bindgate binary against n with the environment the in-process
// harness gives app.Run (startAPIWith), changed by mod, and waits until /ready says 200. It is
// killed in t.Cleanup.
func startBindgate(t *testing.T, n *namedproc.Named, mod func(env map[string]string)) *bgProc {
	t.Helper()
	env := n.BindgateEnv()
	env["BIND_API_TOKEN"] = token
	env["RATE_LIMIT_ENABLED"] = "false"
	env["BINDGATE_AUDIT_LOG"] = filepath.Join(n.Dir, "audit.log")
	env["PATH"] = os.Getenv("PATH")
	// One NOTIFY port for the child's whole life: with port 0 every restart would get a new
	// one, and the startup reconcile would rewrite every zone's also-notify (a modzone per zone
	// per restart).
	env["BINDGATE_NOTIFY_ADDR"] = freeNotifyAddr(t)
	if mod != nil {
		mod(env)
	}
	if os.Getenv("CRASH_KEEP") != "" {
		env["LOG_LEVEL"] = "debug" // kept for reading after a failure
	}
	p := &bgProc{t: t, bin: bindgateBinary(t), logPath: filepath.Join(n.Dir, "bindgate.log"), stateDir: env["BINDGATE_STATE_DIR"]}
	for k, v := range env {
		p.env = append(p.env, k+"="+v)
	}
	p.start()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			if keep := os.Getenv("CRASH_KEEP"); keep != "" {
				// named's own log is in the test output; this keeps bindgate's whole log, its
				// state (registry, copies) and named's zone files.
				keep = filepath.Join(keep, strings.ReplaceAll(t.Name(), "/", "_"))
				if err := os.CopyFS(keep, os.DirFS(n.Dir)); err != nil {
					t.Logf("CRASH_KEEP: %v", err)
				} else {
					t.Logf("CRASH_KEEP: the run's directory is kept in %s", keep)
				}
			}
			b, _ := os.ReadFile(p.logPath)
			t.Logf("bindgate log (last 8 KiB):\n%s", tail(string(b), 8<<10))
		}
	})
	return p
}

// freeNotifyAddr picks a loopback port free for both UDP and TCP (the NOTIFY listener binds
// both), for the child to keep across restarts: below the ephemeral range (namedproc.FreePort),
// where no client socket takes it while bindgate is down.
func freeNotifyAddr(t *testing.T) string {
	t.Helper()
	p, err := namedproc.FreePort(true)
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// URL is the base URL of the running bindgate.
func (p *bgProc) URL() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.url
}

// PID is the running child's process id.
func (p *bgProc) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd.Process.Pid
}

// start launches the child and waits for /ready (60 s: the startup reconcile runs first).
// A port taken since it was picked is picked again, three attempts in all.
func (p *bgProc) start() {
	p.t.Helper()
	for attempt := 1; ; attempt++ {
		err := p.launch(attempt > 1)
		if err == nil {
			return
		}
		if attempt == 3 {
			p.t.Fatalf("start bindgate: %v", err)
		}
	}
}

func (p *bgProc) launch(newPort bool) error {
	p.mu.Lock()
	if p.url == "" || newPort {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			p.mu.Unlock()
			return err
		}
		p.url = "http://" + ln.Addr().String()
		ln.Close()
	}
	_, portStr, _ := net.SplitHostPort(strings.TrimPrefix(p.url, "http://"))
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.mu.Unlock()
		return err
	}
	cmd := exec.Command(p.bin)
	cmd.Env = append(append([]string(nil), p.env...), "API_PORT="+portStr)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, and SIGKILL should the test binary die first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		p.mu.Unlock()
		logf.Close()
		return err
	}
	done := make(chan struct{})
	go func() { // owned by p: ends when the child is reaped, which kill waits for
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}()
	p.cmd, p.done = cmd, done
	url := p.url
	p.mu.Unlock()
	return p.waitReady(url, done)
}

// waitReady polls GET /api/v1/ready until 200, failing when the child exits or after 60 s.
func (p *bgProc) waitReady(url string, done chan struct{}) error {
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if resp, err := c.Get(url + "/api/v1/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-done:
			return fmt.Errorf("bindgate exited during start-up (%v); see %s", p.cmd.ProcessState, p.logPath)
		case <-deadline.C:
			p.kill()
			return errors.New("bindgate not ready within 60s")
		case <-tick.C:
		}
	}
}

// kill sends SIGKILL and waits until the child is reaped (bounded: 10 s).
func (p *bgProc) kill() { p.signal(syscall.SIGKILL) }

// stop sends SIGTERM (graceful shutdown) and waits until the child is reaped, SIGKILL after 30 s.
func (p *bgProc) stop() { p.signal(syscall.SIGTERM) }

func (p *bgProc) signal(sig syscall.Signal) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	_ = cmd.Process.Signal(sig)
	grace := time.NewTimer(30 * time.Second)
	defer grace.Stop()
	select {
	case <-done:
		return
	case <-grace.C:
	}
	_ = cmd.Process.Kill()
	kill := time.NewTimer(10 * time.Second)
	defer kill.Stop()
	select {
	case <-done:
	case <-kill.C:
		p.t.Errorf("bindgate pid %d survived SIGKILL for 10s", cmd.Process.Pid)
	}
}

// restart kills the child (SIGKILL) and starts it again with the same environment.
func (p *bgProc) restart() {
	p.t.Helper()
	p.kill()
	p.start()
}

// faultStack is a named and a bindgate child in front of it, with a client of the in-process
// harness's shape (stack.do, stack.expect) pointed at the child.
type faultStack struct {
	*stack
	bg       *bgProc
	reported map[string]bool // problems the crash suite has reported (faultStack.fresh)
}

// startFaultStack starts named (opts as namedtest.Start takes them) and the bindgate binary.
func startFaultStack(t *testing.T, opts namedproc.Options, mod func(env map[string]string)) *faultStack {
	t.Helper()
	namedtest.Require(t)
	n := namedtest.Start(t, opts)
	bg := startBindgate(t, n, mod)
	s := &stack{t: t, named: n, logs: &syncBuffer{}, url: bg.URL(),
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}}
	s.rndc = s.rndcClient(n.Key)
	return &faultStack{stack: s, bg: bg, reported: map[string]bool{}}
}

// restartBindgate SIGKILLs and restarts the child, pointing the client at it again.
func (f *faultStack) restartBindgate() {
	f.t.Helper()
	f.bg.restart()
	f.url = f.bg.URL()
}

// metric reads one unlabelled gauge from bindgate's /metrics.
func (f *faultStack) metric(name string) float64 {
	f.t.Helper()
	v, ok := readMetric(f.t, f.client, f.url, name)
	if !ok {
		f.t.Fatalf("/metrics has no %s", name)
	}
	return v
}

// readMetric reads the sample name (with its labels, as /metrics prints them) from the
// /metrics of the bindgate at url; ok is false when there is none.
func readMetric(t *testing.T, c *http.Client, url, name string) (float64, bool) {
	t.Helper()
	resp, err := c.Get(url + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, resp.Body); err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(b.String()) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+" "); ok {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return x, true
		}
	}
	return 0, false
}

// openFDs counts bindgate's open file descriptors from /proc/<pid>/fd.
func (f *faultStack) openFDs() int {
	f.t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", f.bg.PID()))
	if err != nil {
		f.t.Fatal(err)
	}
	return len(ents)
}
