package records_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/records"
	"github.com/bindgate/bindgate/internal/zonecopy"
)

// storeCopy is a records.Copy over a real zonecopy.Store: Fresh compares the copy's serial
// with the test zone's, as zonesync's one SOA query does, and counts its calls.
type storeCopy struct {
	st     *zonecopy.Store
	serial func() uint32
	mu     sync.Mutex
	fresh  int
}

func (c *storeCopy) Hold(context.Context, string) (func(), error) { return func() {}, nil }
func (c *storeCopy) Record(context.Context, string, []zonecopy.Actor) error {
	return nil
}
func (c *storeCopy) RecordUpdate(context.Context, string, []zonecopy.Actor, *dns.Msg) (uint32, error) {
	return c.serial(), nil
}
func (c *storeCopy) Local(context.Context, string, []dns.RR, string, []zonecopy.Actor) (*zonecopy.Tx, error) {
	return nil, zonecopy.ErrNotLocal // the ordinary path: these tests read, they do not check the fast path
}
func (c *storeCopy) Offer(context.Context, string, []dns.RR)        {}
func (c *storeCopy) Snapshot(zone string) (zonecopy.Snapshot, bool) { return c.st.Snapshot(zone) }
func (c *storeCopy) Fresh(_ context.Context, zone string) (zonecopy.Snapshot, bool) {
	c.mu.Lock()
	c.fresh++
	c.mu.Unlock()
	v, ok := c.st.Snapshot(zone)
	return v, ok && v.Serial() == c.serial()
}

func transfers(f *fixture) int {
	n := 0
	for _, m := range f.zone.Messages() {
		if len(m.Question) > 0 && m.Question[0].Qtype == dns.TypeAXFR {
			n++
		}
	}
	return n
}

// TestReadsFromTheCopy: GET /rrsets and /export answer from the copy when it is current
// (no transfer, the same answer as by AXFR, the unfiltered body prepared once), by AXFR when
// the copy is behind, and from the copy again, with the new data, once it caught up.
func TestReadsFromTheCopy(t *testing.T) {
	t.Parallel()
	st, err := zonecopy.Open(t.Context(), zonecopy.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cp := &storeCopy{st: st}
	f := newTestServiceWith(t, updatable, func(c *records.Config) { c.Copy = cp })
	cp.serial = f.zone.Serial
	byAXFR := newTestService(t, updatable) // the same zone, no copy
	catchUp := func() {
		rrs, err := f.client.Transfer(t.Context(), "example.test")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Replace(t.Context(), "example.test", rrs, nil); err != nil {
			t.Fatal(err)
		}
	}
	catchUp()
	ctx := t.Context()

	before := transfers(f)
	var wg sync.WaitGroup
	bodies := make([][]byte, 8)
	for i := range bodies {
		wg.Go(func() {
			d, err := f.svc.RRsets(ctx, "example.test", "", "")
			if err != nil {
				t.Error(err)
				return
			}
			bodies[i] = d.Encoded
		})
	}
	wg.Wait()
	for _, b := range bodies[1:] {
		if len(b) == 0 || &b[0] != &bodies[0][0] {
			t.Fatal("concurrent reads of one serial built the body more than once")
		}
	}
	want, err := byAXFR.svc.RRsets(ctx, "example.test", "", "")
	if err != nil {
		t.Fatal(err)
	}
	wantBody, _ := json.Marshal(want)
	if string(bodies[0]) != string(wantBody)+"\n" {
		t.Errorf("body from the copy:\n%s\nby AXFR:\n%s", bodies[0], wantBody)
	}
	for _, q := range [][2]string{{"www", ""}, {"", "a"}, {"WWW.example.test.", "A"}, {"nothing", ""}} {
		got, err1 := f.svc.RRsets(ctx, "example.test", q[0], q[1])
		want, err2 := byAXFR.svc.RRsets(ctx, "example.test", q[0], q[1])
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("filter %v (-AXFR +copy):\n%s", q, diff)
		}
	}
	exp, err1 := f.svc.Export(ctx, "example.test")
	wantExp, err2 := byAXFR.svc.Export(ctx, "example.test")
	if err1 != nil || err2 != nil || exp != wantExp {
		t.Errorf("export from the copy (%v %v):\n%s\nby AXFR:\n%s", err1, err2, exp, wantExp)
	}
	if n := transfers(f) - before; n != 0 {
		t.Errorf("%d transfers while the copy was current", n)
	}
	if cp.fresh < 13 {
		t.Errorf("%d freshness checks for 13 reads: every read checks", cp.fresh)
	}

	// named moves on; the copy has not yet: by AXFR, with the new data.
	f.zone.Add(t, "new.example.test. 300 IN A 192.0.2.77")
	got, err := f.svc.RRsets(ctx, "example.test", "new", "")
	if err != nil || len(got.RRsets) != 1 || got.Serial != f.zone.Serial() || transfers(f) == before {
		t.Fatalf("behind: %+v %v (transfers %d)", got, err, transfers(f)-before)
	}
	catchUp()
	before = transfers(f)
	all, err := f.svc.RRsets(ctx, "example.test", "", "")
	if err != nil || all.Serial != f.zone.Serial() || !json.Valid(all.Encoded) || transfers(f) != before {
		t.Fatalf("caught up: serial %d want %d, %v, transfers %d", all.Serial, f.zone.Serial(), err, transfers(f)-before)
	}
	if exp2, _ := f.svc.Export(ctx, "example.test"); exp2 == exp {
		t.Error("the export did not move with the copy")
	}
}
