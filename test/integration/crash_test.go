//go:build linux

package integration

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/atomicfile"
	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/dnsclient"
	"github.com/bindgate/bindgate/internal/namedproc"
	"github.com/bindgate/bindgate/internal/namedtest"
	"github.com/bindgate/bindgate/internal/zonecopy"
)

// Bounds of the crash suite (issue 9 item 7). `make test` runs the defaults; `make chaos` sets
// CHAOS_KILLS and CHAOS_TIME for hundreds of kills. SEED replays a run's choices (the writers'
// operations and the kill delays; the interleaving with real processes still varies).
const (
	defaultKills   = 20
	defaultBudget  = 60 * time.Second // for the bindgate-kill rounds; the whole test stays under 2 min
	killsPerRound  = 5                // invariants are checked after each round
	crashWriters   = 4
	maxListedFacts = 20 // failure messages list at most this many facts
)

type crashConfig struct {
	kills  int
	budget time.Duration
	seed   uint64
}

func crashSettings(t *testing.T) crashConfig {
	t.Helper()
	c := crashConfig{kills: defaultKills, budget: defaultBudget, seed: rand.Uint64()}
	if v := os.Getenv("CHAOS_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("CHAOS_KILLS=%q: want a positive integer", v)
		}
		c.kills = n
	}
	if v := os.Getenv("CHAOS_TIME"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("CHAOS_TIME=%q: want a positive duration such as 20m", v)
		}
		c.budget = d
	}
	if v := os.Getenv("SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("SEED=%q: want an unsigned integer", v)
		}
		c.seed = s
	}
	return c
}

// stream is the writers running until stop.
type stream struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startStream(ws []*writer) *stream {
	ctx, cancel := context.WithCancel(context.Background())
	s := &stream{cancel: cancel}
	for _, w := range ws {
		s.wg.Go(func() { w.run(ctx) })
	}
	return s
}

// stop ends the stream after the operations in flight (each bounded by the client's 30 s).
func (s *stream) stop() {
	s.cancel()
	s.wg.Wait()
}

// waitRandom waits a delay in [lo, hi) drawn from rng: where a kill lands is the random part.
func waitRandom(rng *rand.Rand, lo, hi time.Duration) {
	t := time.NewTimer(lo + time.Duration(rng.Int64N(int64(hi-lo))))
	defer t.Stop()
	<-t.C
}

// TestCrash runs a writer stream against bindgate (a child process) and real named while
// bindgate is SIGKILLed and restarted at random points, then while named is SIGKILLed, then
// restores after named lost its NZD, zone files and journals; after each round, with the
// stream paused, what clients were told must hold (issue 9 item 7).
func TestCrash(t *testing.T) {
	t.Parallel()
	cfg := crashSettings(t)
	t.Logf("SEED=%d CHAOS_KILLS=%d CHAOS_TIME=%s (set SEED to replay)", cfg.seed, cfg.kills, cfg.budget)
	began := time.Now()
	f := startFaultStack(t, namedproc.Options{}, nil)
	t.Logf("named and bindgate up in %v", time.Since(began).Round(time.Millisecond))
	m, g := newModel(), newGate()
	ws := newWriters(f, m, g, cfg.seed, crashWriters)
	ctl := rand.New(rand.NewPCG(cfg.seed, 0))

	// Rounds of bindgate SIGKILLs.
	kills, deadline := 0, time.Now().Add(cfg.budget)
	// Rounds go on after a broken invariant (each problem is reported once), so a run always
	// reaches the named rounds and the NZD-loss restore (the headline).
	for round := 1; kills < cfg.kills && time.Now().Before(deadline); round++ {
		st := startStream(ws)
		for i := 0; i < killsPerRound && kills < cfg.kills; i++ {
			waitRandom(ctl, 30*time.Millisecond, 400*time.Millisecond)
			g.down()
			f.bg.kill()
			kills++
			f.bg.start()
			g.open()
		}
		st.stop()
		f.url = f.bg.URL()
		checkRound(t, f, m, fmt.Sprintf("bindgate-kill round %d (%d kills)", round, kills))
	}
	killPhase := time.Since(began)
	if want := min(cfg.kills, defaultKills); kills < want {
		t.Errorf("only %d bindgate kills within CHAOS_TIME=%s; want at least %d", kills, cfg.budget, want)
	}

	// named SIGKILLed under load and restarted with its files.
	{
		st := startStream(ws)
		waitRandom(ctl, 200*time.Millisecond, 800*time.Millisecond)
		if err := syscall.Kill(f.named.PID(), syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if err := f.named.Restart(t.Context()); err != nil {
			t.Fatalf("restart named after SIGKILL: %v", err)
		}
		waitRandom(ctl, 300*time.Millisecond, 800*time.Millisecond)
		st.stop()
		checkRound(t, f, m, "named-kill round")
	}

	// named loses its NZD, zone files and journals (an emptied volume, bindy #486); bindgate restores.
	nzdLossRound(t, f, m)
	t.Logf("%d bindgate kills in %v, whole test %v; outcomes %v; zones %s",
		kills, killPhase.Round(time.Millisecond), time.Since(began).Round(time.Millisecond), m.counts, zoneCounts(m))
}

// nzdLossRound stops named, deletes its NZD and every zone file and journal, starts it again
// and lets bindgate restore, then checks zones and, through requireRestoredRecords, records.
func nzdLossRound(t *testing.T, f *faultStack, m *model) {
	t.Helper()
	if err := f.named.Stop(); err != nil {
		t.Fatal(err)
	}
	namedtest.WipeNZD(t, f.named)
	ents, err := os.ReadDir(f.named.ZoneDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.Contains(e.Name(), ".zone") { // zone files, .jnl, .jbk, .signed
			if err := os.Remove(filepath.Join(f.named.ZoneDir, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.named.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Issue 9 item 3: bindgate is to notice named's restart (its boot time changes) and
	// reconcile by itself. Until that lands the test asks for it; remove this call then.
	f.expect(f.do(http.MethodPost, "/api/v1/server/reconcile", nil), http.StatusOK, "")

	snap := m.snapshot()
	eventually(t, 30*time.Second, "every acknowledged zone is served again after NZD loss", func() bool {
		for _, z := range snap {
			if _, ok := soa(t, f.named.DNSAddr, z.name); z.state == zonePresent && !ok {
				return false
			}
		}
		return true
	})
	label := "NZD-loss round"
	checkZones(t, f, snap, label)
	requireRestoredRecords(t, f, snap)
	checkCopies(t, f, snap, label)
}

// requireRestoredRecords is the issue's headline check (issue 9 item 4, "restore with
// records"): after named lost its NZD, zone files and journals, every acknowledged record
// change is back. Until the live copy and restore from it land, bindgate restores zones from
// the zone file it first wrote, so this fails for every record added after the create.
func requireRestoredRecords(t *testing.T, f *faultStack, snap []zoneModel) {
	t.Helper()
	if p := recordProblems(t, f, snap); len(p) > 0 {
		t.Errorf("issue 9 item 4, restore with records: after NZD and zone-file loss %d acknowledged record changes are not in named:\n%s",
			len(p), list(p))
	}
}

// checkRound checks every invariant after a round, with the stream paused.
func checkRound(t *testing.T, f *faultStack, m *model, label string) {
	t.Helper()
	snap := m.snapshot()
	checkZones(t, f, snap, label)
	if p := f.fresh(recordProblems(t, f, snap)); len(p) > 0 {
		t.Errorf("%s: %d acknowledged record changes do not hold in named:\n%s", label, len(p), list(p))
	}
	checkCopies(t, f, snap, label)
}

func list(p []string) string {
	if len(p) > maxListedFacts {
		p = append(p[:maxListedFacts:maxListedFacts], fmt.Sprintf("… and %d more", len(p)-maxListedFacts))
	}
	return "  " + strings.Join(p, "\n  ")
}

func zoneCounts(m *model) string {
	c := map[modelState]int{}
	for _, z := range m.snapshot() {
		c[z.state]++
	}
	return fmt.Sprintf("present %d, deleted %d, unknown %d, gone after a 404 %d, absent %d",
		c[zonePresent], c[zoneDeleted], c[zoneUnknown], c[zoneGone], c[zoneAbsent])
}

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
	for deadline := time.Now().Add(5 * time.Second); ; {
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
