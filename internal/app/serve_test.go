package app

import (
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bindgate/bindgate/internal/tlsconf/tlsconftest"
)

func TestDefaultLimits(t *testing.T) {
	t.Parallel()
	srv := newServer(http.NotFoundHandler(), slog.New(slog.DiscardHandler), defaultLimits())
	got := []any{srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout, srv.MaxHeaderBytes, srv.ErrorLog != nil}
	want := []any{10 * time.Second, 30 * time.Second, 35 * time.Second, 120 * time.Second, 64 << 10, true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("server limits (-want +got):\n%s", diff)
	}
}

// TestSlowClients checks that the server cuts off clients too slow or too large to be bindy,
// with limits shrunk so the test is quick. It asserts only that the cut happens within a
// generous bound, never how fast.
func TestSlowClients(t *testing.T) {
	t.Parallel()
	ca := tlsconftest.NewCA(t, "ca")
	pair := ca.Server(t, 100).TLSCertificate(t)
	const start = "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"

	tests := []struct {
		name    string
		tls     bool
		send    string // written at once after connecting
		trickle string // then written every 20 ms, "" = nothing more
		answer  string // expected in what the server sends before closing, "" = nothing
	}{
		{"headers trickled", false, start, "X-Slow: 1\r\n", ""},
		{"headers never finished", false, start, "", ""},
		{"connection opened, nothing sent", false, "", "", ""},
		{"oversized headers", false, start + "X-Big: " + strings.Repeat("a", 8<<10) + "\r\n\r\n", "", "431 Request Header Fields Too Large"},
		{"TLS handshake never started", true, "", "", ""},
		{"TLS handshake trickled", true, "\x16\x03\x01\x02\x00\x01", "\x00", ""}, // a 512-byte ClientHello record
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int32
			srv := newServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }),
				slog.New(slog.DiscardHandler),
				serverLimits{ReadHeader: 200 * time.Millisecond, Read: time.Second, Write: time.Second, Idle: time.Second, MaxHeaderBytes: 1 << 10})
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			if tc.tls {
				ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12})
			}
			done := make(chan struct{})
			go func() { defer close(done); srv.Serve(ln) }()
			t.Cleanup(func() { srv.Close(); <-done })

			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, tc.send); err != nil {
				t.Fatal(err)
			}
			stop := make(chan struct{})
			defer close(stop)
			if tc.trickle != "" {
				go func() {
					tick := time.NewTicker(20 * time.Millisecond)
					defer tick.Stop()
					for range 250 { // 5 s at most
						select {
						case <-stop:
							return
						case <-tick.C:
						}
						if _, err := io.WriteString(conn, tc.trickle); err != nil {
							return // cut off
						}
					}
				}()
			}
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			got, err := io.ReadAll(conn)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("connection still open after 10 s (read %q)", got)
			}
			if tc.answer == "" && len(got) > 0 {
				t.Errorf("server answered %q, want a silent close", got)
			}
			if tc.answer != "" && !strings.Contains(string(got), tc.answer) {
				t.Errorf("server answered %q, want %q", got, tc.answer)
			}
			if n := hits.Load(); n != 0 {
				t.Errorf("the handler ran %d times", n)
			}
		})
	}
}
