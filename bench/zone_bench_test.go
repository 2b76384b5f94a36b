// Package bench measures bindgate against baselines taken in the same run: here, zone create
// and delete through the HTTP API versus the same work done directly over the control channel
// (write the zone file, addzone; delzone, remove the file). Run with `make bench`.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bindgate/bindgate/internal/app"
	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/config"
	"github.com/bindgate/bindgate/internal/namedproc"
	"github.com/bindgate/bindgate/internal/namedtest"
	"github.com/bindgate/bindgate/internal/rndc"
)

const benchToken = "bench-token-0123456789abcdef"

// maxIterations bounds every load loop, whatever BENCH_N asks for.
const maxIterations = 5000

// iterations is how many measured operations each benchmark makes: BENCH_N (default 300),
// at most maxIterations. It does not follow b.N: `make bench` runs every benchmark once
// (-benchtime 1x), so each one's setup (named, zones, the 10,000-zone fixture) is made once;
// with -benchtime Nx Go would call the function twice (b.N = 1, then N), setup and all.
func iterations() int {
	return min(envInt("BENCH_N", 300), maxIterations)
}

func BenchmarkZoneLifecycle(b *testing.B) {
	namedtest.Require(b)
	n := namedtest.Start(b, namedproc.Options{})
	url := startAPI(b, n)
	key := n.Key
	raw, err := rndc.New(rndc.Config{Addr: n.ControlAddr, Key: func() bindkey.Key { return key }})
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	ctx := b.Context()

	iters := iterations()
	var rawCreate, rawDelete, apiCreate, apiDelete []time.Duration
	deadline := time.Now().Add(5 * time.Minute)
	b.ResetTimer()
	for i := 0; i < iters && time.Now().Before(deadline); i++ {
		// Interleaved, so both see the same machine noise and the same number of zones.
		rz := fmt.Sprintf("raw%d.bench", i)
		c, d := rawLifecycle(ctx, b, raw, n.ZoneDir, rz, key.Name)
		rawCreate, rawDelete = append(rawCreate, c), append(rawDelete, d)

		az := fmt.Sprintf("api%d.bench", i)
		c, d = apiLifecycle(b, hc, url, az, key.Name)
		apiCreate, apiDelete = append(apiCreate, c), append(apiDelete, d)
	}
	b.StopTimer()

	report(b, "create", rawCreate, apiCreate)
	report(b, "delete", rawDelete, apiDelete)
	rndcBreakdown(b, hc, url)
}

// rndcBreakdown prints the mean control-channel time per verb as bindgate measured it, so the
// report says where the API's time goes (the rest is disk fsyncs and HTTP).
func rndcBreakdown(b *testing.B, hc *http.Client, url string) {
	resp, err := hc.Get(url + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(resp.Body)
	sum, count := map[string]float64{}, map[string]float64{}
	for _, line := range strings.Split(string(text), "\n") {
		for suffix, m := range map[string]map[string]float64{"_sum{": sum, "_count{": count} {
			prefix := "bindcar_rndc_command_duration_seconds" + suffix
			if rest, ok := strings.CutPrefix(line, prefix); ok {
				verb := strings.TrimSuffix(strings.TrimPrefix(strings.Fields(rest)[0], `command="`), `"}`)
				v, _ := strconv.ParseFloat(strings.Fields(rest)[1], 64)
				m[verb] = v
			}
		}
	}
	verbs := make([]string, 0, len(sum))
	for v := range sum {
		verbs = append(verbs, v)
	}
	slices.Sort(verbs)
	var parts []string
	for _, v := range verbs {
		if count[v] > 0 {
			parts = append(parts, fmt.Sprintf("%s %.3fms", v, 1000*sum[v]/count[v]))
		}
	}
	fmt.Printf("bindgate's mean rndc time per verb: %s\n", strings.Join(parts, ", "))
}

// rawLifecycle is the baseline: what a script with a native rndc client would do.
func rawLifecycle(ctx context.Context, b *testing.B, c *rndc.Client, dir, zone, keyName string) (create, del time.Duration) {
	path := filepath.Join(dir, zone+".zone")
	block := fmt.Sprintf(`{ type primary; file "%s"; allow-update { key "%s"; }; };`, path, keyName)
	t0 := time.Now()
	if err := os.WriteFile(path, zoneText(zone), 0o644); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Zone(ctx, "addzone", zone, block); err != nil {
		b.Fatalf("raw addzone: %v", err)
	}
	t1 := time.Now()
	if _, err := c.Zone(ctx, "delzone", zone); err != nil {
		b.Fatalf("raw delzone: %v", err)
	}
	if err := os.Remove(path); err != nil {
		b.Fatal(err)
	}
	return t1.Sub(t0), time.Since(t1)
}

func apiLifecycle(b *testing.B, hc *http.Client, url, zone, keyName string) (create, del time.Duration) {
	body, _ := json.Marshal(map[string]any{
		"zoneName": zone, "zoneType": "primary", "updateKeyName": keyName,
		"zoneConfig": map[string]any{"ttl": 300,
			"soa":         map[string]any{"primaryNs": "ns1." + zone + ".", "adminEmail": "admin." + zone + ".", "serial": 1},
			"nameServers": []string{"ns1." + zone + "."}, "nameServerIps": map[string]string{"ns1." + zone + ".": "127.0.0.1"}},
	})
	t0 := time.Now()
	call(b, hc, http.MethodPost, url+"/api/v1/zones", body, http.StatusCreated)
	t1 := time.Now()
	call(b, hc, http.MethodDelete, url+"/api/v1/zones/"+zone, nil, http.StatusOK)
	return t1.Sub(t0), time.Since(t1)
}

func call(b *testing.B, hc *http.Client, method, url string, body []byte, want int) {
	callAuth(b, hc, method, url, "Authorization", "Bearer "+benchToken, body, want)
}

// callAuth sends one request with the credential header given and fails the benchmark unless
// it answers want.
func callAuth(b *testing.B, hc *http.Client, method, url, header, value string, body []byte, want int) {
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set(header, value)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		b.Fatalf("%s %s = %d %s", method, url, resp.StatusCode, msg)
	}
}

func zoneText(zone string) []byte {
	return fmt.Appendf(nil, "$ORIGIN %s.\n$TTL 300\n@ IN SOA ns1.%s. admin.%s. ( 1 3600 600 604800 86400 )\n@ IN NS ns1.%s.\nns1 IN A 127.0.0.1\n",
		zone, zone, zone, zone)
}

func report(b *testing.B, op string, raw, api []time.Duration) {
	if len(raw) == 0 {
		return
	}
	rp50, ap50 := pct(raw, 50), pct(api, 50)
	rp99, ap99 := pct(raw, 99), pct(api, 99)
	ratio := float64(ap50) / float64(rp50)
	b.ReportMetric(float64(ap50.Microseconds())/1000, op+"-api-p50-ms")
	b.ReportMetric(float64(rp50.Microseconds())/1000, op+"-raw-p50-ms")
	b.ReportMetric(ratio, op+"-api/raw")
	fmt.Printf("zone %-6s n=%-5d raw p50 %8s p99 %8s | api p50 %8s p99 %8s | api/raw p50 %.2fx (target <= 1.30x)\n",
		op, len(raw), rp50.Round(time.Microsecond), rp99.Round(time.Microsecond),
		ap50.Round(time.Microsecond), ap99.Round(time.Microsecond), ratio)
}

func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func startAPI(b *testing.B, n *namedproc.Named) string {
	return startAPIWith(b, n, app.Options{}, nil, false)
}

// startAPIWith runs bindgate in front of n with opt (its Version and Listener are set here,
// and a discarding Logger when it has none) and returns its URL. mod, when set, changes the
// environment first; follow makes bindgate re-read that environment's key files (Reload).
func startAPIWith(b *testing.B, n *namedproc.Named, opt app.Options, mod func(env map[string]string), follow bool) string {
	url, _ := startAPIStoppable(b, n, opt, mod, follow)
	return url
}

// benchEnv is the configuration every benchmark's bindgate gets, as environment variables:
// named's, a token, no rate limit, an audit log; mod changes it.
func benchEnv(b *testing.B, n *namedproc.Named, mod func(env map[string]string)) map[string]string {
	env := n.BindgateEnv()
	env["BIND_API_TOKEN"] = benchToken
	env["RATE_LIMIT_ENABLED"] = "false" // one client sends thousands of requests
	// The audit log is part of what a request costs (issue 13: the figures include it).
	env["BINDGATE_AUDIT_LOG"] = filepath.Join(b.TempDir(), "audit.log")
	if mod != nil {
		mod(env)
	}
	return env
}

// startAPIStoppable is startAPIWith that also returns a function stopping that bindgate (and
// waiting for it), for a benchmark that restarts it.
func startAPIStoppable(b *testing.B, n *namedproc.Named, opt app.Options, mod func(env map[string]string), follow bool) (string, func()) {
	env := benchEnv(b, n, mod)
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cfg, err := config.Load(nil, lookup)
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	opt.Version, opt.Listener = "bench", ln
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if follow {
		opt.Reload = func() (config.Config, error) { return config.Load(nil, lookup) }
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := app.Run(ctx, cfg, opt); err != nil {
			b.Error(err)
		}
	}()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	b.Cleanup(stop)
	return "http://" + ln.Addr().String(), stop
}
