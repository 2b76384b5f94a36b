package dnsclient

// Integration tests against a real named (BIND 9.18 in CI) started on loopback by
// internal/namedtest: skipped without named, failing under CI=true so that CI cannot pass by
// skipping them.

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/namedproc"
	"github.com/bindgate/bindgate/internal/namedtest"
	"github.com/bindgate/bindgate/internal/rndc"
)

// namedZone is a minimal zone with relative names only, so any origin can load it.
const namedZone = "$TTL 300\n@ IN SOA ns1 admin 1 3600 600 604800 86400\n@ IN NS ns1\nns1 IN A 127.0.0.1\n"

// startNamedZones starts named and adds dyn.test (updatable with named's key) and static.test
// (no allow-update) with rndc addzone. It returns named and a DNS client for it.
func startNamedZones(t *testing.T) (*namedproc.Named, *Client) {
	t.Helper()
	n := namedtest.Start(t, namedproc.Options{})
	key := n.Key
	rc, err := rndc.New(rndc.Config{Addr: n.ControlAddr, Key: func() bindkey.Key { return key }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rc.Close() })
	c := newNamedClient(t, n, key)
	for zone, extra := range map[string]string{
		"dyn.test":    fmt.Sprintf("allow-update { key %q; };", key.Name),
		"static.test": "",
	} {
		path := filepath.Join(n.ZoneDir, zone+".db")
		if err := os.WriteFile(path, []byte(namedZone), 0o644); err != nil {
			t.Fatal(err)
		}
		block := fmt.Sprintf("{ type primary; file %q; %s };", path, extra)
		if _, err := rc.Zone(t.Context(), "addzone", zone, block); err != nil {
			t.Fatalf("addzone %s %s: %v", zone, block, err)
		}
		// addzone returns before the zone is loaded: wait (bounded) for its SOA.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			_, err := c.Serial(t.Context(), zone)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("zone %s not served after 10 s: %v", zone, err)
			}
		}
	}
	return n, c
}

func newNamedClient(t *testing.T, n *namedproc.Named, key bindkey.Key) *Client {
	t.Helper()
	c, err := New(Config{Addr: n.DNSAddr, Key: func() bindkey.Key { return key }, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func mustRR(t *testing.T, s string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	return rr
}

func TestAgainstNamed(t *testing.T) {
	n, c := startNamedZones(t)
	ctx := t.Context()
	www := mustRR(t, "www.dyn.test. 300 IN A 192.0.2.10")

	serial0, err := c.Serial(ctx, "dyn.test")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("update adds a record", func(t *testing.T) {
		m := new(dns.Msg)
		m.SetUpdate("dyn.test.")
		m.Insert([]dns.RR{www})
		if err := c.Update(ctx, m); err != nil {
			t.Fatalf("Update: %v", err)
		}
		got, err := c.Query(ctx, "www.dyn.test", dns.TypeA)
		if err != nil || len(got) != 1 || got[0].(*dns.A).A.String() != "192.0.2.10" {
			t.Fatalf("Query = %v, %v; want the added A record", got, err)
		}
		serial, err := c.Serial(ctx, "dyn.test.")
		if err != nil || serial <= serial0 {
			t.Fatalf("Serial = %d, %v; want more than %d", serial, err, serial0)
		}
		if got, err := c.Query(ctx, "nope.dyn.test", dns.TypeA); got != nil || err != nil {
			t.Errorf("Query of a missing name = %v, %v; want nil, nil (NXDOMAIN)", got, err)
		}
	})

	t.Run("failed prerequisite changes nothing", func(t *testing.T) {
		before, err := c.Serial(ctx, "dyn.test")
		if err != nil {
			t.Fatal(err)
		}
		m := new(dns.Msg)
		m.SetUpdate("dyn.test.")
		m.RRsetUsed([]dns.RR{mustRR(t, "absent.dyn.test. 0 IN TXT \"x\"")}) // RRset exists: it does not
		m.Insert([]dns.RR{mustRR(t, "new.dyn.test. 300 IN A 192.0.2.11")})
		err = c.Update(ctx, m)
		if !errors.Is(err, ErrPrereq) {
			t.Fatalf("Update: %v, want ErrPrereq", err)
		}
		if rc, _ := rcodeOf(err); rc != dns.RcodeNXRrset {
			t.Errorf("rcode %s, want NXRRSET", rcodeName(rc))
		}
		after, err := c.Serial(ctx, "dyn.test")
		if err != nil || after != before {
			t.Errorf("Serial %d -> %d (%v): the zone changed", before, after, err)
		}
		if got, err := c.Query(ctx, "new.dyn.test", dns.TypeA); got != nil || err != nil {
			t.Errorf("Query new.dyn.test = %v, %v: the update was applied", got, err)
		}
	})

	t.Run("zone named does not serve", func(t *testing.T) {
		m := new(dns.Msg)
		m.SetUpdate("unserved.test.")
		m.Insert([]dns.RR{mustRR(t, "www.unserved.test. 300 IN A 192.0.2.12")})
		err := c.Update(ctx, m)
		rc, _ := rcodeOf(err)
		t.Logf("named answered an update for an unserved zone with %s: %v", rcodeName(rc), err)
		// BIND 9.18 answers NOTAUTH, signed (ns/update.c: "not authoritative for update
		// zone"), so this also proves the NOTAUTH verification in tsig.go.
		if !errors.Is(err, ErrNotAuth) || rc != dns.RcodeNotAuth {
			t.Errorf("Update: %v, want ErrNotAuth (NOTAUTH)", err)
		}
		if _, err := c.Serial(ctx, "unserved.test"); !errors.Is(err, ErrNotZone) {
			t.Errorf("Serial of an unserved zone: %v, want ErrNotZone", err)
		}
	})

	t.Run("zone without allow-update", func(t *testing.T) {
		m := new(dns.Msg)
		m.SetUpdate("static.test.")
		m.Insert([]dns.RR{mustRR(t, "www.static.test. 300 IN A 192.0.2.13")})
		err := c.Update(ctx, m)
		rc, _ := rcodeOf(err)
		t.Logf("named answered an update without allow-update with %s: %v", rcodeName(rc), err)
		if !errors.Is(err, ErrRefused) || rc != dns.RcodeRefused {
			t.Errorf("Update: %v, want ErrRefused (REFUSED)", err)
		}
	})

	t.Run("wrong secret", func(t *testing.T) {
		bad := n.Key
		bad.Secret = make([]byte, 32)
		_, _ = rand.Read(bad.Secret)
		cb := newNamedClient(t, n, bad)
		m := new(dns.Msg)
		m.SetUpdate("dyn.test.")
		m.Insert([]dns.RR{mustRR(t, "evil.dyn.test. 300 IN A 192.0.2.14")})
		err := cb.Update(ctx, m)
		t.Logf("named answered an update with a wrong secret: %v", err)
		if !errors.Is(err, ErrTSIG) {
			t.Fatalf("Update: %v, want ErrTSIG", err)
		}
		for _, secret := range []string{bad.SecretBase64(), n.Key.SecretBase64()} {
			if strings.Contains(fmtAll(err), secret) {
				t.Errorf("error text holds a secret: %v", err)
			}
		}
		if _, err := cb.Transfer(ctx, "dyn.test"); !errors.Is(err, ErrTSIG) {
			t.Errorf("Transfer with a wrong secret: %v, want ErrTSIG", err)
		}
	})

	t.Run("transfer", func(t *testing.T) {
		rrs, err := c.Transfer(ctx, "dyn.test")
		if err != nil {
			t.Fatalf("Transfer: %v", err)
		}
		if len(rrs) == 0 || rrs[0].Header().Rrtype != dns.TypeSOA {
			t.Fatalf("Transfer did not start with the SOA: %v", rrs)
		}
		found := false
		for _, rr := range rrs[1:] {
			if rr.Header().Rrtype == dns.TypeSOA {
				t.Errorf("a second SOA in the transfer: %v", rr)
			}
			found = found || dns.IsDuplicate(rr, www)
		}
		if !found {
			t.Errorf("Transfer lacks %v: %v", www, rrs)
		}
		// A zone large enough for several AXFR messages: every one must verify (RFC 8945
		// §5.3.1; miekg checks the later ones with the timers-only digest).
		long := strings.Repeat("x", 200)
		for batch := range 4 {
			m := new(dns.Msg)
			m.SetUpdate("dyn.test.")
			for i := range 200 {
				m.Insert([]dns.RR{mustRR(t, fmt.Sprintf("big%d-%d.dyn.test. 300 IN TXT %q", batch, i, long))})
			}
			if err := c.Update(ctx, m); err != nil {
				t.Fatalf("Update batch %d: %v", batch, err)
			}
		}
		rrs, err = c.Transfer(ctx, "dyn.test")
		if err != nil {
			t.Fatalf("Transfer of the large zone: %v", err)
		}
		if want := 3 + 1 + 800; len(rrs) != want { // SOA, NS, ns1 A, www A, 800 TXT
			t.Errorf("large zone: %d RRs, want %d", len(rrs), want)
		}
		if _, err := c.Transfer(ctx, "unserved.test."); err == nil {
			t.Error("Transfer of an unserved zone succeeded")
		} else {
			t.Logf("AXFR of an unserved zone: %v", err)
		}
	})
}

// Serial over UDP (Config.UDP) gets from named what it gets over TCP, zone served or not, and
// dials no TCP connection for it.
func TestNamedSerialOverUDP(t *testing.T) {
	t.Parallel()
	n, tcp := startNamedZones(t)
	key := n.Key
	udp, err := New(Config{Addr: n.DNSAddr, Key: func() bindkey.Key { return key }, Timeout: 5 * time.Second, UDP: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = udp.Close() })
	for _, zone := range []string{"dyn.test", "static.test", "unserved.test"} {
		want, wantErr := tcp.Serial(t.Context(), zone)
		got, err := udp.Serial(t.Context(), zone)
		if got != want || (err == nil) != (wantErr == nil) {
			t.Errorf("%s: over UDP %d, %v; over TCP %d, %v", zone, got, err, want, wantErr)
		}
		if wantErr != nil && !errors.Is(err, ErrNotZone) {
			t.Errorf("%s: over UDP %v, want ErrNotZone", zone, err)
		}
	}
	if d := udp.dials.Load(); d != 0 {
		t.Errorf("dialled %d TCP connections", d)
	}
}
