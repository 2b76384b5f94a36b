package tlsconf

import (
	"crypto/tls"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bindgate/bindgate/internal/logbuf"
	"github.com/bindgate/bindgate/internal/tlsconf/tlsconftest"
)

const (
	crtName = "tls.crt"
	keyName = "tls.key"
	caName  = "ca.crt"
)

// store is a directory of TLS files and a way to publish a new set in it.
type store interface {
	path(name string) string
	update(files map[string][]byte)
}

// renameDir replaces each file by writing a new one and renaming it over the old.
type renameDir struct {
	t   *testing.T
	dir string
}

func (d *renameDir) path(name string) string { return filepath.Join(d.dir, name) }

func (d *renameDir) update(files map[string][]byte) {
	d.t.Helper()
	for name, b := range files {
		replace(d.t, d.path(name), b)
	}
}

var stores = []struct {
	name string
	new  func(t *testing.T) store
}{
	{"rename over", func(t *testing.T) store { return &renameDir{t: t, dir: t.TempDir()} }},
	{"Secret symlink swap", func(t *testing.T) store { return newSecretDir(t) }},
}

func pairFiles(id *tlsconftest.Ident) map[string][]byte {
	return map[string][]byte{crtName: id.CertPEM, keyName: id.KeyPEM}
}

// events records OnReload results.
type events struct {
	mu  sync.Mutex
	got []string
}

func (e *events) add(r string) { e.mu.Lock(); e.got = append(e.got, r); e.mu.Unlock() }

func (e *events) list() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.got...)
}

// syncBuffer is a log sink safe for the poller goroutine.
type syncBuffer = logbuf.Buffer

func config(st store, mtls bool, ev *events) Config {
	c := Config{CertFile: st.path(crtName), KeyFile: st.path(keyName)}
	if mtls {
		c.ClientCAFile = st.path(caName)
	}
	if ev != nil {
		c.OnReload = ev.add
	}
	return c
}

// serve runs an HTTPS server on 127.0.0.1 with r's configuration, as bindgate does: an
// http.Server over tls.NewListener. It returns the address and a count of requests handled.
func serve(t *testing.T, r *Reloader) (string, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hits := new(atomic.Int32)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			hits.Add(1)
			io.WriteString(w, "ok")
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(tls.NewListener(ln, r.TLSConfig())) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return ln.Addr().String(), hits
}

// get makes one HTTPS request on a new connection.
func get(addr string, c *tls.Config) error {
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: c, DisableKeepAlives: true},
	}
	resp, err := client.Get("https://" + addr + "/")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return nil
}

// serial makes a new connection (no session resumption) and returns the server's serial.
func serial(t *testing.T, addr string, ca *tlsconftest.Ident, client *tlsconftest.Ident) *big.Int {
	t.Helper()
	c := &tls.Config{RootCAs: ca.Pool()}
	if client != nil {
		c.Certificates = []tls.Certificate{client.TLSCertificate(t)}
	}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, c)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber
}

func certSerial(t *testing.T, r *Reloader) int64 {
	t.Helper()
	c, err := r.TLSConfig().GetCertificate(&tls.ClientHelloInfo{})
	if err != nil {
		t.Fatal(err)
	}
	return c.Leaf.SerialNumber.Int64()
}
