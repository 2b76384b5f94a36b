package zones_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/registry"
	"github.com/bindgate/bindgate/internal/rndc"
	"github.com/bindgate/bindgate/internal/zonecopy"
	"github.com/bindgate/bindgate/internal/zonefile"
	"github.com/bindgate/bindgate/internal/zones"
)

// fakeCopies is a zone copy store holding fixed copies.
type fakeCopies struct {
	mu      sync.Mutex
	m       map[string]zonecopy.Copy
	loadErr map[string]error // zones whose copy failed to load
}

func (c *fakeCopies) Loaded(z string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.loadErr[z]
}

func (c *fakeCopies) Current(z string) (zonecopy.Copy, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cp, ok := c.m[z]
	return cp, ok
}

func (c *fakeCopies) Delete(_ context.Context, z string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, z)
	return nil
}

func (c *fakeCopies) Discard(ctx context.Context, z string) error { return c.Delete(ctx, z) }

// secondaryCopy is a copy of s.test at serial, taken a minute before the fixture's clock.
func secondaryCopy(t *testing.T, serial uint32) zonecopy.Copy {
	t.Helper()
	var rrs []dns.RR
	for _, s := range []string{
		"s.test. 300 IN SOA ns1.s.test. admin.s.test. 1 3600 600 604800 86400",
		"s.test. 300 IN NS ns1.s.test.",
		"ns1.s.test. 300 IN A 192.0.2.53",
		"www.s.test. 300 IN A 192.0.2.80",
	} {
		rr, err := dns.NewRR(s)
		if err != nil {
			t.Fatal(err)
		}
		rrs = append(rrs, rr)
	}
	rrs[0].(*dns.SOA).Serial = serial
	return zonecopy.Copy{Serial: serial, RRs: rrs, Changed: time.Date(2026, 11, 24, 8, 59, 0, 0, time.UTC)}
}

// A registered secondary named lost is restored from bindgate's copy when there is one, so it
// serves at once although its primaries may be unreachable (issue 9 item 2): a text file at
// the copy's serial (never above the primary's), stale journals removed, and a block that makes
// named read that file. Without a copy, or when the block keeps another format or a file
// elsewhere, it is added back as it was and waits for a transfer.
func TestRestoreSecondary(t *testing.T) {
	t.Parallel()
	const (
		plain = `{ type secondary; primaries { 192.0.2.1; }; };`
		text  = `file "` + "DIR" + `/s.test.zone"; masterfile-format text;`
	)
	tests := []struct {
		name      string
		block     string // DIR stands for the zone directory
		copy      bool
		namedFile bool   // named left a file (serial 1, which the fake DNS serves)
		wantBlock string // the block addzone gets last; DIR as above
		wantFrom  string
		wantFile  bool // a file written from the copy
	}{
		{name: "from the copy", block: plain, copy: true,
			wantBlock: `{ type secondary; ` + text + ` primaries { 192.0.2.1; }; };`, wantFrom: zones.SourceCopy, wantFile: true},
		{name: "an earlier restore's statements are not added twice", copy: true,
			block:     `{ type secondary; file "DIR/s.test.zone"; primaries { 192.0.2.1; }; masterfile-format text; };`,
			wantBlock: `{ type secondary; file "DIR/s.test.zone"; primaries { 192.0.2.1; }; masterfile-format text; };`,
			wantFrom:  zones.SourceCopy, wantFile: true},
		{name: "named's own file is older than the copy: replaced", block: plain, copy: true, namedFile: true,
			wantBlock: `{ type secondary; ` + text + ` primaries { 192.0.2.1; }; };`, wantFrom: zones.SourceCopy, wantFile: true},
		{name: "no copy: transfer", block: plain, wantBlock: plain, wantFrom: zones.SourceTransfer},
		{name: "raw format: transfer", copy: true,
			block:     `{ type secondary; primaries { 192.0.2.1; }; masterfile-format raw; };`,
			wantBlock: `{ type secondary; primaries { 192.0.2.1; }; masterfile-format raw; };`, wantFrom: zones.SourceTransfer},
		{name: "a file outside the zone directory: transfer", copy: true,
			block:     `{ type secondary; primaries { 192.0.2.1; }; file "/elsewhere/s.db"; };`,
			wantBlock: `{ type secondary; primaries { 192.0.2.1; }; file "/elsewhere/s.db"; };`, wantFrom: zones.SourceTransfer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			copies := &fakeCopies{m: map[string]zonecopy.Copy{}}
			if tc.copy {
				copies.m["s.test"] = secondaryCopy(t, 7)
			}
			f := setup(t, func(c *zones.Config) { c.Copies = copies })
			block := strings.ReplaceAll(tc.block, "DIR", f.dir)
			if err := f.reg.Put(t.Context(), registry.Entry{Zone: "s.test", Type: "secondary", Block: block}); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(f.dir, "s.test.zone")
			if tc.namedFile {
				named := "; named's\ns.test. 300 IN SOA ns1.s.test. admin.s.test. 1 3600 600 604800 86400\n"
				if err := os.WriteFile(file, []byte(named), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(file+".jnl", []byte("stale"), 0o644); err != nil {
				t.Fatal(err)
			}
			f.srv.Handle("zonestatus", notFound)
			f.srv.Handle("addzone", func(string) rndc.Response { f.dns.serve("s.test", true); return rndc.Response{} })
			f.srv.Handle("delzone", func(string) rndc.Response { f.dns.drop("s.test"); return rndc.Response{} })

			rep, err := f.svc.Reconcile(t.Context())
			if err != nil || len(rep.Restored) != 1 {
				t.Fatalf("reconcile = %+v, %v", rep, err)
			}
			r := rep.Restored[0]
			if r.Source != tc.wantFrom {
				t.Errorf("source %q, want %q", r.Source, tc.wantFrom)
			}
			var added string
			for _, c := range f.srv.Commands() {
				if rest, ok := strings.CutPrefix(c, "addzone s.test "); ok {
					added = rest
				}
			}
			if want := strings.ReplaceAll(tc.wantBlock, "DIR", f.dir); added != want {
				t.Errorf("addzone block\n %s\nwant\n %s", added, want)
			}
			if e, _ := f.reg.Get("s.test"); e.Block != block {
				t.Errorf("registry block changed to %s", e.Block)
			}
			data, _ := os.ReadFile(file)
			_, jnlErr := os.Stat(file + ".jnl")
			if !tc.wantFile {
				if tc.copy && (r.Serial != nil || r.CopyAgeSeconds != nil) {
					t.Errorf("a transfer reports serial %v, copy age %v", r.Serial, r.CopyAgeSeconds)
				}
				if len(data) > 0 || jnlErr != nil {
					t.Errorf("zone directory touched: file %q, journal: %v", data, jnlErr)
				}
				return
			}
			if r.Serial == nil || *r.Serial != 7 || r.CopyAgeSeconds == nil || *r.CopyAgeSeconds != 60 {
				t.Errorf("report serial %v, copy age %v; want 7 (the copy's: no bump) and 60", r.Serial, r.CopyAgeSeconds)
			}
			if jnlErr == nil {
				t.Error("the stale journal was left beside the file written from the copy")
			}
			for _, want := range []string{"www.s.test.\t300\tIN\tA\t192.0.2.80", "\tSOA\tns1.s.test. admin.s.test. 7 "} {
				if !strings.Contains(string(data), want) {
					t.Errorf("zone file lacks %q:\n%s", want, data)
				}
			}
		})
	}
}

// A lost zone whose copy could not be loaded (damaged: zonecopy.Config.Lazy reports it at the
// zone's first use) is not restored from an older source past it: the reconcile reports the
// zone as failed and sends no addzone, whatever the zone's type.
func TestRestoreRefusesUnreadableCopy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, typ, block string }{
		{"primary", "primary", `{ type primary; file "p.test.zone"; };`},
		{"secondary", "secondary", `{ type secondary; primaries { 192.0.2.1; }; };`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			copies := &fakeCopies{m: map[string]zonecopy.Copy{}, loadErr: map[string]error{"p.test": errors.New("snapshot: bad checksum")}}
			f := setup(t, func(c *zones.Config) { c.Copies = copies })
			e := registry.Entry{Zone: "p.test", Type: tc.typ, Block: tc.block}
			if tc.typ == "primary" {
				e.ZoneFile = []byte("$ORIGIN p.test.\n@ 300 IN SOA ns1 admin 1 3600 600 604800 86400\n@ 300 IN NS ns1\nns1 300 IN A 192.0.2.1\n")
			}
			if err := f.reg.Put(t.Context(), e); err != nil {
				t.Fatal(err)
			}
			f.srv.Handle("zonestatus", notFound)
			rep, err := f.svc.Reconcile(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Readded) != 0 || len(rep.Failed) != 1 || rep.Failed[0].Zone != "p.test" {
				t.Errorf("report %+v, want p.test failed and nothing re-added", rep)
			}
			for _, c := range f.srv.Commands() {
				if strings.HasPrefix(c, "addzone") {
					t.Errorf("sent %q for a zone whose copy could not be read", c)
				}
			}
		})
	}
}

// GET of a secondary restored from the copy answers as for the secondary the caller created:
// the file is bindgate's, like its also-notify entry. A primary's file is still shown.
func TestGetHidesRestoreFile(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for _, e := range []registry.Entry{
		{Zone: "s.test", Type: "secondary", Block: `{ type secondary; primaries { 192.0.2.1; }; };`},
		{Zone: "p.test", Type: "primary", Block: `{ type primary; file "` + f.dir + `/p.test.zone"; };`},
	} {
		if err := f.reg.Put(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	f.srv.Handle("zonestatus", func(cmd string) rndc.Response {
		typ := "primary"
		if strings.Contains(cmd, "s.test") {
			typ = "secondary"
		}
		z := strings.Fields(cmd)[len(strings.Fields(cmd))-1]
		return rndc.Response{Text: "name: " + z + "\ntype: " + typ + "\nfiles: " + filepath.Join(f.dir, z+".zone") + "\nserial: 7\n"}
	})
	for z, want := range map[string]string{"s.test": "", "p.test": filepath.Join(f.dir, "p.test.zone")} {
		info, err := f.svc.Get(t.Context(), z)
		if err != nil {
			t.Fatal(err)
		}
		if info.FilePath != want {
			t.Errorf("GET %s: filePath %q, want %q", z, info.FilePath, want)
		}
	}
}

// A registered primary whose zone file is missing or torn (a power failure before the fsyncs
// that a create runs beside addzone, or outside damage) is rebuilt by reconcile: from the copy
// when there is one, else from the registry's file, whether named lost the zone (its NZD) or
// has it configured but cannot load it. A file that starts with the zone's SOA is named's to
// load and is never replaced, and a zone with nothing to rebuild from stays as it is.
func TestReconcileRebuildsLostZoneFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		file       *string // the zone file's content at reconcile; nil: missing
		inNZD      bool    // named still has the zone configured (not loaded); else it lost it
		copy       bool
		noRegFile  bool // the entry holds no zone file
		wantFrom   string
		wantDelete bool // delzone before the restore
		wantSerial uint32
	}{
		{name: "empty, configured", file: ptr(""), inNZD: true, wantFrom: zones.SourceRegistry, wantDelete: true, wantSerial: 2026112401},
		{name: "zeros, configured", file: ptr(strings.Repeat("\x00", 512)), inNZD: true, wantFrom: zones.SourceRegistry, wantDelete: true, wantSerial: 2026112401},
		{name: "cut short, configured", file: ptr("$ORIGIN a.test.\n$TTL 300\n@ IN SO"), inNZD: true, wantFrom: zones.SourceRegistry, wantDelete: true, wantSerial: 2026112401},
		{name: "missing, configured", inNZD: true, wantFrom: zones.SourceRegistry, wantDelete: true, wantSerial: 2026112401},
		{name: "empty, configured, with a copy", file: ptr(""), inNZD: true, copy: true, wantFrom: zones.SourceCopy, wantDelete: true, wantSerial: 2026112402},
		{name: "empty, lost with the NZD", file: ptr(""), wantFrom: zones.SourceRegistry, wantSerial: 2026112401},
		{name: "empty, lost with the NZD, with a copy", file: ptr(""), copy: true, wantFrom: zones.SourceCopy, wantSerial: 2026112402},
		{name: "intact, configured: named's to load", inNZD: true},
		{name: "empty, configured, nothing to rebuild from", file: ptr(""), inNZD: true, noRegFile: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			copies := &fakeCopies{m: map[string]zonecopy.Copy{}}
			f := setup(t, func(c *zones.Config) { c.Copies = copies })
			if _, err := f.svc.Create(t.Context(), primary("a.test")); err != nil {
				t.Fatal(err)
			}
			if tc.copy {
				c := secondaryCopy(t, 7) // records of s.test; the zone's name does not matter here
				var rrs []dns.RR
				for _, rr := range c.RRs {
					rr = dns.Copy(rr)
					rr.Header().Name = strings.Replace(rr.Header().Name, "s.test.", "a.test.", 1)
					switch v := rr.(type) {
					case *dns.SOA:
						v.Ns, v.Mbox = "ns1.a.test.", "admin.a.test."
					case *dns.NS:
						v.Ns = "ns1.a.test."
					}
					rrs = append(rrs, rr)
				}
				c.RRs = rrs
				copies.mu.Lock()
				copies.m["a.test"] = c // after the create: a copy left over would make it ask BIND first
				copies.mu.Unlock()
			}
			e, _, _ := f.reg.Load("a.test")
			if tc.noRegFile {
				e.ZoneFile, e.HasZoneFile = nil, false
				if err := f.reg.Put(t.Context(), e); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(f.dir, "a.test.zone")
			intact, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.file != nil:
				if err := os.WriteFile(path, []byte(*tc.file), 0o644); err != nil {
					t.Fatal(err)
				}
			case tc.wantFrom != "":
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
			}
			var mu sync.Mutex
			inBIND := tc.inNZD
			f.dns.drop("a.test")
			if tc.inNZD {
				f.dns.serve("a.test", false) // SERVFAIL: configured, not loaded
			}
			f.srv.Handle("zonestatus", func(string) rndc.Response {
				mu.Lock()
				defer mu.Unlock()
				if inBIND {
					return rndc.Response{Result: 1, Err: "zone not loaded"}
				}
				return notFound("")
			})
			f.srv.Handle("delzone", func(string) rndc.Response {
				mu.Lock()
				defer mu.Unlock()
				inBIND = false
				f.dns.drop("a.test")
				return rndc.Response{}
			})
			f.srv.Handle("addzone", func(string) rndc.Response { f.dns.serve("a.test", true); return rndc.Response{} })
			before := len(f.srv.Commands())

			rep, err := f.svc.Reconcile(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var verbs []string
			for _, c := range f.srv.Commands()[before:] {
				verb, _, _ := strings.Cut(c, " ")
				verbs = append(verbs, verb)
			}
			if got := slices.Contains(verbs, "delzone"); got != tc.wantDelete {
				t.Errorf("delzone sent = %v, want %v (commands %v)", got, tc.wantDelete, verbs)
			}
			if tc.wantFrom == "" {
				if len(rep.Restored) != 0 || slices.Contains(verbs, "addzone") {
					t.Fatalf("restored %+v (commands %v), want the zone left alone", rep.Restored, verbs)
				}
				if tc.file == nil {
					if got, _ := os.ReadFile(path); string(got) != string(intact) {
						t.Errorf("an intact file was replaced:\n%s", got)
					}
				}
				return
			}
			if len(rep.Restored) != 1 || rep.Restored[0].Source != tc.wantFrom {
				t.Fatalf("restored %+v, want one from %s (failed %+v)", rep.Restored, tc.wantFrom, rep.Failed)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if serial, ok := zonefile.Serial("a.test", got); !ok || serial != tc.wantSerial {
				t.Errorf("rebuilt file has serial %d (ok %v), want %d:\n%s", serial, ok, tc.wantSerial, got)
			}
			if tc.wantFrom == zones.SourceRegistry && string(got) != string(e.ZoneFile) {
				t.Errorf("rebuilt file differs from the registry's:\n%s", got)
			}
		})
	}
}
