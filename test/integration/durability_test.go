package integration

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/namedtest"
	"github.com/bindgate/bindgate/internal/zonecopy"
)

// waitReady waits until /ready is 200: the startup reconcile has finished.
func waitReady(t *testing.T, s *stack) {
	t.Helper()
	eventually(t, 30*time.Second, "bindgate ready", func() bool {
		return s.do(http.MethodGet, "/api/v1/ready", nil).Status == 200
	})
}

// copySerial reads the serial of bindgate's copy of zone from the state dir, with bindgate
// stopped (the store is loaded at startup): what the live copy recorded, no test help.
func copySerial(t *testing.T, s *stack, zone string) uint32 {
	t.Helper()
	st, err := zonecopy.Open(t.Context(), zonecopy.Config{Dir: filepath.Join(s.named.Dir, "bindgate-state", "copies")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cp, ok := st.Current(zone)
	if !ok {
		t.Fatalf("no copy of %s", zone)
	}
	return cp.Serial
}

// The headline: a zone with a record added through the API, deleted from named with its
// files, comes back from reconcile with that record, at a serial not lower than before.
func TestDurabRestoreWithRecords(t *testing.T) {
	s := startStack(t)
	const z = "restore.test"
	s.expect(s.do(http.MethodPost, "/api/v1/zones", primaryBody(z, s.named.Key.Name, nil)), 201, "")
	s.expect(s.do(http.MethodPost, "/api/v1/zones/"+z+"/records", map[string]any{"name": "www", "type": "A", "value": "192.0.2.80"}), 201, "")
	before, ok := soa(t, s.named.DNSAddr, z)
	if !ok {
		t.Fatal("zone not served")
	}
	s.stopAPI()
	if got := copySerial(t, s, z); got != before {
		t.Fatalf("copy at serial %d, named at %d", got, before)
	}
	s.startAPI()
	waitReady(t, s)

	// named loses the zone and its files.
	if _, err := s.rndc.Zone(t.Context(), "delzone", z); err != nil {
		t.Fatal(err)
	}
	for _, suf := range []string{".zone", ".zone.jnl"} {
		if err := os.Remove(filepath.Join(s.named.ZoneDir, z+suf)); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	if _, ok := soa(t, s.named.DNSAddr, z); ok {
		t.Fatal("named still serves the zone")
	}

	r := s.do(http.MethodPost, "/api/v1/server/reconcile", nil)
	s.expect(r, 200, "")
	restored, _ := r.Body["restored"].([]any)
	if len(restored) != 1 {
		t.Fatalf("reconcile = %s", r.Raw)
	}
	if rz := restored[0].(map[string]any); rz["zone"] != z || rz["source"] != "copy" || rz["copyAgeSeconds"] == nil {
		t.Fatalf("restored = %v", rz)
	}
	after, ok := soa(t, s.named.DNSAddr, z)
	if !ok || serialLess(after, before) {
		t.Fatalf("serial after restore %d (served %v), before %d", after, ok, before)
	}
	a := namedtest.Query(t, s.named.DNSAddr, "www."+z, dns.TypeA)
	if len(a.Answer) != 1 || a.Answer[0].(*dns.A).A.String() != "192.0.2.80" {
		t.Fatalf("www after restore: %v", a)
	}
}

func serialLess(a, b uint32) bool { return a != b && int32(a-b) < 0 }

// named restarts without its NZD while its files survive, and bindy replays its create before
// or while the startup reconcile runs: 409, and the records added since are kept.
func TestDurabReplayedCreateAfterNZDLoss(t *testing.T) {
	s := startStack(t)
	const z = "replay.test"
	body := primaryBody(z, s.named.Key.Name, nil)
	s.expect(s.do(http.MethodPost, "/api/v1/zones", body), 201, "")
	s.expect(s.do(http.MethodPost, "/api/v1/zones/"+z+"/records", map[string]any{"name": "www", "type": "A", "value": "192.0.2.81"}), 201, "")
	s.stopAPI()
	if err := s.named.Stop(); err != nil {
		t.Fatal(err)
	}
	namedtest.WipeNZD(t, s.named)
	if err := s.named.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	s.startAPI()
	eventually(t, 30*time.Second, "the replayed create is answered", func() bool {
		r := s.do(http.MethodPost, "/api/v1/zones", body)
		if r.Status == 503 {
			return false // bindgate not connected to named yet: bindy retries
		}
		s.expect(r, 409, "Zone already exists: "+z)
		return true
	})
	waitSOA(t, s.named.DNSAddr, z, 2025010101)
	a := namedtest.Query(t, s.named.DNSAddr, "www."+z, dns.TypeA)
	if len(a.Answer) != 1 {
		t.Fatalf("the replayed create lost www: %v", a)
	}
}

// A secondary named lost while its primaries are down serves at once from bindgate's copy
// (issue 9 item 2): before, it was added back bare and answered SERVFAIL until a transfer.
// Once the primary is back, the restored zone refreshes from it as usual.
func TestDurabRestoreSecondaryFromCopy(t *testing.T) {
	prim := startStack(t)
	sec := startStack(t)
	const z = "secrestore.test"
	prim.expect(prim.do(http.MethodPost, "/api/v1/zones", primaryBody(z, prim.named.Key.Name, nil)), 201, "")
	prim.expect(prim.do(http.MethodPost, "/api/v1/zones/"+z+"/records", map[string]any{"name": "www", "type": "A", "value": "192.0.2.90"}), 201, "")
	want, ok := soa(t, prim.named.DNSAddr, z)
	if !ok {
		t.Fatal("primary not served")
	}
	sec.expect(sec.do(http.MethodPost, "/api/v1/zones", secondaryBody(z, "127.0.0.1:"+port(prim.named.DNSAddr))), 201, "")
	waitSOA(t, sec.named.DNSAddr, z, want)
	a := namedtest.Query(t, sec.named.DNSAddr, "www."+z, dns.TypeA)
	if len(a.Answer) != 1 {
		t.Fatalf("secondary lacks www after its transfer: %v", a)
	}
	copyHas(t, sec, z, 15*time.Second, strings.Join(strings.Fields(a.Answer[0].String()), " "))

	// The primary goes away (its pod is down): nothing answers on its port.
	prim.stopAPI()
	if err := prim.named.Stop(); err != nil {
		t.Fatal(err)
	}
	// The secondary's named loses the zone and any file of it.
	if _, err := sec.rndc.Zone(t.Context(), "delzone", z); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(sec.named.ZoneDir, z+".zone")
	for _, suf := range []string{"", ".jnl"} {
		if err := os.Remove(file + suf); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	if _, ok := soa(t, sec.named.DNSAddr, z); ok {
		t.Fatal("secondary still serves the zone")
	}

	r := sec.do(http.MethodPost, "/api/v1/server/reconcile", nil)
	sec.expect(r, 200, "")
	// At once: addzone has loaded the file when it answers; no primary serves the zone.
	if got, ok := soa(t, sec.named.DNSAddr, z); !ok || got != want {
		t.Fatalf("restored secondary: serial %d, served %v; want %d (the primary's, never above it)", got, ok, want)
	}
	if a := namedtest.Query(t, sec.named.DNSAddr, "www."+z, dns.TypeA); len(a.Answer) != 1 || a.Answer[0].(*dns.A).A.String() != "192.0.2.90" {
		t.Fatalf("www after restore with the primary down: %v", a)
	}
	restored, _ := r.Body["restored"].([]any)
	if len(restored) != 1 {
		t.Fatalf("reconcile = %s", r.Raw)
	}
	if rz := restored[0].(map[string]any); rz["zone"] != z || rz["source"] != "copy" || rz["serial"] != float64(want) || rz["copyAgeSeconds"] == nil {
		t.Fatalf("restored = %v; want from the copy at serial %d", rz, want)
	}

	// The restore's file and format are bindgate's: GET shows no file, and a PATCH keeps both once.
	info := sec.do(http.MethodGet, "/api/v1/zones/"+z, nil)
	sec.expect(info, 200, "")
	if _, has := info.Body["filePath"]; has || info.Body["zoneType"] != "secondary" {
		t.Errorf("GET restored secondary = %s", info.Raw)
	}
	sec.expect(sec.do(http.MethodPatch, "/api/v1/zones/"+z, map[string]any{"alsoNotify": []string{"192.0.2.9"}}), 200, "")
	cfg := showzone(t, sec, z)
	if strings.Count(cfg, "masterfile-format text;") != 1 || strings.Count(cfg, "file ") != 1 || !strings.Contains(cfg, "192.0.2.9") {
		t.Errorf("showzone after PATCH: %s", cfg)
	}

	// The primary comes back with a change: the restored zone takes it as any secondary does.
	if err := prim.named.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	update(t, prim.named, z, "new."+z+". 300 IN A 192.0.2.91")
	if _, err := sec.rndc.Zone(t.Context(), "refresh", z); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "the restored secondary transfers the primary's change", func() bool {
		return len(namedtest.Query(t, sec.named.DNSAddr, "new."+z, dns.TypeA).Answer) == 1
	})

	sec.expect(sec.do(http.MethodDelete, "/api/v1/zones/"+z, nil), 200, "")
	if _, _, ok := fileState(t, file); ok {
		t.Error("the restore's zone file was left behind after DELETE")
	}
}
