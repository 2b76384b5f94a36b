package tlsconf

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"io/fs"
	"log"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
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

func pairFiles(id *ident) map[string][]byte {
	return map[string][]byte{crtName: id.certPEM, keyName: id.keyPEM}
}

// events records OnReload results.
type events struct {
	mu  sync.Mutex
	got []string
}

func (e *events) add(r string) { e.mu.Lock(); e.got = append(e.got, r); e.mu.Unlock() }

func (e *events) list() []string { e.mu.Lock(); defer e.mu.Unlock(); return append([]string(nil), e.got...) }

// syncBuffer is a log sink safe for the poller goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

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
func serial(t *testing.T, addr string, ca *ident, client *ident) *big.Int {
	t.Helper()
	c := &tls.Config{RootCAs: ca.pool()}
	if client != nil {
		c.Certificates = []tls.Certificate{client.tlsCert(t)}
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

func TestTLSConfig(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "ca")
	for _, mtls := range []bool{false, true} {
		st := &renameDir{t: t, dir: t.TempDir()}
		st.update(pairFiles(ca.server(t, 100)))
		st.update(map[string][]byte{caName: ca.certPEM})
		r, err := New(t.Context(), config(st, mtls, nil), nil)
		if err != nil {
			t.Fatal(err)
		}
		c := r.TLSConfig()
		if c.MinVersion != tls.VersionTLS12 {
			t.Errorf("mtls=%v: MinVersion = %x, want TLS 1.2", mtls, c.MinVersion)
		}
		wantAuth := tls.NoClientCert
		if mtls {
			wantAuth = tls.RequireAndVerifyClientCert
		}
		if c.ClientAuth != wantAuth {
			t.Errorf("mtls=%v: ClientAuth = %v, want %v", mtls, c.ClientAuth, wantAuth)
		}
		if (c.ClientCAs != nil) != mtls || c.SessionTicketsDisabled != mtls {
			t.Errorf("mtls=%v: ClientCAs set %v, session tickets disabled %v", mtls, c.ClientCAs != nil, c.SessionTicketsDisabled)
		}
		if got := certSerial(t, r); got != 100 {
			t.Errorf("mtls=%v: serving serial %d, want 100", mtls, got)
		}
	}
}

func TestHandshake(t *testing.T) {
	t.Parallel()
	ca, other := newCA(t, "bindgate test CA"), newCA(t, "another CA")
	srvID := ca.server(t, 100)
	good, foreign := ca.client(t, "bindy"), other.client(t, "bindy")

	tests := []struct {
		name   string
		mtls   bool
		client *ident // client certificate, nil = none
		minV   uint16 // client version range, 0 = Go's default
		maxV   uint16
		ok     bool
	}{
		{"TLS 1.3", false, nil, 0, 0, true},
		{"TLS 1.2", false, nil, tls.VersionTLS12, tls.VersionTLS12, true},
		{"TLS 1.1 refused", false, nil, tls.VersionTLS10, tls.VersionTLS11, false},
		{"TLS 1.0 refused", false, nil, tls.VersionTLS10, tls.VersionTLS10, false},
		{"a client certificate is not needed without mTLS", false, good, 0, 0, true},
		{"mTLS: no client certificate", true, nil, 0, 0, false},
		{"mTLS: no client certificate, TLS 1.2", true, nil, tls.VersionTLS12, tls.VersionTLS12, false},
		{"mTLS: valid client certificate", true, good, 0, 0, true},
		{"mTLS: valid client certificate, TLS 1.2", true, good, tls.VersionTLS12, tls.VersionTLS12, true},
		{"mTLS: certificate from another CA", true, foreign, 0, 0, false},
		{"mTLS: server-only certificate from the CA", true, ca.server(t, 101), 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := &renameDir{t: t, dir: t.TempDir()}
			st.update(pairFiles(srvID))
			st.update(map[string][]byte{caName: ca.certPEM})
			r, err := New(t.Context(), config(st, tc.mtls, nil), nil)
			if err != nil {
				t.Fatal(err)
			}
			addr, hits := serve(t, r)
			c := &tls.Config{RootCAs: ca.pool(), MinVersion: tc.minV, MaxVersion: tc.maxV}
			if tc.client != nil {
				c.Certificates = []tls.Certificate{tc.client.tlsCert(t)}
			}
			err = get(addr, c)
			if tc.ok && err != nil {
				t.Fatalf("request failed: %v", err)
			}
			if !tc.ok && err == nil {
				t.Fatal("request succeeded, want a failed handshake")
			}
			if want := int32(0); tc.ok {
				want = 1
				if got := hits.Load(); got != want {
					t.Errorf("handler ran %d times, want %d", got, want)
				}
			} else if got := hits.Load(); got != want {
				t.Errorf("handler ran %d times after a refused handshake", got)
			}
		})
	}
}

func TestPlaintextRefused(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "ca")
	st := &renameDir{t: t, dir: t.TempDir()}
	st.update(pairFiles(ca.server(t, 100)))
	r, err := New(t.Context(), config(st, false, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	addr, hits := serve(t, r)
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, "GET /api/v1/zones HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	for _, want := range []string{"HTTP/1.0 400 Bad Request", "Client sent an HTTP request to an HTTPS server"} {
		if !strings.Contains(string(resp), want) {
			t.Errorf("answer %q lacks %q", resp, want)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("a plaintext request reached the handler %d times", n)
	}
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "ca")
	a, b := ca.server(t, 100), ca.server(t, 200)
	rsaLike := []byte("-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----\n")

	tests := []struct {
		name    string
		files   map[string][]byte // written to the directory; absent = missing
		mtls    bool
		setting string
		file    string
		is      error // errors.Is target, nil = not checked
	}{
		{"cert file missing", map[string][]byte{keyName: a.keyPEM}, false, SettingCert, crtName, fs.ErrNotExist},
		{"key file missing", map[string][]byte{crtName: a.certPEM}, false, SettingKey, keyName, fs.ErrNotExist},
		{"key of another certificate", map[string][]byte{crtName: a.certPEM, keyName: b.keyPEM}, false, SettingKey, keyName, ErrKeyMismatch},
		{"files swapped", map[string][]byte{crtName: a.keyPEM, keyName: a.certPEM}, false, SettingCert, crtName, nil},
		{"key file holds only a certificate", map[string][]byte{crtName: a.certPEM, keyName: a.certPEM}, false, SettingKey, keyName, nil},
		{"cert not PEM", map[string][]byte{crtName: []byte("not a certificate"), keyName: a.keyPEM}, false, SettingCert, crtName, nil},
		{"cert PEM with bad DER", map[string][]byte{crtName: []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), keyName: a.keyPEM}, false, SettingCert, crtName, nil},
		{"key PEM with bad DER", map[string][]byte{crtName: a.certPEM, keyName: rsaLike}, false, SettingKey, keyName, nil},
		{"empty key", map[string][]byte{crtName: a.certPEM, keyName: {}}, false, SettingKey, keyName, nil},
		{"client CA missing", pairFiles(a), true, SettingClientCA, caName, fs.ErrNotExist},
		{"client CA is a key", map[string][]byte{crtName: a.certPEM, keyName: a.keyPEM, caName: ca.keyPEM}, true, SettingClientCA, caName, nil},
		{"client CA not PEM", map[string][]byte{crtName: a.certPEM, keyName: a.keyPEM, caName: []byte("junk")}, true, SettingClientCA, caName, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := &renameDir{t: t, dir: t.TempDir()}
			st.update(tc.files)
			var logs syncBuffer
			r, err := New(t.Context(), config(st, tc.mtls, nil), slog.New(slog.NewJSONHandler(&logs, nil)))
			if err == nil {
				r.Close()
				t.Fatal("New succeeded")
			}
			fe, ok := errors.AsType[*FileError](err)
			if !ok {
				t.Fatalf("err = %v (%T), want a *FileError", err, err)
			}
			if diff := cmp.Diff([]string{tc.setting, st.path(tc.file)}, []string{fe.Setting, fe.Path}); diff != "" {
				t.Errorf("file named (-want +got):\n%s", diff)
			}
			if !strings.Contains(err.Error(), tc.setting) || !strings.Contains(err.Error(), st.path(tc.file)) {
				t.Errorf("error %q does not name %s and the file", err, tc.setting)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want errors.Is %v", err, tc.is)
			}
			assertNoKey(t, "error", err.Error(), a, b, ca)
			assertNoKey(t, "log", logs.String(), a, b, ca)
		})
	}
}

func TestNewConfig(t *testing.T) {
	t.Parallel()
	for _, c := range []Config{{}, {CertFile: "/c"}, {KeyFile: "/k"}, {CertFile: "/c", KeyFile: "/k", ReloadInterval: -1}} {
		if _, err := New(t.Context(), c, nil); err == nil {
			t.Errorf("New(%+v) succeeded", c)
		}
	}
}

func TestReload(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "ca")
	a, b := ca.server(t, 100), ca.server(t, 200)
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			st := s.new(t)
			st.update(pairFiles(a))
			ev := new(events)
			r, err := New(t.Context(), config(st, false, ev), nil)
			if err != nil {
				t.Fatal(err)
			}
			addr, _ := serve(t, r)
			if got := serial(t, addr, ca, nil); got.Int64() != 100 {
				t.Fatalf("serial %v before the update, want 100", got)
			}
			if err := r.Check(); err != nil {
				t.Fatalf("Check with nothing changed: %v", err)
			}
			st.update(pairFiles(b))
			if got := serial(t, addr, ca, nil); got.Int64() != 100 {
				t.Fatalf("serial %v before Check, want 100", got)
			}
			if err := r.Check(); err != nil {
				t.Fatalf("Check: %v", err)
			}
			if got := serial(t, addr, ca, nil); got.Int64() != 200 {
				t.Errorf("serial %v after Check, want 200", got)
			}
			if err := r.Check(); err != nil {
				t.Fatalf("second Check: %v", err)
			}
			if diff := cmp.Diff([]string{ResultChanged}, ev.list()); diff != "" {
				t.Errorf("OnReload (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReloadClientCA(t *testing.T) {
	t.Parallel()
	oldCA, newCA := newCA(t, "old CA"), newCA(t, "new CA")
	oldClient, newClient := oldCA.client(t, "bindy"), newCA.client(t, "bindy")
	st := newSecretDir(t)
	srvID := oldCA.server(t, 100)
	st.update(map[string][]byte{crtName: srvID.certPEM, keyName: srvID.keyPEM, caName: oldCA.certPEM})
	r, err := New(t.Context(), config(st, true, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := serve(t, r)
	try := func(client *ident) error {
		return get(addr, &tls.Config{RootCAs: oldCA.pool(), Certificates: []tls.Certificate{client.tlsCert(t)}})
	}
	if err := try(oldClient); err != nil {
		t.Fatalf("old CA's client before rotation: %v", err)
	}
	if err := try(newClient); err == nil {
		t.Fatal("new CA's client accepted before rotation")
	}
	st.update(map[string][]byte{crtName: srvID.certPEM, keyName: srvID.keyPEM, caName: newCA.certPEM})
	if err := r.Check(); err != nil {
		t.Fatal(err)
	}
	if err := try(newClient); err != nil {
		t.Errorf("new CA's client after rotation: %v", err)
	}
	if err := try(oldClient); err == nil {
		t.Error("old CA's client still accepted after rotation")
	}
}

func TestReloadKeepsOldOnBadPair(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "ca")
	a, b, c := ca.server(t, 100), ca.server(t, 200), ca.server(t, 300)
	tests := []struct {
		name    string
		files   map[string][]byte // the bad update
		setting string
		file    string
		is      error
		repeat  []string // OnReload after a second Check of the same files
	}{
		{"unparseable cert", map[string][]byte{crtName: []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), keyName: b.keyPEM},
			SettingCert, crtName, nil, []string{ResultFailed}},
		{"new cert, old key", map[string][]byte{crtName: b.certPEM, keyName: a.keyPEM}, SettingKey, keyName, ErrKeyMismatch, []string{ResultFailed}},
		{"new key, old cert", map[string][]byte{crtName: a.certPEM, keyName: b.keyPEM}, SettingKey, keyName, ErrKeyMismatch, []string{ResultFailed}},
		{"cert and key swapped", map[string][]byte{crtName: b.keyPEM, keyName: b.certPEM}, SettingCert, crtName, nil, []string{ResultFailed}},
		// A missing file is re-read and reported on every check: it is either a moment in a
		// rotation or a real fault worth repeating.
		{"key file missing mid-rotation", map[string][]byte{crtName: b.certPEM}, SettingKey, keyName, fs.ErrNotExist, []string{ResultFailed, ResultFailed}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newSecretDir(t) // a Secret update may drop a file: the symlink then dangles
			st.update(pairFiles(a))
			ev := new(events)
			var logs syncBuffer
			r, err := New(t.Context(), config(st, false, ev), slog.New(slog.NewJSONHandler(&logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			addr, _ := serve(t, r)

			st.update(tc.files)
			err = r.Check()
			fe, ok := errors.AsType[*FileError](err)
			if !ok {
				t.Fatalf("Check = %v, want a *FileError", err)
			}
			if fe.Setting != tc.setting || fe.Path != st.path(tc.file) {
				t.Errorf("error names %s %s, want %s %s", fe.Setting, fe.Path, tc.setting, st.path(tc.file))
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want errors.Is %v", err, tc.is)
			}
			if got := serial(t, addr, ca, nil); got.Int64() != 100 {
				t.Errorf("serving serial %v after a bad update, want the old 100", got)
			}
			if err2 := r.Check(); err2 == nil || err2.Error() != err.Error() {
				t.Errorf("second Check = %v, want %v again", err2, err)
			}
			if diff := cmp.Diff(tc.repeat, ev.list()); diff != "" {
				t.Errorf("OnReload (-want +got):\n%s", diff)
			}
			if l := logs.String(); !strings.Contains(l, `"level":"WARN"`) || !strings.Contains(l, st.path(tc.file)) {
				t.Errorf("no warning naming %s in the log:\n%s", st.path(tc.file), l)
			}
			assertNoKey(t, "error", err.Error(), a, b, c, ca)
			assertNoKey(t, "log", logs.String(), a, b, c, ca)

			// The next good update is picked up.
			st.update(pairFiles(c))
			if err := r.Check(); err != nil {
				t.Fatalf("Check after a good update: %v", err)
			}
			if got := serial(t, addr, ca, nil); got.Int64() != 300 {
				t.Errorf("serving serial %v after the fix, want 300", got)
			}
			if got := ev.list(); got[len(got)-1] != ResultChanged {
				t.Errorf("last OnReload %v, want %s", got, ResultChanged)
			}
		})
	}
}

func TestReloadInterval(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "ca")
	a, b := ca.server(t, 100), ca.server(t, 200)
	tests := []struct {
		name     string
		interval time.Duration
		want     int64
		events   []string
	}{
		{"ticker picks the change up", time.Minute, 200, []string{ResultChanged}},
		{"interval 0 leaves it to Check", 0, 100, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newSecretDir(t)
			st.update(pairFiles(a))
			synctest.Test(t, func(t *testing.T) {
				ev := new(events)
				cfg := config(st, false, ev)
				cfg.ReloadInterval = tc.interval
				r, err := New(t.Context(), cfg, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				time.Sleep(90 * time.Second) // a tick with nothing changed
				st.update(pairFiles(b))
				time.Sleep(time.Minute)
				synctest.Wait()
				if got := certSerial(t, r); got != tc.want {
					t.Errorf("serving serial %d, want %d", got, tc.want)
				}
				if diff := cmp.Diff(tc.events, ev.list()); diff != "" {
					t.Errorf("OnReload (-want +got):\n%s", diff)
				}
			})
		})
	}
}

func TestCloseStopsPolling(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "ca")
	st := newSecretDir(t)
	st.update(pairFiles(ca.server(t, 100)))
	synctest.Test(t, func(t *testing.T) {
		cfg := config(st, false, nil)
		cfg.ReloadInterval = time.Second
		r, err := New(t.Context(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Close() // synctest fails the test if the poller outlives the bubble
		r.Close()
	})
}

// TestKeyPEMForms covers the private-key encodings tools write.
func TestKeyPEMForms(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "ca")
	ec := ca.server(t, 100)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaID := ca.serverWithKey(t, 100, rsaKey)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edID := ca.serverWithKey(t, 100, edKey)
	sec1, err := x509.MarshalECPrivateKey(ec.key.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	block := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }

	tests := []struct {
		name      string
		cert, key []byte
	}{
		{"PKCS #8 ECDSA", ec.certPEM, ec.keyPEM},
		{"SEC 1 EC", ec.certPEM, block("EC PRIVATE KEY", sec1)},
		{"PKCS #1 RSA", rsaID.certPEM, block("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey))},
		{"PKCS #8 RSA", rsaID.certPEM, rsaID.keyPEM},
		{"PKCS #8 Ed25519", edID.certPEM, edID.keyPEM},
		{"certificate before the key in the key file", ec.certPEM, append(append([]byte(nil), ec.certPEM...), ec.keyPEM...)},
		{"chain with the CA in the cert file", append(append([]byte(nil), ec.certPEM...), ca.certPEM...), ec.keyPEM},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := &renameDir{t: t, dir: t.TempDir()}
			st.update(map[string][]byte{crtName: tc.cert, keyName: tc.key})
			r, err := New(t.Context(), config(st, false, nil), nil)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			addr, _ := serve(t, r)
			if got := serial(t, addr, ca, nil); got.Int64() != 100 {
				t.Errorf("serial %v, want 100", got)
			}
		})
	}
}
