package records_test

import (
	"slices"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/dnsclient/dnsclienttest"
	"github.com/bindgate/bindgate/internal/records"
	"github.com/bindgate/bindgate/internal/zonecopy"
	"github.com/bindgate/bindgate/internal/zonesync"
)

// TestPatchSerialIsItsOwn: with the zone copy, a PATCH answers the serial its own UPDATE
// made, and its caller is that change's actor, even when another writer's change lands right
// after it (before bindgate reads the zone again): that change stays external.
func TestPatchSerialIsItsOwn(t *testing.T) {
	t.Parallel()
	store, err := zonecopy.Open(t.Context(), zonecopy.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	var syncer *zonesync.Syncer
	f := newTestServiceWith(t, updatable, func(c *records.Config) {
		syncer, err = zonesync.New(zonesync.Config{Key: func() bindkey.Key { return key }, DNS: c.DNS.(zonesync.DNS), Copy: store,
			Managed: func(z string) bool { return z == "example.test" }, Interval: -1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { syncer.Close() })
		c.Copy, c.History = syncer, store
	})
	release, err := syncer.Hold(t.Context(), "example.test")
	if err != nil {
		t.Fatal(err)
	}
	err = syncer.Record(t.Context(), "example.test", nil) // the first copy, at 100
	release()
	if err != nil {
		t.Fatal(err)
	}

	// The first message after the UPDATE (bindgate's IXFR, or a serial query) finds a
	// direct update applied just before it.
	var updated, external atomic.Bool
	f.zone.Script(func(r *dns.Msg) dnsclienttest.Answer {
		if r.Opcode == dns.OpcodeUpdate {
			updated.Store(true)
		} else if updated.Load() && external.CompareAndSwap(false, true) {
			f.zone.Add(t, "bindy.example.test. 300 IN A 192.0.2.77")
		}
		return dnsclienttest.Answer{}
	})
	actor := zonecopy.Actor{Principal: "alice", RequestID: "req-1"}
	res, err := f.svc.Patch(zonecopy.WithActor(t.Context(), actor), "example.test",
		records.PatchRequest{RRsets: []records.RRsetChange{replaceSet("www", "A", "192.0.2.9")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !external.Load() || f.zone.Serial() != 102 {
		t.Fatalf("the direct update did not follow the PATCH (zone at %d)", f.zone.Serial())
	}
	if res.Serial != 101 {
		t.Errorf("PATCH answered serial %d, want its own 101", res.Serial)
	}
	hist, err := store.History("example.test", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].To != 102 || len(hist[0].Actors) != 0 || hist[1].To != 101 ||
		!slices.Equal(hist[1].Actors, []zonecopy.Actor{actor}) {
		t.Fatalf("history %+v", hist)
	}
}
