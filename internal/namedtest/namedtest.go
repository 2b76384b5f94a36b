// Package namedtest is the test harness for real named: start one on loopback in t.TempDir()
// on free ports, stop it by PID in t.Cleanup, and ask it DNS questions. A test that needs named
// and cannot find it fails under CI=true and skips (with the install command) elsewhere.
package namedtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/namedproc"
)

// Require returns named's path, or fails (CI=true) or skips the test.
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

// Start starts a named for the test; it is stopped in t.Cleanup. named's log is shown when
// the test fails.
func Start(t testing.TB, opts namedproc.Options) *namedproc.Named {
	t.Helper()
	Require(t)
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := namedproc.Start(ctx, opts)
	if err != nil {
		t.Fatalf("start named: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("named log (last lines):\n%s", n.LogTail(40))
		}
		if err := n.Stop(); err != nil {
			t.Errorf("stop named: %v", err)
		}
	})
	return n
}

// WipeNZD removes named's database of added zones, as losing an ephemeral volume would.
// named must be stopped.
func WipeNZD(t testing.TB, n *namedproc.Named) {
	t.Helper()
	if n.Alive() {
		t.Fatal("WipeNZD: named is running")
	}
	matches, _ := filepath.Glob(filepath.Join(n.ZoneDir, "*.nzd*"))
	more, _ := filepath.Glob(filepath.Join(n.ZoneDir, "*.nzf*"))
	for _, m := range append(matches, more...) {
		if err := os.Remove(m); err != nil {
			t.Fatal(err)
		}
	}
	if len(matches)+len(more) == 0 {
		t.Fatal("WipeNZD: no NZD file found; named's layout changed and the test would prove nothing")
	}
}

// Query sends one question over UDP (TCP on truncation) with a 2 s bound.
func Query(t testing.TB, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	c := &dns.Client{Timeout: 2 * time.Second}
	in, _, err := c.Exchange(m, addr)
	if err == nil && in.Truncated {
		c.Net = "tcp"
		in, _, err = c.Exchange(m, addr)
	}
	if err != nil {
		t.Fatalf("query %s %s at %s: %v", name, dns.TypeToString[qtype], addr, err)
	}
	return in
}

// SOASerial returns the zone's SOA serial when the server answers it authoritatively.
func SOASerial(t testing.TB, addr, zone string) (uint32, bool) {
	t.Helper()
	in := Query(t, addr, zone, dns.TypeSOA)
	if in.Rcode != dns.RcodeSuccess || !in.Authoritative {
		return 0, false
	}
	for _, rr := range in.Answer {
		if soa, ok := rr.(*dns.SOA); ok {
			return soa.Serial, true
		}
	}
	return 0, false
}
