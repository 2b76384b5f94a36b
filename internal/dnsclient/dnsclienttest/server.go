// Package dnsclienttest is an in-process DNS server on 127.0.0.1 over TCP for unit tests of
// internal/dnsclient and of the packages built on it, in the style of miekg/dns's own
// RunLocalTCPServer. The server verifies TSIG with miekg/dns (dns.Server's TsigSecret) and
// signs what the handler signs; Zone is a handler that serves one zone from memory, applies
// RFC 2136 updates to it and records every message it receives.
//
// It must never stand in for BIND in an integration test: integration tests run a real named.
package dnsclienttest

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	// Addr is the server's host:port.
	Addr     string
	accepted atomic.Int64
	mu       sync.Mutex
	conns    []net.Conn
}

// trackListener records every accepted connection in a Server.
type trackListener struct {
	net.Listener
	s *Server
}

func (l trackListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.s.accepted.Add(1)
		l.s.mu.Lock()
		l.s.conns = append(l.s.conns, c)
		l.s.mu.Unlock()
	}
	return c, err
}

// Start serves h on 127.0.0.1:0 over TCP, verifying TSIG with secrets (owner name -> base64
// secret). Every opcode reaches h, UPDATE included. The server stops in t.Cleanup, after
// closing its connections.
func Start(t testing.TB, secrets map[string]string, h dns.Handler) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String()}
	started := make(chan struct{})
	srv := &dns.Server{Listener: trackListener{ln, s}, Net: "tcp", TsigSecret: secrets, Handler: h,
		NotifyStartedFunc: func() { close(started) },
		// Accept every opcode: the default refuses UPDATE with NOTIMP.
		MsgAcceptFunc: func(dns.Header) dns.MsgAcceptAction { return dns.MsgAccept }}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.ActivateAndServe()
	}()
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("fake DNS server did not start")
	}
	t.Cleanup(func() {
		s.CloseConns()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.ShutdownContext(ctx)
		<-served
	})
	return s
}

// Accepted is the number of connections accepted so far.
func (s *Server) Accepted() int64 { return s.accepted.Load() }

// CloseConns closes the server's side of every connection, as named does with idle ones.
func (s *Server) CloseConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		_ = c.Close()
	}
	s.conns = nil
}

// Signing says how a reply is signed.
type Signing int

// The ways to sign a reply.
const (
	SignOK       Signing = iota // with the request's key (the server's secret for it)
	SignNone                    // no TSIG
	SignOtherKey                // with OtherKey, a name the client does not know
	SignTSIGErr                 // a TSIG carrying an error (BADSIG/BADKEY: no MAC, RFC 8945 §5.3.2)
)

// OtherKey is the key name SignOtherKey signs with.
const OtherKey = "other-key."

// Reply answers r with rcode, signed as s says; tsigErr is the TSIG error for SignTSIGErr.
func Reply(w dns.ResponseWriter, r *dns.Msg, rcode int, s Signing, tsigErr uint16) {
	m := new(dns.Msg)
	m.SetRcode(r, rcode)
	Sign(m, r, s, tsigErr)
	_ = w.WriteMsg(m)
}

// Sign adds to reply m the TSIG that s asks for, when request r was signed; the server
// computes the MAC when m is written.
func Sign(m, r *dns.Msg, s Signing, tsigErr uint16) {
	t := r.IsTsig()
	if t == nil {
		return
	}
	switch s {
	case SignOK:
		m.SetTsig(t.Hdr.Name, t.Algorithm, 300, time.Now().Unix())
	case SignOtherKey:
		m.SetTsig(OtherKey, t.Algorithm, 300, time.Now().Unix())
	case SignTSIGErr:
		m.SetTsig(t.Hdr.Name, t.Algorithm, 300, time.Now().Unix())
		m.Extra[len(m.Extra)-1].(*dns.TSIG).Error = tsigErr
	}
}
