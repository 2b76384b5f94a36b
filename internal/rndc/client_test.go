package rndc_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/rndc"
	"github.com/bindgate/bindgate/internal/rndc/rndctest"
)

var fakeKey = bindkey.Key{Name: "k", Algorithm: bindkey.HMACSHA256, Secret: []byte("0123456789abcdef0123456789abcdef")}

func fake(t *testing.T) (*rndctest.Server, *rndc.Client) {
	t.Helper()
	srv := rndctest.Start(t, fakeKey)
	c, err := rndc.New(rndc.Config{Addr: srv.Addr(), Key: func() bindkey.Key { return fakeKey }, CallTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return srv, c
}

func TestResultMapping(t *testing.T) {
	t.Parallel()
	srv, c := fake(t)
	tests := []struct {
		err  string
		want error
	}{
		{"already exists", rndc.ErrExists}, {"not found", rndc.ErrNotFound}, {"zone not loaded", rndc.ErrNotLoaded},
		{"permission denied", rndc.ErrPermission}, {"dynamic zone", rndc.ErrDynamic}, {"unknown command", rndc.ErrUnknownCommand},
		{"already frozen", rndc.ErrAlreadyFrozen}, {"not dynamic", rndc.ErrNotDynamic}, {"not primary", rndc.ErrNotPrimary},
		{"failure", rndc.ErrFailure}, {"timed out", rndc.ErrResultTimedOut}, {"bad zone", rndc.ErrBadZone},
	}
	for _, tc := range tests {
		srv.Handle("zonestatus", func(string) rndc.Response { return rndc.Response{Result: 99, Err: tc.err, Text: "detail"} })
		_, err := c.Zone(t.Context(), "zonestatus", "a.test")
		var ce *rndc.CommandError
		if !errors.Is(err, tc.want) || !errors.As(err, &ce) || ce.Text != "detail" || ce.Verb != "zonestatus" {
			t.Errorf("%q: %v", tc.err, err)
		}
		for _, other := range tests {
			if other.want != tc.want && errors.Is(err, other.want) {
				t.Errorf("%q also matches %v", tc.err, other.want)
			}
		}
	}
	// A text that merely contains a sentinel's words is not that sentinel (CONTRACT §18.21).
	srv.Handle("addzone", func(string) rndc.Response {
		return rndc.Response{Result: 25, Err: "failure", Text: "zone already exists? not found"}
	})
	if _, err := c.Zone(t.Context(), "addzone", "a.test", "{ };"); errors.Is(err, rndc.ErrExists) || errors.Is(err, rndc.ErrNotFound) {
		t.Errorf("matched by text: %v", err)
	}
}

func TestConcurrentCallersReuseConnections(t *testing.T) {
	t.Parallel()
	srv, c := fake(t)
	var n atomic.Int64
	srv.Handle("status", func(string) rndc.Response { n.Add(1); return rndc.Response{Text: "up"} })
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			for range 20 {
				if r, err := c.Do(t.Context(), "status"); err != nil || r.Text != "up" {
					t.Errorf("%v %v", r, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n.Load() != 1000 {
		t.Fatalf("%d commands reached the server", n.Load())
	}
	// 1,000 commands: without reuse there would be 1,000 connections.
	if a := srv.Accepted(); a > 200 {
		t.Fatalf("%d connections for 1,000 commands: not reusing", a)
	}
	before := srv.Accepted()
	for range 10 {
		if _, err := c.Do(t.Context(), "status"); err != nil {
			t.Fatal(err)
		}
	}
	if srv.Accepted() != before {
		t.Fatalf("sequential calls opened %d new connections", srv.Accepted()-before)
	}
}

func TestReconnectAfterIdleDrop(t *testing.T) {
	t.Parallel()
	srv, c := fake(t)
	if _, err := c.Do(t.Context(), "status"); err != nil {
		t.Fatal(err)
	}
	srv.DropConnections() // named restarted, or closed the idle connection
	time.Sleep(20 * time.Millisecond)
	if _, err := c.Do(t.Context(), "status"); err != nil {
		t.Fatalf("pooled connection was dropped and the call failed: %v", err)
	}
	if got := srv.Commands(); len(got) != 2 {
		t.Fatalf("commands run %v: a retry must not run a command twice", got)
	}
}

func TestTransportFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(*rndctest.Server)
		want  error
	}{
		{"silent close is rejected", func(s *rndctest.Server) { s.SetMode(rndctest.CloseSilently) }, rndc.ErrRejected},
		{"bad reply signature", func(s *rndctest.Server) { s.SetMode(rndctest.BadSignature) }, rndc.ErrBadSignature},
		{"oversized reply", func(s *rndctest.Server) { s.SetMode(rndctest.Oversized) }, rndc.ErrProtocol},
		{"slow reply times out", func(s *rndctest.Server) { s.SetDelay(5 * time.Second) }, rndc.ErrTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, c := fake(t)
			tc.setup(srv)
			ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := c.Do(ctx, "status")
			if !errors.Is(err, tc.want) || !rndc.Transient(err) {
				t.Fatalf("err = %v, want %v (transient)", err, tc.want)
			}
			if time.Since(start) > 3*time.Second {
				t.Fatalf("failure took %v: not bounded by the context", time.Since(start))
			}
		})
	}
	// Nothing listening: unreachable.
	c, _ := rndc.New(rndc.Config{Addr: "127.0.0.1:1", Key: func() bindkey.Key { return fakeKey }})
	if _, err := c.Do(t.Context(), "status"); !errors.Is(err, rndc.ErrUnreachable) {
		t.Fatalf("closed port: %v", err)
	}
}

func TestKeyRotationDropsIdleConnections(t *testing.T) {
	t.Parallel()
	srv := rndctest.Start(t, fakeKey)
	var key atomic.Pointer[bindkey.Key]
	k := fakeKey
	key.Store(&k)
	c, err := rndc.New(rndc.Config{Addr: srv.Addr(), Key: func() bindkey.Key { return *key.Load() }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Do(t.Context(), "status"); err != nil {
		t.Fatal(err)
	}
	wrong := bindkey.Key{Name: "k", Algorithm: bindkey.HMACSHA256, Secret: []byte("rotated-but-named-does-not-know-it")}
	key.Store(&wrong)
	if _, err := c.Do(t.Context(), "status"); !errors.Is(err, rndc.ErrRejected) {
		t.Fatalf("a rotated key must be used for the next call (named refuses it here): %v", err)
	}
}

func TestRequestTooLarge(t *testing.T) {
	t.Parallel()
	_, c := fake(t)
	big := make([]byte, 33000)
	for i := range big {
		big[i] = 'x'
	}
	if _, err := c.Zone(t.Context(), "addzone", "a.test", string(big)); !errors.Is(err, rndc.ErrTooLarge) {
		t.Fatalf("err = %v", err)
	}
}
