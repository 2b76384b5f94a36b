package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/namedproc"
	"github.com/bindgate/bindgate/internal/namedtest"
)

// pdnsSchema is where Debian's pdns-backend-sqlite3 puts the gsqlite3 schema.
const pdnsSchema = "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql"

// BenchmarkPowerDNSPatch compares, in one run and interleaved, the same PowerDNS-style PATCH
// of 100 RRsets through bindgate's PowerDNS-compatible API (issue 12) and against a real
// PowerDNS 4.7 with its gsqlite3 backend, started here on loopback (Debian packages
// pdns-server, pdns-backend-sqlite3, sqlite3; skipped when missing). Then zone create and
// delete the same way. Target: bindgate's PATCH p50 at least 3x faster than PowerDNS's.
func BenchmarkPowerDNSPatch(b *testing.B) {
	namedtest.Require(b)
	pdnsURL := startPowerDNS(b)
	n := namedtest.Start(b, namedproc.Options{})
	bgURL := startAPI(b, n)
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	const zone = "pdnsbench.com"
	targets := []struct {
		name, url, key string
	}{{"bindgate", bgURL, benchToken}, {"powerdns", pdnsURL, pdnsKey}}
	for _, t := range targets {
		pdnsCall(b, hc, "POST", t.url+"/api/v1/servers/localhost/zones", t.key, createBody(zone), http.StatusCreated)
	}

	// The raw baseline: the same 100-RRset replace as one TSIG UPDATE straight to named, on a
	// zone of its own (bindgate's copy would otherwise fetch each raw change before the API's next).
	const rawZone = "rawpdns.bench"
	createZone(b, hc, bgURL, rawZone, n.Key.Name)
	raw := newRawUpdater(b, n)

	iters := iterations()
	durs := map[string][]time.Duration{}
	var rawD []time.Duration
	deadline := time.Now().Add(2 * time.Minute)
	b.ResetTimer()
	for i := 0; i < iters && time.Now().Before(deadline); i++ {
		body := patchBody(zone, i)
		for _, t := range targets {
			t0 := time.Now()
			pdnsCall(b, hc, "PATCH", t.url+"/api/v1/servers/localhost/zones/"+zone+".", t.key, body, http.StatusNoContent)
			durs[t.name] = append(durs[t.name], time.Since(t0))
		}
		m := rawReplace(b, rawZone, i)
		t0 := time.Now()
		raw.send(b, m)
		rawD = append(rawD, time.Since(t0))
	}
	// Zone create and delete, fewer rounds: each is a zone file and addzone on bindgate's side.
	createD, deleteD := map[string][]time.Duration{}, map[string][]time.Duration{}
	for i := 0; i < min(iters, 30) && time.Now().Before(deadline.Add(time.Minute)); i++ {
		z := fmt.Sprintf("cd%d.pdnsbench.com", i)
		for _, t := range targets {
			t0 := time.Now()
			pdnsCall(b, hc, "POST", t.url+"/api/v1/servers/localhost/zones", t.key, createBody(z), http.StatusCreated)
			createD[t.name] = append(createD[t.name], time.Since(t0))
			t0 = time.Now()
			pdnsCall(b, hc, "DELETE", t.url+"/api/v1/servers/localhost/zones/"+z+".", t.key, nil, http.StatusNoContent)
			deleteD[t.name] = append(deleteD[t.name], time.Since(t0))
		}
	}
	b.StopTimer()
	pdnsReport(b, "patch100", durs, 3)
	pdnsReport(b, "create", createD, 3)
	pdnsReport(b, "delete", deleteD, 3)
	bg, rp50 := durs["bindgate"], pct(rawD, 50)
	ratio := float64(pct(bg, 50)) / float64(rp50)
	b.ReportMetric(ratio, "patch100-api/raw")
	fmt.Printf("pdns patch100 n=%-4d raw 100-record TSIG UPDATE p50 %8s p99 %8s | bindgate %.2fx of raw (target <= 1.30x: %s); "+
		"3x faster than PowerDNS would need p50 <= %s\n",
		len(rawD), rp50.Round(time.Microsecond), pct(rawD, 99).Round(time.Microsecond), ratio,
		map[bool]string{true: "met", false: "NOT met"}[ratio <= 1.3], (pct(durs["powerdns"], 50) / 3).Round(time.Microsecond))
}

// rawReplace is patchBody's change as one RFC 2136 UPDATE: each of the 100 A RRsets deleted
// and its new record added.
func rawReplace(b *testing.B, zone string, round int) *dns.Msg {
	m := new(dns.Msg)
	m.SetUpdate(zone + ".")
	m.Compress = true
	for j := range 100 {
		rr, err := dns.NewRR(fmt.Sprintf("r%d.%s. 300 IN A 198.51.%d.%d", j, zone, round%200, j+1))
		if err != nil {
			b.Fatal(err)
		}
		m.RemoveRRset([]dns.RR{rr})
		m.Insert([]dns.RR{rr})
	}
	return m
}

// send signs m with the zone's TSIG key and sends it on the updater's connection; anything
// but NOERROR fails the benchmark.
func (u *rawUpdater) send(b *testing.B, m *dns.Msg) {
	kn := dns.Fqdn(u.n.Key.Name)
	m.SetTsig(kn, dns.HmacSHA256, 300, time.Now().Unix())
	// A fresh dns.Conn wrapper per message: dns.Conn chains the previous request's MAC into
	// the next signature, which BIND rejects (BADSIG).
	r, _, err := u.c.ExchangeWithConn(m, &dns.Conn{Conn: u.conn.Conn})
	if err != nil {
		b.Fatal(err)
	}
	if r.Rcode != dns.RcodeSuccess {
		b.Fatalf("raw update of %s: %s", m.Question[0].Name, dns.RcodeToString[r.Rcode])
	}
}

// pdnsReport prints bindgate's and PowerDNS's p50 and p99 and how many times faster bindgate
// is; target > 0 is the speed-up asked for.
func pdnsReport(b *testing.B, op string, d map[string][]time.Duration, target float64) {
	bg, pd := d["bindgate"], d["powerdns"]
	if len(bg) == 0 || len(pd) == 0 {
		return
	}
	speedup := float64(pct(pd, 50)) / float64(pct(bg, 50))
	b.ReportMetric(float64(pct(bg, 50).Microseconds())/1000, op+"-bindgate-p50-ms")
	b.ReportMetric(float64(pct(pd, 50).Microseconds())/1000, op+"-powerdns-p50-ms")
	goal := ""
	if target > 0 {
		goal = fmt.Sprintf(" (target >= %.1fx: %s)", target, map[bool]string{true: "met", false: "NOT met"}[speedup >= target])
	}
	fmt.Printf("pdns %-8s n=%-4d bindgate p50 %8s p99 %8s | powerdns 4.7 gsqlite3 p50 %8s p99 %8s | bindgate %.2fx faster%s\n",
		op, len(bg), pct(bg, 50).Round(time.Microsecond), pct(bg, 99).Round(time.Microsecond),
		pct(pd, 50).Round(time.Microsecond), pct(pd, 99).Round(time.Microsecond), speedup, goal)
}

// createBody is a PowerDNS zone create with an in-zone name server and its address.
func createBody(zone string) []byte {
	j, _ := json.Marshal(map[string]any{"name": zone + ".", "kind": "Native", "nameservers": []string{"ns1." + zone + "."},
		"rrsets": []any{map[string]any{"name": "ns1." + zone + ".", "type": "A", "ttl": 300,
			"records": []any{map[string]any{"content": "127.0.0.1", "disabled": false}}}}})
	return j
}

// patchBody replaces 100 A RRsets with values that differ from round to round, as dnscontrol
// sends them (comments and all).
func patchBody(zone string, round int) []byte {
	rrsets := make([]any, 100)
	for j := range rrsets {
		rrsets[j] = map[string]any{"name": fmt.Sprintf("r%d.%s.", j, zone), "type": "A", "ttl": 300, "changetype": "REPLACE",
			"records":  []any{map[string]any{"content": fmt.Sprintf("198.51.%d.%d", round%200, j+1), "disabled": false}},
			"comments": []any{}}
	}
	out, _ := json.Marshal(map[string]any{"rrsets": rrsets})
	return out
}

func pdnsCall(b *testing.B, hc *http.Client, method, url, key string, body []byte, want int) {
	callAuth(b, hc, method, url, "X-API-Key", key, body, want)
}

const pdnsKey = "bench-pdns-key"

// startPowerDNS runs pdns_server with a fresh gsqlite3 database in a temp dir, DNS and its
// webserver on loopback ports of their own, and returns the API's base URL; it skips the
// benchmark when PowerDNS or its sqlite3 backend is not installed.
func startPowerDNS(b *testing.B) string {
	bin, err := exec.LookPath("pdns_server")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/pdns_server"); serr != nil {
			b.Skip("pdns_server not installed (apt-get install pdns-server pdns-backend-sqlite3 sqlite3): no PowerDNS baseline")
		}
		bin = "/usr/sbin/pdns_server"
	}
	sqlite, err := exec.LookPath("sqlite3")
	if err != nil {
		b.Skip("sqlite3 not installed: cannot initialise PowerDNS's gsqlite3 database")
	}
	schema, err := os.ReadFile(pdnsSchema)
	if err != nil {
		b.Skipf("pdns-backend-sqlite3 not installed (%v)", err)
	}
	dir := b.TempDir()
	db := filepath.Join(dir, "pdns.sqlite3")
	init := exec.Command(sqlite, db)
	init.Stdin = bytes.NewReader(schema)
	if out, err := init.CombinedOutput(); err != nil {
		b.Fatalf("sqlite3 schema: %v %s", err, out)
	}
	dnsPort, webPort := freePort(b), freePort(b)
	conf := fmt.Sprintf(`launch=gsqlite3
gsqlite3-database=%s
local-address=127.0.0.1
local-port=%d
webserver=yes
webserver-address=127.0.0.1
webserver-port=%d
webserver-allow-from=127.0.0.0/8
api=yes
api-key=%s
socket-dir=%s
guardian=no
daemon=no
disable-syslog=yes
loglevel=3
`, db, dnsPort, webPort, pdnsKey, dir)
	if err := os.WriteFile(filepath.Join(dir, "pdns.conf"), []byte(conf), 0o600); err != nil {
		b.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "pdns.log"))
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "--config-dir="+dir)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); logf.Close() })
	url := "http://127.0.0.1:" + strconv.Itoa(webPort)
	hc := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(15 * time.Second); ; <-tick.C {
		req, _ := http.NewRequest("GET", url+"/api", nil)
		req.Header.Set("X-API-Key", pdnsKey)
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "pdns.log"))
			b.Fatalf("PowerDNS did not answer on %s within 15s:\n%s", url, log)
		}
	}
}

// freePort returns a loopback port free right now for TCP and UDP, below the ephemeral range
// (namedproc.FreePort), so that no client socket takes it between a stop and a restart.
func freePort(b *testing.B) int {
	p, err := namedproc.FreePort(true)
	if err != nil {
		b.Fatal(err)
	}
	return p
}
