package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/rndc"
)

// BenchmarkZoneListing shows GET /api/v1/zones latency flat over 100 calls at 10,000 zones
// (issue 8 item 10): a listing confirms zones with SOA queries over DNS, not a zonestatus per
// zone, so it does not wear named's control channel down. Each b.Loop iteration is one
// listing; at least 100 are made (run with -benchtime 100x for exactly 100). It prints the
// median of the first and of the last 10 calls and their ratio, and baselines from the same
// run over the raw control channel: the median `status` latency before the listings, after
// them (unchanged if they sent no control messages), and after one pass of zonestatus per
// zone, which is what one listing used to send. ZONES overrides the zone count.
func BenchmarkZoneListing(b *testing.B) {
	const calls = 100
	n := scaleZoneCount()
	named, _ := scaleZones(b, n)
	key := named.Key
	c, err := rndc.New(rndc.Config{Addr: named.ControlAddr, Key: func() bindkey.Key { return key }, MaxIdle: 8})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	statusBefore := statusMedian(b, c)

	url := startAPI(b, named)
	hc := &http.Client{Timeout: time.Minute}
	deadline := time.Now().Add(15 * time.Minute)
	var durs []time.Duration
	list := func() {
		if time.Now().After(deadline) {
			b.Fatalf("listings ran past 15 minutes (%d calls)", len(durs))
		}
		t := time.Now()
		got := listCount(b, hc, url)
		durs = append(durs, time.Since(t))
		if got != n {
			b.Fatalf("GET /api/v1/zones listed %d zones, want %d", got, n)
		}
	}
	for b.Loop() {
		list()
	}
	for len(durs) < calls { // b.Loop may stop early under a short -benchtime
		list()
	}
	statusAfter := statusMedian(b, c)

	// The old listing: one zonestatus per zone, 8 at a time, over the raw control channel.
	t := time.Now()
	zones := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range zones {
				if _, err := c.Zone(context.Background(), "zonestatus", fmt.Sprintf("z%05d.scale", i)); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for i := range n {
		zones <- i
	}
	close(zones)
	wg.Wait()
	rawPass := time.Since(t)
	statusRaw := statusMedian(b, c)

	first, last := median(durs[:10]), median(durs[len(durs)-10:])
	ratio := float64(last) / float64(first)
	fmt.Printf("with %d zones, %d x GET /api/v1/zones: first 10 median %v, last 10 median %v, ratio %.2f\n",
		n, len(durs), first.Round(time.Microsecond), last.Round(time.Microsecond), ratio)
	fmt.Printf("baseline, raw control channel: `status` median %v before the listings, %v after them; one pass of %d zonestatus (the old listing) %v, `status` median %v after it\n",
		statusBefore.Round(time.Microsecond), statusAfter.Round(time.Microsecond), n, rawPass.Round(time.Millisecond), statusRaw.Round(time.Microsecond))
	b.ReportMetric(ratio, "last10/first10")
	b.ReportMetric(float64(last.Microseconds())/1000, "ms/list-last10")
}

// listCount calls GET /api/v1/zones and returns its count.
func listCount(b *testing.B, hc *http.Client, url string) int {
	req, _ := http.NewRequest(http.MethodGet, url+"/api/v1/zones", nil)
	req.Header.Set("Authorization", "Bearer "+benchToken)
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Count int `json:"count"`
	}
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET /api/v1/zones = %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		b.Fatal(err)
	}
	return body.Count
}

// statusMedian is the median latency of 21 `status` commands over c.
func statusMedian(b *testing.B, c *rndc.Client) time.Duration {
	var d []time.Duration
	for range 21 {
		t := time.Now()
		if _, err := c.Do(context.Background(), "status"); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(t))
	}
	return median(d)
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
