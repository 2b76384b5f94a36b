//go:build linux

package integration

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/dnsclient"
)

// The crash suite's model of what clients were told. Each writer owns its zones, so one zone's
// operations are ordered by that writer and the model needs no cross-writer reasoning. An
// answer is one of three outcomes:
//   - acked: a 2xx from bindgate, or NOERROR from named for a direct UPDATE; a fact that must
//     hold in named (and, once issue 9 item 2 lands, in the copy) from then on;
//   - not applied: a 4xx, or a connection refused before anything was sent;
//   - unknown: a transport error mid-request (bindgate killed), a 5xx or a DNS error; the
//     change may or may not have happened, so nothing is asserted until a later ack settles it.

// outcome classifies one answer.
type outcome int

const (
	acked outcome = iota
	notApplied
	unknown
)

func (o outcome) String() string { return [...]string{"acked", "not applied", "unknown"}[o] }

// httpOutcome classifies an API answer.
func httpOutcome(r response, err error) outcome {
	switch {
	case err != nil && errors.Is(err, syscall.ECONNREFUSED):
		return notApplied // bindgate was down: the request never left
	case err != nil:
		return unknown
	case r.Status >= 200 && r.Status < 300:
		return acked
	case r.Status >= 400 && r.Status < 500:
		return notApplied
	}
	return unknown
}

// modelState is what the model knows of a zone's existence.
type modelState int

const (
	zoneAbsent  modelState = iota // create refused
	zonePresent                   // created with a 2xx, not deleted since
	zoneUnknown                   // a create or delete of unknown outcome, not settled since
	zoneDeleted                   // deleted with a 2xx: must never come back
	zoneGone                      // unknown, then a DELETE answered 404
)

func (s modelState) String() string {
	return [...]string{"absent", "present", "unknown", "deleted", "gone"}[s]
}

// rrFact is what the model knows of one owner name's A RRset.
type rrFact struct {
	known  bool
	values []string // sorted; empty when known absent
	via    string   // the last operation, for failure messages
}

// zoneModel is one zone's model.
type zoneModel struct {
	name         string
	state        modelState
	rrs          map[string]*rrFact // relative owner name -> fact
	patchSerials []uint32           // serials answered by acknowledged PATCHes (history invariant)
}

// model is every zone's model, shared by the writers and the checker.
type model struct {
	mu     sync.Mutex
	zones  map[string]*zoneModel
	counts map[string]int // "op outcome" -> count
}

func newModel() *model { return &model{zones: map[string]*zoneModel{}, counts: map[string]int{}} }

// note counts an outcome of op.
func (m *model) note(op string, o outcome) {
	m.mu.Lock()
	m.counts[op+" "+o.String()]++
	m.mu.Unlock()
}

// snapshot returns deep copies of the zone models, sorted by name, for a checker.
func (m *model) snapshot() []zoneModel {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]zoneModel, 0, len(m.zones))
	for _, z := range m.zones {
		c := zoneModel{name: z.name, state: z.state, rrs: map[string]*rrFact{}, patchSerials: slices.Clone(z.patchSerials)}
		for k, f := range z.rrs {
			c.rrs[k] = &rrFact{known: f.known, values: slices.Clone(f.values), via: f.via}
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b zoneModel) int { return cmpString(a.name, b.name) })
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// gate lets writers wait while bindgate is down instead of spinning on refused connections.
type gate struct {
	mu sync.Mutex
	up chan struct{}
}

func newGate() *gate {
	g := &gate{up: make(chan struct{})}
	close(g.up)
	return g
}

func (g *gate) down() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.up:
		g.up = make(chan struct{})
	default:
	}
}

func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.up:
	default:
		close(g.up)
	}
}

// wait returns once bindgate is up (or ctx ends), and at least 10 ms later, so a writer that
// saw an error before the controller closed the gate does not spin.
func (g *gate) wait(ctx context.Context) {
	g.mu.Lock()
	ch := g.up
	g.mu.Unlock()
	t := time.NewTimer(10 * time.Millisecond)
	defer t.Stop()
	select {
	case <-ch:
	case <-ctx.Done():
		return
	}
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// writer is one client of the stream: it owns the zones it creates and draws every choice
// from its own seeded RNG.
type writer struct {
	id    int
	rng   *rand.Rand
	f     *faultStack
	m     *model
	dns   *dnsclient.Client
	gate  *gate
	zones []string // its zones, in creation order
	seq   int
}

func newWriters(f *faultStack, m *model, g *gate, seed uint64, n int) []*writer {
	key := f.named.Key
	c, err := dnsclient.New(dnsclient.Config{Addr: f.named.DNSAddr, Key: func() bindkey.Key { return key }, Timeout: 5 * time.Second})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { c.Close() })
	ws := make([]*writer, n)
	for i := range ws {
		ws[i] = &writer{id: i, rng: rand.New(rand.NewPCG(seed, uint64(i)+1)), f: f, m: m, dns: c, gate: g}
	}
	return ws
}

// send is stack.send against the child's current URL; it never fails the test.
func (w *writer) send(method, path string, body any) (response, error) {
	s := stack{t: w.f.t, client: w.f.client, url: w.f.bg.URL()}
	return s.send(method, path, body, nil)
}

// run performs operations until ctx ends; an operation in flight when it ends completes.
func (w *writer) run(ctx context.Context) {
	for ctx.Err() == nil {
		if w.step(ctx) != acked {
			w.gate.wait(ctx)
		}
	}
}

// live returns the writer's zones in a state, in creation order.
func (w *writer) live(states ...modelState) []*zoneModel {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	var out []*zoneModel
	for _, name := range w.zones {
		if z := w.m.zones[name]; slices.Contains(states, z.state) {
			out = append(out, z)
		}
	}
	return out
}

// step does one operation chosen by the RNG and records its outcome.
func (w *writer) step(ctx context.Context) outcome {
	present := w.live(zonePresent)
	unsettled := w.live(zoneUnknown)
	p := w.rng.IntN(100)
	switch {
	case len(present) < 2 || (p < 8 && len(present) < 5):
		return w.create()
	case len(unsettled) > 0 && p < 12:
		return w.deleteZone(unsettled[w.rng.IntN(len(unsettled))])
	case p < 16:
		return w.deleteZone(present[w.rng.IntN(len(present))])
	}
	z := present[w.rng.IntN(len(present))]
	switch p = w.rng.IntN(100); {
	case p < 35:
		return w.addRecord(z)
	case p < 65:
		return w.patch(z)
	default:
		return w.directUpdate(ctx, z)
	}
}

func (w *writer) ip() string {
	return fmt.Sprintf("192.0.2.%d", w.rng.IntN(254)+1)
}

func (w *writer) owner(prefix string) string {
	w.seq++
	return fmt.Sprintf("%s%d-%d", prefix, w.id, w.seq)
}

func (w *writer) create() outcome {
	w.seq++
	name := fmt.Sprintf("w%d-z%d.crash.test", w.id, w.seq)
	w.m.mu.Lock()
	w.m.zones[name] = &zoneModel{name: name, state: zoneUnknown, rrs: map[string]*rrFact{}}
	w.m.mu.Unlock()
	w.zones = append(w.zones, name)
	r, err := w.send(http.MethodPost, "/api/v1/zones", primaryBody(name, w.f.named.Key.Name, nil))
	o := httpOutcome(r, err)
	w.m.note("create", o)
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	switch z := w.m.zones[name]; {
	case o == acked:
		z.state = zonePresent
	case o == notApplied && r.Status == http.StatusConflict:
		z.state = zonePresent // it exists: an earlier attempt of ours must have made it
	case o == notApplied:
		z.state = zoneAbsent
	}
	return o
}

func (w *writer) deleteZone(z *zoneModel) outcome {
	r, err := w.send(http.MethodDelete, "/api/v1/zones/"+z.name, nil)
	o := httpOutcome(r, err)
	w.m.note("delete", o)
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	switch {
	case o == acked:
		z.state = zoneDeleted
	case o == unknown:
		z.state = zoneUnknown
	case r.Status == http.StatusNotFound && z.state == zoneUnknown:
		// An unsettled zone that bindgate calls missing must be gone from named and the
		// registry (issue 9 item 1: a DELETE finding it gone from BIND but registered removes
		// the entry). A zone created with a 2xx stays present, so its loss is reported.
		z.state = zoneGone
	}
	return o
}

// setFact records the outcome of a change that sets owner's RRset to values.
func (w *writer) setFact(z *zoneModel, owner string, values []string, via string, o outcome) {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	f := z.rrs[owner]
	if f == nil {
		// A fresh name: known absent until a change to it is acknowledged.
		f = &rrFact{known: true}
		z.rrs[owner] = f
	}
	switch o {
	case acked:
		f.known, f.values, f.via = true, slices.Sorted(slices.Values(values)), via
	case unknown:
		f.known, f.via = false, via+" (unknown outcome)"
	}
}

func (w *writer) addRecord(z *zoneModel) outcome {
	owner, ip := w.owner("r"), w.ip()
	r, err := w.send(http.MethodPost, "/api/v1/zones/"+z.name+"/records", map[string]any{"name": owner, "type": "A", "value": ip, "ttl": 300})
	o := httpOutcome(r, err)
	w.m.note("record add", o)
	w.setFact(z, owner, []string{ip}, "POST /records", o)
	return o
}

// patch replaces a fresh RRset, replaces an existing one, or deletes one, in one PATCH.
func (w *writer) patch(z *zoneModel) outcome {
	w.m.mu.Lock()
	existing := make([]string, 0, len(z.rrs))
	for k := range z.rrs {
		existing = append(existing, k)
	}
	w.m.mu.Unlock()
	slices.Sort(existing)
	owner, values, change := w.owner("p"), []string{w.ip(), w.ip()}, "REPLACE"
	if p := w.rng.IntN(100); len(existing) > 0 && p < 40 {
		owner = existing[w.rng.IntN(len(existing))]
		if p < 20 {
			change, values = "DELETE", nil
		}
	}
	values = slices.Compact(slices.Sorted(slices.Values(values)))
	set := map[string]any{"name": owner, "type": "A", "changetype": change}
	if change == "REPLACE" {
		set["ttl"], set["records"] = 300, values
	}
	r, err := w.send(http.MethodPatch, "/api/v1/zones/"+z.name+"/rrsets", map[string]any{"rrsets": []any{set}})
	o := httpOutcome(r, err)
	w.m.note("patch", o)
	w.setFact(z, owner, values, "PATCH "+change, o)
	// A PATCH whose changes were all true already sends no update (docs/contract.md §12.5): its
	// answer is the zone's current serial, which may be the base the history starts from.
	applied, _ := r.Body["changes"].([]any)
	if serial, ok := r.Body["serial"].(float64); o == acked && ok && len(applied) > 0 {
		w.m.mu.Lock()
		z.patchSerials = append(z.patchSerials, uint32(serial))
		w.m.mu.Unlock()
	}
	return o
}

// directUpdate sends an RFC 2136 add straight to named, TSIG-signed with the zone's update
// key, as bindy does for records; bindgate is not involved.
func (w *writer) directUpdate(ctx context.Context, z *zoneModel) outcome {
	owner, ip := w.owner("d"), w.ip()
	rr, err := dns.NewRR(fmt.Sprintf("%s.%s. 300 IN A %s", owner, z.name, ip))
	if err != nil {
		w.f.t.Error(err)
		return notApplied
	}
	msg := new(dns.Msg)
	msg.SetUpdate(dns.Fqdn(z.name))
	msg.Insert([]dns.RR{rr})
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	o := acked
	if err := w.dns.Update(uctx, msg); err != nil {
		o = unknown
	}
	w.m.note("direct update", o)
	w.setFact(z, owner, []string{ip}, "direct UPDATE", o)
	return o
}
