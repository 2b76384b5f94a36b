package ddns

import (
	"context"
	"encoding/base64"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/bindkey"
)

// testKey has a mixed-case name: the TSIG owner must be its lower-cased FQDN.
var testKey = bindkey.Key{Name: "Test-Key", Algorithm: bindkey.HMACSHA256, Secret: []byte("0123456789abcdef0123456789abcdef")}

const (
	testKeyOwner  = "test-key."
	otherKeyOwner = "other-key."
)

// otherSecret is another key's secret, known to the fake server only.
var otherSecret = base64.StdEncoding.EncodeToString([]byte("fedcba9876543210fedcba9876543210"))

// fakeServer is an in-process DNS server on 127.0.0.1 over TCP that verifies and signs TSIG
// with miekg/dns. It counts and tracks the connections it accepts, so a test can see how
// many the client dialled and can close them as named closes idle ones.
type fakeServer struct {
	addr     string
	accepted atomic.Int64
	mu       sync.Mutex
	conns    []net.Conn
}

// trackListener records every accepted connection in a fakeServer.
type trackListener struct {
	net.Listener
	f *fakeServer
}

func (l trackListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.f.accepted.Add(1)
		l.f.mu.Lock()
		l.f.conns = append(l.f.conns, c)
		l.f.mu.Unlock()
	}
	return c, err
}

// startFake serves h with TSIG secrets (owner name -> base64 secret); nil secrets means the
// test key and the other key.
func startFake(t *testing.T, secrets map[string]string, h dns.HandlerFunc) *fakeServer {
	t.Helper()
	if secrets == nil {
		secrets = map[string]string{testKeyOwner: testKey.SecretBase64(), otherKeyOwner: otherSecret}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{addr: ln.Addr().String()}
	started := make(chan struct{})
	srv := &dns.Server{Listener: trackListener{ln, f}, Net: "tcp", TsigSecret: secrets, Handler: h,
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
		t.Fatal("fake server did not start")
	}
	t.Cleanup(func() {
		f.closeConns()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.ShutdownContext(ctx)
		<-served
	})
	return f
}

// closeConns closes the server's side of every connection, as named does with idle ones.
func (f *fakeServer) closeConns() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		_ = c.Close()
	}
	f.conns = nil
}

// newClient returns a client for addr with the test key; edit adjusts its Config.
func newClient(t *testing.T, addr string, edit func(*Config)) *Client {
	t.Helper()
	cfg := Config{Addr: addr, Key: func() bindkey.Key { return testKey }, Timeout: 5 * time.Second}
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// signing says how the fake signs a reply.
type signing int

const (
	signOK       signing = iota // with the request's key (the server's secret for it)
	signNone                    // no TSIG
	signOtherKey                // with another key name the client does not know
	signTSIGErr                 // a TSIG carrying an error (BADSIG/BADKEY: no MAC)
)

// reply answers r with rcode, signed as s says; tsigErr is the TSIG error for signTSIGErr.
func reply(w dns.ResponseWriter, r *dns.Msg, rcode int, s signing, tsigErr uint16) {
	m := new(dns.Msg)
	m.SetRcode(r, rcode)
	sign(m, r, s, tsigErr)
	_ = w.WriteMsg(m)
}

func sign(m, r *dns.Msg, s signing, tsigErr uint16) {
	t := r.IsTsig()
	if t == nil {
		return
	}
	switch s {
	case signOK:
		m.SetTsig(t.Hdr.Name, t.Algorithm, 300, time.Now().Unix())
	case signOtherKey:
		m.SetTsig(otherKeyOwner, t.Algorithm, 300, time.Now().Unix())
	case signTSIGErr:
		m.SetTsig(t.Hdr.Name, t.Algorithm, 300, time.Now().Unix())
		m.Extra[len(m.Extra)-1].(*dns.TSIG).Error = tsigErr
	}
}

// updateMsg is an update of example.test. adding one A record.
func updateMsg(t *testing.T) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetUpdate("example.test.")
	rr, err := dns.NewRR("www.example.test. 300 IN A 192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	m.Insert([]dns.RR{rr})
	return m
}

// noSecret fails the test when err's text, in any format, holds the test key's secret.
func noSecret(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, text := range []string{err.Error(), fmtAll(err)} {
		if strings.Contains(text, testKey.SecretBase64()) || strings.Contains(text, string(testKey.Secret)) {
			t.Errorf("error text holds the secret: %s", text)
		}
	}
}
