package tlsconf

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bindgate/bindgate/internal/tlsconf/tlsconftest"
)

func TestTLSConfig(t *testing.T) {
	t.Parallel()
	ca := tlsconftest.NewCA(t, "ca")
	for _, mtls := range []bool{false, true} {
		st := &renameDir{t: t, dir: t.TempDir()}
		st.update(pairFiles(ca.Server(t, 100)))
		st.update(map[string][]byte{caName: ca.CertPEM})
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
	ca, other := tlsconftest.NewCA(t, "bindgate test CA"), tlsconftest.NewCA(t, "another CA")
	srvID := ca.Server(t, 100)
	good, foreign := ca.Client(t, "bindy"), other.Client(t, "bindy")

	tests := []struct {
		name   string
		mtls   bool
		client *tlsconftest.Ident // client certificate, nil = none
		minV   uint16             // client version range, 0 = Go's default
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
		{"mTLS: server-only certificate from the CA", true, ca.Server(t, 101), 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := &renameDir{t: t, dir: t.TempDir()}
			st.update(pairFiles(srvID))
			st.update(map[string][]byte{caName: ca.CertPEM})
			r, err := New(t.Context(), config(st, tc.mtls, nil), nil)
			if err != nil {
				t.Fatal(err)
			}
			addr, hits := serve(t, r)
			c := &tls.Config{RootCAs: ca.Pool(), MinVersion: tc.minV, MaxVersion: tc.maxV}
			if tc.client != nil {
				c.Certificates = []tls.Certificate{tc.client.TLSCertificate(t)}
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
	ca := tlsconftest.NewCA(t, "ca")
	st := &renameDir{t: t, dir: t.TempDir()}
	st.update(pairFiles(ca.Server(t, 100)))
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

// TestKeyPEMForms covers the private-key encodings tools write.
func TestKeyPEMForms(t *testing.T) {
	t.Parallel()
	ca := tlsconftest.NewCA(t, "ca")
	ec := ca.Server(t, 100)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaID := ca.ServerWithKey(t, 100, rsaKey)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edID := ca.ServerWithKey(t, 100, edKey)
	sec1, err := x509.MarshalECPrivateKey(ec.Key.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	block := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }

	tests := []struct {
		name      string
		cert, key []byte
	}{
		{"PKCS #8 ECDSA", ec.CertPEM, ec.KeyPEM},
		{"SEC 1 EC", ec.CertPEM, block("EC PRIVATE KEY", sec1)},
		{"PKCS #1 RSA", rsaID.CertPEM, block("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey))},
		{"PKCS #8 RSA", rsaID.CertPEM, rsaID.KeyPEM},
		{"PKCS #8 Ed25519", edID.CertPEM, edID.KeyPEM},
		{"certificate before the key in the key file", ec.CertPEM, append(append([]byte(nil), ec.CertPEM...), ec.KeyPEM...)},
		{"chain with the CA in the cert file", append(append([]byte(nil), ec.CertPEM...), ca.CertPEM...), ec.KeyPEM},
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
