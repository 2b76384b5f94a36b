package integration

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/namedproc"
	"github.com/bindgate/bindgate/internal/namedtest"
)

// TestKeyRotation: the rndc key lives in a file (rndc.conf including rndc.key, as in a bindy
// pod). It is replaced and named reconfigured with it; bindgate answers 503 while it holds the
// old key, then picks the new one up by itself, and no zone is lost.
func TestKeyRotation(t *testing.T) {
	namedtest.Require(t)
	s := &stack{t: t, logs: &syncBuffer{}}
	s.named = namedtest.Start(t, namedproc.Options{})
	s.startAPIWith(func(env map[string]string) {
		for _, k := range []string{"RNDC_SECRET", "RNDC_ALGORITHM", "RNDC_KEY_NAME"} {
			delete(env, k) // the key comes from RNDC_CONF, so from the files
		}
	}, 200*time.Millisecond)
	const z = "rotate.test"
	s.expect(s.do(http.MethodPost, "/api/v1/zones", primaryBody(z, s.named.Key.Name, nil)), 201, "")

	// Rotate: a new secret in the key file named and bindgate both read.
	old := s.named.Key
	secret := make([]byte, 32)
	rand.Read(secret)
	nk := bindkey.Key{Name: old.Name, Algorithm: old.Algorithm, Secret: secret}
	text := fmt.Sprintf("key %q {\n\talgorithm %s;\n\tsecret %q;\n};\n", nk.Name, nk.Algorithm, nk.SecretBase64())
	oldClient := s.rndcClient(old)
	// The client keeps its connection; write the file and reconfigure named with the old key.
	if err := os.WriteFile(s.named.KeyPath, []byte(text), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := oldClient.Do(t.Context(), "reconfig"); err != nil {
		t.Fatalf("reconfig: %v", err)
	}
	// named now refuses the old key; within the reload interval bindgate uses the new one.
	eventually(t, 15*time.Second, "bindgate picks up the rotated key", func() bool {
		r := s.do(http.MethodGet, "/api/v1/zones/"+z+"/status", nil)
		if r.Status != 200 && r.Status != 503 {
			t.Fatalf("during rotation: %d %s (want 503 while the key is stale, never another code)", r.Status, r.Raw)
		}
		return r.Status == 200
	})
	if _, ok := soa(t, s.named.DNSAddr, z); !ok {
		t.Fatal("zone lost across the key rotation")
	}
	if _, err := s.rndcClient(nk).Do(t.Context(), "status"); err != nil {
		t.Fatalf("named does not accept the new key: %v", err)
	}
	if _, err := oldClient.Do(t.Context(), "status"); err == nil {
		t.Fatal("named still accepts the old key: the test proved nothing")
	}
}
