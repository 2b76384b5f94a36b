// Package namedproc starts and stops a private named on loopback: generated key, named.conf,
// rndc.conf, free ports, a foreground child owned by PID. `bindgate dev` and the test harness
// (internal/namedtest) both use it, so it does not import testing.
package namedproc

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/bindkey"
)

// ErrNotFound means no named binary was found.
var ErrNotFound = errors.New("named not found on PATH or in /usr/sbin; install it with: apt-get install -y bind9 bind9-utils bind9-dnsutils")

// Options configure Start.
type Options struct {
	Dir          string       // state dir (created if missing); "" -> a new temporary dir
	DNSPort      int          // 0 -> a free port (TCP and UDP) on 127.0.0.1
	ControlPort  int          // 0 -> a free port
	KeyName      string       // default "bindgate-key"
	Key          *bindkey.Key // nil -> a generated hmac-sha256 key of 32 random bytes
	NamedPath    string       // "" -> Find()
	User         string       // optional `-u user`; the dir is then chowned to that user
	Log          io.Writer    // named's own log (-g writes to stderr); nil -> Dir/named.log
	ExtraOptions string       // appended inside options { }
	StartTimeout time.Duration
}

// Named is a running (or stopped) private named.
type Named struct {
	Dir, ZoneDir, ConfPath, KeyPath, RNDCConfPath string
	DNSAddr, ControlAddr                          string
	Key                                           bindkey.Key

	opts    Options
	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	logFile *os.File
	tail    *tailBuffer
}

// Find returns the path of named: PATH first, then /usr/sbin, where Debian puts it.
func Find() (string, error) {
	if p, err := exec.LookPath("named"); err == nil {
		return p, nil
	}
	if st, err := os.Stat("/usr/sbin/named"); err == nil && !st.IsDir() {
		return "/usr/sbin/named", nil
	}
	return "", ErrNotFound
}

// Start writes the configuration and starts named, returning when it answers DNS and accepts
// control connections.
func Start(ctx context.Context, opts Options) (*Named, error) {
	if opts.NamedPath == "" {
		p, err := Find()
		if err != nil {
			return nil, err
		}
		opts.NamedPath = p
	}
	if opts.KeyName == "" {
		opts.KeyName = "bindgate-key"
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 15 * time.Second
	}
	if opts.Dir == "" {
		d, err := os.MkdirTemp("", "named-")
		if err != nil {
			return nil, err
		}
		opts.Dir = d
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	n := &Named{Dir: dir, ZoneDir: filepath.Join(dir, "zones"), opts: opts}
	if opts.Key != nil {
		n.Key = *opts.Key
	} else {
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, err
		}
		n.Key = bindkey.Key{Name: opts.KeyName, Algorithm: bindkey.HMACSHA256, Secret: secret}
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		if err := n.pickPorts(); err != nil {
			return nil, err
		}
		if err := n.writeFiles(); err != nil {
			return nil, err
		}
		if lastErr = n.start(ctx); lastErr == nil {
			return n, nil
		}
		// A free port can be taken between picking and binding; only the given ports are final.
		if opts.DNSPort != 0 && opts.ControlPort != 0 || !strings.Contains(lastErr.Error(), "address in use") {
			break
		}
	}
	return nil, lastErr
}

func (n *Named) pickPorts() error {
	dnsPort, ctlPort := n.opts.DNSPort, n.opts.ControlPort
	var err error
	if dnsPort == 0 {
		if dnsPort, err = freePort(true); err != nil {
			return err
		}
	}
	if ctlPort == 0 {
		if ctlPort, err = freePort(false); err != nil {
			return err
		}
	}
	n.DNSAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(dnsPort))
	n.ControlAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ctlPort))
	return nil
}

// freePort returns a port free on 127.0.0.1 for TCP (and UDP when both is set).
func freePort(both bool) (int, error) {
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !both {
			return p, nil
		}
		u, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err == nil {
			u.Close()
			return p, nil
		}
	}
	return 0, errors.New("no free port on 127.0.0.1")
}

func (n *Named) writeFiles() error {
	if err := os.MkdirAll(n.ZoneDir, 0o755); err != nil {
		return err
	}
	n.KeyPath = filepath.Join(n.Dir, "rndc.key")
	n.ConfPath = filepath.Join(n.Dir, "named.conf")
	n.RNDCConfPath = filepath.Join(n.Dir, "rndc.conf")
	keyText := fmt.Sprintf("key %q {\n\talgorithm %s;\n\tsecret %q;\n};\n", n.Key.Name, n.Key.Algorithm, n.Key.SecretBase64())
	_, ctlPort, _ := net.SplitHostPort(n.ControlAddr)
	_, dnsPort, _ := net.SplitHostPort(n.DNSAddr)
	conf := fmt.Sprintf(`include %q;
options {
	directory %q;
	pid-file %q;
	session-keyfile %q;
	listen-on port %s { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	allow-new-zones yes;
	// NOTIFY goes only to also-notify lists, which stay on loopback here.
	notify explicit;
	allow-transfer { 127.0.0.0/8; };
	%s
};
controls { inet 127.0.0.1 port %s allow { 127.0.0.1; } keys { %q; }; };
`, n.KeyPath, n.ZoneDir, filepath.Join(n.Dir, "named.pid"), filepath.Join(n.Dir, "session.key"),
		dnsPort, n.opts.ExtraOptions, ctlPort, n.Key.Name)
	rndcConf := fmt.Sprintf("include %q;\noptions { default-server 127.0.0.1; default-port %s; default-key %q; };\n",
		n.KeyPath, ctlPort, n.Key.Name)
	for _, f := range []struct {
		path, text string
		mode       os.FileMode
	}{{n.KeyPath, keyText, 0o640}, {n.ConfPath, conf, 0o644}, {n.RNDCConfPath, rndcConf, 0o640}} {
		if err := os.WriteFile(f.path, []byte(f.text), f.mode); err != nil {
			return err
		}
	}
	if n.opts.User != "" {
		return chownTree(n.Dir, n.opts.User)
	}
	return nil
}

func chownTree(dir, name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

func (n *Named) start(ctx context.Context) error {
	args := []string{"-g", "-c", n.ConfPath}
	if n.opts.User != "" {
		args = append(args, "-u", n.opts.User)
	}
	cmd := exec.Command(n.opts.NamedPath, args...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"} // CONTRACT A-5: PATH only
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	n.tail = &tailBuffer{max: 8 << 10}
	var out io.Writer = n.tail
	if n.opts.Log != nil {
		out = io.MultiWriter(n.tail, n.opts.Log)
	} else {
		f, err := os.OpenFile(filepath.Join(n.Dir, "named.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		n.logFile = f
		out = io.MultiWriter(n.tail, f)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", n.opts.NamedPath, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	n.mu.Lock()
	n.cmd, n.exited = cmd, exited
	n.mu.Unlock()

	deadline := time.Now().Add(n.opts.StartTimeout)
	for {
		select {
		case <-exited:
			return fmt.Errorf("named exited during start-up: %s", n.tail.lastLines(20))
		case <-ctx.Done():
			n.Stop()
			return ctx.Err()
		default:
		}
		if n.answers() {
			return nil
		}
		if time.Now().After(deadline) {
			n.Stop()
			return fmt.Errorf("named did not answer within %s: %s", n.opts.StartTimeout, n.tail.lastLines(20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// answers reports whether named accepts control connections and replies to a DNS query.
func (n *Named) answers() bool {
	c, err := net.DialTimeout("tcp", n.ControlAddr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	m := new(dns.Msg)
	m.SetQuestion("version.bind.", dns.TypeTXT)
	m.Question[0].Qclass = dns.ClassCHAOS
	cl := &dns.Client{Timeout: 300 * time.Millisecond}
	_, _, err = cl.Exchange(m, n.DNSAddr)
	return err == nil
}

// BindgateEnv is the environment a bindy pod would give bindgate, pointed at this named: the
// zone directory, the control channel and its key, and the RFC 2136 target. Callers add the
// authentication settings and the API port.
func (n *Named) BindgateEnv() map[string]string {
	_, dnsPort, _ := net.SplitHostPort(n.DNSAddr)
	return map[string]string{
		"BIND_ZONE_DIR":      n.ZoneDir,
		"BINDGATE_STATE_DIR": filepath.Join(n.Dir, "bindgate-state"),
		"BIND_API_ADDRESS":   "127.0.0.1",
		"RNDC_CONF":          n.RNDCConfPath,
		"RNDC_SERVER":        n.ControlAddr,
		"RNDC_ALGORITHM":     n.Key.Algorithm.String(),
		"RNDC_SECRET":        n.Key.SecretBase64(),
		"RNDC_KEY_NAME":      n.Key.Name,
		"NSUPDATE_SERVER":    "127.0.0.1",
		"NSUPDATE_PORT":      dnsPort,
	}
}

// PID returns the process id of the running named, or 0.
func (n *Named) PID() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil || n.cmd.Process == nil {
		return 0
	}
	return n.cmd.Process.Pid
}

// Alive reports whether the named process is running.
func (n *Named) Alive() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.exited == nil {
		return false
	}
	select {
	case <-n.exited:
		return false
	default:
		return true
	}
}

// Stop sends SIGTERM to named's PID, waits up to 10 s, then SIGKILLs it. It is idempotent.
func (n *Named) Stop() error {
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.cmd, n.exited = nil, nil
	n.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Signal(syscall.SIGCONT) // in case a test stopped it
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
	if n.logFile != nil {
		n.logFile.Close()
		n.logFile = nil
	}
	return nil
}

// Restart stops named and starts it again with the same files and ports.
func (n *Named) Restart(ctx context.Context) error {
	if err := n.Stop(); err != nil {
		return err
	}
	return n.start(ctx)
}

// LogTail returns the last lines named wrote.
func (n *Named) LogTail(lines int) string { return n.tail.lastLines(lines) }

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) lastLines(n int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := bytes.Split(bytes.TrimSpace(t.buf), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
