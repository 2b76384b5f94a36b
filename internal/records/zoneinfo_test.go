package records

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/dnsclient"
	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/registry"
	"github.com/bindgate/bindgate/internal/rndc"
	"github.com/bindgate/bindgate/internal/rndc/rndctest"
	"github.com/bindgate/bindgate/internal/zonefile"
	"github.com/bindgate/bindgate/internal/zones"
)

// factsFixture is a records service asking a real zones service, whose control channel is
// the in-process fake, so the test can count what a record write costs there.
type factsFixture struct {
	srv  *rndctest.Server
	dns  *fakeDNS
	reg  *registry.Registry
	zs   *zones.Service
	recs *Service
}

func newFactsFixture(t *testing.T) *factsFixture {
	t.Helper()
	key := bindkey.Key{Name: "k", Algorithm: bindkey.HMACSHA256, Secret: []byte("0123456789abcdef0123456789abcdef")}
	f := &factsFixture{srv: rndctest.Start(t, key), dns: &fakeDNS{}}
	c, err := rndc.New(rndc.Config{Addr: f.srv.Addr(), Key: func() bindkey.Key { return key }, CallTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	dir := t.TempDir()
	files, err := zonefile.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	if f.reg, err = registry.Open(t.Context(), filepath.Join(dir, ".state")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.reg.Close() })
	if f.zs, err = zones.New(zones.Config{RNDC: c, DNS: f.dns, Files: files, Registry: f.reg}); err != nil {
		t.Fatal(err)
	}
	if f.recs, err = New(Config{DNS: f.dns, Zones: f.zs}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *factsFixture) register(t *testing.T, z, block string) {
	t.Helper()
	if err := f.reg.Put(t.Context(), registry.Entry{Zone: z, Type: "primary", Block: block}); err != nil {
		t.Fatal(err)
	}
}

func addA(name string) AddRequest {
	typ, val := "A", "192.0.2.1"
	return AddRequest{Name: &name, Type: &typ, Value: &val}
}

// A record write to a zone bindgate manages asks zones, which answers from the registry: no
// showzone, no control message at all (issue 8 items 4 and 10).
func TestRecordWriteSendsNoControlMessage(t *testing.T) {
	t.Parallel()
	f := newFactsFixture(t)
	f.register(t, "a.test", `{ type primary; file "/z/a.test.zone"; allow-update { key "k"; }; };`)
	for range 3 {
		if _, err := f.recs.Add(t.Context(), "a.test", addA("www")); err != nil {
			t.Fatal(err)
		}
	}
	if cmds := f.srv.Commands(); len(cmds) != 0 {
		t.Fatalf("record writes sent control messages %q", cmds)
	}
	if got := len(f.dns.messages()); got == 0 {
		t.Fatal("no update was sent")
	}

	// Not updatable per the registry: the 400 of docs/contract.md §12.2, still without asking BIND.
	f.register(t, "b.test", `{ type primary; file "/z/b.test.zone"; };`)
	_, err := f.recs.Add(t.Context(), "b.test", addA("www"))
	if e, ok := errors.AsType[*errs.Error](err); !ok || e.Kind != errs.Invalid || !strings.Contains(e.Msg, "does not have allow-update") {
		t.Fatalf("write to a zone without allow-update: %v", err)
	}
	if cmds := f.srv.Commands(); len(cmds) != 0 {
		t.Fatalf("refusal sent control messages %q", cmds)
	}
}

// A registry entry can outlive the zone in BIND (named lost its NZD, reconcile has not run):
// when BIND then refuses the update, records asks BIND once and answers 404, as before.
func TestRefusedWriteRechecksWithBIND(t *testing.T) {
	t.Parallel()
	f := newFactsFixture(t)
	f.register(t, "gone.test", `{ type primary; file "/z/gone.test.zone"; allow-update { key "k"; }; };`)
	f.srv.Handle("showzone", func(string) rndc.Response { return rndc.Response{Result: 23, Err: "not found"} })
	f.dns.fail = func([]string) error {
		return &dnsclient.Error{Op: "update", Zone: "gone.test.", Rcode: dns.RcodeNotAuth, Kind: dnsclient.ErrNotAuth}
	}
	_, err := f.recs.Add(t.Context(), "gone.test", addA("www"))
	if e, ok := errors.AsType[*errs.Error](err); !ok || e.Kind != errs.NotFound || e.Msg != "Zone not found: gone.test" {
		t.Fatalf("write to a zone BIND lost: %v, want 404", err)
	}
	if cmds := f.srv.Commands(); len(cmds) != 1 || cmds[0] != "showzone gone.test" {
		t.Fatalf("control messages %q, want one showzone", cmds)
	}
}
