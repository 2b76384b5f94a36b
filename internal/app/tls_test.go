package app

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bindgate/bindgate/internal/config"
	"github.com/bindgate/bindgate/internal/tlsconf/tlsconftest"
)

// writeFile replaces path by renaming a new file over it, as a Secret update would appear.
func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path+".tmp", b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
}

// tlsEnv is a bindgate environment with TLS files in dir; BIND is never contacted.
func tlsEnv(t *testing.T, dir string) map[string]string {
	return map[string]string{
		"BINDGATE_NOTIFY_ADDR":     "127.0.0.1:0",
		"BIND_ZONE_DIR":            t.TempDir(),
		"BIND_API_TOKEN":           "test-token",
		"RNDC_SERVER":              "127.0.0.1:1",
		"RNDC_SECRET":              base64.StdEncoding.EncodeToString(make([]byte, 32)),
		"BIND_TLS_CERT":            filepath.Join(dir, "tls.crt"),
		"BIND_TLS_KEY":             filepath.Join(dir, "tls.key"),
		"BIND_TLS_CLIENT_CA":       filepath.Join(dir, "ca.crt"),
		"BIND_TLS_RELOAD_INTERVAL": "0", // SIGHUP only
	}
}

func load(t *testing.T, env map[string]string) config.Config {
	t.Helper()
	cfg, err := config.Load(nil, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

// TestRunTLS runs the whole app over mTLS, without named: plaintext refused, client
// certificate required, and a certificate replaced on disk served after SIGHUP.
func TestRunTLS(t *testing.T) {
	ca := tlsconftest.NewCA(t, "ca")
	first, second, client := ca.Server(t, 100), ca.Server(t, 200), ca.Client(t, "bindy")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tls.crt"), first.CertPEM)
	writeFile(t, filepath.Join(dir, "tls.key"), first.KeyPEM)
	writeFile(t, filepath.Join(dir, "ca.crt"), ca.CertPEM)
	cfg := load(t, tlsEnv(t, dir))

	addr, logs, stop := startRun(t, cfg, Options{})
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
		if t.Failed() {
			t.Logf("log:\n%s", logs.String())
		}
	}()

	if l := logs.String(); !strings.Contains(l, `"tls":"on"`) || !strings.Contains(l, `"mtls":"on"`) {
		t.Errorf("startup log does not say tls and mtls on:\n%s", l)
	}

	// Plaintext on the TLS port: net/http's 400, no handler.
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	plain, _ := io.ReadAll(conn)
	conn.Close()
	if !strings.Contains(string(plain), "400 Bad Request") || !strings.Contains(string(plain), "HTTPS server") {
		t.Errorf("plaintext answered %q", plain)
	}

	get := func(path string, withCert bool) (*http.Response, *tls.ConnectionState, error) {
		c := &tls.Config{RootCAs: ca.Pool()}
		if withCert {
			c.Certificates = []tls.Certificate{client.TLSCertificate(t)}
		}
		hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: c, DisableKeepAlives: true}}
		resp, err := hc.Get("https://" + addr + path)
		if err != nil {
			return nil, nil, err
		}
		resp.Body.Close()
		return resp, resp.TLS, nil
	}
	if _, _, err := get("/api/v1/health", false); err == nil {
		t.Error("request without a client certificate succeeded")
	}
	resp, cs, err := get("/api/v1/health", true)
	if err != nil {
		t.Fatalf("health over mTLS: %v", err)
	}
	if resp.StatusCode != http.StatusOK || cs.PeerCertificates[0].SerialNumber.Int64() != 100 {
		t.Fatalf("health: %s from serial %v, want 200 from 100", resp.Status, cs.PeerCertificates[0].SerialNumber)
	}

	// Rotate, then SIGHUP; the reload is asynchronous: wait for its log line, which the
	// watcher writes after swapping the certificate.
	writeFile(t, filepath.Join(dir, "tls.key"), second.KeyPEM)
	writeFile(t, filepath.Join(dir, "tls.crt"), second.CertPEM)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	logs.waitFor(t, `"msg":"TLS certificate reloaded"`, 10*time.Second)
	resp, cs, err = get("/api/v1/health", true)
	if err != nil {
		t.Fatalf("health after SIGHUP: %v", err)
	}
	if serial := cs.PeerCertificates[0].SerialNumber.Int64(); serial != 200 {
		t.Fatalf("serial %d after SIGHUP, want 200", serial)
	}
	metrics := fetch(t, "https://"+addr+"/metrics", &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{client.TLSCertificate(t)}})
	if !strings.Contains(metrics, `bindgate_tls_reloads_total{result="changed"} 1`) {
		t.Errorf("metrics lack the reload:\n%s", metrics)
	}
	for _, key := range [][]byte{first.KeyPEM, second.KeyPEM} {
		if body := strings.Split(string(key), "\n")[1]; strings.Contains(logs.String(), body) {
			t.Error("the log holds private key bytes")
		}
	}
}

func fetch(t *testing.T, url string, c *tls.Config) string {
	t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: c, DisableKeepAlives: true}}
	resp, err := hc.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRunTLSRefusesBadPair: a key that does not match stops startup, naming the setting.
func TestRunTLSRefusesBadPair(t *testing.T) {
	t.Parallel()
	ca := tlsconftest.NewCA(t, "ca")
	a, b := ca.Server(t, 100), ca.Server(t, 200)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tls.crt"), a.CertPEM)
	writeFile(t, filepath.Join(dir, "tls.key"), b.KeyPEM)
	writeFile(t, filepath.Join(dir, "ca.crt"), ca.CertPEM)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = Run(t.Context(), load(t, tlsEnv(t, dir)), Options{Listener: ln, Logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "BIND_TLS_KEY") {
		t.Fatalf("Run = %v, want an error naming BIND_TLS_KEY", err)
	}
	if strings.Contains(err.Error(), strings.Split(string(b.KeyPEM), "\n")[1]) {
		t.Error("the error holds key bytes")
	}
}

// startRun runs Run on a loopback listener with opt (Listener, Ready and Logger are set here,
// logging at debug level into the returned buffer) and waits until it serves. stop cancels it
// and returns Run's error, failing the test if Run does not end within 40 s.
func startRun(t *testing.T, cfg config.Config, opt Options) (addr string, logs *syncBuffer, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs = &syncBuffer{}
	ready := make(chan string, 1)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	opt.Listener, opt.Ready = ln, func(addr string) { ready <- addr }
	opt.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if opt.Version == "" {
		opt.Version = "test"
	}
	go func() { done <- Run(ctx, cfg, opt) }()
	stopped := false
	stop = func() error {
		t.Helper()
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(40 * time.Second):
			t.Fatal("Run did not stop within 40 s")
			return nil
		}
	}
	t.Cleanup(func() { _ = stop() })
	select {
	case addr = <-ready:
	case err := <-done:
		stopped = true
		cancel()
		t.Fatalf("Run: %v\nlog:\n%s", err, logs.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("not ready within 10 s\nlog:\n%s", logs.String())
	}
	return addr, logs, stop
}

// syncBuffer is a log sink shared with Run's goroutines.
type syncBuffer struct {
	mu    sync.Mutex
	b     strings.Builder
	wrote chan struct{} // closed by the next Write; nil until a waiter asks
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wrote != nil {
		close(s.wrote)
		s.wrote = nil
	}
	return s.b.Write(p)
}

// waitFor returns once the log holds sub, and fails the test if it does not within d.
func (s *syncBuffer) waitFor(t *testing.T, sub string, d time.Duration) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		found := strings.Contains(s.b.String(), sub)
		if s.wrote == nil {
			s.wrote = make(chan struct{})
		}
		wrote := s.wrote
		s.mu.Unlock()
		if found {
			return
		}
		select {
		case <-wrote:
		case <-deadline.C:
			t.Fatalf("the log does not hold %q after %s", sub, d)
		}
	}
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
