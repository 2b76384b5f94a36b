package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/zonecopy"
)

// The zone copies load after the startup reconcile, off the path to readiness (issue 13). A copy
// that cannot be read is not swallowed: Run stops with an error naming its file, as the start
// did when copies loaded before serving. Intact copies load and bindgate keeps serving. No zone
// is registered, so the startup reconcile completes without named.
func TestRunLoadsCopiesAfterStartup(t *testing.T) {
	for _, tc := range []struct {
		name    string
		damaged bool
	}{
		{name: "intact copies load and bindgate serves on"},
		{name: "a damaged copy stops bindgate", damaged: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := plainEnv(t)
			cfg := load(t, env)
			copies := filepath.Join(cfg.StateDir, "copies")
			writeCopy(t, copies, "good.test")
			if tc.damaged {
				writeCopy(t, copies, "bad.test")
				snap := filepath.Join(copies, "bad.test", "snapshot")
				b, err := os.ReadFile(snap)
				if err != nil {
					t.Fatal(err)
				}
				b[len(b)-2] ^= 0x20 // a flipped bit in the body: the checksum no longer matches
				if err := os.WriteFile(snap, b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, logs, stop := startRun(t, cfg, Options{})
			if !tc.damaged {
				logs.waitFor(t, `"msg":"zone copies loaded"`, 10*time.Second)
				if err := stop(); err != nil {
					t.Fatalf("Run: %v", err)
				}
				return
			}
			// Run returns by itself; stop only collects its error.
			logs.waitFor(t, `"msg":"stopping: a zone copy cannot be read"`, 10*time.Second)
			err := stop()
			if err == nil || !strings.Contains(err.Error(), filepath.Join(copies, "bad.test", "snapshot")) {
				t.Fatalf("Run = %v, want the error naming bad.test's snapshot", err)
			}
		})
	}
}

// writeCopy stores a small copy of zone in the store at dir.
func writeCopy(t *testing.T, dir, zone string) {
	t.Helper()
	s, err := zonecopy.Open(context.Background(), zonecopy.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var rrs []dns.RR
	for _, line := range []string{
		zone + ". 300 IN SOA ns1." + zone + ". admin." + zone + ". 1 3600 600 604800 86400",
		zone + ". 300 IN NS ns1." + zone + ".",
		"ns1." + zone + ". 300 IN A 192.0.2.1",
	} {
		rr, err := dns.NewRR(line)
		if err != nil {
			t.Fatal(err)
		}
		rrs = append(rrs, rr)
	}
	if _, err := s.Replace(t.Context(), zone, rrs, nil); err != nil {
		t.Fatal(err)
	}
}
