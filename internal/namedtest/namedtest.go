package namedtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/logbuf"
	"github.com/bindgate/bindgate/internal/namedproc"
)

// queryTimeout bounds one Query, UDP and TCP fallback together.
const queryTimeout = 2 * time.Second

// Require returns named's path. Without one it fails the test when CI=true and skips it,
// with the install command, otherwise.
func Require(t testing.TB) string {
	t.Helper()
	p, err := namedproc.Find()
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and %v", err)
	}
	t.Skipf("skipping: %v", err)
	return ""
}

// Start starts a named for the test and stops it in t.Cleanup. opts.Dir defaults to
// t.TempDir(); with opts.User set, the directories above it are made traversable for that
// user. named's log goes to a buffer (and to opts.Log, if set) that is logged when the test
// has failed.
func Start(t testing.TB, opts namedproc.Options) *namedproc.Named {
	t.Helper()
	if opts.NamedPath == "" {
		opts.NamedPath = Require(t)
	}
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	if opts.User != "" {
		if err := traversable(opts.Dir); err != nil {
			t.Fatalf("named -u %s: %v", opts.User, err)
		}
	}
	if opts.StartTimeout == 0 {
		// A loaded machine (the whole suite runs in parallel under -race) can take well over
		// namedproc's 15 s default to start named; a slow start is not what tests test.
		opts.StartTimeout = time.Minute
	}
	buf := &syncBuffer{}
	if opts.Log != nil {
		opts.Log = io.MultiWriter(buf, opts.Log)
	} else {
		opts.Log = buf
	}
	n, err := namedproc.Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("start named in %s: %v", opts.Dir, err)
	}
	t.Cleanup(func() {
		if err := n.Stop(); err != nil {
			t.Errorf("stop named: %v", err)
		}
		if t.Failed() {
			t.Logf("named log (%s, DNS %s, control %s):\n%s", n.Dir, n.DNSAddr, n.ControlAddr, buf)
		}
	})
	return n
}

// traversable adds search (x) permission for others to the directories above dir, up to the
// system temporary directory, so that named can reach dir after -u drops root. It refuses
// when a directory at or above the temporary directory is not searchable.
func traversable(dir string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	top := filepath.Clean(os.TempDir())
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return err
		}
		if st.Mode().Perm()&0o001 == 0 {
			if d == top || !strings.HasPrefix(d, top+string(filepath.Separator)) {
				return fmt.Errorf("%s is not searchable by other users; use a Dir elsewhere", d)
			}
			if err := os.Chmod(d, st.Mode().Perm()|0o011); err != nil {
				return err
			}
		}
		if d == top || d == filepath.Dir(d) {
			return nil
		}
	}
}

// WipeNZD removes ZoneDir/_default.nzd* (the LMDB database of zones added with addzone; a
// build without LMDB keeps _default.nzf instead), as losing an ephemeral volume would. named
// must be stopped. Finding no such file fails the test, since it would then prove nothing.
func WipeNZD(t testing.TB, n *namedproc.Named) {
	t.Helper()
	if n.Alive() {
		t.Fatal("WipeNZD: named is running; Stop it first")
	}
	var files []string
	for _, pattern := range []string{"_default.nzd*", "_default.nzf*"} {
		m, err := filepath.Glob(filepath.Join(n.ZoneDir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatalf("WipeNZD: no _default.nzd in %s; named's layout changed", n.ZoneDir)
	}
	for _, f := range files {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
}

// Query asks addr, which must be a loopback address, one question over UDP, falling back to
// TCP when the reply is truncated; both together are bounded by 2 s. An error fails the test;
// any reply, whatever its rcode, is returned.
func Query(t testing.TB, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().IsLoopback() {
		t.Fatalf("Query: %q is not a loopback address:port", addr)
	}
	ctx, cancel := context.WithTimeout(t.Context(), queryTimeout)
	defer cancel()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	in, _, err := (&dns.Client{Net: "udp"}).ExchangeContext(ctx, m, addr)
	if err == nil && in.Truncated {
		in, _, err = (&dns.Client{Net: "tcp"}).ExchangeContext(ctx, m, addr)
	}
	if err != nil {
		t.Fatalf("query %s %s at %s: %v", name, dns.TypeToString[qtype], addr, err)
	}
	return in
}

// SOASerial returns the zone's SOA serial when addr answers the zone's SOA authoritatively
// (NOERROR with the AA bit); otherwise ok is false.
func SOASerial(t testing.TB, addr, zone string) (serial uint32, ok bool) {
	t.Helper()
	in := Query(t, addr, zone, dns.TypeSOA)
	if in.Rcode != dns.RcodeSuccess || !in.Authoritative {
		return 0, false
	}
	for _, rr := range in.Answer {
		if soa, isSOA := rr.(*dns.SOA); isSOA && strings.EqualFold(soa.Hdr.Name, dns.Fqdn(zone)) {
			return soa.Serial, true
		}
	}
	return 0, false
}

// syncBuffer takes named's log while the test goroutine reads it.
type syncBuffer = logbuf.Buffer

// ReadOnly makes dir refuse writes until the test ends, for tests of a read-only state or
// zone directory. Not root: chmod 0500. Root ignores modes, so a read-only bind mount of dir on
// itself is used (the mount is crossed by every path lookup, also those relative to an
// *os.Root opened earlier); where mounting is not permitted the test is skipped.
func ReadOnly(t testing.TB, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
		return
	}
	if out, err := exec.Command("mount", "--bind", dir, dir).CombinedOutput(); err != nil {
		t.Skipf("running as root and a bind mount is not permitted (%v: %s); cannot make %s read-only", err, out, dir)
	}
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
	if out, err := exec.Command("mount", "-o", "remount,bind,ro", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot remount %s read-only (%v: %s)", dir, err, out)
	}
}
