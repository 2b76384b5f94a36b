package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/namedproc"
	"github.com/bindgate/bindgate/internal/namedtest"
	"github.com/bindgate/bindgate/internal/registry"
	"github.com/bindgate/bindgate/internal/rndc"
)

// BenchmarkTenThousandZones shows the zone registry and the routes that walk it stay usable at
// 10,000 zones: it adds the zones straight over the control channel (with registry entries, as
// bindgate would have written them), then times opening the registry, GET /api/v1/zones and a
// reconcile that finds everything present. ZONES overrides the count (default 10000).
func BenchmarkTenThousandZones(b *testing.B) {
	n := scaleZoneCount()
	named, stateDir := scaleZones(b, n)

	t0 := time.Now()
	reg2, err := registry.Open(b.Context(), stateDir)
	if err != nil {
		b.Fatal(err)
	}
	fmt.Printf("registry: opened %d entries in %v\n", reg2.Len(), time.Since(t0).Round(time.Millisecond))
	reg2.Close()

	url := startAPI(b, named) // its startup reconcile walks all n zones
	hc := &http.Client{Timeout: 5 * time.Minute}
	b.ResetTimer()
	for range 3 {
		t1 := time.Now()
		call(b, hc, http.MethodGet, url+"/api/v1/zones", nil, http.StatusOK)
		list := time.Since(t1)
		t2 := time.Now()
		call(b, hc, http.MethodPost, url+"/api/v1/server/reconcile", nil, http.StatusOK)
		fmt.Printf("with %d zones: GET /api/v1/zones %v, POST /api/v1/server/reconcile %v\n", n, list.Round(time.Millisecond), time.Since(t2).Round(time.Millisecond))
	}
}

// scaleZoneCount is ZONES, default 10000.
func scaleZoneCount() int {
	if s := os.Getenv("ZONES"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return n
		}
	}
	return 10000
}

// scaleZones starts named and adds n primaries straight over the control channel, with
// registry entries as bindgate would have written them (bounded: 10 minutes). It returns
// named and the registry directory.
func scaleZones(b *testing.B, n int) (*namedproc.Named, string) {
	b.Helper()
	namedtest.Require(b)
	named := namedtest.Start(b, namedproc.Options{StartTimeout: 60 * time.Second})
	key := named.Key
	c, err := rndc.New(rndc.Config{Addr: named.ControlAddr, Key: func() bindkey.Key { return key }, MaxIdle: 8})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	stateDir := filepath.Join(named.Dir, "bindgate-state")
	reg, err := registry.Open(b.Context(), stateDir)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	deadline := start.Add(10 * time.Minute)
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range work {
				if time.Now().After(deadline) {
					continue
				}
				z := fmt.Sprintf("z%05d.scale", i)
				path := filepath.Join(named.ZoneDir, z+".zone")
				block := fmt.Sprintf(`{ type primary; file "%s"; allow-update { key "%s"; }; };`, path, key.Name)
				if err := os.WriteFile(path, zoneText(z), 0o644); err != nil {
					b.Error(err)
					continue
				}
				if _, err := c.Zone(context.Background(), "addzone", z, block); err != nil {
					b.Error(err)
					continue
				}
				if err := reg.Put(context.Background(), registry.Entry{Zone: z, Type: "primary", Block: block, Created: time.Now(), Modified: time.Now()}); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	reg.Close()
	fmt.Printf("setup: %d zones added over the control channel in %v\n", n, time.Since(start).Round(time.Millisecond))
	return named, stateDir
}
