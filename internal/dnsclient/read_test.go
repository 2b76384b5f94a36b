package dnsclient

import (
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/dnsclient/dnsclienttest"
)

// zoneLines is example.test. as the fake serves it, in transfer order without the closing SOA.
var zoneLines = []string{
	"example.test. 300 IN SOA ns1.example.test. admin.example.test. 42 3600 600 604800 86400",
	"example.test. 300 IN NS ns1.example.test.",
	"ns1.example.test. 300 IN A 127.0.0.1",
	"www.example.test. 300 IN A 192.0.2.1",
	"www.example.test. 300 IN A 192.0.2.2",
	"www.example.test. 300 IN TXT \"hello\"",
	"Mail.example.test. 300 IN MX 10 www.example.test.",
}

// zoneRRs is zoneLines parsed.
func zoneRRs(t *testing.T) []dns.RR {
	t.Helper()
	var rrs []dns.RR
	for _, s := range zoneLines {
		rr, err := dns.NewRR(s)
		if err != nil {
			t.Fatal(err)
		}
		rrs = append(rrs, rr)
	}
	return rrs
}

// zoneFake serves zoneLines with package dnsclienttest's zone, AXFR in messages of per RRs.
func zoneFake(t *testing.T, per int) *dnsclienttest.Server {
	t.Helper()
	z := dnsclienttest.NewZone(t, "example.test.", zoneLines...)
	z.PerMessage = per
	return startFake(t, nil, z.ServeDNS)
}

func TestQueryAndSerial(t *testing.T) {
	t.Parallel()
	rrs := zoneRRs(t)
	f := zoneFake(t, 3)
	c := newClient(t, f.Addr, nil)
	for _, tc := range []struct {
		name  string
		qtype uint16
		want  []dns.RR
		err   error
	}{
		{"www.example.test", dns.TypeA, rrs[3:5], nil},
		{"WWW.example.test.", dns.TypeTXT, rrs[5:6], nil},
		{"www.example.test", dns.TypeANY, rrs[3:6], nil},
		{"mail.example.test", dns.TypeMX, rrs[6:7], nil},
		{"www.example.test", dns.TypeAAAA, nil, nil},   // NODATA
		{"nope.example.test", dns.TypeA, nil, nil},     // NXDOMAIN
		{"www.other.test", dns.TypeA, nil, ErrRefused}, // not served
	} {
		t.Run(fmt.Sprintf("%s/%s", tc.name, dns.TypeToString[tc.qtype]), func(t *testing.T) {
			got, err := c.Query(t.Context(), tc.name, tc.qtype)
			if !errors.Is(err, tc.err) {
				t.Fatalf("Query: %v, want %v", err, tc.err)
			}
			if diff := cmp.Diff(fmt.Sprint(tc.want), fmt.Sprint(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	for _, tc := range []struct {
		zone   string
		serial uint32
		err    error
	}{
		{"example.test", 42, nil},
		{"example.test.", 42, nil},
		{"www.example.test", 0, ErrNotZone}, // a name, not an apex: no SOA answer
		{"other.test", 0, ErrNotZone},       // REFUSED
	} {
		got, err := c.Serial(t.Context(), tc.zone)
		if got != tc.serial || !errors.Is(err, tc.err) {
			t.Errorf("Serial(%q) = %d, %v; want %d, %v", tc.zone, got, err, tc.serial, tc.err)
		}
	}
	if rc, ok := rcodeOf(func() error { _, err := c.Serial(t.Context(), "other.test"); return err }()); !ok || rc != dns.RcodeRefused {
		t.Errorf("Serial of an unserved zone: rcode %d, %v; want REFUSED", rc, ok)
	}
}

func TestTransfer(t *testing.T) {
	t.Parallel()
	rrs := zoneRRs(t)
	for _, per := range []int{1, 3, 100} { // one message per RR, several, all in one
		t.Run(fmt.Sprintf("%d per message", per), func(t *testing.T) {
			t.Parallel()
			f := zoneFake(t, per)
			c := newClient(t, f.Addr, nil)
			for _, zone := range []string{"example.test", "example.test."} {
				got, err := c.Transfer(t.Context(), zone)
				if err != nil {
					t.Fatalf("Transfer(%q): %v", zone, err)
				}
				if diff := cmp.Diff(fmt.Sprint(rrs), fmt.Sprint(got)); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestTransferErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		secrets map[string]string
		rcode   int
		sign    dnsclienttest.Signing
		tsigErr uint16
		want    error
	}{
		{"REFUSED", nil, dns.RcodeRefused, dnsclienttest.SignOK, 0, ErrRefused},
		{"NOTAUTH", nil, dns.RcodeNotAuth, dnsclienttest.SignOK, 0, ErrNotAuth},
		{"SERVFAIL", nil, dns.RcodeServerFailure, dnsclienttest.SignOK, 0, ErrServFail},
		{"NOTIMP", nil, dns.RcodeNotImplemented, dnsclienttest.SignOK, 0, ErrProtocol},
		{"BADKEY", nil, dns.RcodeNotAuth, dnsclienttest.SignTSIGErr, dns.RcodeBadKey, ErrTSIG},
		{"BADSIG", nil, dns.RcodeNotAuth, dnsclienttest.SignTSIGErr, dns.RcodeBadSig, ErrTSIG},
		{"unsigned", nil, dns.RcodeSuccess, dnsclienttest.SignNone, 0, ErrTSIG},
		{"unsigned REFUSED", nil, dns.RcodeRefused, dnsclienttest.SignNone, 0, ErrTSIG},
		{"other key", nil, dns.RcodeSuccess, dnsclienttest.SignOtherKey, 0, ErrTSIG},
		{"wrong secret", map[string]string{testKeyOwner: otherSecret}, dns.RcodeSuccess, dnsclienttest.SignOK, 0, ErrTSIG},
		{"wrong secret NOTAUTH", map[string]string{testKeyOwner: otherSecret}, dns.RcodeNotAuth, dnsclienttest.SignOK, 0, ErrTSIG},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rrs := zoneRRs(t)
			f := startFake(t, tc.secrets, func(w dns.ResponseWriter, r *dns.Msg) {
				m := new(dns.Msg)
				m.SetRcode(r, tc.rcode)
				if tc.rcode == dns.RcodeSuccess {
					m.Answer = append(rrs[:2:2], rrs[0])
				}
				dnsclienttest.Sign(m, r, tc.sign, tc.tsigErr)
				_ = w.WriteMsg(m)
			})
			c := newClient(t, f.Addr, nil)
			_, err := c.Transfer(t.Context(), "example.test")
			noSecret(t, err)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Transfer: %v, want %v", err, tc.want)
			}
			if rc, ok := rcodeOf(err); !ok || rc != tc.rcode {
				t.Errorf("Rcode = %d, %v; want %d", rc, ok, tc.rcode)
			}
		})
	}
}

// TestVerifyRaw checks this package's TSIG verification (used for NOTAUTH replies) against
// miekg/dns's signer, with and without a request MAC, and that tampering or a stale time
// fails it.
func TestVerifyRaw(t *testing.T) {
	t.Parallel()
	reqMAC := []byte("0123456789abcdef0123456789abcdef")
	for _, tc := range []struct {
		name   string
		reqMAC []byte // the request MAC the reply was signed with
		verify []byte // the one the verifier knows
		rcode  int
		edit   func([]byte) // applied to the signed message
		signed time.Time
		want   error
	}{
		{"NOTAUTH with request MAC", reqMAC, reqMAC, dns.RcodeNotAuth, nil, time.Now(), nil},
		{"NOERROR without request MAC", nil, nil, dns.RcodeSuccess, nil, time.Now(), nil},
		{"other request MAC", reqMAC, []byte("x"), dns.RcodeNotAuth, nil, time.Now(), dns.ErrSig},
		{"tampered", reqMAC, reqMAC, dns.RcodeNotAuth, func(b []byte) { b[3] ^= 0x10 }, time.Now(), dns.ErrSig},
		{"stale", reqMAC, reqMAC, dns.RcodeNotAuth, nil, time.Now().Add(-time.Hour), dns.ErrTime},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := new(dns.Msg)
			m.SetUpdate("example.test.")
			m.Response, m.Rcode = true, tc.rcode
			m.Ns = zoneRRs(t)[:3]
			m.SetTsig(testKeyOwner, dns.HmacSHA256, 300, tc.signed.Unix())
			wire, _, err := dns.TsigGenerate(m, testKey.SecretBase64(), hex.EncodeToString(tc.reqMAC), false)
			if err != nil {
				t.Fatal(err)
			}
			if tc.edit != nil {
				tc.edit(wire)
			}
			s := newSigner(testKey)
			s.reqMAC = tc.verify
			if err := s.verifyRaw(wire, time.Now()); !errors.Is(err, tc.want) {
				t.Errorf("verifyRaw: %v, want %v", err, tc.want)
			}
		})
	}
}
