package tlsconf

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ident is a certificate with its key, as parsed values and as PEM.
type ident struct {
	cert    *x509.Certificate
	key     crypto.Signer
	certPEM []byte
	keyPEM  []byte
}

func newKey(t *testing.T) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func build(t *testing.T, tmpl *x509.Certificate, key crypto.Signer, parent *ident) *ident {
	t.Helper()
	pcert, pkey := tmpl, key
	if parent != nil {
		pcert, pkey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, pcert, key.Public(), pkey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &ident{
		cert: c, key: key,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}),
	}
}

func newCA(t *testing.T, name string) *ident {
	t.Helper()
	now := time.Now()
	return build(t, &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}, newKey(t), nil)
}

// server issues a certificate for 127.0.0.1 with the given serial.
func (ca *ident) server(t *testing.T, serial int64) *ident {
	t.Helper()
	return ca.serverWithKey(t, serial, newKey(t))
}

func (ca *ident) serverWithKey(t *testing.T, serial int64, key crypto.Signer) *ident {
	t.Helper()
	now := time.Now()
	return build(t, &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "bindgate"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, key, ca)
}

// client issues a client-authentication certificate.
func (ca *ident) client(t *testing.T, name string) *ident {
	t.Helper()
	now := time.Now()
	return build(t, &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: name},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, newKey(t), ca)
}

func (id *ident) tlsCert(t *testing.T) tls.Certificate {
	t.Helper()
	c, err := tls.X509KeyPair(id.certPEM, id.keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (id *ident) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(id.cert)
	return p
}

// keyLines returns the base64 lines of each key's PEM, which no error or log may contain.
func keyLines(ids ...*ident) []string {
	var out []string
	for _, id := range ids {
		for l := range strings.Lines(string(id.keyPEM)) {
			if l = strings.TrimSpace(l); len(l) >= 16 && !strings.HasPrefix(l, "-----") {
				out = append(out, l)
			}
		}
	}
	return out
}

func assertNoKey(t *testing.T, what, text string, ids ...*ident) {
	t.Helper()
	if strings.Contains(text, "PRIVATE KEY-----") {
		t.Errorf("%s holds a PEM private key header: %s", what, text)
	}
	for _, l := range keyLines(ids...) {
		if strings.Contains(text, l) {
			t.Errorf("%s holds private key bytes %q", what, l)
		}
	}
}

// secretDir lays files out as a Kubernetes Secret volume does: each name is a symlink through
// "..data", itself a symlink to a timestamped directory, and an update swaps "..data".
type secretDir struct {
	t   *testing.T
	dir string
	gen int
}

func newSecretDir(t *testing.T) *secretDir { return &secretDir{t: t, dir: t.TempDir()} }

func (s *secretDir) path(name string) string { return filepath.Join(s.dir, name) }

// update publishes a new set of files in one symlink swap.
func (s *secretDir) update(files map[string][]byte) {
	t := s.t
	t.Helper()
	s.gen++
	ts := "..2026_" + strings.Repeat("0", 3) + string(rune('a'+s.gen))
	if err := os.Mkdir(filepath.Join(s.dir, ts), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(s.dir, ts, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(s.dir, name)
		if _, err := os.Lstat(link); err != nil {
			if err := os.Symlink(filepath.Join("..data", name), link); err != nil {
				t.Fatal(err)
			}
		}
	}
	tmp := filepath.Join(s.dir, "..data_tmp")
	if err := os.Symlink(ts, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, "..data")); err != nil {
		t.Fatal(err)
	}
}

// replace writes b beside path and renames it over path, as a config-management tool does.
func replace(t *testing.T, path string, b []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
