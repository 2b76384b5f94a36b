package integration

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/keyrot"
	"github.com/bindgate/bindgate/internal/namedproc"
	"github.com/bindgate/bindgate/internal/rotatecli"
)

// TestRotateKeyCommand (issue 10 item 4): `bindgate rotate-key --key-file` against a running
// bindgate and real named: exit 0, a zone create works right after with the new key, and the
// rndc binary with the old key is refused.
func TestRotateKeyCommand(t *testing.T) {
	s := keyStack(t, namedproc.Options{})
	n := s.named
	old := n.Key
	const z = "rotatecmd.test"
	s.expect(s.do(http.MethodPost, "/api/v1/zones", primaryBody(z, old.Name, nil)), 201, "")
	env := map[string]string{"BINDGATE_URL": s.url, "BINDGATE_TOKEN": token}
	var stdout, stderr bytes.Buffer
	code := rotatecli.Run(t.Context(), []string{"--key-file", n.KeyPath}, rotatecli.Env{Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if code != rotatecli.ExitRotated {
		t.Fatalf("rotate-key exit %d:\n%s%s", code, stdout.String(), stderr.String())
	}
	conf, err := bindkey.LoadRNDCConf(n.KeyPath)
	if err != nil || len(conf.Keys) != 1 {
		t.Fatalf("key file: %v", err)
	}
	nk := conf.Keys[0]
	if nk.Equal(old) || nk.Name != old.Name {
		t.Fatalf("key file holds %v", nk)
	}
	if fp, st := s.keyStatus(); fp != keyrot.Fingerprint(nk) || st != keyrot.StateOK {
		t.Errorf("bindgate after rotate-key: fingerprint %s state %s, want %s ok", fp, st, keyrot.Fingerprint(nk))
	}
	s.expect(s.do(http.MethodPost, "/api/v1/zones", primaryBody("after."+z, old.Name, nil)), 201, "")
	checkNamedKeys(t, n, z, nk, old)
	t.Logf("rotate-key said:\n%s", stdout.String())
}
