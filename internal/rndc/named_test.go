package rndc_test

// A private harness for a real named on loopback (shared/named-dev.md). It stays private to
// this package's tests until the shared internal/namedproc settles.

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/rndc"
)

// realNamed is a named child process in a temp dir, with one control key per SHA-2 algorithm.
type realNamed struct {
	t       *testing.T
	bin     string
	dir     string
	zoneDir string
	conf    string
	ctlAddr string
	keys    map[bindkey.Algorithm]bindkey.Key
	key     bindkey.Key // the hmac-sha256 key, also allowed to update zones
	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd has been waited for
}

// namedBinary finds named on PATH, then in /usr/sbin (Debian's place, often off PATH). Not
// found: t.Fatal under CI=true, else t.Skip.
func namedBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("named"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/named"); err == nil {
		return "/usr/sbin/named"
	}
	msg := "named not found on PATH or in /usr/sbin; install BIND 9.18: apt-get install -y bind9 bind9-utils"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// freePort returns a loopback port that is free for TCP and UDP right now.
func freePort(t *testing.T) int {
	t.Helper()
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		ln.Close()
		if err == nil {
			pc.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// startNamed writes a configuration (extraOptions go into options { }) and starts named.
func startNamed(t *testing.T, extraOptions string) *realNamed {
	t.Helper()
	n := &realNamed{t: t, bin: namedBinary(t), dir: t.TempDir(), keys: map[bindkey.Algorithm]bindkey.Key{}}
	n.zoneDir = filepath.Join(n.dir, "zones")
	n.conf = filepath.Join(n.dir, "named.conf")
	if err := os.Mkdir(n.zoneDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var keyText strings.Builder
	var names []string
	for _, alg := range []bindkey.Algorithm{bindkey.HMACSHA224, bindkey.HMACSHA256, bindkey.HMACSHA384, bindkey.HMACSHA512} {
		k := bindkey.Key{Name: "bindgate-" + strings.TrimPrefix(alg.String(), "hmac-"), Algorithm: alg, Secret: make([]byte, 32)}
		_, _ = rand.Read(k.Secret)
		n.keys[alg] = k
		names = append(names, `"`+k.Name+`";`)
		fmt.Fprintf(&keyText, "key %q {\n\talgorithm %s;\n\tsecret %q;\n};\n", k.Name, alg, k.SecretBase64())
	}
	n.key = n.keys[bindkey.HMACSHA256]
	keyFile := filepath.Join(n.dir, "rndc.key")
	ctlPort := freePort(t)
	n.ctlAddr = fmt.Sprintf("127.0.0.1:%d", ctlPort)
	conf := fmt.Sprintf(`include %q;
options {
	directory %q;
	pid-file %q;
	session-keyfile %q;
	listen-on port %d { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	notify no;
	%s
};
controls { inet 127.0.0.1 port %d allow { 127.0.0.1; } keys { %s }; };
`, keyFile, n.zoneDir, filepath.Join(n.dir, "named.pid"), filepath.Join(n.dir, "session.key"),
		freePort(t), extraOptions, ctlPort, strings.Join(names, " "))
	for path, text := range map[string]string{keyFile: keyText.String(), n.conf: conf} {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	n.start()
	t.Cleanup(n.stop)
	return n
}

// start runs `named -g -c conf` (foreground, logs to stderr, here a file) and waits until the
// control channel answers status. As root it runs without -u: the temp dir is root's.
func (n *realNamed) start() {
	n.t.Helper()
	logf, err := os.OpenFile(filepath.Join(n.dir, "named.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		n.t.Fatal(err)
	}
	defer logf.Close()
	n.cmd = exec.Command(n.bin, "-g", "-c", n.conf, "-n", "1")
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := n.cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	exited := make(chan struct{})
	n.exited = exited
	go func() { _ = n.cmd.Wait(); close(exited) }()
	probe := n.client(n.key, func(c *rndc.Config) { c.CallTimeout = time.Second; c.MaxIdle = -1 })
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := probe.Do(n.t.Context(), "status")
		if err == nil {
			break
		}
		select {
		case <-exited:
			n.t.Fatalf("named exited: %s", n.logTail())
		default:
		}
		if time.Now().After(deadline) {
			n.stop()
			n.t.Fatalf("named not answering status after 20 s (%v): %s", err, n.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (n *realNamed) logTail() string {
	b, _ := os.ReadFile(filepath.Join(n.dir, "named.log"))
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// waitLog waits up to 5 s for named's log to contain s.
func (n *realNamed) waitLog(t *testing.T, s string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(filepath.Join(n.dir, "named.log"))
		if i := strings.LastIndex(string(b), s); i >= 0 {
			line := string(b[strings.LastIndex(string(b[:i]), "\n")+1:])
			line, _, _ = strings.Cut(line, "\n")
			t.Logf("named logged: %s", line)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("named did not log %q: %s", s, n.logTail())
		}
	}
}

// stop ends the named this harness started, by its PID: SIGTERM, then SIGKILL after 10 s.
func (n *realNamed) stop() {
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.exited:
	case <-time.After(10 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.exited
	}
	n.cmd = nil
}

// restart stops named and starts it again on the same ports and files.
func (n *realNamed) restart() {
	n.t.Helper()
	n.stop()
	n.start()
}

// client returns a client for named with key; edit adjusts its Config.
func (n *realNamed) client(key bindkey.Key, edit func(*rndc.Config)) *rndc.Client {
	n.t.Helper()
	cfg := rndc.Config{Addr: n.ctlAddr, Key: func() bindkey.Key { return key }, CallTimeout: 10 * time.Second}
	if edit != nil {
		edit(&cfg)
	}
	c, err := rndc.New(cfg)
	if err != nil {
		n.t.Fatal(err)
	}
	n.t.Cleanup(func() { c.Close() })
	return c
}

// proxy is a loopback TCP relay that counts the connections it accepts, so a test can see
// how many connections a client opened to named.
type proxy struct {
	ln       net.Listener
	target   string
	accepted atomic.Int64
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	p.wg.Go(p.serve)
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.accepted.Add(1)
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			in.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, in, out)
		p.mu.Unlock()
		relay := func(dst, src net.Conn) {
			_, _ = io.Copy(dst, src)
			dst.Close()
			src.Close()
		}
		p.wg.Go(func() { relay(in, out) })
		p.wg.Go(func() { relay(out, in) })
	}
}

// outcome renders a reply or error as named gave it, for the log and the comments.
func outcome(resp rndc.Response, err error) string {
	if ce, ok := errors.AsType[*rndc.CommandError](err); ok {
		return fmt.Sprintf("result=%d err=%q text=%q", ce.Result, ce.Err, ce.Text)
	}
	if err != nil {
		return "error: " + err.Error()
	}
	text := resp.Text
	if len(text) > 160 {
		text = text[:160] + "…"
	}
	return fmt.Sprintf("result=%d text=%q", resp.Result, text)
}
