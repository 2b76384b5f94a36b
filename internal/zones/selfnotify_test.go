package zones_test

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/bindgate/bindgate/internal/registry"
	"github.com/bindgate/bindgate/internal/rndc"
	"github.com/bindgate/bindgate/internal/zoneconf"
	"github.com/bindgate/bindgate/internal/zones"
)

// Reconcile adds bindgate's also-notify entry to exactly the registered zones whose block lacks
// it (issue 9 item 2), judging zones created alike once (registry.Shape), except a zone whose
// name is part of the entry's text: its block is judged on its own.
func TestReconcileAddsSelfNotify(t *testing.T) {
	t.Parallel()
	self := zoneconf.NotifyTarget{Endpoint: zoneconf.Endpoint{Addr: netip.MustParseAddr("127.0.0.1"), Port: 5399}, Key: "bindgate-xfer"}
	f := setup(t, func(c *zones.Config) { c.SelfNotify = &self })
	blocks := map[string]string{}
	put := func(z, block string) {
		t.Helper()
		blocks[z] = block
		if err := f.reg.Put(t.Context(), registry.Entry{Zone: z, Type: "primary", Block: block}); err != nil {
			t.Fatal(err)
		}
		f.dns.serve(z, true)
	}
	plain := func(z string) string { return fmt.Sprintf(`{ type primary; file "/z/%s.zone"; };`, z) }
	withSelf := func(z, key string) string {
		return fmt.Sprintf(`{ type primary; file "/z/%s.zone"; also-notify { 127.0.0.1 port 5399 key "%s"; }; notify-delay 0; max-ixfr-ratio unlimited; };`, z, key)
	}
	var want []string
	for i := range 5 { // alike, without the entry
		z := fmt.Sprintf("old%d.test", i)
		put(z, plain(z))
		want = append(want, z)
	}
	for i := range 5 { // alike, with it
		z := fmt.Sprintf("new%d.test", i)
		put(z, withSelf(z, "bindgate-xfer"))
	}
	// "xfer" is part of the entry's text: zone xfer's block, whose key bindgate-xfer is the
	// entry's, has the shape of yfer's, whose key bindgate-yfer is not: each is judged alone.
	put("xfer", withSelf("xfer", "bindgate-xfer"))
	put("yfer", withSelf("yfer", "bindgate-yfer"))
	want = append(want, "yfer")
	if a, _ := f.reg.Shape("xfer"); a != must(f.reg.Shape("yfer")) {
		t.Fatal("xfer and yfer should share a shape")
	}

	var mu sync.Mutex
	var modified []string
	f.srv.Handle("showzone", func(cmd string) rndc.Response {
		z := strings.Fields(cmd)[1]
		return rndc.Response{Text: `zone "` + z + `" ` + blocks[z]}
	})
	f.srv.Handle("modzone", func(cmd string) rndc.Response {
		z := strings.Fields(cmd)[1]
		mu.Lock()
		modified = append(modified, z)
		mu.Unlock()
		return rndc.Response{}
	})
	if _, err := f.svc.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	slices.Sort(modified)
	slices.Sort(want)
	if !slices.Equal(modified, want) {
		t.Fatalf("modzone sent for %v, want %v", modified, want)
	}
	for _, z := range want {
		e, _ := f.reg.Get(z)
		if !strings.Contains(e.Block, `key "bindgate-xfer"`) {
			t.Errorf("%s: registry block %q lacks the entry", z, e.Block)
		}
	}
}

func must[T any](v T, ok bool) T {
	if !ok {
		panic("not found")
	}
	return v
}

// AfterReconcile runs once at the end of every pass, a failed one too.
func TestAfterReconcile(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	f := setup(t, func(c *zones.Config) { c.AfterReconcile = func() { calls.Add(1) } })
	registerServed(t, f, 3)
	if _, err := f.svc.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	f.dns.setFail(errors.New("named unreachable"))
	if _, err := f.svc.Reconcile(t.Context()); err == nil {
		t.Fatal("reconcile with named unreachable: no error")
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("AfterReconcile called %d times, want 2", n)
	}
}
