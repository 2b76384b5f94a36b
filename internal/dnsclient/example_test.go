package dnsclient_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"sync/atomic"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/dnsclient"
)

// A Client sends TSIG-signed RFC 2136 updates and queries to named. Here an in-process
// miekg/dns server on 127.0.0.1 stands in for named: it verifies the TSIG with the same key,
// accepts the update, and serves the SOA whose serial the update bumped.
func ExampleClient() {
	key := bindkey.Key{Name: "update-key", Algorithm: bindkey.HMACSHA256, Secret: []byte("0123456789abcdef0123456789abcdef")}
	addr, stop := fakeNamed(key)
	defer stop()

	// Key is called for every exchange, so a rotated key takes effect at once.
	c, err := dnsclient.New(dnsclient.Config{Addr: addr, Key: func() bindkey.Key { return key }})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	// The caller builds the UPDATE with miekg/dns (RFC 2136 §2.5); Update signs, sends and maps
	// the reply's rcode to an error (nil on NOERROR).
	rr, err := dns.NewRR("www.example.com. 300 IN A 192.0.2.10")
	if err != nil {
		log.Fatal(err)
	}
	m := new(dns.Msg)
	m.SetUpdate("example.com.")
	m.Insert([]dns.RR{rr})
	if err := c.Update(ctx, m); err != nil {
		log.Fatal(err)
	}

	serial, err := c.Serial(ctx, "example.com")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("serial", serial)
	// Output: serial 2026010102
}

// fakeNamed serves example.com over TCP with TSIG key k: an UPDATE signed with k bumps the
// serial. It returns the address and a function that stops the server.
func fakeNamed(k bindkey.Key) (addr string, stop func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	var serial atomic.Uint32
	serial.Store(2026010101)
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		switch {
		case r.IsTsig() == nil || w.TsigStatus() != nil:
			m.SetRcode(r, dns.RcodeNotAuth)
		case r.Opcode == dns.OpcodeUpdate:
			m.SetReply(r)
			serial.Add(1)
		default:
			m.SetReply(r)
			m.Answer = []dns.RR{&dns.SOA{
				Hdr: dns.RR_Header{Name: "example.com.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 300},
				Ns:  "ns1.example.com.", Mbox: "admin.example.com.", Serial: serial.Load(),
				Refresh: 3600, Retry: 600, Expire: 604800, Minttl: 300,
			}}
		}
		if t := r.IsTsig(); t != nil {
			m.SetTsig(t.Hdr.Name, t.Algorithm, 300, int64(t.TimeSigned))
		}
		_ = w.WriteMsg(m)
	})
	started := make(chan struct{})
	srv := &dns.Server{
		Listener: ln, Net: "tcp", Handler: h,
		TsigSecret:        map[string]string{dns.Fqdn(k.Name): k.SecretBase64()},
		NotifyStartedFunc: func() { close(started) },
		// Accept every opcode: the default refuses UPDATE with NOTIMP.
		MsgAcceptFunc: func(dns.Header) dns.MsgAcceptAction { return dns.MsgAccept },
	}
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	return ln.Addr().String(), func() { _ = srv.Shutdown() }
}
