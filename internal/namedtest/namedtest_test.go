package namedtest

import (
	"context"
	"os"
	"syscall"
	"testing"

	"github.com/bindgate/bindgate/internal/namedproc"
	"github.com/miekg/dns"
)

func TestStartStopRestart(t *testing.T) {
	a := Start(t, namedproc.Options{})
	b := Start(t, namedproc.Options{})
	if a.DNSAddr == b.DNSAddr || a.ControlAddr == b.ControlAddr {
		t.Fatal("two nameds share a port")
	}
	for _, n := range []*namedproc.Named{a, b} {
		if in := Query(t, n.DNSAddr, "nothing.invalid", dns.TypeSOA); in.Rcode == dns.RcodeSuccess && len(in.Answer) > 0 {
			t.Fatalf("unexpected answer %v", in)
		}
	}
	if _, err := os.Stat(a.RNDCConfPath); err != nil {
		t.Fatal(err)
	}
	pid, addr := a.PID(), a.DNSAddr
	if err := a.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a.PID() == pid || a.DNSAddr != addr {
		t.Fatalf("restart: pid %d -> %d, addr %s -> %s", pid, a.PID(), addr, a.DNSAddr)
	}
	pid = a.PID()
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Fatalf("named pid %d still alive after Stop", pid)
	}
	if err := a.Stop(); err != nil {
		t.Fatal("Stop is not idempotent")
	}
}
