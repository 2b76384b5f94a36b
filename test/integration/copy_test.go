package integration

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/dnsclient"
	"github.com/bindgate/bindgate/internal/zonecopy"
)

// readCopy opens a snapshot of bindgate's zone copy directory (copied first, so the test never
// touches files bindgate may be writing) and returns the store.
func readCopy(t *testing.T, s *stack) *zonecopy.Store {
	t.Helper()
	src := filepath.Join(s.named.Dir, "bindgate-state", "copies")
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
	st, err := zonecopy.Open(t.Context(), zonecopy.Config{Dir: dst})
	if err != nil {
		t.Fatalf("open copy: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// copyHas polls until the copy of zone holds every record in want (one-line presentation
// text), failing the test after within.
func copyHas(t *testing.T, s *stack, zone string, within time.Duration, want ...string) *zonecopy.Store {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		st := readCopy(t, s)
		var have []string
		if c, ok := st.Current(zone); ok {
			for _, rr := range c.RRs {
				have = append(have, strings.Join(strings.Fields(rr.String()), " "))
			}
		}
		missing := slices.DeleteFunc(slices.Clone(want), func(w string) bool { return slices.Contains(have, w) })
		if len(missing) == 0 {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("zone copy of %s lacks %v after %v; it holds %v", zone, missing, within, have)
		}
		<-tick.C
	}
}

func directClient(t *testing.T, s *stack) *dnsclient.Client {
	t.Helper()
	key := s.named.Key
	c, err := dnsclient.New(dnsclient.Config{Addr: s.named.DNSAddr, Key: func() bindkey.Key { return key }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestCopyFollowsEveryChange: the copy gets the API's changes (with their caller) and bindy's
// direct TSIG updates (external) within 2 s, named NOTIFYs bindgate through the also-notify
// entry bindgate added, and that entry is kept through PATCH alsoNotify.
func TestCopyFollowsEveryChange(t *testing.T) {
	const zone = "copy.test"
	s, records, rrsets := recordStack(t, zone)
	c := directClient(t, s)

	show := showzone(t, s, zone)
	if !strings.Contains(show, `key "`+s.named.Key.Name+`"`) || !strings.Contains(show, "also-notify") {
		t.Fatalf("zone lacks bindgate's also-notify entry: %s", show)
	}

	r := s.do("POST", records, map[string]any{"name": "api1", "type": "A", "value": "192.0.2.1"})
	s.expect(r, http.StatusCreated, "")
	reqID := r.Header.Get("X-Request-Id")

	m := new(dns.Msg)
	m.SetUpdate(zone + ".")
	rr, _ := dns.NewRR("direct1." + zone + ". 300 IN A 192.0.2.2")
	m.Insert([]dns.RR{rr})
	if err := c.Update(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	st := copyHas(t, s, zone, 2*time.Second,
		"api1.copy.test. 3600 IN A 192.0.2.1", "direct1.copy.test. 300 IN A 192.0.2.2")

	hist, err := st.History(zone, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var api, ext bool
	for _, h := range hist {
		ch, err := st.Change(zone, h.To)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range ch.Added {
			switch a.Header().Name {
			case "api1.copy.test.":
				api = true
				if !slices.Equal(h.Actors, []zonecopy.Actor{{Principal: "shared-token", RequestID: reqID}}) {
					t.Errorf("API change actors %+v, want shared-token/%s", h.Actors, reqID)
				}
			case "direct1.copy.test.":
				ext = true
				if len(h.Actors) != 0 {
					t.Errorf("direct change has actors %+v, want external", h.Actors)
				}
			}
		}
	}
	if !api || !ext {
		t.Fatalf("history lacks a change (api %v, direct %v): %+v", api, ext, hist)
	}

	// A burst of direct updates (a lost NOTIFY here or there is the sweep's): all arrive.
	var want []string
	for i := range 20 {
		m := new(dns.Msg)
		m.SetUpdate(zone + ".")
		line := fmt.Sprintf("burst%d.copy.test. 300 IN TXT \"n%d\"", i, i)
		rr, _ := dns.NewRR(line)
		m.Insert([]dns.RR{rr})
		if err := c.Update(t.Context(), m); err != nil {
			t.Fatal(err)
		}
		want = append(want, line)
	}
	copyHas(t, s, zone, 2*time.Second, want...)

	// PATCH alsoNotify: the caller's list replaces theirs, bindgate's entry stays.
	s.expect(s.do("PATCH", "/api/v1/zones/"+zone, map[string]any{"alsoNotify": []string{"127.0.0.9"}}), http.StatusOK, "")
	show = showzone(t, s, zone)
	if !strings.Contains(show, `key "`+s.named.Key.Name+`"`) || !strings.Contains(show, "127.0.0.9") {
		t.Fatalf("after PATCH: %s", show)
	}
	_ = rrsets
}

// TestCopyServesReads: GET rrsets and export answer from the copy, and what they answer is
// what an AXFR gives, byte for byte.
func TestCopyServesReads(t *testing.T) {
	const zone = "reads.test"
	s, records, rrsets := recordStack(t, zone)
	c := directClient(t, s)
	for i := range 5 {
		s.expect(s.do("POST", records, map[string]any{"name": fmt.Sprintf("Host%d", i), "type": "A", "value": fmt.Sprintf("192.0.2.%d", i+1)}), http.StatusCreated, "")
	}
	s.expect(s.do("POST", records, map[string]any{"name": "host0", "type": "TXT", "value": "b"}), http.StatusCreated, "")
	serial, ok := soa(t, s.named.DNSAddr, zone)
	if !ok {
		t.Fatal("no SOA")
	}
	copyHas(t, s, zone, 2*time.Second, "host4.reads.test. 3600 IN A 192.0.2.5")

	axfr, err := c.Transfer(t.Context(), zone)
	if err != nil {
		t.Fatal(err)
	}
	canon, err := zonecopy.Canonical(zone, axfr)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "; zone %s, serial %d, exported by bindgate\n$ORIGIN %s.\n", zone, serial, zone)
	for _, rr := range canon {
		b.WriteString(rr.String() + "\n")
	}
	exp := s.do("GET", "/api/v1/zones/"+zone+"/export", nil)
	s.expect(exp, http.StatusOK, "")
	if exp.Raw != b.String() {
		t.Fatalf("export from the copy differs from the AXFR:\n%s\nwant\n%s", exp.Raw, b.String())
	}
	got := s.do("GET", rrsets, nil)
	s.expect(got, http.StatusOK, "")
	if etag := got.Header.Get("ETag"); !strings.Contains(etag, fmt.Sprint(serial)) {
		t.Errorf("ETag %q, want the serial %d", etag, serial)
	}
}

// TestCopyServesRRsets: GET /rrsets from the copy (the first read builds the cached answer,
// the second is served from it; filtered reads scan it) is byte for byte what bindgate
// answers by AXFR, the same requests sent again to a bindgate without the copy on the same
// named at the same serial; so is the export.
func TestCopyServesRRsets(t *testing.T) {
	const zone = "sets.test"
	s, records, rrsets := recordStack(t, zone)
	for _, r := range []map[string]any{
		{"name": "Host0", "type": "A", "value": "192.0.2.1"},
		{"name": "host0", "type": "A", "value": "192.0.2.2"},
		{"name": "host0", "type": "TXT", "value": `"<b> & 'q' \"x\""`},
		{"name": "a-b", "type": "TXT", "value": "v1"},
		{"name": "a.b", "type": "TXT", "value": "v2"},
		{"name": "mail", "type": "MX", "value": "20 host0.sets.test."},
		{"name": "mail", "type": "MX", "value": "10 host0.sets.test."},
		{"name": "*", "type": "CNAME", "value": "host0.sets.test."},
	} {
		s.expect(s.do("POST", records, r), http.StatusCreated, "")
	}
	copyHas(t, s, zone, 2*time.Second, "mail.sets.test. 3600 IN MX 10 host0.sets.test.")
	serial, ok := soa(t, s.named.DNSAddr, zone)
	if !ok {
		t.Fatal("no SOA")
	}
	paths := []string{rrsets, rrsets, rrsets + "?name=host0", rrsets + "?type=a", rrsets + "?name=HOST0.sets.test.&type=TXT",
		rrsets + "?name=nothing", "/api/v1/zones/" + zone + "/export"}
	read := func() []response {
		var out []response
		for _, p := range paths {
			r := s.do("GET", p, nil)
			s.expect(r, http.StatusOK, "")
			out = append(out, r)
		}
		return out
	}
	fromCopy := read()
	if fromCopy[0].Raw != fromCopy[1].Raw {
		t.Fatalf("the cached answer differs from the first:\n%s\n%s", fromCopy[1].Raw, fromCopy[0].Raw)
	}
	s.stopAPI()
	s.noCopy = true
	s.startAPI()
	byAXFR := read()
	if now, _ := soa(t, s.named.DNSAddr, zone); now != serial {
		t.Fatalf("the zone moved from serial %d to %d between the reads", serial, now)
	}
	for i, p := range paths {
		if fromCopy[i].Raw != byAXFR[i].Raw {
			t.Errorf("GET %s from the copy differs from the AXFR:\n%s\nwant\n%s", p, fromCopy[i].Raw, byAXFR[i].Raw)
		}
		if a, b := fromCopy[i].Header.Get("ETag"), byAXFR[i].Header.Get("ETag"); a != b {
			t.Errorf("GET %s: ETag %q from the copy, %q by AXFR", p, a, b)
		}
		if a, b := fromCopy[i].Header.Get("Content-Type"), byAXFR[i].Header.Get("Content-Type"); a != b {
			t.Errorf("GET %s: Content-Type %q from the copy, %q by AXFR", p, a, b)
		}
	}
	if etag := fromCopy[0].Header.Get("ETag"); etag != fmt.Sprintf("%q", fmt.Sprint(serial)) {
		t.Errorf("ETag %q, want the serial %d", etag, serial)
	}
	if !strings.Contains(fromCopy[4].Raw, `"<b> & 'q'`) { // HTML not escaped, as every JSON body
		t.Errorf("filtered TXT: %s", fromCopy[4].Raw)
	}
}

// TestLocalCopyMatchesNamed: API changes are applied to the copy ahead of named (the fast path
// of zonesync.Local). After every change of a mix that exercises BIND's update rules (an add
// with another TTL re-times the RRset, duplicate adds, RRset replacement, a CNAME replacing a
// CNAME, deletions, If-Match, a concurrent batch) the copy on disk is exactly named's AXFR, and
// the later comparison with named's own record of the changes found no difference.
func TestLocalCopyMatchesNamed(t *testing.T) {
	const zone = "local.test"
	s, records, rrsets := recordStack(t, zone)
	c := directClient(t, s)
	same := func(step string) {
		t.Helper()
		rrs, err := c.Transfer(t.Context(), zone)
		if err != nil {
			t.Fatal(err)
		}
		want, err := zonecopy.Canonical(zone, rrs)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := readCopy(t, s).Current(zone)
		if !ok {
			t.Fatalf("%s: no copy", step)
		}
		if a, b := fmt.Sprint(got.RRs), fmt.Sprint(want); a != b {
			t.Fatalf("%s: copy\n%s\nnamed\n%s", step, a, b)
		}
	}
	patch := func(sets ...map[string]any) response {
		return s.do("PATCH", rrsets, map[string]any{"rrsets": sets})
	}
	s.expect(s.do("POST", records, map[string]any{"name": "www", "type": "A", "value": "192.0.2.1", "ttl": 300}), http.StatusCreated, "")
	same("add")
	s.expect(s.do("POST", records, map[string]any{"name": "www", "type": "A", "value": "192.0.2.2", "ttl": 600}), http.StatusCreated, "")
	same("add with another TTL")
	s.expect(s.do("POST", records, map[string]any{"name": "www", "type": "A", "value": "192.0.2.2", "ttl": 600}), http.StatusCreated, "")
	same("duplicate add")
	s.expect(patch(map[string]any{"name": "alias", "type": "CNAME", "ttl": 300, "changetype": "REPLACE", "records": []string{"www.local.test."}},
		map[string]any{"name": "txt", "type": "TXT", "ttl": 60, "changetype": "REPLACE", "records": []string{`"a b"`, `"c"`}}), http.StatusOK, "")
	same("PATCH")
	s.expect(patch(map[string]any{"name": "alias", "type": "CNAME", "ttl": 120, "changetype": "REPLACE", "records": []string{"mail.local.test."}}), http.StatusOK, "")
	same("CNAME replaced")
	s.expect(patch(map[string]any{"name": "www", "type": "A", "ttl": 300, "changetype": "REPLACE", "records": []string{"192.0.2.2", "192.0.2.3"}}), http.StatusOK, "")
	same("RRset replaced, sharing a record")
	s.expect(s.do("DELETE", records, map[string]any{"name": "www", "type": "A", "value": "192.0.2.3"}), http.StatusOK, "")
	same("one record deleted")
	g := s.do("GET", rrsets, nil)
	s.expect(s.doWith("PATCH", rrsets, map[string]any{"rrsets": []any{map[string]any{"name": "txt", "type": "TXT", "changetype": "DELETE"}}},
		map[string]string{"If-Match": g.Header.Get("ETag")}), http.StatusOK, "")
	same("If-Match delete")
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			r := s.doQuiet("POST", records, map[string]any{"name": fmt.Sprintf("c%d", i), "type": "AAAA", "value": fmt.Sprintf("2001:db8::%d", i+1)})
			if r.Status != http.StatusCreated {
				t.Errorf("concurrent add %d: %d %s", i, r.Status, r.Raw)
			}
		})
	}
	wg.Wait()
	same("16 concurrent adds")
	// A direct update (bindy) moves the zone behind the copy's back: the next API change's
	// SOA prerequisite fails, and the ordinary path records both.
	if _, err := c.Serial(t.Context(), zone); err != nil {
		t.Fatal(err)
	}
	direct := new(dns.Msg)
	direct.SetUpdate(zone + ".")
	rr, err := dns.NewRR("direct.local.test. 300 IN A 192.0.2.77")
	if err != nil {
		t.Fatal(err)
	}
	direct.Insert([]dns.RR{rr})
	if err := c.Update(t.Context(), direct); err != nil {
		t.Fatal(err)
	}
	s.expect(s.do("POST", records, map[string]any{"name": "after", "type": "A", "value": "192.0.2.78"}), http.StatusCreated, "")
	same("API change right after a direct update")

	// named's NOTIFYs for these serials schedule the comparison with named's own record of
	// the changes (after 0.5 s): it must run, and find no difference.
	metric := func(name string) float64 {
		v, ok := readMetric(t, s.client, s.url, name)
		if !ok {
			t.Fatalf("/metrics has no %s", name)
		}
		return v
	}
	eventually(t, 10*time.Second, "a comparison of the local changes with named's", func() bool {
		return metric(`bindgate_copy_local_checks_total{result="match"}`) > 0
	})
	if d := metric(`bindgate_copy_local_checks_total{result="differ"}`); d != 0 {
		t.Fatalf("the comparison with named found %v differences", d)
	}
	same("after the comparison")
}

// TestCopyComparedWhole: a zone named loads with other data at the same serial (its file edited
// by hand between freeze and thaw, the serial left as it was) kept its old copy, which GET
// /rrsets then served as named's, since the serials agree. The whole-zone comparison
// (BINDGATE_COPY_COMPARE_INTERVAL, here every second) finds the difference and makes the copy
// named's, and counts it.
func TestCopyComparedWhole(t *testing.T) {
	const zone = "compare.test"
	s := startStackWith(t, func(env map[string]string) {
		env["BINDGATE_COPY_SWEEP_INTERVAL"] = "1"
		env["BINDGATE_COPY_COMPARE_INTERVAL"] = "1"
	})
	recordZone(t, s, zone)
	s.expect(s.do("POST", "/api/v1/zones/"+zone+"/records", map[string]any{"name": "www", "type": "A", "value": "192.0.2.1"}), http.StatusCreated, "")
	copyHas(t, s, zone, 2*time.Second, "www.compare.test. 3600 IN A 192.0.2.1")
	serial, ok := soa(t, s.named.DNSAddr, zone)
	if !ok {
		t.Fatal("no SOA")
	}

	s.expect(s.do("POST", "/api/v1/zones/"+zone+"/freeze", nil), http.StatusOK, "")
	// freeze writes the journal into the file after it answers: edit the file once it holds www.
	path := filepath.Join(s.named.ZoneDir, zone+".zone")
	var b []byte
	eventually(t, 10*time.Second, "named wrote the frozen zone's file", func() bool {
		var err error
		b, err = os.ReadFile(path)
		return err == nil && strings.Contains(string(b), "192.0.2.1")
	})
	b = append(b, "hand.compare.test. 300 IN TXT \"edited\"\n"...)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	s.expect(s.do("POST", "/api/v1/zones/"+zone+"/thaw", nil), http.StatusOK, "")
	eventually(t, 10*time.Second, "named serves the hand-edited record", func() bool {
		return slices.Equal(lookup(t, s, "hand."+zone, dns.TypeTXT), []string{`"edited"`})
	})
	if now, _ := soa(t, s.named.DNSAddr, zone); now != serial {
		t.Fatalf("named moved from serial %d to %d: the test needs the same serial", serial, now)
	}

	copyHas(t, s, zone, 10*time.Second, `hand.compare.test. 300 IN TXT "edited"`, "www.compare.test. 3600 IN A 192.0.2.1")
	r := s.do("GET", "/api/v1/zones/"+zone+"/rrsets?name=hand", nil)
	s.expect(r, http.StatusOK, "")
	if !strings.Contains(r.Raw, "edited") {
		t.Fatalf("GET /rrsets after the comparison: %s", r.Raw)
	}
	m := s.do("GET", "/metrics", nil)
	if !strings.Contains(m.Raw, `bindgate_copy_compares_total{result="differed"} 1`) {
		t.Errorf("metrics lack one differing comparison:\n%s", grepLines(m.Raw, "bindgate_copy_compares_total"))
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for l := range strings.Lines(s) {
		if strings.Contains(l, sub) {
			out = append(out, strings.TrimRight(l, "\n"))
		}
	}
	return strings.Join(out, "\n")
}
