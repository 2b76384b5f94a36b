package dnsclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/dnsclient/dnsclienttest"
)

func fmtAll(err error) string { return fmt.Sprintf("%v %+v %#v %s", err, err, err, err) }

func TestNewValidates(t *testing.T) {
	t.Parallel()
	key := func() bindkey.Key { return testKey }
	for name, cfg := range map[string]Config{
		"no key":  {Addr: "127.0.0.1:53"},
		"no port": {Addr: "127.0.0.1", Key: key},
		"empty":   {Key: key},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c, err := New(Config{Addr: "[::1]:53", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if c.cfg.Timeout != DefaultTimeout { // MaxIdle and IdleTimeout: connpool's defaults
		t.Errorf("defaults: Timeout %v", c.cfg.Timeout)
	}
}

// TestUpdateRcodes checks each reply rcode's sentinel, that Rcode reports it, and that the
// connection survives a verified reply whatever its rcode.
func TestUpdateRcodes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rcode int
		want  error
	}{
		{dns.RcodeSuccess, nil},
		{dns.RcodeRefused, ErrRefused},
		{dns.RcodeNotAuth, ErrNotAuth},
		{dns.RcodeNotZone, ErrNotZone},
		{dns.RcodeYXRrset, ErrPrereq},
		{dns.RcodeNXRrset, ErrPrereq},
		{dns.RcodeYXDomain, ErrPrereq},
		{dns.RcodeNameError, ErrPrereq},
		{dns.RcodeServerFailure, ErrServFail},
		{dns.RcodeFormatError, ErrProtocol},
		{dns.RcodeNotImplemented, ErrProtocol},
		{12, ErrProtocol}, // any other rcode (unassigned)
	} {
		t.Run(rcodeName(tc.rcode), func(t *testing.T) {
			t.Parallel()
			f := startFake(t, nil, func(w dns.ResponseWriter, r *dns.Msg) {
				if w.TsigStatus() != nil {
					dnsclienttest.Reply(w, r, dns.RcodeNotAuth, dnsclienttest.SignTSIGErr, dns.RcodeBadSig)
					return
				}
				dnsclienttest.Reply(w, r, tc.rcode, dnsclienttest.SignOK, 0)
			})
			c := newClient(t, f.Addr, nil)
			for range 2 {
				err := c.Update(t.Context(), updateMsg(t))
				noSecret(t, err)
				if tc.want == nil {
					if err != nil {
						t.Fatalf("Update: %v", err)
					}
					continue
				}
				if !errors.Is(err, tc.want) {
					t.Fatalf("Update: %v, want %v", err, tc.want)
				}
				if rc, ok := rcodeOf(err); !ok || rc != tc.rcode {
					t.Errorf("rcodeOf(err) = %d, %v; want %d", rc, ok, tc.rcode)
				}
				if Transient(err) != (tc.want == ErrServFail) {
					t.Errorf("Transient(%v) = %v", err, Transient(err))
				}
			}
			if n := f.Accepted(); n != 1 {
				t.Errorf("%d connections for 2 updates, want 1 (the pooled one)", n)
			}
		})
	}
}

// TestTSIGFailures checks that replies with TSIG errors, unsigned replies and replies signed
// with another key are ErrTSIG, and that a properly signed NOTAUTH (which miekg/dns does not
// verify) is believed only when its MAC verifies.
func TestTSIGFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		secrets  map[string]string // nil: the right secret
		rcode    int
		sign     dnsclienttest.Signing
		tsigErr  uint16
		want     error
		wantTSIG uint16
	}{
		{"BADSIG", nil, dns.RcodeNotAuth, dnsclienttest.SignTSIGErr, dns.RcodeBadSig, ErrTSIG, dns.RcodeBadSig},
		{"BADKEY", nil, dns.RcodeNotAuth, dnsclienttest.SignTSIGErr, dns.RcodeBadKey, ErrTSIG, dns.RcodeBadKey},
		{"BADTIME", nil, dns.RcodeNotAuth, dnsclienttest.SignTSIGErr, dns.RcodeBadTime, ErrTSIG, dns.RcodeBadTime},
		{"unsigned NOERROR", nil, dns.RcodeSuccess, dnsclienttest.SignNone, 0, ErrTSIG, 0},
		{"unsigned REFUSED", nil, dns.RcodeRefused, dnsclienttest.SignNone, 0, ErrTSIG, 0},
		{"unsigned NOTAUTH", nil, dns.RcodeNotAuth, dnsclienttest.SignNone, 0, ErrTSIG, 0},
		{"other key NOERROR", nil, dns.RcodeSuccess, dnsclienttest.SignOtherKey, 0, ErrTSIG, 0},
		{"other key NOTAUTH", nil, dns.RcodeNotAuth, dnsclienttest.SignOtherKey, 0, ErrTSIG, 0},
		{"wrong secret NOERROR", map[string]string{testKeyOwner: otherSecret}, dns.RcodeSuccess, dnsclienttest.SignOK, 0, ErrTSIG, 0},
		{"wrong secret NOTAUTH", map[string]string{testKeyOwner: otherSecret}, dns.RcodeNotAuth, dnsclienttest.SignOK, 0, ErrTSIG, 0},
		{"signed NOTAUTH", nil, dns.RcodeNotAuth, dnsclienttest.SignOK, 0, ErrNotAuth, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := startFake(t, tc.secrets, func(w dns.ResponseWriter, r *dns.Msg) {
				dnsclienttest.Reply(w, r, tc.rcode, tc.sign, tc.tsigErr)
			})
			c := newClient(t, f.Addr, nil)
			err := c.Update(t.Context(), updateMsg(t))
			noSecret(t, err)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Update: %v, want %v", err, tc.want)
			}
			e, _ := errors.AsType[*Error](err)
			if e.TSIGError != tc.wantTSIG || e.Rcode != tc.rcode || e.Key != testKey.Name || e.Zone != "example.test." {
				t.Errorf("error %+v", *e)
			}
			if tc.want == ErrTSIG && c.pool.Idle() != 0 {
				t.Error("a connection that carried a reply failing TSIG was kept")
			}
		})
	}
}

// hang returns a handler that never answers, until release is called.
func hang() (h dns.HandlerFunc, release func()) {
	done := make(chan struct{})
	return func(w dns.ResponseWriter, r *dns.Msg) {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	}, func() { close(done) }
}

func TestTimeoutAndCancel(t *testing.T) {
	t.Parallel()
	h, release := hang()
	f := startFake(t, nil, h)
	t.Cleanup(release) // before the server's shutdown, which waits for handlers
	short := newClient(t, f.Addr, func(cfg *Config) { cfg.Timeout = 200 * time.Millisecond })
	long := newClient(t, f.Addr, func(cfg *Config) { cfg.Timeout = 10 * time.Second })
	shortCtx := func(t *testing.T) context.Context {
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		t.Cleanup(cancel)
		return ctx
	}
	cancelled := func(t *testing.T) context.Context {
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(50*time.Millisecond, cancel)
		return ctx
	}
	for _, tc := range []struct {
		name string
		c    *Client
		ctx  func(*testing.T) context.Context
		want []error
		not  []error
	}{
		{"Config.Timeout", short, func(t *testing.T) context.Context { return t.Context() },
			[]error{ErrTimeout, context.DeadlineExceeded}, []error{context.Canceled}},
		{"ctx deadline", long, shortCtx, []error{ErrTimeout, context.DeadlineExceeded}, []error{context.Canceled}},
		{"ctx cancelled", long, cancelled, []error{context.Canceled}, []error{ErrTimeout}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			for name, call := range map[string]func(context.Context) error{
				"update":   func(ctx context.Context) error { return c.Update(ctx, updateMsg(t)) },
				"query":    func(ctx context.Context) error { _, err := c.Query(ctx, "example.test", dns.TypeA); return err },
				"transfer": func(ctx context.Context) error { _, err := c.Transfer(ctx, "example.test"); return err },
			} {
				err := call(tc.ctx(t))
				noSecret(t, err)
				for _, w := range tc.want {
					if !errors.Is(err, w) {
						t.Errorf("%s: %v, want %v", name, err, w)
					}
				}
				for _, n := range tc.not {
					if errors.Is(err, n) {
						t.Errorf("%s: %v matches %v", name, err, n)
					}
				}
			}
		})
	}
	for _, c := range []*Client{short, long} {
		if n := c.pool.Idle(); n != 0 {
			t.Errorf("%d timed-out connections kept", n)
		}
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := newClient(t, addr, nil)
	err = c.Update(t.Context(), updateMsg(t))
	noSecret(t, err)
	if !errors.Is(err, ErrUnreachable) || !Transient(err) {
		t.Fatalf("Update: %v, want ErrUnreachable", err)
	}
	if _, ok := rcodeOf(err); ok {
		t.Error("Rcode reports an rcode without a reply")
	}
	if _, err := c.Transfer(t.Context(), "example.test"); !errors.Is(err, ErrUnreachable) {
		t.Errorf("Transfer: %v, want ErrUnreachable", err)
	}
}

// TestRetryOnClosedIdleConn: named closes idle connections; the next exchange on the pooled
// one fails before any reply byte and is retried once on a fresh connection.
func TestRetryOnClosedIdleConn(t *testing.T) {
	t.Parallel()
	f := startFake(t, nil, func(w dns.ResponseWriter, r *dns.Msg) {
		dnsclienttest.Reply(w, r, dns.RcodeSuccess, dnsclienttest.SignOK, 0)
	})
	c := newClient(t, f.Addr, nil)
	for i, step := range []struct {
		closeFirst bool
		dials      int64
	}{{false, 1}, {false, 1}, {true, 2}, {false, 2}} {
		if step.closeFirst {
			f.CloseConns()
		}
		if err := c.Update(t.Context(), updateMsg(t)); err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
		if d, a := c.dials.Load(), f.Accepted(); d != step.dials || a != step.dials {
			t.Fatalf("after update %d: %d dials, %d accepted; want %d", i, d, a, step.dials)
		}
	}
}

// TestRetryExactlyOnce: a server that closes a connection on every request after the first
// gets the pooled attempt and one fresh one, and the fresh one's failure is final.
func TestRetryExactlyOnce(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	f := startFake(t, nil, func(w dns.ResponseWriter, r *dns.Msg) {
		if n.Add(1) == 1 {
			dnsclienttest.Reply(w, r, dns.RcodeSuccess, dnsclienttest.SignOK, 0)
			return
		}
		_ = w.Close()
	})
	c := newClient(t, f.Addr, nil)
	if err := c.Update(t.Context(), updateMsg(t)); err != nil {
		t.Fatal(err)
	}
	err := c.Update(t.Context(), updateMsg(t))
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("Update: %v, want ErrUnreachable", err)
	}
	if d := c.dials.Load(); d != 2 {
		t.Errorf("%d dials, want 2 (one fresh retry)", d)
	}
	// A fresh connection's failure is never retried.
	err = c.Update(t.Context(), updateMsg(t))
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("Update: %v, want ErrUnreachable", err)
	}
	if d := c.dials.Load(); d != 3 {
		t.Errorf("%d dials, want 3", d)
	}
}

// TestRetryDialFails: the pooled connection was closed and named is gone too (restarting):
// the fresh dial's failure is the answer, ErrUnreachable, not a nil connection used anyway
// (the crash suite found the retry's error shadowed by the round trip's).
func TestRetryDialFails(t *testing.T) {
	t.Parallel()
	f := startFake(t, nil, func(w dns.ResponseWriter, r *dns.Msg) {
		dnsclienttest.Reply(w, r, dns.RcodeSuccess, dnsclienttest.SignOK, 0)
	})
	// A proxy in front of the fake, whose listener closes to refuse the retry's dial.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	t.Cleanup(func() { ln.Close() })
	wg.Go(func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", f.Addr)
			if err != nil {
				in.Close()
				return
			}
			wg.Go(func() { _, _ = io.Copy(out, in); out.Close() })
			wg.Go(func() { _, _ = io.Copy(in, out); in.Close() })
		}
	})
	c := newClient(t, ln.Addr().String(), nil)
	if err := c.Update(t.Context(), updateMsg(t)); err != nil {
		t.Fatal(err)
	}
	ln.Close()
	f.CloseConns()
	if err := c.Update(t.Context(), updateMsg(t)); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("Update: %v, want ErrUnreachable", err)
	}
	if d := c.dials.Load(); d != 2 {
		t.Errorf("%d dials, want 2 (the pooled one's retry)", d)
	}
}

func TestConcurrentUpdates(t *testing.T) {
	t.Parallel()
	var inFlight, maxInFlight atomic.Int64
	f := startFake(t, nil, func(w dns.ResponseWriter, r *dns.Msg) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := maxInFlight.Load(); n > m && !maxInFlight.CompareAndSwap(m, n); m = maxInFlight.Load() {
		}
		dnsclienttest.Reply(w, r, dns.RcodeSuccess, dnsclienttest.SignOK, 0)
	})
	c := newClient(t, f.Addr, func(cfg *Config) { cfg.MaxIdle = 4 })
	const goroutines, updates = 50, 20
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range goroutines {
		wg.Go(func() {
			for range updates {
				if err := c.Update(t.Context(), updateMsg(t)); err != nil {
					failed.Add(1)
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d goroutines failed", failed.Load())
	}
	idle := c.pool.Idle()
	if idle > 4 {
		t.Errorf("%d idle connections, MaxIdle 4", idle)
	}
	t.Logf("%d connections for %d updates; at most %d exchanges at once", f.Accepted(), goroutines*updates, maxInFlight.Load())
}

func TestUpdateLeavesMessageAlone(t *testing.T) {
	t.Parallel()
	f := startFake(t, nil, func(w dns.ResponseWriter, r *dns.Msg) {
		if w.TsigStatus() != nil || r.IsTsig().Hdr.Name != testKeyOwner || r.IsTsig().Fudge != 300 {
			dnsclienttest.Reply(w, r, dns.RcodeRefused, dnsclienttest.SignOK, 0)
			return
		}
		dnsclienttest.Reply(w, r, dns.RcodeSuccess, dnsclienttest.SignOK, 0)
	})
	c := newClient(t, f.Addr, nil)
	m := updateMsg(t)
	want := m.String()
	for range 2 {
		if err := c.Update(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(want, m.String()); diff != "" {
		t.Errorf("Update changed the caller's message (-before +after):\n%s", diff)
	}
	if err := c.Update(t.Context(), new(dns.Msg).SetQuestion("x.", dns.TypeA)); err == nil {
		t.Error("a query message was sent as an update")
	}
}

func TestObserve(t *testing.T) {
	t.Parallel()
	f := startFake(t, nil, func(w dns.ResponseWriter, r *dns.Msg) {
		dnsclienttest.Reply(w, r, dns.RcodeRefused, dnsclienttest.SignOK, 0)
	})
	type call struct {
		Op  string
		Err error
	}
	var mu sync.Mutex
	var got []call
	c := newClient(t, f.Addr, func(cfg *Config) {
		cfg.Observe = func(op string, d time.Duration, err error) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, call{op, err})
		}
	})
	errU := c.Update(t.Context(), updateMsg(t))
	_, errQ := c.Query(t.Context(), "www.example.test", dns.TypeA)
	_, errS := c.Serial(t.Context(), "example.test")
	_, errT := c.Transfer(t.Context(), "example.test")
	want := []call{{"update", errU}, {"query", errQ}, {"query", errS}, {"axfr", errT}}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Errorf("Observe calls (-want +got):\n%s", diff)
	}
	for _, err := range []error{errU, errQ, errT} {
		if !errors.Is(err, ErrRefused) {
			t.Errorf("%v, want ErrRefused", err)
		}
	}
	if !errors.Is(errS, ErrNotZone) {
		t.Errorf("Serial: %v, want ErrNotZone", errS)
	}
}

func TestClosed(t *testing.T) {
	t.Parallel()
	f := startFake(t, nil, func(w dns.ResponseWriter, r *dns.Msg) {
		dnsclienttest.Reply(w, r, dns.RcodeSuccess, dnsclienttest.SignOK, 0)
	})
	c := newClient(t, f.Addr, nil)
	if err := c.Update(t.Context(), updateMsg(t)); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Update(t.Context(), updateMsg(t)); !errors.Is(err, ErrClosed) {
		t.Errorf("Update after Close: %v", err)
	}
	if _, err := c.Transfer(t.Context(), "example.test"); !errors.Is(err, ErrClosed) {
		t.Errorf("Transfer after Close: %v", err)
	}
}

// rcodeOf returns the reply rcode carried by err, if err came from a reply.
func rcodeOf(err error) (int, bool) {
	if e, ok := errors.AsType[*Error](err); ok && e.Rcode >= 0 {
		return e.Rcode, true
	}
	return 0, false
}
