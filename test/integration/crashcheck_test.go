//go:build linux

package integration

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/atomicfile"
	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/dnsclient"
	"github.com/bindgate/bindgate/internal/zonecopy"
)

// The crash suite's invariants, checked with the writer stream paused: zones and records in
// named (SOA and AXFR), the registry against the zone directory, and the live copy with its
// history once that exists (issue 9 items 2, 5 and 7).

func (f *faultStack) stateDir() string { return f.bg.stateDir }

// fresh returns the problems of p not reported before and marks them reported, so that a long
// run reports each broken fact once rather than after every round.
func (f *faultStack) fresh(p []string) []string {
	var out []string
	for _, s := range p {
		if !f.reported[s] {
			f.reported[s] = true
			out = append(out, s)
		}
	}
	return out
}

// dirZones lists the zones that have a file with suffix in dir, and any temp files there.
func dirZones(t *testing.T, dir, suffix string) (zones map[string]bool, temps []string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	zones = map[string]bool{}
	for _, e := range ents {
		switch name := e.Name(); {
		case atomicfile.IsTemp(name):
			temps = append(temps, filepath.Join(dir, name))
		case strings.HasSuffix(name, suffix) && e.Type().IsRegular():
			zones[strings.TrimSuffix(name, suffix)] = true
		}
	}
	return zones, temps
}

// checkZones: every zone created with a 2xx is served, registered and has its file; no zone
// deleted with a 2xx (or refused) is served, registered or has a file; one that a DELETE
// called missing is neither served nor registered; and, zones of unknown outcome aside, no zone
// file lacks a registry entry nor the reverse.
func checkZones(t *testing.T, f *faultStack, snap []zoneModel, label string) {
	t.Helper()
	reg, regTemps := dirZones(t, filepath.Join(f.stateDir(), "zones"), ".json")
	files, fileTemps := dirZones(t, f.named.ZoneDir, ".zone")
	var p []string
	if temps := append(regTemps, fileTemps...); len(temps) > 0 {
		p = append(p, fmt.Sprintf("temp files left behind: %v", temps))
	}
	unknownZones := map[string]bool{}
	for _, z := range snap {
		_, served := soa(t, f.named.DNSAddr, z.name)
		switch z.state {
		case zonePresent:
			if !served || !reg[z.name] || !files[z.name] {
				p = append(p, fmt.Sprintf("zone %s was created with a 2xx: served %v, registered %v, file %v", z.name, served, reg[z.name], files[z.name]))
			}
		case zoneDeleted:
			if served || reg[z.name] || files[z.name] {
				p = append(p, fmt.Sprintf("zone %s was deleted with a 2xx and came back: served %v, registered %v, file %v", z.name, served, reg[z.name], files[z.name]))
			}
		case zoneAbsent:
			if served || reg[z.name] || files[z.name] {
				p = append(p, fmt.Sprintf("zone %s was refused yet exists: served %v, registered %v, file %v", z.name, served, reg[z.name], files[z.name]))
			}
		case zoneGone:
			if served || reg[z.name] {
				p = append(p, fmt.Sprintf("zone %s: DELETE answered 404 yet it exists: served %v, registered %v", z.name, served, reg[z.name]))
			}
			// A create killed after writing the file and before addzone leaves the file, and
			// the DELETE's 404 leaves it too. Litter, not a lost or resurrected zone: reported,
			// not failed (the invariant exempts zones whose create had an unknown outcome).
			if orphan := fmt.Sprintf("orphan zone file %s.zone (create killed midway, then DELETE 404)", z.name); files[z.name] && len(f.fresh([]string{orphan})) > 0 {
				t.Logf("%s: %s", label, orphan)
			}
			unknownZones[z.name] = true
		case zoneUnknown:
			unknownZones[z.name] = true
		}
	}
	for z := range reg {
		if !files[z] && !unknownZones[z] {
			p = append(p, fmt.Sprintf("zone %s is registered but has no zone file", z))
		}
	}
	for z := range files {
		if !reg[z] && !unknownZones[z] {
			p = append(p, fmt.Sprintf("zone file %s.zone has no registry entry", z))
		}
	}
	slices.Sort(p)
	if p = f.fresh(p); len(p) > 0 {
		t.Errorf("%s: zone invariants broken:\n%s", label, list(p))
	}
}

// checkClient is a DNS client for the checks, with the stack's key.
func checkClient(t *testing.T, f *faultStack) *dnsclient.Client {
	t.Helper()
	key := f.named.Key
	c, err := dnsclient.New(dnsclient.Config{Addr: f.named.DNSAddr, Key: func() bindkey.Key { return key }, MaxIdle: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// aSets groups the A records of zone among rrs by owner name relative to the zone.
func aSets(zone string, rrs []dns.RR) map[string][]string {
	out := map[string][]string{}
	suffix := "." + dns.Fqdn(zone)
	for _, rr := range rrs {
		if a, ok := rr.(*dns.A); ok {
			owner := strings.TrimSuffix(strings.ToLower(a.Hdr.Name), suffix)
			out[owner] = append(out[owner], a.A.String())
		}
	}
	for k := range out {
		slices.Sort(out[k])
	}
	return out
}

// factProblems compares the known facts of z with sets.
func factProblems(z zoneModel, sets map[string][]string, where string) []string {
	var p []string
	owners := make([]string, 0, len(z.rrs))
	for o := range z.rrs {
		owners = append(owners, o)
	}
	slices.Sort(owners)
	for _, o := range owners {
		fact := z.rrs[o]
		if fact.known && !slices.Equal(fact.values, sets[o]) {
			p = append(p, fmt.Sprintf("%s.%s A: acknowledged %s left %v, %s has %v", o, z.name, fact.via, fact.values, where, sets[o]))
		}
	}
	return p
}

// recordProblems reads every zone created with a 2xx by AXFR and lists the acknowledged
// record facts that do not hold.
func recordProblems(t *testing.T, f *faultStack, snap []zoneModel) []string {
	t.Helper()
	c := checkClient(t, f)
	defer c.Close()
	var p []string
	for _, z := range snap {
		if z.state != zonePresent {
			continue
		}
		rrs, err := c.Transfer(t.Context(), z.name)
		if err != nil {
			p = append(p, fmt.Sprintf("AXFR %s: %v", z.name, err))
			continue
		}
		p = append(p, factProblems(z, aSets(z.name, rrs), "named")...)
	}
	return p
}

// checkCopies checks the live copy and its history (issue 9 items 2 and 5) once the copy
// exists: the copies directory appears in the state dir when that work lands, and until then
// this does nothing. bindgate is stopped (SIGTERM) so the store can be opened, and started
// again; a copy behind named is given up to 5 s (the copy promises 2 s) over a few restarts.
func checkCopies(t *testing.T, f *faultStack, snap []zoneModel, label string) {
	t.Helper()
	dir := filepath.Join(f.stateDir(), "copies")
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return
	}
	serials := map[string]uint32{}
	for _, z := range snap {
		if s, ok := soa(t, f.named.DNSAddr, z.name); ok && z.state == zonePresent {
			serials[z.name] = s
		}
	}
	var p []string
	for deadline := time.Now().Add(10 * time.Second); ; {
		waitCopies(f, serials, deadline)
		f.bg.stop()
		p = copyProblems(t, dir, snap, serials)
		f.bg.start()
		f.url = f.bg.URL()
		if len(p) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if p = f.fresh(p); len(p) > 0 {
		t.Errorf("%s: copy and history invariants broken:\n%s", label, list(p))
	}
}

// waitCopies waits, bindgate running, until the newest change in each zone's history (its copy)
// ends at named's serial in serials, or until deadline. The copy is checked on disk with
// bindgate stopped, and each start fetches what the copy lacks in its first serial sweep, after
// the copies are loaded, which is after /ready: stopping it again at once cancels that fetch,
// and a copy left behind that way is the test's doing (on a loaded machine every start within
// the old 5 s was stopped before its sweep had fetched). A copy whose history is empty has not
// changed since its first snapshot, taken at create (createSerial) or, after a crash, by a
// sweep at a later serial: it is waited for while named is past createSerial, which in the
// second case costs time until the deadline, never a wrong verdict. A copy that never catches
// up is reported by copyProblems.
func waitCopies(f *faultStack, serials map[string]uint32, deadline time.Time) {
	behind := func(zone string, serial uint32) bool {
		r := f.doQuiet("GET", "/api/v1/zones/"+zone+"/history?limit=1", nil)
		if r.Status != 200 {
			return r.Status == 0 || r.Status >= 500 // down or busy: ask again; 404 is copyProblems' business
		}
		ch, _ := r.Body["changes"].([]any)
		if len(ch) == 0 {
			return serial != createSerial
		}
		top, _ := ch[0].(map[string]any)
		to, _ := top["toSerial"].(float64)
		return uint32(to) != serial
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for zone, serial := range serials {
		for behind(zone, serial) && time.Now().Before(deadline) {
			<-tick.C
		}
	}
}

// copyProblems opens the store (bindgate stopped) and lists what breaks: a zone created with a
// 2xx without a copy at named's serial, an acknowledged fact missing from it, a gap in its
// history, an acknowledged PATCH's serial missing from the history.
func copyProblems(t *testing.T, dir string, snap []zoneModel, serials map[string]uint32) []string {
	t.Helper()
	st, err := zonecopy.Open(t.Context(), zonecopy.Config{Dir: dir})
	if err != nil {
		return []string{fmt.Sprintf("open the copy store: %v", err)}
	}
	defer st.Close()
	var p []string
	for _, z := range snap {
		if z.state != zonePresent {
			continue
		}
		c, ok := st.Current(z.name)
		if !ok {
			p = append(p, fmt.Sprintf("zone %s has no copy", z.name))
			continue
		}
		if c.Serial != serials[z.name] {
			p = append(p, fmt.Sprintf("zone %s: copy at serial %d, named at %d", z.name, c.Serial, serials[z.name]))
		}
		p = append(p, factProblems(z, aSets(z.name, c.RRs), "the copy")...)
		hist, err := st.History(z.name, 0, 0)
		if err != nil {
			p = append(p, fmt.Sprintf("zone %s history: %v", z.name, err))
			continue
		}
		tos := map[uint32]bool{}
		for i, h := range hist {
			tos[h.To] = true
			if i == 0 && h.To != c.Serial {
				p = append(p, fmt.Sprintf("zone %s: newest history entry ends at %d, copy at %d", z.name, h.To, c.Serial))
			}
			if i > 0 && hist[i-1].From != h.To {
				p = append(p, fmt.Sprintf("zone %s: history gap between serial %d and %d", z.name, h.To, hist[i-1].From))
			}
		}
		for _, s := range z.patchSerials {
			if !tos[s] && len(hist) < zonecopy.DefaultMaxChanges {
				p = append(p, fmt.Sprintf("zone %s: acknowledged PATCH to serial %d is not in the history", z.name, s))
			}
		}
	}
	return p
}
