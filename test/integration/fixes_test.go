package integration

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/namedtest"
)

// TestContractFixes: each subtest performs what bindcar got wrong (docs/contract.md §18) and would fail
// on bindcar's behaviour. They share one named to keep the suite fast.
func TestContractFixes(t *testing.T) {
	s := startStack(t)
	key := s.named.Key.Name
	zoneDir := s.named.ZoneDir

	t.Run("18.3 missing zone is 404 on every zone route", func(t *testing.T) {
		const z = "missing.test"
		for _, c := range []struct{ method, path string }{
			{http.MethodGet, "/api/v1/zones/" + z},
			{http.MethodGet, "/api/v1/zones/" + z + "/status"},
			{http.MethodDelete, "/api/v1/zones/" + z},
			{http.MethodPost, "/api/v1/zones/" + z + "/reload"},
			{http.MethodPost, "/api/v1/zones/" + z + "/freeze"},
			{http.MethodPost, "/api/v1/zones/" + z + "/thaw"},
			{http.MethodPost, "/api/v1/zones/" + z + "/notify"},
			{http.MethodPost, "/api/v1/zones/" + z + "/retransfer"},
		} {
			s.expect(s.do(c.method, c.path, nil), 404, "Zone not found: "+z)
		}
		s.expect(s.do(http.MethodPatch, "/api/v1/zones/"+z, map[string]any{"alsoNotify": []string{}}), 404, "Zone not found: "+z)
	})

	t.Run("18.20 names normalised before files and rndc", func(t *testing.T) {
		b := primaryBody("norm.test", key, nil)
		b["zoneName"] = "Norm.TEST."
		s.expect(s.do(http.MethodPost, "/api/v1/zones", b), 201, "Zone norm.test created successfully")
		if _, _, ok := fileState(t, filepath.Join(zoneDir, "norm.test.zone")); !ok {
			t.Fatal("zone file not named after the normalised zone")
		}
		s.expect(s.do(http.MethodPost, "/api/v1/zones", primaryBody("norm.test", key, nil)), 409, "Zone already exists: norm.test")
		s.expect(s.do(http.MethodGet, "/api/v1/zones/NORM.test./status", nil), 200, "Zone norm.test status retrieved")
	})

	t.Run("18.2 and 18.21 a rejected addzone leaves no file and is not 404", func(t *testing.T) {
		const z = "badpolicy.test"
		r := s.do(http.MethodPost, "/api/v1/zones", primaryBody(z, key, map[string]any{"dnssecPolicy": "no-such-policy", "inlineSigning": true}))
		if r.Status != 400 || !strings.HasPrefix(r.Body["error"].(string), "Invalid request: ") {
			t.Fatalf("create with an unknown dnssec-policy = %d %s, want 400 Invalid request", r.Status, r.Raw)
		}
		if strings.Contains(r.Raw, zoneDir) {
			t.Fatalf("error body leaks a path: %s", r.Raw)
		}
		if _, _, ok := fileState(t, filepath.Join(zoneDir, z+".zone")); ok {
			t.Fatal("failed addzone left its zone file")
		}
		s.expect(s.do(http.MethodGet, "/api/v1/zones/"+z+"/status", nil), 404, "Zone not found: "+z)
	})

	t.Run("in-zone name server without glue is a 400 that names it", func(t *testing.T) {
		// named 9.18's default check-integrity refuses such a zone; bindy would retry a 5xx.
		const z = "noglue.test"
		b := primaryBody(z, key, nil)
		b["zoneConfig"].(map[string]any)["nameServerIps"] = map[string]string{"ns2." + z + ".": "127.0.0.2"}
		s.expect(s.do(http.MethodPost, "/api/v1/zones", b), 400,
			"Invalid request: BIND refused to load the zone data (bad zone): name server ns1."+z+". is inside the zone and has no address in nameServerIps")
		if _, _, ok := fileState(t, filepath.Join(zoneDir, z+".zone")); ok {
			t.Fatal("refused zone left its file")
		}
		s.expect(s.do(http.MethodGet, "/api/v1/zones/"+z+"/status", nil), 404, "Zone not found: "+z)
	})

	t.Run("18.13 IPv6 glue is AAAA", func(t *testing.T) {
		const z = "glue6.test"
		b := primaryBody(z, key, nil)
		b["zoneConfig"].(map[string]any)["nameServerIps"] = map[string]string{"ns1." + z + ".": "127.0.0.1", "ns2." + z + ".": "2001:db8::53"}
		s.expect(s.do(http.MethodPost, "/api/v1/zones", b), 201, "")
		if a := namedtest.Query(t, s.named.DNSAddr, "ns2."+z, dns.TypeAAAA); len(a.Answer) != 1 {
			t.Fatalf("AAAA glue not served: %v", a)
		}
	})

	t.Run("18.8 PATCH is lossless and 18.10 allowTransfer [] is none", func(t *testing.T) {
		const z = "lossless.test"
		b := primaryBody(z, key, map[string]any{"allowTransfer": []string{"10.0.0.0/24", "fd00::/64"}, "alsoNotify": []string{"192.0.2.1"}})
		s.expect(s.do(http.MethodPost, "/api/v1/zones", b), 201, "")
		s.expect(s.do(http.MethodPatch, "/api/v1/zones/"+z, map[string]any{"alsoNotify": []string{"[2001:db8::1]:5353", "192.0.2.7 port 53"}}), 200, "Zone "+z+" modified successfully")
		cfg := showzone(t, s, z)
		for _, want := range []string{"10.0.0.0/24", "fd00::/64", `key "` + key + `"`, "2001:db8::1 port 5353", "192.0.2.7 port 53"} {
			if !strings.Contains(cfg, want) {
				t.Errorf("showzone lost %q: %s", want, cfg)
			}
		}
		for _, kw := range []string{"also-notify", "allow-transfer", "allow-update", "file", "type"} {
			if n := strings.Count(cfg, " "+kw+" "); n > 1 {
				t.Errorf("%s appears %d times: %s", kw, n, cfg)
			}
		}
		s.expect(s.do(http.MethodPatch, "/api/v1/zones/"+z, map[string]any{"allowTransfer": []string{}}), 200, "")
		cfg = showzone(t, s, z)
		// No address may transfer; only bindgate's own TSIG key, which the RRset API reads
		// the zone with, stays admitted (how 9.18 prints it: two spaces).
		if !strings.Contains(cfg, `allow-transfer  { key "`+key+`"; }`) {
			t.Fatalf("allowTransfer [] did not become key-only: %s", cfg)
		}
		// Repeating it is no change.
		s.expect(s.do(http.MethodPatch, "/api/v1/zones/"+z, map[string]any{"allowTransfer": []string{}}), 200, "")
		if got := showzone(t, s, z); got != cfg {
			t.Fatalf("a no-op PATCH changed the zone:\n%s\n%s", cfg, got)
		}
		// And BIND enforces it: an AXFR from loopback is refused now.
		tr := new(dns.Transfer)
		m := new(dns.Msg)
		m.SetAxfr(z + ".")
		ch, err := tr.In(m, s.named.DNSAddr)
		if err == nil {
			for env := range ch {
				if env.Error == nil {
					t.Fatal("AXFR allowed after allowTransfer: []")
				}
			}
		}
	})

	t.Run("18.11 allowUpdate keeps the key grant", func(t *testing.T) {
		const z = "allowupdate.test"
		s.expect(s.do(http.MethodPost, "/api/v1/zones", primaryBody(z, key, nil)), 201, "")
		s.expect(s.do(http.MethodPatch, "/api/v1/zones/"+z, map[string]any{"allowUpdate": []string{"127.0.0.1"}}), 200, "")
		cfg := showzone(t, s, z)
		if !strings.Contains(cfg, `key "`+key+`"`) || !strings.Contains(cfg, "127.0.0.1") {
			t.Fatalf("allow-update lost the key or the address: %s", cfg)
		}
		update(t, s.named, z, "still."+z+". 60 IN TXT \"works\"") // the key still may update
		s.expect(s.do(http.MethodPatch, "/api/v1/zones/"+z, map[string]any{"primaries": []string{"127.0.0.1"}}), 400, "")
	})

	t.Run("18.12 secondaries get no allow-update and 18.4 unloaded is 503", func(t *testing.T) {
		const z = "unloaded.test"
		// A primary nobody listens on: the secondary stays "not loaded".
		b := secondaryBody(z, "127.0.0.1:9")
		b["updateKeyName"] = key
		s.expect(s.do(http.MethodPost, "/api/v1/zones", b), 201, "")
		if cfg := showzone(t, s, z); strings.Contains(cfg, "allow-update") {
			t.Fatalf("secondary got allow-update: %s", cfg)
		}
		s.expect(s.do(http.MethodGet, "/api/v1/zones/"+z+"/status", nil), 503, "Zone not loaded: "+z)
		s.expect(s.do(http.MethodGet, "/api/v1/zones/"+z, nil), 503, "Zone not loaded: "+z)
		// bindy (new) has no primaries PATCH and re-creates; we support it ([fix: new] §10).
		s.expect(s.do(http.MethodPatch, "/api/v1/zones/"+z, map[string]any{"primaries": []string{"127.0.0.1:" + port(s.named.DNSAddr)}}), 200, "")
		if cfg := showzone(t, s, z); !strings.Contains(cfg, "port "+port(s.named.DNSAddr)) {
			t.Fatalf("primaries not replaced: %s", cfg)
		}
		s.expect(s.do(http.MethodPost, "/api/v1/zones", b), 409, "Zone already exists: "+z)
		s.expect(s.do(http.MethodDelete, "/api/v1/zones/"+z, nil), 200, "")
	})

	t.Run("11 zone actions", func(t *testing.T) {
		const z = "actions.test"
		s.expect(s.do(http.MethodPost, "/api/v1/zones", primaryBody(z, key, nil)), 201, "")
		s.expect(s.do(http.MethodPost, "/api/v1/zones/"+z+"/reload", nil), 409, "Zone "+z+" is dynamic; BIND refuses reload (use freeze and thaw)")
		s.expect(s.do(http.MethodPost, "/api/v1/zones/"+z+"/freeze", nil), 200, "Zone "+z+" frozen successfully")
		s.expect(s.do(http.MethodPost, "/api/v1/zones/"+z+"/freeze", nil), 200, "Zone "+z+" frozen successfully")
		s.expect(s.do(http.MethodPost, "/api/v1/zones/"+z+"/thaw", nil), 200, "Zone "+z+" thawed successfully")
		s.expect(s.do(http.MethodPost, "/api/v1/zones/"+z+"/thaw", nil), 200, "Zone "+z+" thawed successfully")
		s.expect(s.do(http.MethodPost, "/api/v1/zones/"+z+"/retransfer", nil), 400, "Invalid request: Zone "+z+" is not a secondary zone")
		s.expect(s.do(http.MethodPost, "/api/v1/server/reload", nil), 200, "Server reloaded successfully")
		if _, ok := soa(t, s.named.DNSAddr, z); !ok {
			t.Fatal("zone not served after a server-wide reload")
		}
		st := s.do(http.MethodGet, "/api/v1/server/status", nil)
		s.expect(st, 200, "")
		if txt, _ := st.Body["status"].(string); !strings.Contains(txt, "server is up and running") {
			t.Fatalf("server status = %s", st.Raw)
		}
	})

	t.Run("18.7 list comes from BIND: stray files are not zones", func(t *testing.T) {
		s.do(http.MethodPost, "/api/v1/zones", primaryBody("listed.test", key, nil))
		if err := os.WriteFile(filepath.Join(zoneDir, "stray.test.zone"), []byte("; not loaded\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		list := s.do(http.MethodGet, "/api/v1/zones", nil)
		s.expect(list, 200, "")
		zs, _ := list.Body["zones"].([]any)
		for _, z := range zs {
			if z == "stray.test" {
				t.Fatalf("a file BIND does not serve was listed: %s", list.Raw)
			}
		}
		if !slices.Contains(zs, any("listed.test")) || list.Body["count"] != float64(len(zs)) {
			t.Fatalf("list = %s", list.Raw)
		}
	})

	t.Run("20.6 PATCH dnssecPolicy and inlineSigning on a live zone", func(t *testing.T) {
		const z = "tosign.test"
		s.expect(s.do(http.MethodPost, "/api/v1/zones", primaryBody(z, key, nil)), 201, "")
		r := s.do(http.MethodPatch, "/api/v1/zones/"+z, map[string]any{"dnssecPolicy": "default", "inlineSigning": true})
		t.Logf("PATCH dnssecPolicy+inlineSigning on a live 9.18 zone: %d %s", r.Status, r.Raw)
		if r.Status == 200 {
			cfg := showzone(t, s, z)
			if !strings.Contains(cfg, `dnssec-policy "default"`) || !strings.Contains(cfg, "inline-signing yes") {
				t.Fatalf("PATCH 200 but showzone = %s", cfg)
			}
		} else if r.Status != 400 {
			t.Fatalf("PATCH answered %d; BIND's refusal must be a 400 and a failure must leave the zone served", r.Status)
		}
		// Either way the zone is still served (a failed modzone is restored, docs/contract.md §10).
		if _, ok := soa(t, s.named.DNSAddr, z); !ok {
			t.Fatal("zone no longer served after the PATCH")
		}
		s.expect(s.do(http.MethodPatch, "/api/v1/zones/"+z, map[string]any{"dnssecPolicy": "no-such-policy"}), 400, "")
		if _, ok := soa(t, s.named.DNSAddr, z); !ok {
			t.Fatal("zone no longer served after a refused PATCH: the previous configuration was not restored")
		}
	})

	t.Run("20.10 delete then create again at once", func(t *testing.T) {
		const z = "again.test"
		for i := range 3 {
			s.expect(s.do(http.MethodPost, "/api/v1/zones", primaryBody(z, key, nil)), 201, "")
			update(t, s.named, z, "n"+itoa(i)+"."+z+". 60 IN A 192.0.2.1")
			s.expect(s.do(http.MethodDelete, "/api/v1/zones/"+z, nil), 200, "")
		}
		s.expect(s.do(http.MethodPost, "/api/v1/zones", primaryBody(z, key, nil)), 201, "")
		if _, ok := soa(t, s.named.DNSAddr, z); !ok {
			t.Fatal("zone not served after delete and re-create")
		}
		// The journal of the earlier zone was not replayed onto the new one.
		if a := namedtest.Query(t, s.named.DNSAddr, "n2."+z, dns.TypeA); len(a.Answer) != 0 {
			t.Fatalf("a record of the deleted zone came back: %v", a.Answer)
		}
	})

	t.Run("8.3 dnssec status from a real dnssec-policy zone", func(t *testing.T) {
		const z = "signed.test"
		s.expect(s.do(http.MethodPost, "/api/v1/zones", primaryBody(z, key, map[string]any{"dnssecPolicy": "default", "inlineSigning": true})), 201, "")
		// named creates the policy's keys asynchronously after the zone loads.
		var d map[string]any
		var keys []any
		var r response
		eventually(t, 10*time.Second, "named created the policy's keys", func() bool {
			r = s.do(http.MethodGet, "/api/v1/zones/"+z+"/status", nil)
			s.expect(r, 200, "Zone "+z+" status retrieved")
			var ok bool
			if d, ok = r.Body["dnssec"].(map[string]any); !ok {
				t.Fatalf("no dnssec object for a zone with a policy: %s", r.Raw)
			}
			keys, _ = d["keys"].([]any)
			return len(keys) > 0
		})
		if d["policy"] != "default" {
			t.Fatalf("dnssec = %v", d)
		}
		k := keys[0].(map[string]any)
		if k["role"] != "CSK" || k["algorithm"] != "ECDSAP256SHA256" || k["tag"].(float64) == 0 {
			t.Fatalf("key = %v (raw status: %v)", k, r.Body["details"])
		}
	})

	t.Run("18.15 one zone serialised, many zones in parallel", func(t *testing.T) {
		var wg sync.WaitGroup
		codes := make([]int, 16)
		for i := range codes {
			wg.Go(func() {
				z := "par" + itoa(i%4) + ".test" // 4 creates race per zone: exactly one wins
				codes[i] = s.do(http.MethodPost, "/api/v1/zones", primaryBody(z, key, nil)).Status
			})
		}
		wg.Wait()
		created := 0
		for _, c := range codes {
			switch c {
			case 201:
				created++
			case 409:
			default:
				t.Fatalf("concurrent create answered %d", c)
			}
		}
		if created != 4 {
			t.Fatalf("%d creates succeeded, want exactly 4 (one per zone): %v", created, codes)
		}
	})

	t.Run("18.5 ready, 18.14 bounded 503 when named hangs, and health version", func(t *testing.T) {
		s.expect(s.do(http.MethodGet, "/api/v1/ready", nil), 200, "")
		h := s.do(http.MethodGet, "/api/v1/health", nil)
		if h.Body["version"] != "itest" || h.Body["status"] != "healthy" {
			t.Fatalf("health = %s", h.Raw)
		}
		pid := s.named.PID()
		if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		defer syscall.Kill(pid, syscall.SIGCONT)
		// Readiness is cached (docs/contract.md §13: at most 5 s): wait for the event, ready turning
		// 503, rather than sleeping past the cache. Only 200 (cached) or 503 may be seen.
		eventually(t, 30*time.Second, "ready turns 503 with a hung named", func() bool {
			rd := s.do(http.MethodGet, "/api/v1/ready", nil)
			if rd.Status != 200 && (rd.Status != 503 || rd.Body["ready"] != false) {
				t.Fatalf("ready with a hung named = %d %s", rd.Status, rd.Raw)
			}
			return rd.Status == 503
		})
		start := time.Now()
		r := s.do(http.MethodGet, "/api/v1/zones/actions.test/status", nil)
		if r.Status != 503 || r.Body["error"] != "Service unavailable" {
			t.Fatalf("status with a hung named = %d %s, want 503 Service unavailable", r.Status, r.Raw)
		}
		if d := time.Since(start); d > 25*time.Second {
			t.Fatalf("503 took %v, over bindy's budget", d)
		}
		syscall.Kill(pid, syscall.SIGCONT)
		eventually(t, 20*time.Second, "bindgate recovers after named resumed", func() bool {
			return s.do(http.MethodGet, "/api/v1/zones/actions.test/status", nil).Status == 200
		})
	})

	t.Run("no internal detail in 5xx bodies", func(t *testing.T) {
		for _, p := range []string{"/api/v1/zones/actions.test/status", "/api/v1/server/status"} {
			r := s.do(http.MethodGet, p, nil)
			if r.Status >= 500 && (strings.Contains(r.Raw, zoneDir) || strings.Contains(r.Raw, "rndc")) {
				t.Fatalf("5xx body leaks detail: %s", r.Raw)
			}
		}
		if strings.Contains(s.logs.String(), s.named.Key.SecretBase64()) || strings.Contains(s.logs.String(), token) {
			t.Fatal("a secret reached the log")
		}
	})
}
