package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/dnsclient"
	"github.com/bindgate/bindgate/internal/namedproc"
	"github.com/bindgate/bindgate/internal/namedtest"
	"github.com/bindgate/bindgate/internal/zonecopy"
)

// BenchmarkCopyBreakdown times, one by one, the steps that recording an API change in the
// zone copy adds (issue 9): the UPDATE itself, an IXFR over a new TCP connection (a bare TCP
// dial measured apart), one SOA query on a pooled connection, and the copy's append (one
// fsync). The zone is small, as most zones are, so named answers the IXFR AXFR-style unless
// its max-ixfr-ratio allows deltas.
func BenchmarkCopyBreakdown(b *testing.B) {
	namedtest.Require(b)
	n := namedtest.Start(b, namedproc.Options{})
	url := startAPI(b, n)
	hc := &http.Client{Timeout: 30 * time.Second}
	const zone = "brk.bench"
	createZone(b, hc, url, zone, n.Key.Name)
	c, err := dnsclient.New(dnsclient.Config{Addr: n.DNSAddr, Key: func() bindkey.Key { return n.Key }})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	store, err := zonecopy.Open(ctx, zonecopy.Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	full, err := c.Transfer(ctx, zone)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := store.Replace(ctx, zone, full, nil); err != nil {
		b.Fatal(err)
	}
	iters := iterations()
	var upd, dial, ixfr, soa, app []time.Duration
	deltas := 0
	b.ResetTimer()
	for i := range iters {
		have, _ := store.Serial(zone)
		rr, _ := dns.NewRR(fmt.Sprintf("b%d.%s. 300 IN A 192.0.2.1", i, zone))
		m := new(dns.Msg)
		m.SetUpdate(zone + ".")
		m.Insert([]dns.RR{rr})
		t0 := time.Now()
		if err := c.Update(ctx, m); err != nil {
			b.Fatal(err)
		}
		upd = append(upd, time.Since(t0))

		t0 = time.Now()
		nc, err := net.Dial("tcp", n.DNSAddr)
		if err != nil {
			b.Fatal(err)
		}
		dial = append(dial, time.Since(t0))
		nc.Close()

		t0 = time.Now()
		if _, err := c.Serial(ctx, zone); err != nil {
			b.Fatal(err)
		}
		soa = append(soa, time.Since(t0))

		t0 = time.Now()
		res, err := c.IXFR(ctx, zone, have)
		if err != nil {
			b.Fatal(err)
		}
		ixfr = append(ixfr, time.Since(t0))

		t0 = time.Now()
		if res.Full != nil {
			_, err = store.Replace(ctx, zone, res.Full, nil)
		} else {
			deltas++
			d := res.Deltas[len(res.Deltas)-1]
			err = store.Append(ctx, zone, []zonecopy.Change{{From: d.From, To: d.To, SOA: d.SOA, Removed: d.Removed, Added: d.Added}})
		}
		if err != nil {
			b.Fatal(err)
		}
		app = append(app, time.Since(t0))
	}
	b.StopTimer()
	p := func(d []time.Duration) time.Duration { return pct(d, 50).Round(time.Microsecond) }
	fmt.Printf("copy breakdown n=%d (IXFR answered as deltas %d times): UPDATE p50 %s | TCP dial %s | SOA query (pooled) %s | IXFR (new conn) %s | copy write (fsync) %s\n",
		len(upd), deltas, p(upd), p(dial), p(soa), p(ixfr), p(app))
}
