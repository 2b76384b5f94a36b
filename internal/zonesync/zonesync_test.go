package zonesync

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/dnsclient"
	"github.com/bindgate/bindgate/internal/dnsclient/dnsclienttest"
	"github.com/bindgate/bindgate/internal/zonecopy"
)

var (
	testKey  = bindkey.Key{Name: "bindgate-key", Algorithm: bindkey.HMACSHA256, Secret: []byte("0123456789abcdef0123456789abcdef")}
	otherKey = bindkey.Key{Name: "other-key", Algorithm: bindkey.HMACSHA256, Secret: []byte("fedcba9876543210fedcba9876543210")}
)

var zoneLines = []string{
	"example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. 10 3600 600 86400 300",
	"example.test. 300 IN NS ns1.example.test.",
	"ns1.example.test. 300 IN A 127.0.0.1",
	"www.example.test. 300 IN A 192.0.2.1",
}

type fixture struct {
	zone  *dnsclienttest.Zone
	dns   *dnsclient.Client
	copy  *zonecopy.Store
	sync  *Syncer
	xfers func() (axfr, ixfr int)
}

// newFixture serves example.test from the fake and builds an unstarted Syncer on it.
func newFixture(t *testing.T, edit func(*Config)) *fixture {
	t.Helper()
	f := &fixture{zone: dnsclienttest.NewZone(t, "example.test.", zoneLines...)}
	srv := dnsclienttest.Start(t, map[string]string{"bindgate-key.": testKey.SecretBase64()}, f.zone)
	var err error
	f.dns, err = dnsclient.New(dnsclient.Config{Addr: srv.Addr, Key: func() bindkey.Key { return testKey }, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.dns.Close() })
	f.copy, err = zonecopy.Open(t.Context(), zonecopy.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.copy.Close() })
	f.xfers = func() (axfr, ixfr int) {
		for _, m := range f.zone.Messages() {
			if len(m.Question) == 1 && m.Question[0].Qtype == dns.TypeAXFR {
				axfr++
			}
			if len(m.Question) == 1 && m.Question[0].Qtype == dns.TypeIXFR {
				ixfr++
			}
		}
		return axfr, ixfr
	}
	cfg := Config{
		NotifyAddr: "127.0.0.1:0", Key: func() bindkey.Key { return testKey }, DNS: f.dns, Copy: f.copy,
		Managed:  func(z string) bool { return z == "example.test" },
		Zones:    func() []string { return []string{"example.test"} },
		Interval: -1,
	}
	if edit != nil {
		edit(&cfg)
	}
	f.sync, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.sync.Close() })
	return f
}

// notify sends a NOTIFY for zone over net ("udp" or "tcp"), signed with key unless nil.
func (f *fixture) notify(t *testing.T, network, zone string, key *bindkey.Key) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetNotify(zone)
	c := &dns.Client{Net: network, Timeout: 5 * time.Second}
	if key != nil {
		c.TsigSecret = map[string]string{dns.Fqdn(key.Name): key.SecretBase64()}
		m.SetTsig(dns.Fqdn(key.Name), dns.HmacSHA256, 300, time.Now().Unix())
	}
	r, _, err := c.Exchange(m, f.sync.NotifyAddr().String())
	if err != nil && !(key != nil && key.Name != testKey.Name && errors.Is(err, dns.ErrAuth)) {
		t.Fatalf("NOTIFY over %s: %v", network, err)
	}
	return r
}

// waitSerial polls the copy until it is at serial, failing the test after 5 s.
func (f *fixture) waitSerial(t *testing.T, serial uint32) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if got, ok := f.copy.Serial("example.test"); ok && got == serial {
			return
		}
		select {
		case <-deadline:
			got, ok := f.copy.Serial("example.test")
			t.Fatalf("copy at %d (%v), want %d", got, ok, serial)
		case <-tick.C:
		}
	}
}

func copyLines(t *testing.T, s *zonecopy.Store) []string {
	t.Helper()
	c, ok := s.Current("example.test")
	if !ok {
		t.Fatal("no copy")
	}
	out := make([]string, len(c.RRs))
	for i, rr := range c.RRs {
		out[i] = dnsclienttest.Line(rr)
	}
	slices.Sort(out)
	return out
}

func TestListenerRequiresTSIG(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.sync.Start()
	for _, network := range []string{"udp", "tcp"} {
		if r := f.notify(t, network, "example.test.", nil); r.Rcode != dns.RcodeRefused {
			t.Errorf("%s unsigned: rcode %s, want REFUSED", network, dns.RcodeToString[r.Rcode])
		}
		if r := f.notify(t, network, "example.test.", &otherKey); r == nil || r.Rcode != dns.RcodeNotAuth {
			t.Errorf("%s other key: %v, want NOTAUTH", network, r)
		}
		if r := f.notify(t, network, "other.test.", &testKey); r.Rcode != dns.RcodeRefused {
			t.Errorf("%s unmanaged zone: rcode %s, want REFUSED", network, dns.RcodeToString[r.Rcode])
		}
	}
	if _, ok := f.copy.Serial("example.test"); ok {
		t.Fatal("a refused NOTIFY fetched the zone")
	}
	r := f.notify(t, "udp", "example.test.", &testKey)
	if r.Rcode != dns.RcodeSuccess || r.Opcode != dns.OpcodeNotify || !r.Response || r.IsTsig() == nil {
		t.Fatalf("signed NOTIFY: %v", r)
	}
	f.waitSerial(t, 10)
	if diff := slices.Compare(copyLines(t, f.copy), f.zone.Records()); diff != 0 {
		t.Fatalf("copy %v, zone %v", copyLines(t, f.copy), f.zone.Records())
	}
}

func TestNotifyCoalesces(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	// Not started: NOTIFYs are answered by the handler directly and queue the zone once.
	for range 5 {
		f.sync.serveNotify(&recorder{}, signedNotify())
	}
	if n := len(f.sync.queue); n != 1 {
		t.Fatalf("queue holds %d entries after 5 NOTIFYs, want 1", n)
	}
	f.sync.Start()
	f.waitSerial(t, 10)
	if axfr, _ := f.xfers(); axfr != 1 {
		t.Fatalf("%d transfers for 5 coalesced NOTIFYs, want 1", axfr)
	}
}

// TestNotifyAtCopySerial checks that a NOTIFY announcing the serial the copy already has
// (named's NOTIFY for a change Record brought in) costs no transfer, while one announcing
// another serial, or none, is fetched.
func TestNotifyAtCopySerial(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	if err := f.sync.sync(t.Context(), "example.test", waiting{}); err != nil { // first copy
		t.Fatal(err)
	}
	have, _ := f.copy.Serial("example.test")
	before := len(f.zone.Messages())
	announce := func(serial uint32) *dns.Msg {
		m := signedNotify()
		soa, _ := dns.NewRR(fmt.Sprintf("example.test. 300 IN SOA ns1.example.test. admin.example.test. %d 3600 600 604800 300", serial))
		m.Answer = []dns.RR{soa}
		return m
	}
	f.sync.serveNotify(&recorder{}, announce(have))
	if err := f.sync.sync(t.Context(), "example.test", f.sync.take("example.test")); err != nil {
		t.Fatal(err)
	}
	if n := len(f.zone.Messages()) - before; n != 0 {
		t.Fatalf("a NOTIFY of the copy's serial sent %d messages to named, want none", n)
	}
	f.zone.Add(t, "a.example.test. 300 IN A 192.0.2.10")
	f.sync.serveNotify(&recorder{}, announce(have)) // queued at the old serial...
	f.sync.serveNotify(&recorder{}, signedNotify()) // ...then one without an SOA: fetch
	if err := f.sync.sync(t.Context(), "example.test", f.sync.take("example.test")); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.copy.Serial("example.test"); got == have {
		t.Fatalf("copy still at %d after a NOTIFY without an SOA", got)
	}
	have, _ = f.copy.Serial("example.test")
	f.zone.Add(t, "b.example.test. 300 IN A 192.0.2.11")
	f.sync.serveNotify(&recorder{}, announce(have+1))
	if err := f.sync.sync(t.Context(), "example.test", f.sync.take("example.test")); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.copy.Serial("example.test"); got == have {
		t.Fatalf("copy still at %d after a NOTIFY of a newer serial", got)
	}
}

func TestQueueBounded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *Config) { c.QueueSize = 1; c.Managed = func(string) bool { return true } })
	if !f.sync.enqueue("a.test", 0, false) || f.sync.enqueue("b.test", 0, false) {
		t.Fatal("a queue of one took two zones")
	}
}

func TestFetchIXFRDeltas(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	if err := f.sync.sync(t.Context(), "example.test", waiting{}); err != nil { // first copy: AXFR
		t.Fatal(err)
	}
	f.zone.Add(t, "a.example.test. 300 IN A 192.0.2.10")
	f.zone.Add(t, "b.example.test. 300 IN A 192.0.2.11")
	actor := zonecopy.Actor{Principal: "alice", RequestID: "r1"}
	release, err := f.sync.Hold(t.Context(), "example.test")
	if err != nil {
		t.Fatal(err)
	}
	err = f.sync.Record(t.Context(), "example.test", []zonecopy.Actor{actor})
	release()
	if err != nil {
		t.Fatal(err)
	}
	if axfr, ixfr := f.xfers(); axfr != 1 || ixfr != 1 {
		t.Fatalf("transfers: %d AXFR, %d IXFR; want 1 and 1", axfr, ixfr)
	}
	hist, err := f.copy.History("example.test", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].To != 12 || hist[1].To != 11 {
		t.Fatalf("history %+v", hist)
	}
	// The last step is the API caller's; the one before it was not fetched yet: external.
	if !slices.Equal(hist[0].Actors, []zonecopy.Actor{actor}) || len(hist[1].Actors) != 0 {
		t.Fatalf("actors: %+v then %+v", hist[0].Actors, hist[1].Actors)
	}
	if !slices.Equal(copyLines(t, f.copy), f.zone.Records()) {
		t.Fatalf("copy %v, zone %v", copyLines(t, f.copy), f.zone.Records())
	}
	if c, _ := f.copy.Current("example.test"); c.Checked.IsZero() {
		t.Fatal("a fetch did not confirm the copy")
	}
}

func TestFetchFallsBackToAXFR(t *testing.T) {
	t.Parallel()
	t.Run("gap", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, nil)
		// A copy at a serial named's journal has never seen: IXFR answers from a serial the
		// copy is not at, or AXFR-style; either way the copy ends equal to named.
		if _, err := f.copy.Replace(t.Context(), "example.test", mustRRs(t,
			"example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. 9 3600 600 86400 300",
			"old.example.test. 300 IN A 192.0.2.99"), nil); err != nil {
			t.Fatal(err)
		}
		f.zone.Add(t, "a.example.test. 300 IN A 192.0.2.10")
		if err := f.sync.sync(t.Context(), "example.test", waiting{}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(copyLines(t, f.copy), f.zone.Records()) {
			t.Fatalf("copy %v, zone %v", copyLines(t, f.copy), f.zone.Records())
		}
	})
	t.Run("diverged", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, nil)
		// The copy claims named's serial but lacks a record the next IXFR removes.
		if _, err := f.copy.Replace(t.Context(), "example.test", mustRRs(t, zoneLines[0], zoneLines[1], zoneLines[2]), nil); err != nil {
			t.Fatal(err)
		}
		m := new(dns.Msg)
		m.SetUpdate("example.test.")
		m.RemoveRRset(mustRRs(t, "www.example.test. 0 IN A 0.0.0.0"))
		if err := f.dns.Update(t.Context(), m); err != nil {
			t.Fatal(err)
		}
		if err := f.sync.sync(t.Context(), "example.test", waiting{}); err != nil {
			t.Fatal(err)
		}
		if axfr, ixfr := f.xfers(); axfr != 1 || ixfr != 1 {
			t.Fatalf("transfers: %d AXFR, %d IXFR; want the IXFR then an AXFR", axfr, ixfr)
		}
		if !slices.Equal(copyLines(t, f.copy), f.zone.Records()) {
			t.Fatalf("copy %v, zone %v", copyLines(t, f.copy), f.zone.Records())
		}
	})
	t.Run("journal gone", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, nil)
		if err := f.sync.sync(t.Context(), "example.test", waiting{}); err != nil {
			t.Fatal(err)
		}
		f.zone.Add(t, "a.example.test. 300 IN A 192.0.2.10")
		f.zone.ForgetJournal()
		if err := f.sync.sync(t.Context(), "example.test", waiting{}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(copyLines(t, f.copy), f.zone.Records()) {
			t.Fatalf("copy %v, zone %v", copyLines(t, f.copy), f.zone.Records())
		}
	})
}

func TestSweepFillsAndFresh(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	if _, ok := f.sync.Fresh(t.Context(), "example.test"); ok {
		t.Fatal("fresh without a copy")
	}
	f.sync.Sweep(t.Context())
	c, ok := f.sync.Fresh(t.Context(), "example.test")
	if !ok || c.Serial() != 10 {
		t.Fatalf("after sweep: %v %v", c.Serial(), ok)
	}
	f.zone.Add(t, "a.example.test. 300 IN A 192.0.2.10") // a lost NOTIFY
	if _, ok := f.sync.Fresh(t.Context(), "example.test"); ok {
		t.Fatal("a stale copy counted as fresh")
	}
	f.sync.Sweep(t.Context())
	if c, ok := f.sync.Fresh(t.Context(), "example.test"); !ok || c.Serial() != 11 {
		t.Fatalf("the sweep did not catch up: %v %v", c.Serial(), ok)
	}
}

func TestOfferNeverGoesBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	old, err := f.dns.Transfer(t.Context(), "example.test")
	if err != nil {
		t.Fatal(err)
	}
	f.zone.Add(t, "a.example.test. 300 IN A 192.0.2.10")
	f.sync.Offer(t.Context(), "example.test", old) // named moved on: not stored
	if _, ok := f.copy.Serial("example.test"); ok {
		t.Fatal("an outdated transfer was stored")
	}
	cur, err := f.dns.Transfer(t.Context(), "example.test")
	if err != nil {
		t.Fatal(err)
	}
	f.sync.Offer(t.Context(), "example.test", cur)
	if s, ok := f.copy.Serial("example.test"); !ok || s != 11 {
		t.Fatalf("offer of the current transfer: %d %v", s, ok)
	}
}

func mustRRs(t *testing.T, lines ...string) []dns.RR {
	t.Helper()
	var out []dns.RR
	for _, l := range lines {
		rr, err := dns.NewRR(l)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rr)
	}
	return out
}

// signedNotify is a NOTIFY as the handler sees it after the server verified its TSIG.
func signedNotify() *dns.Msg {
	m := new(dns.Msg)
	m.SetNotify("example.test.")
	m.SetTsig("bindgate-key.", dns.HmacSHA256, 300, time.Now().Unix())
	return m
}

// recorder is a dns.ResponseWriter whose TSIG verified.
type recorder struct {
	dns.ResponseWriter
	got *dns.Msg
}

func (r *recorder) TsigStatus() error         { return nil }
func (r *recorder) WriteMsg(m *dns.Msg) error { r.got = m; return nil }

// The first sweep after a start takes the serials the startup reconcile's SOA queries just
// found (StartSweep's seen) instead of asking named again: a zone whose copy is at that serial
// is confirmed without a query, one at another serial is fetched, and a zone the reconcile did
// not see is asked as before.
func TestSweepTakesSeenSerials(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		seen      map[string]uint32
		wantSOA   int    // SOA queries the sweep sent
		wantCopy  uint32 // the copy's serial after it
		wantXfers bool   // it transferred
	}{
		{name: "seen at the copy's serial: confirmed", seen: map[string]uint32{"example.test": 10}, wantCopy: 10},
		{name: "seen at another serial: fetched", seen: map[string]uint32{"example.test": 11}, wantCopy: 11, wantXfers: true},
		{name: "not seen: asked", seen: map[string]uint32{"other.test": 10}, wantSOA: 1, wantCopy: 10},
		{name: "nothing seen: asked", wantSOA: 1, wantCopy: 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			f.sync.Sweep(t.Context()) // the copy, at serial 10
			if tc.wantCopy == 11 {
				f.zone.Add(t, "a.example.test. 300 IN A 192.0.2.10") // named at 11
			}
			soa := func() (n int) {
				for _, m := range f.zone.Messages() {
					if len(m.Question) == 1 && m.Question[0].Qtype == dns.TypeSOA && m.Opcode == dns.OpcodeQuery {
						n++
					}
				}
				return n
			}
			soa0 := soa()
			a0, i0 := f.xfers()
			f.sync.sweep(t.Context(), tc.seen)
			if got := soa() - soa0; got != tc.wantSOA {
				t.Errorf("%d SOA queries, want %d", got, tc.wantSOA)
			}
			if a, i := f.xfers(); (a+i > a0+i0) != tc.wantXfers {
				t.Errorf("transfers %d -> %d, want some: %v", a0+i0, a+i, tc.wantXfers)
			}
			if got, ok := f.copy.Serial("example.test"); !ok || got != tc.wantCopy {
				t.Errorf("copy at %d (%v), want %d", got, ok, tc.wantCopy)
			}
		})
	}
}
