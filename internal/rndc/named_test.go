package rndc_test

// A real named on loopback for this package's tests, started by internal/namedtest with one
// control key per SHA-2 algorithm.

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/namedproc"
	"github.com/bindgate/bindgate/internal/namedtest"
	"github.com/bindgate/bindgate/internal/rndc"
)

// realNamed is a named started by namedtest, with one control key per SHA-2 algorithm.
type realNamed struct {
	t       *testing.T
	named   *namedproc.Named
	zoneDir string
	ctlAddr string
	logPath string
	keys    map[bindkey.Algorithm]bindkey.Key
	key     bindkey.Key // the hmac-sha256 key, namedproc's own
}

// startNamed starts named with extraOptions inside options { }.
func startNamed(t *testing.T, extraOptions string) *realNamed {
	t.Helper()
	n := &realNamed{t: t, keys: map[bindkey.Algorithm]bindkey.Key{}}
	var more []bindkey.Key
	for _, alg := range []bindkey.Algorithm{bindkey.HMACSHA224, bindkey.HMACSHA256, bindkey.HMACSHA384, bindkey.HMACSHA512} {
		k := bindkey.Key{Name: "bindgate-" + strings.TrimPrefix(alg.String(), "hmac-"), Algorithm: alg, Secret: make([]byte, 32)}
		_, _ = rand.Read(k.Secret)
		n.keys[alg] = k
		if alg != bindkey.HMACSHA256 {
			more = append(more, k)
		}
	}
	n.key = n.keys[bindkey.HMACSHA256]
	// named's log also goes to a file, which waitLog reads while named runs.
	n.logPath = filepath.Join(t.TempDir(), "named.log")
	logf, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	n.named = namedtest.Start(t, namedproc.Options{Key: &n.key, ControlKeys: more, ExtraOptions: extraOptions, Log: logf})
	n.zoneDir, n.ctlAddr = n.named.ZoneDir, n.named.ControlAddr
	return n
}

// waitLog waits up to 5 s for named's log to contain s.
func (n *realNamed) waitLog(t *testing.T, s string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(n.logPath)
		if i := strings.LastIndex(string(b), s); i >= 0 {
			line := string(b[strings.LastIndex(string(b[:i]), "\n")+1:])
			line, _, _ = strings.Cut(line, "\n")
			t.Logf("named logged: %s", line)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("named did not log %q", s)
		}
	}
}

// stop ends named; namedtest's cleanup then finds it stopped.
func (n *realNamed) stop() {
	if err := n.named.Stop(); err != nil {
		n.t.Errorf("stop named: %v", err)
	}
}

// restart stops named and starts it again on the same ports and files.
func (n *realNamed) restart() {
	n.t.Helper()
	if err := n.named.Restart(n.t.Context()); err != nil {
		n.t.Fatalf("restart named: %v", err)
	}
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
