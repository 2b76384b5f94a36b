package devmode

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/namedtest"
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
	go func() {
		done <- Run(ctx, Options{Dir: dir, APIPort: 0, DNSPort: 0, Version: "t", Stdout: out, Logger: slog.New(slog.DiscardHandler)})
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
	url := regexp.MustCompile(`API +(http://\S+)`).FindStringSubmatch(banner)[1]
	token := regexp.MustCompile(`export TOKEN=(\S+)`).FindStringSubmatch(banner)[1]
	m := regexp.MustCompile(`dig @(\S+) -p (\d+)`).FindStringSubmatch(banner)
	body := regexp.MustCompile(`(?s)-d '(\{.*\}\}\})'`).FindStringSubmatch(banner)[1]

	req, _ := http.NewRequest("POST", url+"/api/v1/zones", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
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
	req, _ = http.NewRequest("POST", url+"/api/v1/zones/example.test/records", strings.NewReader(rec))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("printed record curl answered %d %s", resp.StatusCode, b)
	}
	if in := namedtest.Query(t, m[1]+":"+m[2], "www.example.test", dns.TypeA); len(in.Answer) != 1 {
		t.Fatalf("printed record not served: %v", in.Answer)
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
