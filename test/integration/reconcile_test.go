package integration

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/bindgate/bindgate/internal/namedtest"
)

// TestReconcileAfterNZDLoss: named's added zones live in its NZD; losing it (an emptyDir, bindy
// issue #486) must not lose zones. bindgate's registry re-adds them, rebuilding a lost file.
func TestReconcileAfterNZDLoss(t *testing.T) {
	s := startStack(t)
	key := s.named.Key.Name
	for _, z := range []string{"keep-a.test", "keep-b.test"} {
		s.expect(s.do(http.MethodPost, "/api/v1/zones", primaryBody(z, key, nil)), 201, "")
	}
	update(t, s.named, "keep-a.test", "dyn.keep-a.test. 60 IN A 192.0.2.99")
	s.expect(s.do(http.MethodPost, "/api/v1/zones", secondaryBody("keep-sec.test", "127.0.0.1:"+port(s.named.DNSAddr))), 201, "")

	// Nothing lost yet: reconcile finds everything present.
	r := s.do(http.MethodPost, "/api/v1/server/reconcile", nil)
	s.expect(r, 200, "")
	if r.Body["registered"] != float64(3) || r.Body["present"] != float64(3) || len(r.Body["readded"].([]any)) != 0 {
		t.Fatalf("reconcile with nothing lost = %s", r.Raw)
	}

	// Lose named's NZD and one zone file while named is down, as a replaced pod would.
	if _, err := s.rndc.Zone(t.Context(), "sync", "keep-a.test"); err != nil { // flush the journal so the file has dyn
		t.Fatal(err)
	}
	if err := s.named.Stop(); err != nil {
		t.Fatal(err)
	}
	namedtest.WipeNZD(t, s.named)
	if err := os.Remove(filepath.Join(s.named.ZoneDir, "keep-b.test.zone")); err != nil {
		t.Fatal(err)
	}
	if err := s.named.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, ok := soa(t, s.named.DNSAddr, "keep-a.test"); ok {
		t.Fatal("named still serves keep-a.test after losing its NZD; the test would prove nothing")
	}

	r = s.do(http.MethodPost, "/api/v1/server/reconcile", nil)
	s.expect(r, 200, "")
	readded := r.Body["readded"].([]any)
	if !slices.Equal(readded, []any{"keep-a.test", "keep-b.test", "keep-sec.test"}) || len(r.Body["failed"].([]any)) != 0 {
		t.Fatalf("reconcile after NZD loss = %s", r.Raw)
	}
	// keep-a kept its file, with the update synced into it (serial bumped by the update);
	// keep-b's file was rebuilt from the registry's copy.
	for z, want := range map[string]uint32{"keep-a.test": 2025010102, "keep-b.test": 2025010101} {
		if serial, ok := soa(t, s.named.DNSAddr, z); !ok || serial != want {
			t.Fatalf("%s after reconcile: serial %d, served %v; want %d", z, serial, ok, want)
		}
	}
	if a := namedtest.Query(t, s.named.DNSAddr, "dyn.keep-a.test", 1); len(a.Answer) != 1 {
		t.Fatalf("keep-a.test lost its synced record: %v", a)
	}
	list := s.do(http.MethodGet, "/api/v1/zones", nil)
	if list.Body["count"] != float64(3) {
		t.Fatalf("list after reconcile = %s", list.Raw)
	}
}

// TestStartupReconcile: a bindgate that starts after named lost its zones re-adds them by
// itself, without anyone calling the reconcile route.
func TestStartupReconcile(t *testing.T) {
	s := startStack(t)
	s.expect(s.do(http.MethodPost, "/api/v1/zones", primaryBody("boot.test", s.named.Key.Name, nil)), 201, "")
	s.stopAPI()
	if err := s.named.Stop(); err != nil {
		t.Fatal(err)
	}
	namedtest.WipeNZD(t, s.named)
	if err := s.named.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	s.startAPI()
	waitSOA(t, s.named.DNSAddr, "boot.test", 2025010101)
}

// TestReconcileTornZoneFile: a create fsyncs its zone file beside addzone (issue 13), so a
// power failure can leave the zone in named's NZD and the registry with its file empty or
// gone. named then has the zone configured but cannot load it; reconcile removes it from named
// and restores it from the copy, records and all.
func TestReconcileTornZoneFile(t *testing.T) {
	s := startStack(t)
	key := s.named.Key.Name
	torn := map[string]func(path string) error{
		"empty.torn.test":   func(p string) error { return os.Truncate(p, 0) },
		"missing.torn.test": os.Remove,
		"zeros.torn.test":   func(p string) error { return os.WriteFile(p, make([]byte, 300), 0o644) },
	}
	for z := range torn {
		s.expect(s.do(http.MethodPost, "/api/v1/zones", primaryBody(z, key, nil)), 201, "")
		s.expect(s.do(http.MethodPost, "/api/v1/zones/"+z+"/records", map[string]any{"name": "www", "type": "A", "value": "192.0.2.7"}), 201, "")
	}
	if err := s.named.Stop(); err != nil {
		t.Fatal(err)
	}
	for z, tear := range torn {
		if err := tear(filepath.Join(s.named.ZoneDir, z+".zone")); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.named.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	for z := range torn {
		if _, ok := soa(t, s.named.DNSAddr, z); ok {
			t.Fatalf("named serves %s from a torn file; the test would prove nothing", z)
		}
	}
	// bindgate may see named's restart and reconcile by itself first; either way the zones
	// come back.
	s.expect(s.do(http.MethodPost, "/api/v1/server/reconcile", nil), 200, "")
	for z := range torn {
		waitSOA(t, s.named.DNSAddr, z, 2025010102)
		if a := namedtest.Query(t, s.named.DNSAddr, "www."+z, 1); len(a.Answer) != 1 {
			t.Errorf("%s lost its record in the restore: %v", z, a)
		}
	}
}
