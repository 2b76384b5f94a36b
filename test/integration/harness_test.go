// Package integration drives bindgate's HTTP API the way bindy does, against real named 9.18
// processes on loopback (docs/contract.md §1, §3.4). No mock stands in for BIND here.
package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/app"
	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/config"
	"github.com/bindgate/bindgate/internal/logbuf"
	"github.com/bindgate/bindgate/internal/namedproc"
	"github.com/bindgate/bindgate/internal/namedtest"
	"github.com/bindgate/bindgate/internal/rndc"
)

const token = "integration-test-token-0123456789"

// stack is one "pod": a real named and a bindgate in front of it.
type stack struct {
	t      *testing.T
	named  *namedproc.Named
	url    string
	rndc   *rndc.Client
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
	client *http.Client
	// noCopy starts the next bindgate with app.Options.NoCopy: reads by AXFR, as before the
	// copy, to compare the copy's answers against.
	noCopy bool
	// webhookURL is the ExternalDNS webhook's address when the environment turned it on.
	webhookURL string
}

// startStack starts named and bindgate; both stop in t.Cleanup.
func startStack(t *testing.T) *stack {
	t.Helper()
	namedtest.Require(t)
	n := namedtest.Start(t, namedproc.Options{})
	s := &stack{t: t, named: n, logs: &syncBuffer{},
		// bindy's request timeout (docs/contract.md §1); enough idle connections for 64 writers.
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 128}}}
	s.startAPI()
	s.rndc = s.rndcClient(n.Key)
	return s
}

// startStackWith is startStack with the environment changed by mod.
func startStackWith(t *testing.T, mod func(env map[string]string)) *stack {
	t.Helper()
	namedtest.Require(t)
	n := namedtest.Start(t, namedproc.Options{})
	s := &stack{t: t, named: n, logs: &syncBuffer{}}
	s.startAPIWith(mod, 0)
	s.rndc = s.rndcClient(n.Key)
	return s
}

// rndcClient is a control-channel client of the test's own, with key.
func (s *stack) rndcClient(key bindkey.Key) *rndc.Client {
	s.t.Helper()
	c, err := rndc.New(rndc.Config{Addr: s.named.ControlAddr, Key: func() bindkey.Key { return key }})
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { c.Close() })
	return c
}

func (s *stack) startAPI() { s.startAPIWith(nil, 0) }

// startAPIWith starts bindgate with the environment changed by mod; a non-zero keyCheck turns
// on the rndc key reload at that interval.
func (s *stack) startAPIWith(mod func(env map[string]string), keyCheck time.Duration) {
	t := s.t
	t.Helper()
	n := s.named
	env := n.BindgateEnv()
	env["API_PORT"] = "8080" // the listener below is what serves
	env["BIND_API_TOKEN"] = token
	// Tests send hundreds of requests from one address; the rate-limit test turns it back on.
	env["RATE_LIMIT_ENABLED"] = "false"
	env["BINDGATE_AUDIT_LOG"] = filepath.Join(n.Dir, "audit.log")
	if mod != nil {
		mod(env)
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cfg, err := config.Load(nil, lookup)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan error, 1)
	s.url = "http://" + ln.Addr().String()
	logger := slog.New(slog.NewJSONHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts := app.Options{Version: "itest", Logger: logger, Listener: ln, NoCopy: s.noCopy}
	if cfg.Webhook.Enabled {
		wln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		opts.WebhookListener, s.webhookURL = wln, "http://"+wln.Addr().String()
	}
	if keyCheck > 0 {
		opts.Reload = func() (config.Config, error) { return config.Load(nil, lookup) }
		opts.KeyCheckInterval = keyCheck
	}
	go func() { s.done <- app.Run(ctx, cfg, opts) }()
	t.Cleanup(s.stopAPI)
}

func (s *stack) stopAPI() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Errorf("app.Run: %v", err)
		}
	case <-time.After(40 * time.Second):
		s.t.Error("app.Run did not stop within 40s")
	}
	s.cancel = nil
	if s.t.Failed() {
		s.t.Logf("bindgate log:\n%s", s.logs.String())
	}
}

// response is a decoded API answer.
type response struct {
	Status int
	Header http.Header
	Body   map[string]any
	// JSON is the decoded body whatever its shape (the PowerDNS routes answer arrays too).
	JSON any
	Raw  string
}

func (s *stack) do(method, path string, body any) response {
	s.t.Helper()
	return s.doWith(method, path, body, nil)
}

// doQuiet is do for goroutines: it never calls t.Fatal; a transport error is status 0.
func (s *stack) doQuiet(method, path string, body any) response {
	r, err := s.send(method, path, body, nil)
	if err != nil {
		return response{Raw: err.Error()}
	}
	return r
}

// doWith is do with extra request headers.
func (s *stack) doWith(method, path string, body any, headers map[string]string) response {
	s.t.Helper()
	r, err := s.send(method, path, body, headers)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

func (s *stack) send(method, path string, body any, headers map[string]string) (response, error) {
	var rd io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			rd = strings.NewReader(b)
		default:
			j, err := json.Marshal(b)
			if err != nil {
				return response{}, err
			}
			rd = bytes.NewReader(j)
		}
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	c := s.client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second} // bindy's request timeout (docs/contract.md §1)
	}
	resp, err := c.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := response{Status: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
	// Every answer is checked against the OpenAPI document (issue 11); Errorf, not Fatalf:
	// send also runs in writer goroutines.
	if err := checkResponse(req, resp.StatusCode, resp.Header, raw); err != nil {
		s.t.Errorf("%s %s: %d answer does not match the OpenAPI document: %v\nbody: %.2000s", method, path, resp.StatusCode, err, raw)
	}
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out.JSON); err != nil {
			return out, fmt.Errorf("body is not JSON: %q", raw)
		}
		out.Body, _ = out.JSON.(map[string]any)
	}
	return out, nil
}

// expect checks status and, when msg is not empty, the message or error text.
func (s *stack) expect(r response, status int, msg string) {
	s.t.Helper()
	if r.Status != status {
		s.t.Fatalf("status = %d, want %d; body %s", r.Status, status, r.Raw)
	}
	if msg == "" {
		return
	}
	got, _ := r.Body["message"].(string)
	if status >= 300 {
		got, _ = r.Body["error"].(string)
		if _, ok := r.Body["details"]; !ok {
			s.t.Errorf("error body lacks details: %s", r.Raw)
		}
		if r.Body["requestId"] != r.Header.Get("X-Request-Id") || r.Header.Get("X-Request-Id") == "" {
			s.t.Errorf("requestId %v does not match header %q", r.Body["requestId"], r.Header.Get("X-Request-Id"))
		}
	}
	if got != msg {
		s.t.Fatalf("message = %q, want %q; body %s", got, msg, r.Raw)
	}
}

// createSerial is the SOA serial primaryBody's zones start at.
const createSerial = 2025010101

// primaryBody is what bindy (old) sends for a primary (docs/contract.md §5), pointed at loopback.
func primaryBody(zone string, keyName string, extra map[string]any) map[string]any {
	zc := map[string]any{
		"ttl": 300,
		"soa": map[string]any{"primaryNs": "ns1." + zone + ".", "adminEmail": "admin." + zone + ".",
			"serial": createSerial, "refresh": 3600, "retry": 600, "expire": 604800, "negativeTtl": 86400},
		"nameServers":   []string{"ns1." + zone + ".", "ns2." + zone + "."},
		"nameServerIps": map[string]string{"ns1." + zone + ".": "127.0.0.1", "ns2." + zone + ".": "127.0.0.2"},
		"records":       []any{},
	}
	for k, v := range extra {
		zc[k] = v
	}
	return map[string]any{"zoneName": zone, "zoneType": "primary", "updateKeyName": keyName, "zoneConfig": zc}
}

func secondaryBody(zone string, primaries ...string) map[string]any {
	return map[string]any{"zoneName": zone, "zoneType": "secondary", "zoneConfig": map[string]any{
		"ttl": 300, "soa": map[string]any{"primaryNs": "placeholder.example.com.", "adminEmail": "admin.example.com.", "serial": 1},
		"nameServers": []string{}, "nameServerIps": map[string]string{}, "records": []any{}, "primaries": primaries,
	}}
}

// soa asks named for a zone's SOA and returns the serial when it answers authoritatively.
func soa(t *testing.T, addr, zone string) (uint32, bool) {
	t.Helper()
	return namedtest.SOASerial(t, addr, zone)
}

// waitSOA polls until named serves the zone with at least serial want, failing after 15 s.
func waitSOA(t *testing.T, addr, zone string, want uint32) {
	t.Helper()
	eventually(t, 15*time.Second, fmt.Sprintf("%s serves %s with serial >= %d", addr, zone, want), func() bool {
		got, ok := soa(t, addr, zone)
		return ok && got >= want
	})
}

// eventually tries cond every 100 ms until it holds, and fails the test with what once
// timeout has passed: a wait on an observable event, never a sleep followed by an assertion.
// cond runs on the test's goroutine and may itself fail the test.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", timeout, what)
		}
		<-tick.C
	}
}

// update sends one TSIG-signed RFC 2136 add, as bindy does for records.
func update(t *testing.T, n *namedproc.Named, zone string, rr string) {
	t.Helper()
	r, err := dns.NewRR(rr)
	if err != nil {
		t.Fatal(err)
	}
	m := new(dns.Msg)
	m.SetUpdate(dns.Fqdn(zone))
	m.Insert([]dns.RR{r})
	keyName := dns.Fqdn(n.Key.Name)
	m.SetTsig(keyName, dns.HmacSHA256, 300, time.Now().Unix())
	c := &dns.Client{Net: "tcp", Timeout: 5 * time.Second, TsigSecret: map[string]string{keyName: n.Key.SecretBase64()}}
	in, _, err := c.Exchange(m, n.DNSAddr)
	if err != nil {
		t.Fatalf("update %s: %v", rr, err)
	}
	if in.Rcode != dns.RcodeSuccess {
		t.Fatalf("update %s: rcode %s", rr, dns.RcodeToString[in.Rcode])
	}
}

func showzone(t *testing.T, s *stack, zone string) string {
	t.Helper()
	resp, err := s.rndc.Zone(t.Context(), "showzone", zone)
	if err != nil {
		t.Fatalf("showzone %s: %v", zone, err)
	}
	return resp.Text
}

func fileState(t *testing.T, path string) (string, time.Time, bool) {
	t.Helper()
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", time.Time{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), st.ModTime(), true
}

func port(addr string) string { _, p, _ := net.SplitHostPort(addr); return p }

func itoa(n int) string { return strconv.Itoa(n) }

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer = logbuf.Buffer
