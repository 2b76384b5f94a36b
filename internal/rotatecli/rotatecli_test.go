package rotatecli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/keyrot"
	"github.com/bindgate/bindgate/internal/rndc"
	"github.com/bindgate/bindgate/internal/rndc/rndctest"
)

var oldKey = bindkey.Key{Name: "bindy-operator", Algorithm: bindkey.HMACSHA256, Secret: []byte("old-secret-0123456789abcdef012345")}

// keyFile writes oldKey to a temp key file with mode 0640 and returns its path and content.
func keyFile(t *testing.T) (string, []byte) {
	t.Helper()
	text, err := bindkey.KeyFileText(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	text = append([]byte("// the operator's comment, kept by a restore\n"), text...)
	path := filepath.Join(t.TempDir(), "rndc.key")
	if err := os.WriteFile(path, text, 0o640); err != nil {
		t.Fatal(err)
	}
	return path, text
}

func readKey(t *testing.T, path string) bindkey.Key {
	t.Helper()
	c, err := bindkey.LoadRNDCConf(path)
	if err != nil || len(c.Keys) != 1 {
		t.Fatalf("key file after the run: %v %v", c.Keys, err)
	}
	return c.Keys[0]
}

// fakeBindgate stands in for bindgate: it follows the key file on reload as told by mode.
type fakeBindgate struct {
	t    *testing.T
	path string
	mode string // rotate, watcher-first, pending, error, foreign-key

	mu      sync.Mutex
	cur     bindkey.Key
	reloads int
	auth    []string
}

func (f *fakeBindgate) status(result, state, reason string) keyrot.Report {
	return keyrot.Report{Result: result, Status: keyrot.Status{
		Key:   keyrot.Info{Name: f.cur.Name, Algorithm: f.cur.Algorithm.String(), Fingerprint: keyrot.Fingerprint(f.cur)},
		State: state, Reason: reason}}
}

func (f *fakeBindgate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	if r.Header.Get("Authorization") != "Bearer tok" {
		http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	var rep keyrot.Report
	switch r.Method + " " + r.URL.Path {
	case "GET /api/v1/server/status":
		if f.mode == "foreign-key" {
			f.cur.Secret = []byte("another-key-entirely-0123456789ab")
		}
		rep = f.status("", keyrot.StateOK, "")
	case "POST /api/v1/server/keys/reload":
		f.reloads++
		inFile := readKey(f.t, f.path)
		switch {
		case inFile.Equal(f.cur):
			rep = f.status(keyrot.Unchanged, keyrot.StateOK, "")
		case f.mode == "rotate":
			f.cur = inFile
			rep = f.status(keyrot.Rotated, keyrot.StateOK, "")
		case f.mode == "watcher-first":
			f.cur = inFile
			rep = f.status(keyrot.Unchanged, keyrot.StateOK, "")
		case f.mode == "pending":
			rep = f.status(keyrot.Pending, keyrot.StatePending, keyrot.ErrPending.Error())
		case f.mode == "error":
			http.Error(w, `{"error":"boom"}`, http.StatusInternalServerError)
			return
		}
	default:
		http.NotFound(w, r)
		return
	}
	_ = json.NewEncoder(w).Encode(rep)
}

// TestRotateBindgate: rotate-key through a bindgate (an httptest server).
func TestRotateBindgate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		mode      string
		args      []string
		noToken   bool
		tokenFile bool
		exit      int
		rotated   bool   // the file holds a new key
		algorithm string // of the new key
		reloads   int
		out       string // in stdout or stderr
	}{
		{name: "rotated", mode: "rotate", exit: ExitRotated, rotated: true, reloads: 1, out: "rotated: named uses key"},
		{name: "watcher switched first", mode: "watcher-first", exit: ExitRotated, rotated: true, reloads: 1},
		{name: "token from file", mode: "rotate", tokenFile: true, noToken: true, exit: ExitRotated, rotated: true, reloads: 1},
		{name: "new algorithm", mode: "rotate", args: []string{"--algorithm", "hmac-sha512"}, exit: ExitRotated, rotated: true, algorithm: "hmac-sha512", reloads: 1},
		{name: "pending: old key put back", mode: "pending", exit: ExitNotRotated, reloads: 2, out: "is back in"},
		{name: "reload fails: old key put back", mode: "error", exit: ExitNotRotated, reloads: 2, out: "500"},
		{name: "bad token: nothing written", mode: "rotate", noToken: true, exit: ExitUsage, out: "401"},
		{name: "bindgate reads another key: nothing written", mode: "foreign-key", exit: ExitUsage, out: "does not read this file"},
		{name: "rename refused before writing", mode: "rotate", args: []string{"--name", "new-name"}, exit: ExitUsage, out: "refuses a rotation that renames"},
		{name: "weak algorithm", mode: "rotate", args: []string{"--algorithm", "hmac-sha1"}, exit: ExitUsage, out: "not allowed"},
		{name: "stray argument", mode: "rotate", args: []string{"extra"}, exit: ExitUsage, out: "unexpected argument"},
		{name: "rndc-addr without direct", mode: "rotate", args: []string{"--rndc-addr", "127.0.0.1:953"}, exit: ExitUsage, out: "--direct"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path, orig := keyFile(t)
			fb := &fakeBindgate{t: t, path: path, mode: tc.mode, cur: oldKey}
			srv := httptest.NewServer(fb)
			t.Cleanup(srv.Close)
			env := map[string]string{"BINDGATE_URL": srv.URL, "BINDGATE_TOKEN": "tok"}
			if tc.noToken {
				delete(env, "BINDGATE_TOKEN")
			}
			args := append([]string{"--key-file", path}, tc.args...)
			if tc.tokenFile {
				tf := filepath.Join(t.TempDir(), "token")
				if err := os.WriteFile(tf, []byte("tok\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--token-file", tf)
			}
			var stdout, stderr bytes.Buffer
			code := Run(t.Context(), args, Env{Stdout: &stdout, Stderr: &stderr,
				Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
			out := stdout.String() + stderr.String()
			if code != tc.exit {
				t.Fatalf("exit %d, want %d\n%s", code, tc.exit, out)
			}
			if tc.out != "" && !strings.Contains(out, tc.out) {
				t.Errorf("output lacks %q:\n%s", tc.out, out)
			}
			got := readKey(t, path)
			now, _ := os.ReadFile(path)
			if tc.rotated {
				if got.Equal(oldKey) || got.Name != oldKey.Name || len(got.Secret) != SecretBytes {
					t.Errorf("file holds %v with %d secret bytes", got, len(got.Secret))
				}
				alg := tc.algorithm
				if alg == "" {
					alg = oldKey.Algorithm.String()
				}
				if got.Algorithm.String() != alg {
					t.Errorf("algorithm %s, want %s", got.Algorithm, alg)
				}
				if !strings.Contains(stdout.String(), "fingerprint "+keyrot.Fingerprint(got)) {
					t.Errorf("stdout lacks the new fingerprint:\n%s", stdout.String())
				}
				if strings.Contains(out, got.SecretBase64()) {
					t.Error("the new secret was printed")
				}
			} else if !bytes.Equal(now, orig) {
				t.Errorf("file changed:\n%s", now)
			}
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
				t.Errorf("mode after the run: %v %v", fi.Mode(), err)
			}
			if strings.Contains(out, oldKey.SecretBase64()) {
				t.Error("the old secret was printed")
			}
			if fb.reloads != tc.reloads {
				t.Errorf("%d reloads, want %d", fb.reloads, tc.reloads)
			}
			if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
				t.Errorf("files left beside the key: %v", entries)
			}
		})
	}
}

// prober wraps the real prober of a fake named; before reconfig runs, named "restarts" with
// the file's key when restarted is set.
type prober struct {
	keyrot.Prober
	ctl       *rndctest.Server
	path      string
	restarted bool
	t         *testing.T
}

func (p prober) Reconfig(ctx context.Context, k bindkey.Key) error {
	if p.restarted {
		p.ctl.SetKey(readKey(p.t, p.path))
	}
	return p.Prober.Reconfig(ctx, k)
}

// TestRotateDirect: --direct against rndctest standing in for named.
func TestRotateDirect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		includes  bool // named.conf includes the key file: reconfig loads it
		restarted bool // named already loaded the new key before the reconfig
		down      bool
		args      []string
		exit      int
		rotated   bool
		out       string
	}{
		{name: "included", includes: true, exit: ExitRotated, rotated: true, out: "rotated"},
		{name: "renamed, named.conf ready for it", includes: true, args: []string{"--name", "next-key"}, exit: ExitRotated, rotated: true},
		{name: "named restarted first", restarted: true, exit: ExitRotated, rotated: true, out: "already had the new key"},
		{name: "not included: old key put back", exit: ExitNotRotated, out: "does named.conf include"},
		{name: "named down: nothing written", down: true, exit: ExitUsage, out: "does not accept the key"},
		{name: "url with direct", args: []string{"--url", "http://x"}, exit: ExitUsage, out: "--direct talks to named"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path, orig := keyFile(t)
			ctl := rndctest.Start(t, oldKey)
			if tc.includes {
				ctl.Handle("reconfig", func(string) rndc.Response { ctl.SetKey(readKey(t, path)); return rndc.Response{} })
			}
			addr := ctl.Addr()
			if tc.down {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				addr = ln.Addr().String()
				ln.Close()
			}
			args := append([]string{"--key-file", path, "--direct", "--rndc-addr", addr}, tc.args...)
			var stdout, stderr bytes.Buffer
			code := Run(t.Context(), args, Env{Stdout: &stdout, Stderr: &stderr,
				Prober: func(a string) keyrot.Prober {
					return prober{Prober: keyrot.NewProber(a, ""), ctl: ctl, path: path, restarted: tc.restarted, t: t}
				}})
			out := stdout.String() + stderr.String()
			if code != tc.exit {
				t.Fatalf("exit %d, want %d\n%s", code, tc.exit, out)
			}
			if tc.out != "" && !strings.Contains(out, tc.out) {
				t.Errorf("output lacks %q:\n%s", tc.out, out)
			}
			got := readKey(t, path)
			now, _ := os.ReadFile(path)
			named := keyrot.NewProber(ctl.Addr(), "")
			if tc.rotated {
				if got.Equal(oldKey) {
					t.Fatal("file still holds the old key")
				}
				if err := named.Status(t.Context(), got); err != nil {
					t.Errorf("named refuses the new key: %v", err)
				}
				if err := named.Status(t.Context(), oldKey); err == nil {
					t.Error("named still takes the old key")
				}
				if strings.Contains(out, got.SecretBase64()) {
					t.Error("the new secret was printed")
				}
				return
			}
			if !bytes.Equal(now, orig) {
				t.Errorf("file changed:\n%s", now)
			}
			if !tc.down {
				if err := named.Status(t.Context(), oldKey); err != nil {
					t.Errorf("named lost the old key: %v", err)
				}
			}
		})
	}
}

// TestHelp: --help prints the usage with exit codes and examples, and exits 0.
func TestHelp(t *testing.T) {
	t.Parallel()
	var stdout bytes.Buffer
	if code := Run(t.Context(), []string{"--help"}, Env{Stdout: &stdout}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"Usage: bindgate rotate-key", "Exit codes:", "Examples:", "--direct", "refuses a rotation that renames"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}
