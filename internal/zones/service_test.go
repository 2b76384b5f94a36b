package zones_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/dnsclient"
	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/registry"
	"github.com/bindgate/bindgate/internal/rndc"
	"github.com/bindgate/bindgate/internal/rndc/rndctest"
	"github.com/bindgate/bindgate/internal/zonefile"
	"github.com/bindgate/bindgate/internal/zones"
)

var key = bindkey.Key{Name: "k", Algorithm: bindkey.HMACSHA256, Secret: []byte("0123456789abcdef0123456789abcdef")}

type fixture struct {
	srv *rndctest.Server
	dns *fakeDNS
	svc *zones.Service
	dir string
	reg *registry.Registry
}

// setup starts a service on a fake control channel and fake DNS; opts change its Config.
func setup(t testing.TB, opts ...func(*zones.Config)) *fixture {
	t.Helper()
	f := &fixture{srv: rndctest.Start(t, key), dns: newFakeDNS(), dir: t.TempDir()}
	c, err := rndc.New(rndc.Config{Addr: f.srv.Addr(), Key: func() bindkey.Key { return key }, CallTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	files, err := zonefile.OpenStore(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	f.reg, err = registry.Open(t.Context(), filepath.Join(f.dir, ".state"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.reg.Close() })
	cfg := zones.Config{RNDC: c, DNS: f.dns, Files: files, Registry: f.reg,
		Now: func() time.Time { return time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC) }}
	for _, o := range opts {
		o(&cfg)
	}
	f.svc, err = zones.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func notFound(string) rndc.Response { return rndc.Response{Result: 23, Err: "not found"} }

func ptr[T any](v T) *T { return &v }

func primary(z string) zones.CreateRequest {
	return zones.CreateRequest{ZoneName: ptr(z), ZoneType: ptr("primary"), UpdateKeyName: ptr("k"), ZoneConfig: &zones.ZoneConfig{
		TTL: ptr(uint32(300)), SOA: &zones.SOARecord{PrimaryNS: ptr("ns1." + z + "."), AdminEmail: ptr("admin." + z + ".")},
		NameServers: []string{"ns1." + z + "."}, NameServerIPs: map[string]string{"ns1." + z + ".": "127.0.0.1"},
	}}
}

// kind is err's errs.Kind, with a create's 409 told apart as kindExists.
func kind(err error) errs.Kind {
	if errors.Is(err, zones.ErrExists) {
		return kindExists
	}
	return errs.KindOf(err)
}

const kindExists = errs.Kind(-1)

// A failed addzone leaves no file, no journal and no registry entry ([fix] docs/contract.md §18.2).
func TestCreateCleansUpAfterFailedAddzone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		resp      rndc.Response
		wantKind  errs.Kind
		wantUnavl bool
	}{
		{"permission denied is a 500", rndc.Response{Result: 6, Err: "permission denied", Text: "Not allowing new zones in view '_default'"}, 0, false},
		{"config rejection is a 400 without paths", rndc.Response{Result: 25, Err: "failure", Text: "configure_zone failed: /etc/bind/secret/path not found"}, errs.Invalid, false},
		{"race with another creator is 409", rndc.Response{Result: 18, Err: "already exists"}, kindExists, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.srv.Handle("zonestatus", notFound)
			f.srv.Handle("addzone", func(string) rndc.Response { return tc.resp })
			os.WriteFile(filepath.Join(f.dir, "a.test.zone.jnl"), []byte("stale"), 0o644)
			_, err := f.svc.Create(t.Context(), primary("a.test"))
			if err == nil || kind(err) != tc.wantKind {
				t.Fatalf("err = %v (kind %v), want kind %v", err, kind(err), tc.wantKind)
			}
			if strings.Contains(err.Error(), "secret/path") && tc.wantKind == errs.Invalid {
				if strings.Contains(errs.Public(err), "/etc/bind") {
					t.Fatalf("public message leaks a path: %s", errs.Public(err))
				}
			}
			for _, f2 := range []string{"a.test.zone", "a.test.zone.jnl"} {
				if _, err := os.Stat(filepath.Join(f.dir, f2)); err == nil {
					t.Errorf("%s left behind", f2)
				}
			}
			if _, ok := f.reg.Get("a.test"); ok {
				t.Error("registry entry left behind")
			}
		})
	}
}

// An existing zone is 409 before anything is touched ([fix] docs/contract.md §18.1), also when it is
// configured but not loaded.
func TestCreateExistingTouchesNothing(t *testing.T) {
	t.Parallel()
	for _, st := range []rndc.Response{{Text: "type: primary"}, {Result: 123, Err: "zone not loaded"}} {
		f := setup(t)
		f.srv.Handle("zonestatus", func(string) rndc.Response { return st })
		os.WriteFile(filepath.Join(f.dir, "a.test.zone"), []byte("theirs"), 0o644)
		os.WriteFile(filepath.Join(f.dir, "a.test.zone.jnl"), []byte("theirs"), 0o644)
		_, err := f.svc.Create(t.Context(), primary("a.test"))
		if kind(err) != kindExists {
			t.Fatalf("err = %v", err)
		}
		for _, n := range []string{"a.test.zone", "a.test.zone.jnl"} {
			if b, _ := os.ReadFile(filepath.Join(f.dir, n)); string(b) != "theirs" {
				t.Errorf("%s was touched", n)
			}
		}
		if cmds := f.srv.Commands(); len(cmds) != 1 {
			t.Errorf("commands %v: only zonestatus may run", cmds)
		}
	}
}

// A failed modzone puts the previous configuration back (docs/contract.md §10).
func TestModifyRestoresAfterFailedModzone(t *testing.T) {
	t.Parallel()
	f := setup(t)
	const show = `zone "a.test" { type primary; file "/z/a.test.zone"; allow-update { key "k"; }; also-notify { 192.0.2.1; }; };`
	f.srv.Handle("zonestatus", func(string) rndc.Response {
		return rndc.Response{Text: "type: primary\nreconfigurable via modzone: yes"}
	})
	f.srv.Handle("showzone", func(string) rndc.Response { return rndc.Response{Text: show} })
	var calls atomic.Int32 // handlers run on the fake's connection goroutines
	f.srv.Handle("modzone", func(string) rndc.Response {
		if calls.Add(1) == 1 {
			return rndc.Response{Result: 25, Err: "failure", Text: "dns_zone_loadnew failed: bad zone"}
		}
		return rndc.Response{}
	})
	_, err := f.svc.Modify(t.Context(), "a.test", zones.ModifyRequest{AlsoNotify: []string{"192.0.2.9"}})
	if err == nil {
		t.Fatal("modify succeeded")
	}
	cmds := f.srv.Commands()
	last := cmds[len(cmds)-1]
	if !strings.HasPrefix(last, "modzone a.test { type primary;") || !strings.Contains(last, "also-notify { 192.0.2.1; }") {
		t.Fatalf("previous configuration not restored; commands %q", cmds)
	}
}

func TestModifyRules(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.srv.Handle("zonestatus", func(string) rndc.Response { return rndc.Response{Text: "reconfigurable via modzone: no"} })
	if _, err := f.svc.Modify(t.Context(), "a.test", zones.ModifyRequest{}); kind(err) != errs.Invalid ||
		!strings.Contains(err.Error(), "At least one field") {
		t.Fatalf("empty PATCH: %v", err)
	}
	if _, err := f.svc.Modify(t.Context(), "a.test", zones.ModifyRequest{AlsoNotify: []string{"host.example"}}); kind(err) != errs.Invalid {
		t.Fatalf("bad endpoint: %v", err)
	}
	if _, err := f.svc.Modify(t.Context(), "a.test", zones.ModifyRequest{AlsoNotify: []string{}}); kind(err) != errs.Conflict {
		t.Fatalf("named.conf zone: %v", err)
	}
	if _, err := f.svc.Delete(t.Context(), "a.test"); kind(err) != errs.Conflict {
		t.Fatalf("delete of a named.conf zone: %v", err)
	}
}

// BIND unreachable or rejecting the key is ErrUnavailable (503), never a 4xx or a 200.
func TestTransientIsUnavailable(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.srv.SetMode(rndctest.CloseSilently)
	for name, op := range map[string]func() error{
		"status": func() error { _, err := f.svc.Status(t.Context(), "a.test"); return err },
		"create": func() error { _, err := f.svc.Create(t.Context(), primary("a.test")); return err },
		"delete": func() error { _, err := f.svc.Delete(t.Context(), "a.test"); return err },
	} {
		if err := op(); !errors.Is(err, zones.ErrUnavailable) {
			t.Errorf("%s: %v, want ErrUnavailable", name, err)
		}
	}
	if checks := f.svc.Ready(t.Context()); checks[2].Name != "rndc" || checks[2].OK {
		t.Error("ready with a rejected key")
	}
	// Listing and reconcile ask named over DNS: named unreachable there is ErrUnavailable too.
	f.reg.Put(t.Context(), registry.Entry{Zone: "a.test", Type: "primary", Block: "{ type primary; };"})
	f.dns.setFail(&dnsclient.Error{Op: "query", Rcode: -1, Kind: dnsclient.ErrUnreachable})
	if _, err := f.svc.List(t.Context()); !errors.Is(err, zones.ErrUnavailable) {
		t.Errorf("list: %v, want ErrUnavailable", err)
	}
	if _, err := f.svc.Reconcile(t.Context()); !errors.Is(err, zones.ErrUnavailable) {
		t.Errorf("reconcile: %v, want ErrUnavailable", err)
	}
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	f := setup(t)
	bad := map[string]func(*zones.CreateRequest){
		"no zoneName":      func(r *zones.CreateRequest) { r.ZoneName = nil },
		"bad type":         func(r *zones.CreateRequest) { r.ZoneType = ptr("forward") },
		"bad name":         func(r *zones.CreateRequest) { r.ZoneName = ptr("../etc") },
		"email admin":      func(r *zones.CreateRequest) { r.ZoneConfig.SOA.AdminEmail = ptr("admin@example.com") },
		"no soa":           func(r *zones.CreateRequest) { r.ZoneConfig.SOA = nil },
		"key injection":    func(r *zones.CreateRequest) { r.UpdateKeyName = ptr(`k"; }; allow-update { any; }; #`) },
		"policy injection": func(r *zones.CreateRequest) { r.ZoneConfig.DNSSECPolicy = ptr("a b") },
		"acl injection":    func(r *zones.CreateRequest) { r.ZoneConfig.AllowTransfer = []string{"any; }; allow-update { any"} },
		"secondary without primaries": func(r *zones.CreateRequest) {
			r.ZoneType = ptr("secondary")
		},
	}
	for name, mod := range bad {
		r := primary("a.test")
		mod(&r)
		if _, err := f.svc.Create(t.Context(), r); kind(err) != errs.Invalid && kind(err) != errs.Unprocessable {
			t.Errorf("%s: %v", name, err)
		}
	}
	if cmds := f.srv.Commands(); len(cmds) != 0 {
		t.Fatalf("invalid input reached BIND: %v", cmds)
	}
}

// A create of a name with nothing of an earlier zone left sends addzone alone (issue 13):
// addzone's "already exists" gives the 409, and the file, created exclusively by this request,
// goes again. A name with anything left (a zone file, a journal, a tombstone, an entry) takes
// the slow path: zonestatus first, and nothing of an existing zone is touched.
func TestCreateFastPath(t *testing.T) {
	t.Parallel()
	const stale = "stale"
	for _, tc := range []struct {
		name      string
		typ       string
		files     map[string]string // in the zone directory before the create
		tombstone bool
		entry     bool // registered already (named lost it: zonestatus says not found)
		inBIND    bool // zonestatus answers (the slow path's 409)
		addzone   *rndc.Response
		wantKind  errs.Kind
		wantCmds  []string
		wantFiles map[string]string // "" means the rendered file; absent means no file
		wantEntry bool
	}{
		{name: "nothing left: addzone alone", typ: "primary",
			wantCmds: []string{"addzone"}, wantFiles: map[string]string{"a.test.zone": ""}, wantEntry: true},
		{name: "secondary: addzone alone", typ: "secondary",
			wantCmds: []string{"addzone"}, wantFiles: map[string]string{}, wantEntry: true},
		{name: "addzone already exists: 409, the file this request made goes", typ: "primary",
			addzone: &rndc.Response{Result: 18, Err: "already exists"}, wantKind: kindExists,
			wantCmds: []string{"addzone"}, wantFiles: map[string]string{}},
		{name: "secondary, addzone already exists: 409 and no entry", typ: "secondary",
			addzone: &rndc.Response{Result: 18, Err: "already exists"}, wantKind: kindExists,
			wantCmds: []string{"addzone"}, wantFiles: map[string]string{}},
		{name: "zone file there and served: 409, untouched", typ: "primary", inBIND: true,
			files: map[string]string{"a.test.zone": stale, "a.test.zone.jnl": stale}, wantKind: kindExists,
			wantCmds: []string{"zonestatus"}, wantFiles: map[string]string{"a.test.zone": stale, "a.test.zone.jnl": stale}},
		{name: "zone file left by an earlier zone: replaced after zonestatus", typ: "primary",
			files: map[string]string{"a.test.zone": stale}, wantCmds: []string{"zonestatus", "addzone"},
			wantFiles: map[string]string{"a.test.zone": ""}, wantEntry: true},
		{name: "stale journal only: removed after zonestatus", typ: "primary",
			files: map[string]string{"a.test.zone.jbk": stale}, wantCmds: []string{"zonestatus", "addzone"},
			wantFiles: map[string]string{"a.test.zone": ""}, wantEntry: true},
		{name: "stale journal only and served: 409, untouched", typ: "primary", inBIND: true,
			files: map[string]string{"a.test.zone.jnl": stale}, wantKind: kindExists,
			wantCmds: []string{"zonestatus"}, wantFiles: map[string]string{"a.test.zone.jnl": stale}},
		{name: "tombstoned: zonestatus first", typ: "primary", tombstone: true,
			wantCmds: []string{"zonestatus", "addzone"}, wantFiles: map[string]string{"a.test.zone": ""}, wantEntry: true},
		{name: "tombstoned and served again: 409", typ: "primary", tombstone: true, inBIND: true, wantKind: kindExists,
			wantCmds: []string{"zonestatus"}, wantFiles: map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.srv.Handle("zonestatus", func(string) rndc.Response {
				if tc.inBIND {
					return rndc.Response{Text: "type: primary"}
				}
				return notFound("")
			})
			if tc.addzone != nil {
				f.srv.Handle("addzone", func(string) rndc.Response { return *tc.addzone })
			}
			for n, c := range tc.files {
				if err := os.WriteFile(filepath.Join(f.dir, n), []byte(c), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tc.tombstone {
				if err := f.reg.Tombstone(t.Context(), "a.test", time.Now()); err != nil {
					t.Fatal(err)
				}
			}
			req := primary("a.test")
			if tc.typ == "secondary" {
				req = zones.CreateRequest{ZoneName: ptr("a.test"), ZoneType: ptr("secondary"),
					ZoneConfig: &zones.ZoneConfig{Primaries: []string{"192.0.2.1"}}}
			}
			_, err := f.svc.Create(t.Context(), req)
			if kind(err) != tc.wantKind || (tc.wantKind == 0 && err != nil) {
				t.Fatalf("err = %v (kind %v), want kind %v", err, kind(err), tc.wantKind)
			}
			var cmds []string
			for _, c := range f.srv.Commands() {
				verb, _, _ := strings.Cut(c, " ")
				cmds = append(cmds, verb)
			}
			if diff := cmp.Diff(tc.wantCmds, cmds); diff != "" {
				t.Errorf("commands (-want +got):\n%s", diff)
			}
			e, registered, _ := f.reg.Load("a.test")
			if registered != tc.wantEntry {
				t.Errorf("registered = %v, want %v", registered, tc.wantEntry)
			}
			got := map[string]string{}
			ents, _ := os.ReadDir(f.dir)
			for _, de := range ents {
				if de.Type().IsRegular() {
					b, _ := os.ReadFile(filepath.Join(f.dir, de.Name()))
					got[de.Name()] = string(b)
				}
			}
			want := map[string]string{}
			for n, c := range tc.wantFiles {
				if c == "" {
					c = string(e.ZoneFile)
				}
				want[n] = c
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("zone directory (-want +got):\n%s", diff)
			}
			if _, dead := f.reg.Tombstoned("a.test"); tc.tombstone && tc.wantEntry && dead {
				t.Error("the tombstone stayed after the create")
			}
		})
	}
}

// A DELETE of a registered zone sends delzone alone (issue 13): delzone's "not found" is the
// 404, and the registry says the zone file is bindgate's. A zone bindgate did not add is asked
// about first, as before: a named.conf zone is 409 and untouched, an unknown one 404.
func TestDeleteAsksBINDOnlyAboutUnregisteredZones(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		registered bool
		status     rndc.Response // zonestatus's answer
		delzone    rndc.Response
		wantKind   errs.Kind
		wantErr    bool
		wantCmds   []string
		wantFile   bool // a.test.zone is still there
		wantEntry  bool
		wantTomb   bool
	}{
		{name: "registered", registered: true, wantCmds: []string{"delzone"}, wantTomb: true},
		{name: "registered, named lost it: 404", registered: true, delzone: notFound(""), wantKind: errs.NotFound,
			wantCmds: []string{"delzone"}, wantTomb: true},
		{name: "registered, delzone fails: all put back", registered: true, delzone: rndc.Response{Result: 25, Err: "failure"},
			wantErr: true, wantCmds: []string{"delzone"}, wantFile: true, wantEntry: true},
		{name: "not registered, its file named by zonestatus", status: rndc.Response{Text: "type: primary\nfiles: DIR/a.test.zone\nreconfigurable via modzone: yes"},
			wantCmds: []string{"zonestatus", "delzone"}, wantTomb: true},
		{name: "not registered, another file", status: rndc.Response{Text: "type: primary\nfiles: /elsewhere/a.db\nreconfigurable via modzone: yes"},
			wantCmds: []string{"zonestatus", "delzone"}, wantFile: true, wantTomb: true},
		{name: "not registered, named.conf zone: 409", status: rndc.Response{Text: "type: primary\nreconfigurable via modzone: no"},
			wantKind: errs.Conflict, wantCmds: []string{"zonestatus"}, wantFile: true},
		{name: "not registered, unknown: 404", status: notFound(""), wantKind: errs.NotFound,
			wantCmds: []string{"zonestatus"}, wantFile: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			path := filepath.Join(f.dir, "a.test.zone")
			if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			if tc.registered {
				block := `{ type primary; file "` + path + `"; };`
				// With a zone file, which the registry keeps on disk only: a put back must restore it.
				if err := f.reg.Put(t.Context(), registry.Entry{Zone: "a.test", Type: "primary", Block: block, ZoneFile: []byte("first")}); err != nil {
					t.Fatal(err)
				}
			}
			st := tc.status
			st.Text = strings.ReplaceAll(st.Text, "DIR", f.dir)
			f.srv.Handle("zonestatus", func(string) rndc.Response { return st })
			f.srv.Handle("delzone", func(string) rndc.Response { return tc.delzone })
			_, err := f.svc.Delete(t.Context(), "a.test")
			switch {
			case tc.wantKind != 0 && kind(err) != tc.wantKind, tc.wantKind == 0 && (err != nil) != tc.wantErr:
				t.Fatalf("err = %v (kind %v), want kind %v (an error: %v)", err, kind(err), tc.wantKind, tc.wantErr)
			}
			var cmds []string
			for _, c := range f.srv.Commands() {
				verb, _, _ := strings.Cut(c, " ")
				cmds = append(cmds, verb)
			}
			if diff := cmp.Diff(tc.wantCmds, cmds); diff != "" {
				t.Errorf("commands (-want +got):\n%s", diff)
			}
			if _, err := os.Stat(path); (err == nil) != tc.wantFile {
				t.Errorf("zone file there: %v, want %v", err == nil, tc.wantFile)
			}
			if _, ok := f.reg.Get("a.test"); ok != tc.wantEntry {
				t.Errorf("registered: %v, want %v", ok, tc.wantEntry)
			}
			if e, ok, err := f.reg.Load("a.test"); ok && string(e.ZoneFile) != "first" {
				t.Errorf("entry put back with zone file %q (%v), want %q", e.ZoneFile, err, "first")
			}
			if _, ok := f.reg.Tombstoned("a.test"); ok != tc.wantTomb {
				t.Errorf("tombstoned: %v, want %v", ok, tc.wantTomb)
			}
		})
	}
}
