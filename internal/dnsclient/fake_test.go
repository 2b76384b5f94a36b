package dnsclient

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/dnsclient/dnsclienttest"
)

// testKey has a mixed-case name: the TSIG owner must be its lower-cased FQDN.
var testKey = bindkey.Key{Name: "Test-Key", Algorithm: bindkey.HMACSHA256, Secret: []byte("0123456789abcdef0123456789abcdef")}

const (
	testKeyOwner  = "test-key."
	otherKeyOwner = dnsclienttest.OtherKey
)

// otherSecret is another key's secret, known to the fake server only.
var otherSecret = base64.StdEncoding.EncodeToString([]byte("fedcba9876543210fedcba9876543210"))

// startFake serves h with the fake of package dnsclienttest and TSIG secrets (owner name -> base64
// secret); nil secrets means the test key and the other key.
func startFake(t *testing.T, secrets map[string]string, h dns.HandlerFunc) *dnsclienttest.Server {
	t.Helper()
	if secrets == nil {
		secrets = map[string]string{testKeyOwner: testKey.SecretBase64(), otherKeyOwner: otherSecret}
	}
	return dnsclienttest.Start(t, secrets, h)
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
