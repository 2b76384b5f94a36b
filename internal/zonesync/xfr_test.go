package zonesync

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/dnsclient"
	"github.com/bindgate/bindgate/internal/zonecopy"
)

// quotaDNS answers like named with a transfers-out quota: SERVFAIL for the first fails
// transfers, and it counts the transfers in flight at once.
type quotaDNS struct {
	DNS
	fails    atomic.Int32
	inFlight atomic.Int32
	mu       sync.Mutex
	most     int32
	gate     chan struct{} // when set, every transfer waits on it
}

func (q *quotaDNS) enter() func() {
	n := q.inFlight.Add(1)
	q.mu.Lock()
	q.most = max(q.most, n)
	q.mu.Unlock()
	if q.gate != nil {
		<-q.gate
	}
	return func() { q.inFlight.Add(-1) }
}

func (q *quotaDNS) IXFR(ctx context.Context, zone string, serial uint32) (dnsclient.IXFRResult, error) {
	defer q.enter()()
	if q.fails.Add(-1) >= 0 {
		return dnsclient.IXFRResult{}, fmt.Errorf("ixfr %s: %w", zone, dnsclient.ErrServFail)
	}
	return q.DNS.IXFR(ctx, zone, serial)
}

func (q *quotaDNS) Transfer(ctx context.Context, zone string) ([]dns.RR, error) {
	defer q.enter()()
	if q.fails.Add(-1) >= 0 {
		return nil, fmt.Errorf("axfr %s: %w", zone, dnsclient.ErrServFail)
	}
	if q.DNS == nil { // TestTransfersBounded counts, it transfers nothing
		return nil, nil
	}
	return q.DNS.Transfer(ctx, zone)
}

// TestTransferServFailRetried: a SERVFAIL from named's transfer quota costs a retry, not the
// caller's change (an API write would otherwise answer 503 for a change named applied).
func TestTransferServFailRetried(t *testing.T) {
	t.Parallel()
	q := &quotaDNS{}
	f := newFixture(t, func(c *Config) { q.DNS = c.DNS; c.DNS = q })
	q.fails.Store(3)
	release, err := f.sync.Hold(t.Context(), "example.test")
	if err != nil {
		t.Fatal(err)
	}
	err = f.sync.Record(t.Context(), "example.test", []zonecopy.Actor{{Principal: "p", RequestID: "r"}})
	release()
	if err != nil {
		t.Fatalf("Record after 3 SERVFAILs: %v", err)
	}
	if _, ok := f.copy.Current("example.test"); !ok {
		t.Fatal("no copy after the retried transfer")
	}
}

// TestTransfersBounded: however many zones record at once, at most MaxTransfers transfers
// are in flight; the others wait for a slot instead of meeting named's quota.
func TestTransfersBounded(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		q := &quotaDNS{gate: make(chan struct{})}
		q.fails.Store(-1 << 20) // never fails
		s := &Syncer{cfg: Config{DNS: q}, slots: make(chan struct{}, 3)}
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() { _, _ = s.axfr(t.Context(), "example.test") })
		}
		synctest.Wait() // every caller is waiting: in a transfer or for a slot
		if got := q.inFlight.Load(); got != 3 {
			t.Errorf("%d transfers in flight, want 3", got)
		}
		close(q.gate)
		wg.Wait()
		if q.most != 3 {
			t.Errorf("at most %d transfers in flight, want 3", q.most)
		}
	})
}
