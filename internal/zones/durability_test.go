package zones_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/namedtest"
	"github.com/bindgate/bindgate/internal/registry"
	"github.com/bindgate/bindgate/internal/rndc"
	"github.com/bindgate/bindgate/internal/zones"
)

const (
	blockA = `{ type primary; file "/z/a.test.zone"; allow-update { key "k"; }; };`
	showA  = `zone "a.test" ` + blockA
)

func registerA(t *testing.T, f *fixture) {
	t.Helper()
	if err := f.reg.Put(t.Context(), registry.Entry{Zone: "a.test", Type: "primary", Block: blockA}); err != nil {
		t.Fatal(err)
	}
	f.srv.Handle("zonestatus", func(string) rndc.Response {
		return rndc.Response{Text: "type: primary\nreconfigurable via modzone: yes"}
	})
	f.srv.Handle("showzone", func(string) rndc.Response { return rndc.Response{Text: showA} })
	f.dns.serve("a.test", true)
}

// The client disconnects right after delzone: the entry is gone all the same, and a
// reconcile does not bring the zone back (issue 9 item 1).
func TestDurabDeleteThenDisconnect(t *testing.T) {
	t.Parallel()
	f := setup(t)
	registerA(t, f)
	ctx, cancel := context.WithCancel(t.Context())
	f.srv.Handle("delzone", func(string) rndc.Response {
		f.srv.Handle("zonestatus", notFound)
		f.dns.drop("a.test")
		cancel() // the client went away once BIND had applied the change
		return rndc.Response{}
	})
	if _, err := f.svc.Delete(ctx, "a.test"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, ok := f.reg.Get("a.test"); ok {
		t.Fatal("registry entry left behind after delzone")
	}
	rep, err := f.svc.Reconcile(t.Context())
	if err != nil || len(rep.Readded) != 0 {
		t.Fatalf("reconcile after delete: %+v, %v", rep, err)
	}
}

// The client disconnects right after modzone: the registry has the new block.
func TestDurabModifyThenDisconnect(t *testing.T) {
	t.Parallel()
	f := setup(t)
	registerA(t, f)
	ctx, cancel := context.WithCancel(t.Context())
	f.srv.Handle("modzone", func(string) rndc.Response { cancel(); return rndc.Response{} })
	if _, err := f.svc.Modify(ctx, "a.test", zones.ModifyRequest{AlsoNotify: []string{"192.0.2.9"}}); err != nil {
		t.Fatalf("modify: %v", err)
	}
	if e, _ := f.reg.Get("a.test"); !strings.Contains(e.Block, "192.0.2.9") {
		t.Fatalf("registry block %q lacks the change", e.Block)
	}
}

// A read-only state directory: no 2xx for a change that was not saved, BIND untouched by a
// PATCH, and no deleted zone that a reconcile could re-add.
func TestDurabReadOnlyStateDir(t *testing.T) {
	f := setup(t)
	registerA(t, f)
	namedtest.ReadOnly(t, filepath.Join(f.dir, ".state", "zones"))

	if _, err := f.svc.Modify(t.Context(), "a.test", zones.ModifyRequest{AlsoNotify: []string{"192.0.2.9"}}); err == nil {
		t.Fatal("modify answered success with a read-only registry")
	} else if k := errs.KindOf(err); k != errs.Internal && k != errs.InsufficientStorage {
		t.Fatalf("modify: kind %v (%v), want internal or insufficient storage", k, err)
	}
	if _, err := f.svc.Delete(t.Context(), "a.test"); err == nil {
		t.Fatal("delete answered success with a read-only registry")
	}
	for _, c := range f.srv.Commands() {
		if strings.HasPrefix(c, "modzone") || strings.HasPrefix(c, "delzone") {
			t.Fatalf("BIND was changed although the registry could not record it: %q", c)
		}
	}
	if e, _ := f.reg.Get("a.test"); e.Block != blockA {
		t.Fatalf("registry block changed to %q", e.Block)
	}
}

// A DELETE that finds the zone gone from BIND but registered removes the entry and is 404.
func TestDurabDeleteOfLostZoneForgetsIt(t *testing.T) {
	t.Parallel()
	f := setup(t)
	registerA(t, f)
	f.srv.Handle("zonestatus", notFound)
	f.srv.Handle("delzone", notFound)
	f.dns.drop("a.test")
	if _, err := f.svc.Delete(t.Context(), "a.test"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("delete of a lost zone: %v, want not found", err)
	}
	if _, ok := f.reg.Get("a.test"); ok {
		t.Fatal("entry kept: a reconcile would bring the deleted zone back")
	}
}

// addzone whose reply is lost: zonestatus says the zone is there with bindgate's file, so
// the create succeeded, and addzone was sent once.
func TestDurabAddzoneDroppedAsksBIND(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var added atomic.Bool // handlers run on the fake's connection goroutines
	f.srv.Handle("zonestatus", func(string) rndc.Response {
		if !added.Load() {
			return notFound("")
		}
		return rndc.Response{Text: "type: primary\nfiles: " + filepath.Join(f.dir, "a.test.zone")}
	})
	f.srv.Handle("addzone", func(string) rndc.Response { added.Store(true); return rndc.Response{} })
	f.srv.DropAfter("addzone", 1)
	if _, err := f.svc.Create(t.Context(), primary("a.test")); err != nil {
		t.Fatalf("create: %v", err)
	}
	n := 0
	for _, c := range f.srv.Commands() {
		if strings.HasPrefix(c, "addzone") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("addzone sent %d times", n)
	}
	if _, ok := f.reg.Get("a.test"); !ok {
		t.Fatal("registry entry removed although the zone was added")
	}
}

// named is killed right after delzone and comes back with the zone in its NZD: reconcile
// deletes it again, because the delete left a tombstone; a create of the name clears it.
func TestDurabDeletedZoneStaysDeleted(t *testing.T) {
	t.Parallel()
	f := setup(t)
	registerA(t, f)
	f.srv.Handle("delzone", func(string) rndc.Response {
		return rndc.Response{Text: "zone 'a.test' scheduled for removal"}
	})
	if _, err := f.svc.Delete(t.Context(), "a.test"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, ok := f.reg.Tombstoned("a.test"); !ok {
		t.Fatal("no tombstone after a delete")
	}
	// named still serves it (its NZD kept the zone): zonestatus and the SOA say so.
	var deleted atomic.Bool
	f.srv.Handle("delzone", func(string) rndc.Response {
		deleted.Store(true)
		f.srv.Handle("zonestatus", notFound)
		f.dns.drop("a.test")
		return rndc.Response{}
	})
	rep, err := f.svc.Reconcile(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !deleted.Load() || len(rep.Removed) != 1 || rep.Removed[0] != "a.test" {
		t.Fatalf("reconcile: delzone sent %v, report %+v; want a.test removed", deleted.Load(), rep)
	}
	// Nothing left to do: the next pass removes nothing.
	if rep, err := f.svc.Reconcile(t.Context()); err != nil || len(rep.Removed) != 0 {
		t.Fatalf("second reconcile: %+v, %v", rep, err)
	}
}

// A registered zone is never deleted by reconcile, tombstone or not (a create of the name
// after a delete registers it first).
func TestDurabTombstoneOfRegisteredZoneIsIgnored(t *testing.T) {
	t.Parallel()
	f := setup(t)
	registerA(t, f)
	if err := f.reg.Tombstone(t.Context(), "a.test", time.Now()); err != nil {
		t.Fatal(err)
	}
	f.srv.Handle("delzone", func(string) rndc.Response {
		t.Error("reconcile deleted a registered zone")
		return rndc.Response{}
	})
	if rep, err := f.svc.Reconcile(t.Context()); err != nil || len(rep.Removed) != 0 {
		t.Fatalf("reconcile: %+v, %v", rep, err)
	}
}
