package rndc_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/rndc"
)

// TestRealNamed runs the client against named 9.18 (started by internal/namedtest, see
// named_test.go). What named 9.18.49-1~deb12u3 returned, as logged by this test (result
// number, `err`, `text`; "-" for none):
//
//	status                          0   -                   "version: BIND 9.18.49-1~deb12u3-Debian (Extended Support Version) <id:>\n…server is up and running…"
//	zonestatus/delzone/reload <unknown>
//	                                23  "not found"         "no matching zone 'rndc.test' in any view"
//	modzone <unknown>               23  "not found"         -
//	addzone                         0   -                   -
//	addzone <existing>              18  "already exists"    -
//	zonestatus                      0   -                   "name: rndc.test\ntype: primary\nfiles: …\nserial: 1\nnodes: 2\nlast loaded: …\nsecure: no\n…reconfigurable via modzone: yes"
//	showzone                        0   -                   `zone "rndc.test" { type primary; file "…"; allow-update { key "bindgate-sha256"; }; };`
//	reload <allow-update zone>      171 "dynamic zone"      -
//	freeze                          0   -                   -
//	freeze <frozen>                 154 "already frozen"    "WARNING: The zone was already frozen.\nSomeone else may be editing it or it may still be re-loading."
//	thaw                            0   -                   "The zone reload and thaw was successful." or, when the
//	                                                        reload runs on after the answer, "A zone reload and thaw was
//	                                                        started.\nCheck the logs to see the result."
//	thaw <not frozen>               0   -                   -
//	notify                          0   -                   "zone notify queued"
//	retransfer <primary>            25  "failure"           "retransfer: inappropriate zone type: primary"
//	sync                            0   -                   -
//	dnssec -status <no policy>      0   -                   "Zone does not have dnssec-policy"
//	modzone                         0   -                   "zone 'rndc.test' reconfigured."
//	showzone after modzone          0   -                   `… allow-transfer  { key "bindgate-sha256"; }; allow-update { … }; };` (two spaces)
//	freeze <static primary>         181 "not dynamic"       -
//	reload <static primary>         0   -                   "zone reload up-to-date" (or "zone reload queued")
//	zonestatus <secondary, no data> 123 "zone not loaded"   -
//	freeze <secondary>              178 "not primary"       -
//	addzone <unparsable zone file>  80  "unknown class/type" "dns_zone_loadnew failed: unknown class/type"   (§8 says "failure")
//	addzone <missing dnssec-policy> 23  "not found"         "configure_zone failed: not found"
//	addzone (no arguments)          32  "unexpected token"  -                                                (§8 says "unexpected end of input" 24)
//	zonestatus (no arguments)       24  "unexpected end of input" -
//	frobnicate x                    172 "unknown command"   -
//	delzone <primary>               0   -                   -
//	delzone <secondary>             0   -                   "zone 'sec.test' will be deleted."
//	addzone without allow-new-zones 6   "permission denied" "Not allowing new zones in view '_default'"
//	wrong secret or algorithm byte  connection closed without a reply; named logs
//	                                "invalid command from 127.0.0.1#<port>: bad auth"
//
// Connections: 30 sequential commands used 1 connection, two rounds of 20 concurrent callers
// at most 20; named keeps one nonce per connection and keeps the connection open after error
// results. A restart closes the pooled connections; the next command retries once on a fresh
// connection and succeeds. A burst of 20-30 new connections at once sometimes waits ~1 s
// for some of them (SYN retransmission: named's control listener has a small backlog), one
// more reason to reuse connections.
func TestRealNamed(t *testing.T) {
	t.Parallel()
	n := startNamed(t, "allow-new-zones yes;")
	c := n.client(n.key, nil)
	ctx := t.Context()

	t.Run("status with every algorithm", func(t *testing.T) {
		for alg, k := range n.keys {
			resp, err := n.client(k, nil).Do(ctx, "status")
			if err != nil || !strings.Contains(resp.Text, "server is up and running") {
				t.Fatalf("%s: %s", alg, outcome(resp, err))
			}
		}
		resp, _ := c.Do(ctx, "status")
		t.Logf("status: %s", outcome(resp, nil))
	})

	t.Run("reused connections", func(t *testing.T) {
		p := startProxy(t, n.ctlAddr)
		pc := n.client(n.key, func(cfg *rndc.Config) { cfg.Addr = p.addr(); cfg.MaxIdle = 20 })
		for i := range 30 {
			if resp, err := pc.Do(ctx, "status"); err != nil {
				t.Fatalf("sequential %d: %s", i, outcome(resp, err))
			}
		}
		if a := p.accepted.Load(); a != 1 {
			t.Fatalf("30 sequential commands used %d connections, want 1", a)
		}
		concurrent := func() {
			var wg sync.WaitGroup
			for range 20 {
				wg.Go(func() {
					if resp, err := pc.Do(ctx, "status"); err != nil {
						t.Errorf("concurrent: %s", outcome(resp, err))
					}
				})
			}
			wg.Wait()
		}
		// With 20 callers and room for 20 idle connections, a connection is only dialled while
		// all the others are busy: never more than 20, however often the callers come back.
		concurrent()
		concurrent()
		a := p.accepted.Load()
		if a > 20 {
			t.Fatalf("%d connections for 30 sequential and 2x20 concurrent commands, want <= 20", a)
		}
		t.Logf("70 commands over %d connections", a)
	})

	t.Run("zone verbs", func(t *testing.T) {
		zoneVerbs(t, n, c)
	})

	t.Run("wrong key is rejected", func(t *testing.T) {
		wrong := n.key
		wrong.Secret = []byte("definitely-not-the-key-0123456789")
		_, err := n.client(wrong, nil).Do(ctx, "status")
		if !errors.Is(err, rndc.ErrRejected) || !rndc.Transient(err) || rndc.ErrorClass(err) != "rejected" {
			t.Fatalf("wrong key: %v, want ErrRejected", err)
		}
		n.waitLog(t, "bad auth")
		other := n.keys[bindkey.HMACSHA512]
		other.Algorithm = bindkey.HMACSHA384 // right secret, wrong algorithm byte
		if _, err := n.client(other, nil).Do(ctx, "status"); !errors.Is(err, rndc.ErrRejected) {
			t.Fatalf("wrong algorithm: %v, want ErrRejected", err)
		}
	})

	t.Run("restart", func(t *testing.T) {
		p := startProxy(t, n.ctlAddr)
		pc := n.client(n.key, func(cfg *rndc.Config) { cfg.Addr = p.addr() })
		for _, cl := range []*rndc.Client{c, pc} {
			if _, err := cl.Do(ctx, "status"); err != nil {
				t.Fatal(err)
			}
		}
		n.restart()
		for _, cl := range []*rndc.Client{c, pc} {
			if resp, err := cl.Do(ctx, "status"); err != nil {
				t.Fatalf("after named restart: %s", outcome(resp, err))
			}
		}
		if a := p.accepted.Load(); a != 2 {
			t.Fatalf("%d connections through the proxy, want 2 (one before, one after the restart)", a)
		}
	})

	t.Run("named down", func(t *testing.T) {
		n.stop()
		start := time.Now()
		_, err := c.Do(ctx, "status")
		if !errors.Is(err, rndc.ErrUnreachable) || !rndc.Transient(err) {
			t.Fatalf("named down: %v, want ErrUnreachable", err)
		}
		t.Logf("named down: %v after %v", err, time.Since(start))
	})
}

// zoneVerbs runs every verb bindgate uses and logs what named answered.
func zoneVerbs(t *testing.T, n *realNamed, c *rndc.Client) {
	ctx := t.Context()
	zone := func(c *rndc.Client, verb, z string, rest ...string) func() (rndc.Response, error) {
		return func() (rndc.Response, error) { return c.Zone(ctx, verb, z, rest...) }
	}
	do := func(c *rndc.Client, command string) func() (rndc.Response, error) {
		return func() (rndc.Response, error) { return c.Do(ctx, command) }
	}
	zoneFile := func(z string) string {
		path := filepath.Join(n.zoneDir, z+".zone")
		text := fmt.Sprintf("$ORIGIN %s.\n$TTL 300\n@ IN SOA ns1 admin ( 1 3600 600 604800 86400 )\n@ IN NS ns1\nns1 IN A 127.0.0.1\n", z)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	dyn, static, sec, bad := "rndc.test", "static.test", "sec.test", "bad.test"
	dynBlock := fmt.Sprintf(`{ type primary; file %q; allow-update { key %q; }; };`, zoneFile(dyn), n.key.Name)
	staticBlock := fmt.Sprintf(`{ type primary; file %q; };`, zoneFile(static))
	// The secondary's primary is port 1 on loopback, where no DNS server for sec.test answers,
	// so the zone stays not loaded.
	secBlock := fmt.Sprintf(`{ type secondary; primaries { 127.0.0.1 port 1; }; file %q; };`, filepath.Join(n.zoneDir, sec+".bk"))
	modBlock := fmt.Sprintf(`{ type primary; file %q; allow-update { key %q; }; allow-transfer { key %q; }; };`,
		filepath.Join(n.zoneDir, dyn+".zone"), n.key.Name, n.key.Name)
	polBlock := fmt.Sprintf(`{ type primary; file %q; dnssec-policy "nope"; };`, zoneFile("pol.test"))
	badPath := filepath.Join(n.zoneDir, bad+".zone")
	if err := os.WriteFile(badPath, []byte("this is not a zone\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badBlock := fmt.Sprintf(`{ type primary; file %q; };`, badPath)

	tests := []struct {
		name string
		cmd  func() (rndc.Response, error)
		err  string // named's exact `err` text; "" for success
		is   error  // the sentinel it must match, if any
		text string // a substring of the text
	}{
		{"zonestatus unknown", zone(c, "zonestatus", dyn), "not found", rndc.ErrNotFound, "no matching zone 'rndc.test' in any view"},
		{"delzone unknown", zone(c, "delzone", dyn), "not found", rndc.ErrNotFound, "no matching zone"},
		{"reload unknown", zone(c, "reload", dyn), "not found", rndc.ErrNotFound, "no matching zone"},
		{"addzone", zone(c, "addzone", dyn, dynBlock), "", nil, ""},
		{"addzone again", zone(c, "addzone", dyn, dynBlock), "already exists", rndc.ErrExists, ""},
		{"zonestatus", zone(c, "zonestatus", dyn), "", nil, "reconfigurable via modzone: yes"},
		{"showzone", zone(c, "showzone", dyn), "", nil, `allow-update { key "` + n.key.Name + `"; };`},
		{"reload dynamic", zone(c, "reload", dyn), "dynamic zone", rndc.ErrDynamic, ""},
		{"freeze", zone(c, "freeze", dyn), "", nil, ""},
		{"freeze again", zone(c, "freeze", dyn), "already frozen", rndc.ErrAlreadyFrozen, "already frozen"},
		// named answers "The zone reload and thaw was successful." or "A zone reload and thaw
		// was started." depending on whether the reload finished before the answer: both succeed.
		{"thaw", zone(c, "thaw", dyn), "", nil, "reload and thaw was"},
		{"thaw again", zone(c, "thaw", dyn), "", nil, ""},
		{"notify", zone(c, "notify", dyn), "", nil, "zone notify queued"},
		{"retransfer primary", zone(c, "retransfer", dyn), "failure", rndc.ErrWrongZoneType, "retransfer: inappropriate zone type: primary"},
		{"sync", zone(c, "sync", dyn), "", nil, ""},
		{"dnssec -status", zone(c, "dnssec -status", dyn), "", nil, "Zone does not have dnssec-policy"},
		{"modzone unknown", zone(c, "modzone", "pol.test", staticBlock), "not found", rndc.ErrNotFound, ""},
		{"modzone", zone(c, "modzone", dyn, modBlock), "", nil, "zone 'rndc.test' reconfigured."},
		{"showzone after modzone", zone(c, "showzone", dyn), "", nil, "allow-transfer  { key"},
		{"addzone static", zone(c, "addzone", static, staticBlock), "", nil, ""},
		{"freeze static", zone(c, "freeze", static), "not dynamic", rndc.ErrNotDynamic, ""},
		// "zone reload up-to-date", or "zone reload queued" when named's load runs on after the answer.
		{"reload static", zone(c, "reload", static), "", nil, "zone reload "},
		{"addzone secondary", zone(c, "addzone", sec, secBlock), "", nil, ""},
		{"zonestatus secondary", zone(c, "zonestatus", sec), "zone not loaded", rndc.ErrNotLoaded, ""},
		{"freeze secondary", zone(c, "freeze", sec), "not primary", rndc.ErrNotPrimary, ""},
		// A zone file that does not load: err is the loader's result, not "failure" (§8 differs).
		{"addzone bad file", zone(c, "addzone", bad, badBlock), "unknown class/type", nil, "dns_zone_loadnew failed: unknown class/type"},
		{"zonestatus after bad addzone", zone(c, "zonestatus", bad), "not found", rndc.ErrNotFound, ""},
		{"addzone missing policy", zone(c, "addzone", "pol.test", polBlock), "not found", rndc.ErrNotFound, "configure_zone failed: not found"},
		{"addzone without zone", do(c, "addzone"), "unexpected token", nil, ""},
		{"zonestatus without zone", do(c, "zonestatus"), "unexpected end of input", nil, ""},
		{"unknown verb", do(c, "frobnicate x"), "unknown command", rndc.ErrUnknownCommand, ""},
		{"delzone", zone(c, "delzone", dyn), "", nil, ""},
		{"zonestatus deleted", zone(c, "zonestatus", dyn), "not found", rndc.ErrNotFound, ""},
		{"delzone secondary", zone(c, "delzone", sec), "", nil, "zone 'sec.test' will be deleted."},
		{"delzone static", zone(c, "delzone", static), "", nil, ""},
	}
	for _, tc := range tests {
		resp, err := tc.cmd()
		t.Logf("%-28s %s", tc.name, outcome(resp, err))
		ce, _ := errors.AsType[*rndc.CommandError](err)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err != "" && (ce == nil || ce.Err != tc.err):
			t.Errorf("%s: %v, want err %q", tc.name, err, tc.err)
		case tc.is != nil && !errors.Is(err, tc.is):
			t.Errorf("%s: %v does not match %v", tc.name, err, tc.is)
		case ce != nil && !strings.Contains(ce.Text, tc.text), ce == nil && !strings.Contains(resp.Text, tc.text):
			t.Errorf("%s: text lacks %q: %s", tc.name, tc.text, outcome(resp, err))
		}
	}
}

// Without allow-new-zones, addzone is refused (docs/rndc-protocol.md §8, §10).
func TestRealNamedWithoutNewZones(t *testing.T) {
	t.Parallel()
	n := startNamed(t, "allow-new-zones no;")
	c := n.client(n.key, nil)
	resp, err := c.Zone(t.Context(), "addzone", "new.test", `{ type primary; file "new.test.zone"; };`)
	t.Logf("addzone: %s", outcome(resp, err))
	ce, _ := errors.AsType[*rndc.CommandError](err)
	if !errors.Is(err, rndc.ErrPermission) || ce.Err != "permission denied" || !strings.Contains(ce.Text, "Not allowing new zones in view '_default'") {
		t.Fatalf("addzone without allow-new-zones: %v", err)
	}
}
