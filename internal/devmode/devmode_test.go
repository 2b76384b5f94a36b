package devmode

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/namedtest"
	"github.com/bindgate/bindgate/internal/rotatecli"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestDevMode does what README tells a newcomer: run dev, paste the printed curl, ask dig.
func TestDevMode(t *testing.T) {
	namedtest.Require(t)
	out := &syncBuf{}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	dir := t.TempDir()
	ctlPort := freePort(t)
	// The server's settings apply in dev too: a rate limit of burst 3 and no refill to speak of.
	args := []string{"--rate-limit-requests", "1", "--rate-limit-period-secs", "3600", "--rate-limit-burst", "3", "--audit-log", "off"}
	go func() {
		done <- Run(ctx, Options{Dir: dir, ControlPort: ctlPort, Args: args, Version: "t", Stdout: out, Logger: slog.New(slog.DiscardHandler)})
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "Press Ctrl-C") {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no banner: %q", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	banner := out.String()
	if want := fmt.Sprintf("control 127.0.0.1:%d", ctlPort); !strings.Contains(banner, want) {
		t.Errorf("banner lacks %q", want)
	}
	url := regexp.MustCompile(`API +(http://\S+)`).FindStringSubmatch(banner)[1]
	token := regexp.MustCompile(`export TOKEN=(\S+)`).FindStringSubmatch(banner)[1]
	m := regexp.MustCompile(`dig @(\S+) -p (\d+)`).FindStringSubmatch(banner)

	resp, b := post(t, url+"/api/v1/zones", token, createBody(banner))
	var got map[string]any
	json.Unmarshal(b, &got)
	if resp.StatusCode != 201 || got["message"] != "Zone example.test created successfully" {
		t.Fatalf("printed curl answered %d %s", resp.StatusCode, b)
	}
	if serial, ok := namedtest.SOASerial(t, m[1]+":"+m[2], "example.test"); !ok || serial == 0 {
		t.Fatalf("printed dig finds no SOA at %s:%s", m[1], m[2])
	}
	in := namedtest.Query(t, m[1]+":"+m[2], "ns1.example.test", dns.TypeA)
	if len(in.Answer) != 1 {
		t.Fatalf("glue: %v", in.Answer)
	}
	// The printed record example works too: the zone accepts updates with the dev key.
	rec := regexp.MustCompile(`-d '(\{"name":[^']*\})'`).FindStringSubmatch(banner)[1]
	resp, b = post(t, url+"/api/v1/zones/example.test/records", token, rec)
	if resp.StatusCode != 201 {
		t.Fatalf("printed record curl answered %d %s", resp.StatusCode, b)
	}
	if in := namedtest.Query(t, m[1]+":"+m[2], "www.example.test", dns.TypeA); len(in.Answer) != 1 {
		t.Fatalf("printed record not served: %v", in.Answer)
	}
	// Requests 3 and 4 from this client: the configured burst of 3 is spent.
	for i, want := range []int{200, 429} {
		req, _ := http.NewRequest("GET", url+"/api/v1/zones", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("request %d: %d, want %d (--rate-limit-burst 3 not applied)", i+3, resp.StatusCode, want)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("dev mode did not stop")
	}
}

// createBody is the zone create's JSON body as the banner prints it.
func createBody(banner string) string {
	return regexp.MustCompile(`(?s)-d '(\{.*\}\}\})'`).FindStringSubmatch(banner)[1]
}

// post sends body to url with the banner's token, as the printed curl lines do.
func post(t *testing.T, url, token, body string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// bannerWriter signals once the banner is complete.
type bannerWriter struct {
	syncBuf
	once sync.Once
	done chan struct{}
}

func (b *bannerWriter) Write(p []byte) (int, error) {
	n, err := b.syncBuf.Write(p)
	if strings.Contains(b.String(), "Press Ctrl-C") {
		b.once.Do(func() { close(b.done) })
	}
	return n, err
}

// TestDevModeRotateKey: the rotate-key line the banner prints works as printed: named and
// bindgate move to the new key without a restart and the API keeps working.
func TestDevModeRotateKey(t *testing.T) {
	namedtest.Require(t)
	out := &bannerWriter{done: make(chan struct{})}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	dir := t.TempDir()
	go func() {
		done <- Run(ctx, Options{Dir: dir, Args: []string{"--audit-log", "off"}, Version: "t", Stdout: out, Logger: slog.New(slog.DiscardHandler)})
	}()
	select {
	case <-out.done:
	case err := <-done:
		t.Fatalf("dev stopped: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatalf("no banner: %q", out.String())
	}
	banner := out.String()
	m := regexp.MustCompile(`BINDGATE_URL=(\S+) BINDGATE_TOKEN=\$TOKEN bindgate rotate-key --key-file (\S+)`).FindStringSubmatch(banner)
	if m == nil {
		t.Fatalf("banner lacks the rotate-key line:\n%s", banner)
	}
	url, keyFile := m[1], m[2]
	token := regexp.MustCompile(`export TOKEN=(\S+)`).FindStringSubmatch(banner)[1]
	conf, err := os.ReadFile(filepath.Join(dir, "named", "named.conf"))
	if err != nil || !strings.Contains(string(conf), `include "`+keyFile+`";`) {
		t.Fatalf("named.conf does not include %s: %v\n%s", keyFile, err, conf)
	}
	env := map[string]string{"BINDGATE_URL": url, "BINDGATE_TOKEN": token}
	var stdout, stderr bytes.Buffer
	code := rotatecli.Run(t.Context(), []string{"--key-file", keyFile}, rotatecli.Env{Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if code != rotatecli.ExitRotated {
		t.Fatalf("rotate-key exit %d:\n%s%s", code, stdout.String(), stderr.String())
	}
	resp, b := post(t, url+"/api/v1/zones", token, createBody(banner))
	if resp.StatusCode != 201 {
		t.Fatalf("create after rotate-key: %d %s", resp.StatusCode, b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
