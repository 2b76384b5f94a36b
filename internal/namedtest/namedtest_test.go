package namedtest

import (
	"errors"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/namedproc"
)

// alive asks a zone named does not serve: any reply (REFUSED, NOTAUTH) shows it is up.
func alive(t *testing.T, n *namedproc.Named) {
	t.Helper()
	in := Query(t, n.DNSAddr, "made-up-zone.invalid", dns.TypeSOA)
	if in.Rcode != dns.RcodeRefused && in.Rcode != dns.RcodeNotAuth {
		t.Errorf("%s: rcode %s for a zone it does not serve", n.DNSAddr, dns.RcodeToString[in.Rcode])
	}
}

// gone reports whether pid no longer exists (Stop reaps the child, so not even a zombie stays).
func gone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

func TestTwoConcurrent(t *testing.T) {
	t.Parallel()
	path := Require(t)
	var (
		wg     sync.WaitGroup
		nameds [2]*namedproc.Named
		errs   [2]error
		took   [2]time.Duration
	)
	for i := range nameds {
		dir := t.TempDir()
		wg.Go(func() {
			start := time.Now()
			nameds[i], errs[i] = namedproc.Start(t.Context(), namedproc.Options{Dir: dir, NamedPath: path})
			took[i] = time.Since(start)
		})
	}
	wg.Wait()
	for i, n := range nameds {
		if n != nil {
			t.Cleanup(func() { n.Stop() })
		}
		if errs[i] != nil {
			t.Fatalf("named %d: %v", i, errs[i])
		}
	}
	t.Logf("start-up took %v and %v", took[0], took[1])
	a, b := nameds[0], nameds[1]
	ports := map[string]bool{a.DNSAddr: true, a.ControlAddr: true, b.DNSAddr: true, b.ControlAddr: true}
	if len(ports) != 4 {
		t.Fatalf("ports shared: %s %s %s %s", a.DNSAddr, a.ControlAddr, b.DNSAddr, b.ControlAddr)
	}
	for _, n := range nameds {
		alive(t, n)
		if !n.Alive() || n.PID() == 0 {
			t.Errorf("Alive() = %v, PID() = %d", n.Alive(), n.PID())
		}
	}

	pid := a.PID()
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	if !gone(pid) {
		t.Errorf("pid %d still exists after Stop", pid)
	}
	if a.Alive() || a.PID() != 0 {
		t.Errorf("after Stop: Alive() = %v, PID() = %d", a.Alive(), a.PID())
	}
	if err := a.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	alive(t, b) // stopping one leaves the other alone
}

func TestFiles(t *testing.T) {
	t.Parallel()
	n := Start(t, namedproc.Options{KeyName: "test-key"})
	rndcConf, err := os.ReadFile(n.RNDCConfPath)
	if err != nil {
		t.Fatal(err)
	}
	_, ctlPort, _ := net.SplitHostPort(n.ControlAddr)
	for _, want := range []string{`include "` + n.KeyPath + `";`, "default-server 127.0.0.1;", "default-port " + ctlPort + ";", `default-key "test-key";`} {
		if !strings.Contains(string(rndcConf), want) {
			t.Errorf("rndc.conf lacks %q:\n%s", want, rndcConf)
		}
	}
	key, err := os.ReadFile(n.KeyPath)
	if err != nil {
		t.Fatal(err)
	}
	if want := `key "test-key" {`; !strings.Contains(string(key), want) || !strings.Contains(string(key), n.Key.SecretBase64()) {
		t.Errorf("rndc.key lacks %q or the secret", want)
	}
	for _, p := range []string{n.KeyPath, n.RNDCConfPath} {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: mode %v, %v; want no group or other access", p, st.Mode(), err)
		}
	}
	if n.ZoneDir != filepath.Join(n.Dir, "zones") || n.Key.Name != "test-key" || len(n.Key.Secret) != 32 {
		t.Errorf("ZoneDir %s, key %v", n.ZoneDir, n.Key)
	}
}

func TestRestartAndWipeNZD(t *testing.T) {
	t.Parallel()
	n := Start(t, namedproc.Options{})
	pid, dnsAddr, ctlAddr := n.PID(), n.DNSAddr, n.ControlAddr
	if err := n.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n.DNSAddr != dnsAddr || n.ControlAddr != ctlAddr {
		t.Errorf("Restart moved ports: %s %s -> %s %s", dnsAddr, ctlAddr, n.DNSAddr, n.ControlAddr)
	}
	if n.PID() == pid || !gone(pid) {
		t.Errorf("Restart: pid %d -> %d, old one gone: %v", pid, n.PID(), gone(pid))
	}
	alive(t, n)

	nzd := filepath.Join(n.ZoneDir, "_default.nzd")
	if _, err := os.Stat(nzd); err != nil {
		t.Fatalf("named made no NZD: %v", err)
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	WipeNZD(t, n)
	if _, err := os.Stat(nzd); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after WipeNZD: %v", err)
	}
	if err := n.Restart(t.Context()); err != nil { // a stopped Named starts again
		t.Fatal(err)
	}
	alive(t, n)
}

// TestFixedPortTaken: named keeps running without a control channel when its port is taken;
// Start must fail instead of probing whoever holds the port.
func TestFixedPortTaken(t *testing.T) {
	t.Parallel()
	path := Require(t)
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = namedproc.Start(t.Context(), namedproc.Options{
		Dir: t.TempDir(), NamedPath: path, ControlPort: l.Addr().(*net.TCPAddr).Port, Log: &syncBuffer{},
	})
	if err == nil || !strings.Contains(err.Error(), "address in use") {
		t.Errorf("Start with a taken control port: %v", err)
	}
}

// TestUser runs named with -u bind as root, as the package bind9 sets it up.
func TestUser(t *testing.T) {
	t.Parallel()
	Require(t)
	u, err := user.Lookup("bind")
	if os.Geteuid() != 0 || err != nil {
		t.Skip("needs root and a bind user")
	}
	n := Start(t, namedproc.Options{User: "bind"})
	alive(t, n)
	status, err := os.ReadFile("/proc/" + strconv.Itoa(n.PID()) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "Uid:" && f[1] != u.Uid {
			t.Errorf("named runs as uid %s, want bind (%s)", f[1], u.Uid)
		}
	}
	if err := n.Restart(t.Context()); err != nil { // files stay readable after the drop
		t.Fatal(err)
	}
	alive(t, n)
}

func TestStartError(t *testing.T) {
	t.Parallel()
	path := Require(t)
	_, err := namedproc.Start(t.Context(), namedproc.Options{
		Dir: t.TempDir(), NamedPath: path, ExtraOptions: "no-such-option yes;", Log: &syncBuffer{},
	})
	if err == nil || !strings.Contains(err.Error(), "no-such-option") {
		t.Errorf("Start with a bad option: %v", err)
	}
}

func TestSOASerial(t *testing.T) {
	t.Parallel()
	n := Start(t, namedproc.Options{})
	if serial, ok := SOASerial(t, n.DNSAddr, "made-up-zone.invalid"); ok {
		t.Errorf("SOASerial for an unserved zone = %d, true", serial)
	}
}
