package dnsclient

import (
	"errors"
	"strconv"
	"testing"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/dnsclient/dnsclienttest"
)

func lines(rrs []dns.RR) []string {
	out := make([]string, len(rrs))
	for i, rr := range rrs {
		out[i] = dnsclienttest.Line(rr)
	}
	return out
}

func TestIXFR(t *testing.T) {
	t.Parallel()
	z := dnsclienttest.NewZone(t, "example.test.", zoneLines...)
	z.PerMessage = 2 // differences spread over several messages, each signed
	c := newClient(t, startFake(t, nil, z.ServeDNS).Addr, nil)
	start := z.Serial()

	res, err := c.IXFR(t.Context(), "example.test", start)
	if err != nil || res.Full != nil || len(res.Deltas) != 0 || res.Serial != start {
		t.Fatalf("up to date: %+v, %v", res, err)
	}

	z.Add(t, "a.example.test. 300 IN A 192.0.2.10")
	if err := c.Update(t.Context(), func() *dns.Msg {
		m := new(dns.Msg)
		m.SetUpdate("example.test.")
		m.RemoveRRset([]dns.RR{mustRR(t, "www.example.test. 0 IN TXT \"\"")})
		m.Insert([]dns.RR{mustRR(t, "b.example.test. 300 IN A 192.0.2.11")})
		return m
	}()); err != nil {
		t.Fatal(err)
	}
	res, err = c.IXFR(t.Context(), "example.test.", start)
	if err != nil {
		t.Fatal(err)
	}
	if res.Full != nil || len(res.Deltas) != 2 || res.Serial != start+2 {
		t.Fatalf("want two deltas to %d, got %+v", start+2, res)
	}
	d0, d1 := res.Deltas[0], res.Deltas[1]
	if d0.From != start || d0.To != start+1 || d1.From != start+1 || d1.To != start+2 || d1.SOA.Serial != start+2 {
		t.Fatalf("serials: %d->%d, %d->%d", d0.From, d0.To, d1.From, d1.To)
	}
	if got := lines(d0.Added); len(got) != 1 || got[0] != "a.example.test. 300 IN A 192.0.2.10" || len(d0.Removed) != 0 {
		t.Errorf("delta 0: -%v +%v", lines(d0.Removed), got)
	}
	if rem, add := lines(d1.Removed), lines(d1.Added); len(rem) != 1 || rem[0] != `www.example.test. 300 IN TXT "hello"` ||
		len(add) != 1 || add[0] != "b.example.test. 300 IN A 192.0.2.11" {
		t.Errorf("delta 1: -%v +%v", rem, add)
	}

	// A journal that does not reach back: the whole zone, AXFR-style, without the closing SOA.
	z.ForgetJournal()
	res, err = c.IXFR(t.Context(), "example.test.", start)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Deltas) != 0 || len(res.Full) != len(z.Records()) || res.Full[0].(*dns.SOA).Serial != start+2 {
		t.Fatalf("AXFR-style: %+v", res)
	}
}

func TestIXFRRefused(t *testing.T) {
	t.Parallel()
	z := dnsclienttest.NewZone(t, "example.test.", zoneLines...)
	z.Script(func(*dns.Msg) dnsclienttest.Answer { return dnsclienttest.Answer{Rcode: dns.RcodeRefused} })
	c := newClient(t, startFake(t, nil, z.ServeDNS).Addr, nil)
	if _, err := c.IXFR(t.Context(), "example.test.", 1); !errors.Is(err, ErrRefused) {
		t.Fatalf("want ErrRefused, got %v", err)
	}
}

func TestParseIXFR(t *testing.T) {
	t.Parallel()
	soa := func(n uint32) dns.RR {
		return mustRR(t, "example.test. 300 IN SOA ns1.example.test. h.example.test. "+strconv.FormatUint(uint64(n), 10)+" 3600 600 86400 300")
	}
	a := mustRR(t, "a.example.test. 300 IN A 192.0.2.1")
	bad := [][]dns.RR{
		{},
		{a},
		{soa(3), soa(1), a, soa(2)},         // no closing SOA
		{soa(3), soa(2), soa(3), a, soa(3)}, // starts at 2, asked 1
		{soa(3), soa(1), soa(2), a, soa(2), soa(4), soa(3)}, // ends at 4
		{soa(3), a, soa(2)}, // AXFR-style, wrong closing SOA
	}
	for i, rrs := range bad {
		if _, err := parseIXFR(1, rrs); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
	res, err := parseIXFR(1, []dns.RR{soa(1), soa(1)})
	if err != nil || len(res.Full) != 1 {
		t.Errorf("SOA-only zone AXFR-style: %+v %v", res, err)
	}
}
