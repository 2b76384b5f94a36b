package zoneconf_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/namedproc"
	"github.com/bindgate/bindgate/internal/namedtest"
	"github.com/bindgate/bindgate/internal/rndc"
	"github.com/bindgate/bindgate/internal/zoneconf"
)

// TestShowzoneRoundTrip checks against named 9.18 (CONTRACT §20.3) that what Render emits, and
// what showzone prints back, parse and compare equal, so a PATCH that repeats the current
// values changes nothing, and a merged block is accepted by modzone.
func TestShowzoneRoundTrip(t *testing.T) {
	n := namedtest.Start(t, namedproc.Options{})
	key := n.Key
	c, err := rndc.New(rndc.Config{Addr: n.ControlAddr, Key: func() bindkey.Key { return key }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := t.Context()
	yes := true

	file := filepath.Join(n.ZoneDir, "rt.test.zone")
	zone := "$TTL 300\n@ IN SOA ns1.rt.test. admin.rt.test. 1 3600 600 604800 86400\n@ IN NS ns1.rt.test.\nns1 IN A 127.0.0.1\n"
	if err := os.WriteFile(file, []byte(zone), 0o644); err != nil {
		t.Fatal(err)
	}
	mustEP := func(l ...string) []zoneconf.Endpoint {
		e, err := zoneconf.ParseEndpoints("x", l)
		must(t, err)
		return e
	}
	mustACL := func(l ...string) []zoneconf.ACLEntry { e, err := zoneconf.ParseACL("x", l); must(t, err); return e }
	spec := zoneconf.Spec{Type: "primary", File: file, UpdateKey: key.Name,
		AlsoNotify:    mustEP("192.0.2.1", "192.0.2.2:5353", "[2001:db8::1]:5353"),
		AllowTransfer: mustACL("10.0.0.7", "10.1.0.0/16", "fd00::/64", "2001:db8::5"),
		DNSSECPolicy:  "default", InlineSigning: &yes}
	block, err := zoneconf.Render(spec)
	must(t, err)
	if _, err := c.Zone(ctx, "addzone", "rt.test", block); err != nil {
		t.Fatalf("addzone %s: %v", block, err)
	}
	out, err := c.Zone(ctx, "showzone", "rt.test")
	must(t, err)
	t.Logf("rendered: %s\nshowzone: %s", block, out.Text)
	z, err := zoneconf.ParseShowzone(out.Text)
	must(t, err)
	if z.Name != "rt.test" || z.Type() != "primary" {
		t.Fatalf("parsed %+v", z)
	}

	// Repeating every current value is not a change.
	_, changed, err := zoneconf.Merge(z, zoneconf.Modification{AlsoNotify: &spec.AlsoNotify, AllowTransfer: &spec.AllowTransfer,
		DNSSECPolicy: &spec.DNSSECPolicy, InlineSigning: &yes})
	must(t, err)
	if changed {
		t.Errorf("repeating the current values counted as a change; showzone = %s", out.Text)
	}

	// A real change is accepted by modzone and keeps the key grant.
	newNotify := mustEP("192.0.2.9:53")
	merged, changed, err := zoneconf.Merge(z, zoneconf.Modification{AlsoNotify: &newNotify, AllowUpdate: &[]zoneconf.ACLEntry{}})
	must(t, err)
	if !changed {
		t.Fatal("a change was not detected")
	}
	if _, err := c.Zone(ctx, "modzone", "rt.test", merged); err != nil {
		t.Fatalf("modzone %s: %v", merged, err)
	}
	out2, err := c.Zone(ctx, "showzone", "rt.test")
	must(t, err)
	z2, err := zoneconf.ParseShowzone(out2.Text)
	must(t, err)
	if _, changed, _ := zoneconf.Merge(z2, zoneconf.Modification{AlsoNotify: &newNotify}); changed {
		t.Errorf("after modzone the value did not stick: %s", out2.Text)
	}
	t.Logf("after modzone: %s", out2.Text)

	// A secondary with ports in primaries.
	sb, err := zoneconf.Render(zoneconf.Spec{Type: "secondary", Primaries: mustEP("127.0.0.1:5353", "[::1]:5353")})
	must(t, err)
	if _, err := c.Zone(ctx, "addzone", "sec.test", sb); err != nil {
		t.Fatal(err)
	}
	out3, err := c.Zone(ctx, "showzone", "sec.test")
	must(t, err)
	t.Logf("secondary showzone: %s", out3.Text)
	z3, err := zoneconf.ParseShowzone(out3.Text)
	must(t, err)
	p := mustEP("127.0.0.1:5353", "[::1]:5353")
	if _, changed, err := zoneconf.Merge(z3, zoneconf.Modification{Primaries: &p}); err != nil || changed {
		t.Errorf("secondary primaries round trip: changed=%v err=%v", changed, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
