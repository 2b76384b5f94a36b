package dnsclient

import (
	"context"
	"encoding/base64"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/dnsclient/dnsclienttest"
)

// TestOtherKey: named already holds the next secret of the key (it reloaded on its own); an
// update it refuses with BADSIG is signed once more with the key OtherKey gives and applied
// once. BADTIME, and a refusal with no other key, are not retried.
func TestOtherKey(t *testing.T) {
	t.Parallel()
	next := bindkey.Key{Name: testKey.Name, Algorithm: testKey.Algorithm, Secret: []byte("next-secret-0123456789abcdef0123")}
	for _, tc := range []struct {
		name      string
		other     bool
		badTime   bool
		wantErr   bool
		wantAsked int32
		wantAdded int
	}{
		{"BADSIG, retried with the next key", true, false, false, 1, 1},
		{"BADSIG, no other key", false, false, true, 1, 0},
		{"BADTIME is not about the key", true, true, true, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			z := dnsclienttest.NewZone(t, "example.test.", "example.test. 300 IN SOA ns. admin. 1 3600 600 604800 300")
			if tc.badTime {
				z.Script(func(*dns.Msg) dnsclienttest.Answer {
					return dnsclienttest.Answer{Rcode: dns.RcodeNotAuth, TSIGError: dns.RcodeBadTime}
				})
			}
			secret := base64.StdEncoding.EncodeToString(next.Secret)
			if tc.badTime {
				secret = testKey.SecretBase64() // the key verifies; the clock is what is wrong
			}
			srv := dnsclienttest.Start(t, map[string]string{testKeyOwner: secret}, z)
			var asked atomic.Int32
			c := newClient(t, srv.Addr, func(cfg *Config) {
				cfg.OtherKey = func(_ context.Context, refused bindkey.Key) (bindkey.Key, bool) {
					asked.Add(1)
					if !refused.Equal(testKey) {
						t.Error("OtherKey was not told the refused key")
					}
					return next, tc.other
				}
			})
			err := c.Update(t.Context(), updateMsg(t))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if asked.Load() != tc.wantAsked {
				t.Errorf("OtherKey asked %d times, want %d", asked.Load(), tc.wantAsked)
			}
			added := 0
			for _, r := range z.Records() {
				if r == "www.example.test. 300 IN A 192.0.2.1" {
					added++
				}
			}
			if added != tc.wantAdded {
				t.Errorf("record added %d times, want %d; zone %v", added, tc.wantAdded, z.Records())
			}
		})
	}
}
