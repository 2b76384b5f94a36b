package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestHistoryAttributesRacingChanges: PATCHes through the API while bindy-style direct TSIG
// updates hit the same zone as fast as named takes them. Afterwards every PATCH's answered
// serial is a change in the history with the API caller as actor (its own request), and
// every direct update is a change of its own, "external". Before the fix, a direct update
// landing between a PATCH's UPDATE and bindgate's read of it took the PATCH's actor and its
// serial was answered, and named's AXFR-style IXFR answers merged the two into one change.
func TestHistoryAttributesRacingChanges(t *testing.T) {
	const (
		zone   = "race.test"
		rounds = 50
	)
	s, _, rrsets := recordStack(t, zone)
	if show := showzone(t, s, zone); !strings.Contains(show, "max-ixfr-ratio unlimited") {
		t.Fatalf("zone lacks bindgate's max-ixfr-ratio: %s", show)
	}
	c := directClient(t, s)

	stop := make(chan struct{})
	var (
		wg      sync.WaitGroup
		direct  int
		failure error
	)
	wg.Go(func() {
		for ; ; direct++ {
			select {
			case <-stop:
				return
			default:
			}
			m := new(dns.Msg)
			m.SetUpdate(zone + ".")
			rr, _ := dns.NewRR(fmt.Sprintf("d%d.%s. 300 IN A 192.0.2.2", direct, zone))
			m.Insert([]dns.RR{rr})
			if err := c.Update(t.Context(), m); err != nil {
				failure = err
				return
			}
		}
	})
	type patch struct {
		serial uint32
		reqID  string
	}
	patches := map[string]patch{} // by the owner name it added
	for i := range rounds {
		owner := fmt.Sprintf("p%d.%s.", i, zone)
		r := s.do("PATCH", rrsets, map[string]any{"rrsets": []map[string]any{
			{"name": fmt.Sprintf("p%d", i), "type": "A", "ttl": 300, "changetype": "REPLACE", "records": []string{"192.0.2.1"}}}})
		if r.Status != http.StatusOK {
			close(stop)
			wg.Wait()
			t.Fatalf("PATCH %d: %d %s", i, r.Status, r.Raw)
		}
		patches[owner] = patch{serial: serialOf(t, r, "serial"), reqID: r.Header.Get("X-Request-Id")}
	}
	close(stop)
	wg.Wait()
	if failure != nil {
		t.Fatalf("direct update %d: %v", direct, failure)
	}
	t.Logf("%d PATCHes raced %d direct updates", rounds, direct)

	// The copy follows named by NOTIFY: wait until the history reaches named's serial.
	final, _ := soa(t, s.named.DNSAddr, zone)
	type entry struct {
		FromSerial, ToSerial uint32
		Actor                any
	}
	var hist []entry
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		r := s.do("GET", "/api/v1/zones/"+zone+"/history?limit=1000", nil)
		s.expect(r, http.StatusOK, "")
		var page struct{ Changes []entry }
		if err := json.Unmarshal([]byte(r.Raw), &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Changes) > 0 && page.Changes[0].ToSerial == final {
			hist = page.Changes
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("history does not reach named's serial %d: %s", final, r.Raw)
		}
		<-tick.C
	}

	seen := map[string]bool{}
	for _, h := range hist {
		r := s.do("GET", "/api/v1/zones/"+zone+"/history/"+strconv.FormatUint(uint64(h.ToSerial), 10), nil)
		s.expect(r, http.StatusOK, "")
		var detail struct{ Added []map[string]any }
		if err := json.Unmarshal([]byte(r.Raw), &detail); err != nil {
			t.Fatal(err)
		}
		for _, a := range detail.Added {
			name, _ := a["name"].(string)
			if seen[name] {
				t.Errorf("%s added by two changes", name)
			}
			seen[name] = true
			switch p, ok := patches[name]; {
			case ok:
				if h.ToSerial != p.serial {
					t.Errorf("PATCH adding %s answered serial %d; its change is %d", name, p.serial, h.ToSerial)
				}
				if !madeBy(h.Actor, "shared-token") || h.Actor.(map[string]any)["requestId"] != p.reqID {
					t.Errorf("change %d (PATCH %s, request %s) has actor %v", h.ToSerial, name, p.reqID, h.Actor)
				}
			case strings.HasPrefix(name, "d"):
				if h.Actor != "external" {
					t.Errorf("change %d (direct update %s) has actor %v, want external", h.ToSerial, name, h.Actor)
				}
			}
		}
		if len(detail.Added) > 1 {
			t.Errorf("change %d holds %d additions: more than one transaction in one change", h.ToSerial, len(detail.Added))
		}
	}
	for name := range patches {
		if !seen[name] {
			t.Errorf("PATCH adding %s is not in the history", name)
		}
	}
	for i := range direct {
		if name := fmt.Sprintf("d%d.%s.", i, zone); !seen[name] {
			t.Errorf("direct update adding %s is not in the history", name)
		}
	}
}
