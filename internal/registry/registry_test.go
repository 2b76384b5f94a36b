package registry

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// nowText is fixedNow as an entry file writes it.
const nowText = "2026-11-24T09:00:00Z"

func fixedNow() time.Time { return time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC) }

func open(t testing.TB, dir string) *Registry {
	t.Helper()
	r, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestDurable(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state") // created by Open
	now := fixedNow()
	a := Entry{Zone: "a.test", Type: "primary", Block: `{ type primary; file "/z/a.test.zone"; };`, ZoneFile: []byte("$TTL 1\n"), Created: now, Modified: now}
	b := Entry{Zone: "b.test", Type: "secondary", Block: `{ type secondary; primaries { 10.0.0.1; }; };`, Created: now, Modified: now}
	a2 := a
	a2.Block, a2.Modified = `{ type primary; file "/z/a.test.zone"; also-notify { 10.0.0.9; }; };`, now.Add(time.Hour)

	steps := []struct {
		name string
		do   func(t *testing.T, r *Registry)
		want []Entry
	}{
		{"put two", func(t *testing.T, r *Registry) { mustPut(t, r, b, a) }, []Entry{a, b}},
		{"replace one", func(t *testing.T, r *Registry) { mustPut(t, r, a2) }, []Entry{a2, b}},
		{"delete one", func(t *testing.T, r *Registry) { mustDelete(t, r, "a.test") }, []Entry{b}},
		{"delete missing", func(t *testing.T, r *Registry) { mustDelete(t, r, "a.test", "never.test") }, []Entry{b}},
		{"delete last", func(t *testing.T, r *Registry) { mustDelete(t, r, "b.test") }, []Entry{}},
	}
	for _, st := range steps {
		r := open(t, dir)
		st.do(t, r)
		// List leaves the zone file out (it stays on disk); Load reads it.
		listed := make([]Entry, len(st.want))
		for i, e := range st.want {
			listed[i] = e
			listed[i].ZoneFile, listed[i].HasZoneFile = nil, len(e.ZoneFile) > 0
		}
		if diff := cmp.Diff(listed, r.List()); diff != "" {
			t.Fatalf("%s: in memory (-want +got):\n%s", st.name, diff)
		}
		r.Close()
		r = open(t, dir)
		if diff := cmp.Diff(listed, r.List()); diff != "" {
			t.Fatalf("%s: after reopening (-want +got):\n%s", st.name, diff)
		}
		for i, e := range st.want {
			got, ok, err := r.Load(e.Zone)
			want := listed[i]
			want.ZoneFile = e.ZoneFile
			if diff := cmp.Diff(want, got); !ok || err != nil || diff != "" {
				t.Fatalf("%s: Load(%s) = %v, %v (-want +got):\n%s", st.name, e.Zone, ok, err, diff)
			}
		}
		if r.Len() != len(st.want) {
			t.Fatalf("%s: Len = %d", st.name, r.Len())
		}
		for _, e := range listed {
			if got, ok := r.Get(e.Zone); !ok || !cmp.Equal(got, e) {
				t.Fatalf("%s: Get(%s) = %+v, %v", st.name, e.Zone, got, ok)
			}
		}
	}
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("registry directory: %v, %v (want mode 0700)", st, err)
	}
}

func mustPut(t *testing.T, r *Registry, es ...Entry) {
	t.Helper()
	for _, e := range es {
		if err := r.Put(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
}

func mustDelete(t *testing.T, r *Registry, zones ...string) {
	t.Helper()
	for _, z := range zones {
		if err := r.Delete(t.Context(), z); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFileFormat(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := open(t, dir)
	now := fixedNow()
	mustPut(t, r, Entry{Zone: "a.test", Type: "primary", Block: "{ type primary; };", ZoneFile: []byte("x"), Created: now, Modified: now})
	b, err := os.ReadFile(filepath.Join(dir, "zones", "a.test.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"v":1,"zone":"a.test","type":"primary","block":"{ type primary; };","zoneFile":"eA==","created":"` + nowText + `","modified":"` + nowText + `"}`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("entry file (-want +got):\n%s", diff)
	}
	st, err := os.Stat(filepath.Join(dir, "zones", "a.test.json"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("entry file: %v, %v (want mode 0600)", st, err)
	}
}

// The zone file stays on disk (issue 13): Get leaves it out and says there is one, Load reads
// it, a Put of an entry from Get keeps it, and a Put of an entry without one removes it.
func TestZoneFileOnDisk(t *testing.T) {
	t.Parallel()
	r := open(t, t.TempDir())
	zf := []byte("abc")
	mustPut(t, r, Entry{Zone: "a.test", Block: "{ type primary; };", ZoneFile: zf})
	zf[0] = 'X'
	zoneFile := func(step string, want string) {
		t.Helper()
		e, ok, err := r.Load("a.test")
		if !ok || err != nil || string(e.ZoneFile) != want || e.HasZoneFile != (want != "") {
			t.Errorf("%s: Load = %q (has %v), %v, %v; want %q", step, e.ZoneFile, e.HasZoneFile, ok, err, want)
		}
	}
	zoneFile("put", "abc")
	e, _ := r.Get("a.test")
	if e.ZoneFile != nil || !e.HasZoneFile {
		t.Errorf("Get: zone file %q, has %v; want it left out and said to be there", e.ZoneFile, e.HasZoneFile)
	}
	e.Block = "{ type primary; also-notify { 10.0.0.9; }; };"
	mustPut(t, r, e)
	zoneFile("put of an entry from Get", "abc")
	if got, _ := r.Get("a.test"); got.Block != e.Block {
		t.Errorf("block = %q, want %q", got.Block, e.Block)
	}
	e.HasZoneFile = false
	mustPut(t, r, e)
	zoneFile("put without a zone file", "")
}

func TestRefusesNames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := open(t, dir)
	for _, bad := range []string{"../x", "a/b", "A.test", "a.test.", "", "..", "/etc/passwd", "a b", "x\n"} {
		if err := r.Put(t.Context(), Entry{Zone: bad}); err == nil {
			t.Errorf("Put(%q) accepted", bad)
		}
		if err := r.Delete(t.Context(), bad); err == nil {
			t.Errorf("Delete(%q) accepted", bad)
		}
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "zones"))
	if len(ents) != 0 || r.Len() != 0 {
		t.Errorf("files %v, Len %d after refused names", ents, r.Len())
	}
}

// TestCorruptEntry: Open refuses an unreadable entry file, naming it and not its content.
func TestCorruptEntry(t *testing.T) {
	t.Parallel()
	const secret = "do-not-print"
	tests := []struct {
		name, file, content, why string
	}{
		{"truncated JSON", "x.test.json", `{"v":1,"zone":"x.test","block":"` + secret, "not valid JSON"},
		{"not JSON", "x.test.json", secret, "not valid JSON"},
		{"unknown version", "x.test.json", `{"v":2,"zone":"x.test","block":"` + secret + `"}`, "format version 2"},
		{"no version", "x.test.json", `{"zone":"x.test","block":"` + secret + `"}`, "format version 0"},
		{"other zone inside", "x.test.json", `{"v":1,"zone":"y.test","block":"` + secret + `"}`, "another zone"},
		{"bad file name", "X.test.json", `{"v":1,"zone":"X.test","block":"` + secret + `"}`, "normalised"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeEntry(t, dir, "ok.test.json", `{"v":1,"zone":"ok.test","type":"primary"}`)
			writeEntry(t, dir, tc.file, tc.content)
			_, err := Open(t.Context(), dir)
			if err == nil {
				t.Fatal("Open accepted a corrupt entry")
			}
			msg := err.Error()
			if !strings.Contains(msg, filepath.Join(dir, "zones", tc.file)) || !strings.Contains(msg, tc.why) || strings.Contains(msg, secret) {
				t.Errorf("error %q: want the file's path and %q, not its content", msg, tc.why)
			}
		})
	}
}

func TestOpenTidies(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeEntry(t, dir, "a.test.json", `{"v":1,"zone":"a.test","type":"primary"}`)
	writeEntry(t, dir, ".b.test.json.tmp-0123456789abcdef", `{"v":1,"zone":"b.te`) // interrupted write
	writeEntry(t, dir, "README", "not an entry")
	r := open(t, dir)
	if diff := cmp.Diff([]Entry{{Zone: "a.test", Type: "primary"}}, r.List()); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "zones"))
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"README", "a.test.json"}, names); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func writeEntry(t testing.TB, dir, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "zones"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "zones", name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrent runs Put, Delete and reads of different zones at once (run with -race).
func TestConcurrent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := open(t, dir)
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			z := fmt.Sprintf("z%d.test", i)
			if err := r.Put(t.Context(), Entry{Zone: z, Type: "primary"}); err != nil {
				t.Error(err)
			}
			if i%2 == 1 {
				if err := r.Delete(t.Context(), z); err != nil {
					t.Error(err)
				}
			}
			_ = r.List()
			_, _ = r.Get(z)
		})
	}
	wg.Wait()
	if r.Len() != 32 {
		t.Fatalf("Len = %d, want 32", r.Len())
	}
	r.Close()
	if r2 := open(t, dir); r2.Len() != 32 {
		t.Fatalf("after reopening Len = %d, want 32", r2.Len())
	}
}

// TestLoadTenThousand reports how long opening a registry of 10,000 zones takes. No timing
// assertion, which would fail on a slow machine; the figure is quoted in the package comment.
func TestLoadTenThousand(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	t.Parallel()
	dir := t.TempDir()
	zoneFile := strings.Repeat("x", 300)
	for i := range 10000 {
		z := fmt.Sprintf("zone%05d.test", i)
		writeEntry(t, dir, z+".json", fmt.Sprintf(`{"v":1,"zone":%q,"type":"primary","block":"{ type primary; file \"/var/cache/bind/%s.zone\"; allow-update { key \"bindy-operator\"; }; };","zoneFile":%q,"created":"2026-11-24T09:00:00Z","modified":"2026-11-24T09:00:00Z"}`, z, z, zoneFile))
	}
	start := time.Now()
	r := open(t, dir)
	elapsed := time.Since(start)
	if r.Len() != 10000 {
		t.Fatalf("loaded %d entries", r.Len())
	}
	t.Logf("opened a registry of 10,000 zones in %v", elapsed)
}

// BenchmarkPut measures one durable change: write, two fsyncs, rename.
func BenchmarkPut(b *testing.B) {
	r := open(b, b.TempDir())
	e := Entry{Type: "primary", Block: `{ type primary; file "/var/cache/bind/x.zone"; allow-update { key "bindy-operator"; }; };`,
		ZoneFile: []byte(strings.Repeat("x", 300)), Created: fixedNow(), Modified: fixedNow()}
	for i := 0; b.Loop(); i++ {
		e.Zone = fmt.Sprintf("z%d.test", i%10000)
		if err := r.Put(b.Context(), e); err != nil {
			b.Fatal(err)
		}
	}
}
