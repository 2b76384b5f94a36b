// Package tlsconftest makes throwaway certificates for tests: a CA, server certificates for
// 127.0.0.1 and client certificates, with ECDSA P-256 keys, valid from an hour ago for a day.
package tlsconftest

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
	"testing"
	"time"
)

// Ident is a certificate and its key, parsed and as PEM.
type Ident struct {
	Cert    *x509.Certificate
	Key     crypto.Signer
	CertPEM []byte
	KeyPEM  []byte // PKCS #8
}

// NewCA returns a self-signed CA.
func NewCA(t testing.TB, name string) *Ident {
	t.Helper()
	return build(t, &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}, newKey(t), nil)
}

// Server issues a server certificate for 127.0.0.1 with the given serial number.
func (ca *Ident) Server(t testing.TB, serial int64) *Ident {
	t.Helper()
	return ca.ServerWithKey(t, serial, newKey(t))
}

// ServerWithKey is Server for a given key (RSA, Ed25519).
func (ca *Ident) ServerWithKey(t testing.TB, serial int64, key crypto.Signer) *Ident {
	t.Helper()
	return build(t, &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "bindgate"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, key, ca)
}

// Client issues a client-authentication certificate.
func (ca *Ident) Client(t testing.TB, name string) *Ident {
	t.Helper()
	return build(t, &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: name},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, newKey(t), ca)
}

// TLSCertificate is the pair for a tls.Config.
func (id *Ident) TLSCertificate(t testing.TB) tls.Certificate {
	t.Helper()
	c, err := tls.X509KeyPair(id.CertPEM, id.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Pool is a pool holding only this certificate.
func (id *Ident) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(id.Cert)
	return p
}

func newKey(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// build signs tmpl with parent's key, or self-signs when parent is nil.
func build(t testing.TB, tmpl *x509.Certificate, key crypto.Signer, parent *Ident) *Ident {
	t.Helper()
	now := time.Now()
	tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(24*time.Hour)
	pcert, pkey := tmpl, key
	if parent != nil {
		pcert, pkey = parent.Cert, parent.Key
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
	return &Ident{
		Cert: c, Key: key,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}),
	}
}
