package rndc_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/rndc"
	"github.com/bindgate/bindgate/internal/rndc/rndctest"
	"github.com/google/go-cmp/cmp"
)

var fakeKey = bindkey.Key{Name: "k", Algorithm: bindkey.HMACSHA256, Secret: []byte("0123456789abcdef0123456789abcdef")}

// fake starts an rndctest server and a client for it; edit adjusts the client's Config.
func fake(t *testing.T, edit func(*rndc.Config)) (*rndctest.Server, *rndc.Client) {
	t.Helper()
	srv := rndctest.Start(t, fakeKey)
	cfg := rndc.Config{Addr: srv.Addr(), Key: func() bindkey.Key { return fakeKey }}
	if edit != nil {
		edit(&cfg)
	}
	c, err := rndc.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return srv, c
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	key := func() bindkey.Key { return fakeKey }
	for name, cfg := range map[string]rndc.Config{
		"no key":       {Addr: "127.0.0.1:953"},
		"no port":      {Addr: "127.0.0.1", Key: key},
		"sha1 key":     {Addr: "127.0.0.1:953", Key: func() bindkey.Key { return bindkey.Key{Algorithm: 161, Secret: []byte("x")} }},
		"empty secret": {Addr: "127.0.0.1:953", Key: func() bindkey.Key { return bindkey.Key{Algorithm: bindkey.HMACSHA256} }},
	} {
		if _, err := rndc.New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := rndc.New(rndc.Config{Addr: "[::1]:953", Key: key}); err != nil {
		t.Errorf("IPv6 address: %v", err)
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	srv, c := fake(t, nil)
	srv.Responses(map[string]rndc.Response{"status": {Text: "server is up and running"}})
	got, err := c.Do(t.Context(), "status")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rndc.Response{Text: "server is up and running"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestConcurrentCallers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name              string
		goroutines, calls int
		maxIdle           int
		maxAccepted       int // connections can only be dialled while all others are busy
	}{
		{"50x20 pool of 50", 50, 20, 50, 50},
		{"4x50 pool of 4", 4, 50, 4, 4},
		{"50x20 default pool", 50, 20, 0, 50 * 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, c := fake(t, func(cfg *rndc.Config) { cfg.MaxIdle = tc.maxIdle })
			var n atomic.Int64
			srv.Handle("status", func(cmd string) rndc.Response { n.Add(1); return rndc.Response{Text: "up"} })
			var wg sync.WaitGroup
			for range tc.goroutines {
				wg.Go(func() {
					for range tc.calls {
						if r, err := c.Do(t.Context(), "status"); err != nil || r.Text != "up" {
							t.Errorf("Do = %+v, %v", r, err)
							return
						}
					}
				})
			}
			wg.Wait()
			if want := int64(tc.goroutines * tc.calls); n.Load() != want {
				t.Fatalf("%d commands reached the server, want %d", n.Load(), want)
			}
			if a := srv.Accepted(); a > tc.maxAccepted {
				t.Fatalf("%d connections accepted, want <= %d", a, tc.maxAccepted)
			}
		})
	}
}

func TestSequentialCallsReuseOneConnection(t *testing.T) {
	t.Parallel()
	srv, c := fake(t, nil)
	for range 30 {
		if _, err := c.Do(t.Context(), "status"); err != nil {
			t.Fatal(err)
		}
	}
	// Results other than success still leave a healthy connection.
	srv.Responses(map[string]rndc.Response{"addzone": {Result: 18, Err: "already exists"}})
	if _, err := c.Zone(t.Context(), "addzone", "a.test", "{ type primary; };"); !errors.Is(err, rndc.ErrExists) {
		t.Fatal(err)
	}
	if _, err := c.Do(t.Context(), "status"); err != nil {
		t.Fatal(err)
	}
	if a := srv.Accepted(); a != 1 {
		t.Fatalf("%d connections for sequential commands, want 1", a)
	}
}

func TestReconnectAfterIdleClose(t *testing.T) {
	t.Parallel()
	srv, c := fake(t, nil)
	// Fill the pool with 4 connections: 4 callers held in the server at once.
	var arrived sync.WaitGroup
	arrived.Add(4)
	srv.Handle("hold", func(string) rndc.Response { arrived.Done(); arrived.Wait(); return rndc.Response{} })
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := c.Do(t.Context(), "hold"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	closed := 0
	waitFor(t, func() bool { closed += srv.CloseIdle(); return closed == 4 }) // named restarted
	waitFor(t, func() bool { return srv.Open() == 0 })
	for range 5 {
		if _, err := c.Do(t.Context(), "status"); err != nil {
			t.Fatalf("the pooled connections were closed and a call failed: %v", err)
		}
	}
	want := []string{"hold", "hold", "hold", "hold", "status", "status", "status", "status", "status"}
	if diff := cmp.Diff(want, srv.Commands()); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
	// One dead connection was tried, then the others were dropped without use.
	if a := srv.Accepted(); a != 5 {
		t.Errorf("%d connections, want 5", a)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; !cond(); i++ {
		if i > 400 {
			t.Fatal("condition not reached in 2 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A reused connection that dies before the reply is retried once; a fresh one is not.
func TestRetryOnlyOnceAndOnlyForReusedConnections(t *testing.T) {
	t.Parallel()
	srv, c := fake(t, nil)
	srv.SetMode(rndctest.CloseSilently)
	if _, err := c.Do(t.Context(), "status"); !errors.Is(err, rndc.ErrRejected) {
		t.Fatalf("fresh connection closed silently: %v, want ErrRejected", err)
	}
	if n := len(srv.Commands()); n != 1 || srv.Accepted() != 1 {
		t.Fatalf("a fresh connection's failure was retried: %d commands, %d connections", n, srv.Accepted())
	}

	srv2, c2 := fake(t, nil)
	if _, err := c2.Do(t.Context(), "status"); err != nil {
		t.Fatal(err)
	}
	srv2.SetMode(rndctest.CloseSilently)
	if _, err := c2.Do(t.Context(), "status"); !errors.Is(err, rndc.ErrRejected) {
		t.Fatalf("reused then fresh connection closed silently: %v, want ErrRejected", err)
	}
	if a := srv2.Accepted(); a != 2 {
		t.Fatalf("%d connections, want 2 (one retry)", a)
	}
}

func TestTransportFailures(t *testing.T) {
	t.Parallel()
	refused := func() string { // a port nothing listens on
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().String()
	}()
	tests := []struct {
		name      string
		mode      rndctest.Mode
		delay     time.Duration
		addr      string
		want      error
		class     string
		transient bool
	}{
		{"silent close is rejected", rndctest.CloseSilently, 0, "", rndc.ErrRejected, "rejected", true},
		{"bad reply signature", rndctest.BadSignature, 0, "", rndc.ErrBadSignature, "rejected", true},
		{"oversized reply", rndctest.Oversized, 0, "", rndc.ErrProtocol, "error", false},
		{"truncated reply", rndctest.Truncated, 0, "", rndc.ErrProtocol, "error", false},
		{"slow reply", rndctest.Normal, time.Minute, "", rndc.ErrTimeout, "timeout", true},
		{"connection refused", rndctest.Normal, 0, refused, rndc.ErrUnreachable, "unreachable", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var class string
			srv, c := fake(t, func(cfg *rndc.Config) {
				if tc.addr != "" {
					cfg.Addr = tc.addr
				}
				cfg.Observe = func(verb, cl string, d time.Duration) { class = verb + " " + cl }
			})
			srv.SetMode(tc.mode)
			srv.SetDelay(tc.delay)
			limit := 10 * time.Second
			if tc.delay > 0 {
				limit = 300 * time.Millisecond
			}
			ctx, cancel := context.WithTimeout(t.Context(), limit)
			defer cancel()
			start := time.Now()
			_, err := c.Do(ctx, "status")
			if !errors.Is(err, tc.want) || rndc.Transient(err) != tc.transient {
				t.Fatalf("err = %v, want %v (transient %v)", err, tc.want, tc.transient)
			}
			if class != "status "+tc.class {
				t.Errorf("observed %q, want status %s", class, tc.class)
			}
			if d := time.Since(start); tc.delay > 0 && d > 3*time.Second {
				t.Fatalf("failure took %v: not bounded by the context", d)
			}
			if tc.want == rndc.ErrTimeout && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("timeout %v does not match context.DeadlineExceeded", err)
			}
		})
	}
}

func TestDeadlines(t *testing.T) {
	t.Parallel()
	srv, c := fake(t, func(cfg *rndc.Config) { cfg.CallTimeout = 200 * time.Millisecond })
	srv.SetDelay(time.Minute)
	start := time.Now()
	if _, err := c.Do(t.Context(), "status"); !errors.Is(err, rndc.ErrTimeout) {
		t.Fatalf("CallTimeout: %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("CallTimeout of 200ms took %v", d)
	}

	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := c.Do(ctx, "status")
	if !errors.Is(err, context.Canceled) || errors.Is(err, rndc.ErrTimeout) {
		t.Fatalf("cancelled: %v, want context.Canceled", err)
	}
	if _, err := c.Do(ctx, "status"); !errors.Is(err, context.Canceled) {
		t.Fatalf("already cancelled: %v", err)
	}
}

func TestBadReplyDropsTheConnection(t *testing.T) {
	t.Parallel()
	srv, c := fake(t, nil)
	if _, err := c.Do(t.Context(), "status"); err != nil {
		t.Fatal(err)
	}
	srv.SetMode(rndctest.BadSignature)
	if _, err := c.Do(t.Context(), "status"); !errors.Is(err, rndc.ErrBadSignature) {
		t.Fatal(err)
	}
	srv.SetMode(rndctest.Normal)
	if _, err := c.Do(t.Context(), "status"); err != nil {
		t.Fatal(err)
	}
	if a := srv.Accepted(); a != 2 {
		t.Fatalf("%d connections: the connection with the bad reply was reused", a)
	}
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	srv := rndctest.Start(t, fakeKey)
	var key atomic.Pointer[bindkey.Key]
	key.Store(&fakeKey)
	c, err := rndc.New(rndc.Config{Addr: srv.Addr(), Key: func() bindkey.Key { return *key.Load() }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Do(t.Context(), "status"); err != nil {
		t.Fatal(err)
	}
	// named and bindgate both get the new key: the next call dials with it.
	rotated := bindkey.Key{Name: "k", Algorithm: bindkey.HMACSHA512, Secret: []byte("rotated-key-0123456789abcdef")}
	srv.SetKey(rotated)
	key.Store(&rotated)
	if _, err := c.Do(t.Context(), "status"); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	if a := srv.Accepted(); a != 2 {
		t.Fatalf("%d connections: the idle connection of the old key was reused", a)
	}
	// Only bindgate has the new key: named refuses it.
	wrong := bindkey.Key{Name: "k", Algorithm: bindkey.HMACSHA512, Secret: []byte("named-does-not-know-this")}
	key.Store(&wrong)
	if _, err := c.Do(t.Context(), "status"); !errors.Is(err, rndc.ErrRejected) {
		t.Fatalf("unknown key: %v, want ErrRejected", err)
	}
}

func TestClose(t *testing.T) {
	t.Parallel()
	srv, c := fake(t, nil)
	if _, err := c.Do(t.Context(), "status"); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return srv.Open() == 0 })
	if _, err := c.Do(t.Context(), "status"); !errors.Is(err, rndc.ErrClosed) {
		t.Fatalf("after Close: %v, want ErrClosed", err)
	}
}

// A change whose connection drops after it was sent is never sent again: named may have run
// it. Read-only commands are retried once on a fresh connection, as before.
func TestNoRetryOfChangesAfterDrop(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		command string
		retried bool
	}{
		{"addzone z.test { type primary; file \"/x\"; };", false},
		{"delzone z.test", false},
		{"modzone z.test { type primary; };", false},
		{"reload z.test", false},
		{"status", true},
		{"zonestatus z.test", true},
		{"showzone z.test", true},
		{"dnssec -status z.test", true},
	} {
		t.Run(tc.command, func(t *testing.T) {
			t.Parallel()
			srv, c := fake(t, nil)
			if _, err := c.Do(t.Context(), "null"); err != nil { // a pooled connection
				t.Fatal(err)
			}
			verb, _, _ := strings.Cut(tc.command, " ")
			srv.DropAfter(verb, 1)
			_, err := c.Do(t.Context(), tc.command)
			var n int
			for _, got := range srv.Commands() {
				if got == tc.command {
					n++
				}
			}
			if tc.retried {
				if err != nil || n != 2 {
					t.Fatalf("read-only command: err %v, sent %d times; want success after one retry", err, n)
				}
				return
			}
			if !errors.Is(err, rndc.ErrDropped) || !rndc.Transient(err) || rndc.ErrorClass(err) != "dropped" {
				t.Fatalf("err = %v, want ErrDropped", err)
			}
			if n != 1 {
				t.Fatalf("change sent %d times, want once", n)
			}
		})
	}
}
