package dnsclient

import (
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/dnsclient/dnsclienttest"
)

// udpFake counts the queries a UDP fake got and the sockets they came from.
type udpFake struct {
	mu      sync.Mutex
	queries int
	from    map[string]bool
}

func (f *udpFake) counts() (queries, sockets int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queries, len(f.from)
}

// startUDP serves h over UDP on the port of the TCP fake at addr (so one Config.Addr reaches
// both), with the test key, and counts the queries and their sockets. It stops in t.Cleanup.
func startUDP(t *testing.T, addr string, h dns.HandlerFunc) *udpFake {
	t.Helper()
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatalf("the TCP fake's port is taken for UDP: %v", err)
	}
	f := &udpFake{from: map[string]bool{}}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Net: "udp", TsigSecret: map[string]string{testKeyOwner: testKey.SecretBase64()},
		NotifyStartedFunc: func() { close(started) },
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
			f.mu.Lock()
			f.queries++
			f.from[w.RemoteAddr().String()] = true
			f.mu.Unlock()
			h(w, r)
		})}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.ActivateAndServe() }()
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("UDP fake did not start")
	}
	t.Cleanup(func() { _ = srv.Shutdown(); <-done })
	return f
}

// signed answers r with the test key's TSIG, as named does for a signed query.
func signed(w dns.ResponseWriter, r, m *dns.Msg) {
	if t := r.IsTsig(); t != nil && w.TsigStatus() == nil {
		m.SetTsig(t.Hdr.Name, t.Algorithm, 300, time.Now().Unix())
	}
	_ = w.WriteMsg(m)
}

// With Config.UDP, Serial asks over UDP and believes only a reply verified as over TCP; a
// lost, truncated or refused datagram is asked again over TCP, where the zone's fake answers.
// Two queries in a row share a socket when the first one's reply was read, never after a loss.
func TestSerialOverUDP(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		udp     func(w dns.ResponseWriter, r *dns.Msg) // nil: no UDP listener
		want    uint32
		wantErr error
		wantTCP bool // the answer came over TCP
		sockets int  // the UDP sockets two queries came from
	}{
		{name: "answered over UDP", want: 77, sockets: 1, udp: func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg).SetReply(r)
			m.Answer = []dns.RR{mustRR(t, "example.test. 300 IN SOA ns1.example.test. admin.example.test. 77 3600 600 604800 86400")}
			signed(w, r, m)
		}},
		{name: "no UDP listener: TCP", want: 42, wantTCP: true},
		{name: "truncated: TCP", want: 42, wantTCP: true, sockets: 1, udp: func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg).SetReply(r)
			m.Truncated = true
			signed(w, r, m)
		}},
		{name: "lost: TCP after the UDP timeout", want: 42, wantTCP: true, sockets: 2, udp: func(dns.ResponseWriter, *dns.Msg) {}},
		{name: "unsigned reply: not believed", wantErr: ErrTSIG, sockets: 1, udp: func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg).SetReply(r)
			m.Answer = []dns.RR{mustRR(t, "example.test. 300 IN SOA ns1.example.test. admin.example.test. 77 3600 600 604800 86400")}
			_ = w.WriteMsg(m)
		}},
		{name: "REFUSED over UDP is final", wantErr: ErrNotZone, sockets: 1, udp: func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg).SetRcode(r, dns.RcodeRefused)
			signed(w, r, m)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			z := dnsclienttest.NewZone(t, "example.test.", zoneLines...)
			f := startFake(t, nil, z.ServeDNS)
			var u *udpFake
			if tc.udp != nil {
				u = startUDP(t, f.Addr, tc.udp)
			}
			c := newClient(t, f.Addr, func(cfg *Config) { cfg.UDP = true })
			for range 2 {
				got, err := c.Serial(t.Context(), "example.test")
				if !errors.Is(err, tc.wantErr) || got != tc.want {
					t.Fatalf("Serial = %d, %v; want %d, %v", got, err, tc.want, tc.wantErr)
				}
			}
			if tcp := f.Accepted() > 0; tcp != tc.wantTCP {
				t.Errorf("asked over TCP: %v, want %v", tcp, tc.wantTCP)
			}
			if u == nil {
				return
			}
			if q, s := u.counts(); q != 2 || s != tc.sockets {
				t.Errorf("the UDP fake got %d queries from %d sockets, want 2 from %d", q, s, tc.sockets)
			}
		})
	}
}
