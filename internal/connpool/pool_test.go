package connpool

import (
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testConn is the near end of a net.Pipe that records whether it was closed; far is the
// server's end.
type testConn struct {
	net.Conn
	far    net.Conn
	id     int
	closed atomic.Bool
}

func (c *testConn) NetConn() net.Conn { return c }

func (c *testConn) Close() error {
	c.closed.Store(true)
	return c.Conn.Close()
}

// dialer makes numbered pipe connections and remembers them.
type dialer struct {
	conns []*testConn
}

func (d *dialer) dial(context.Context) (*testConn, error) {
	a, b := net.Pipe()
	c := &testConn{Conn: a, far: b, id: len(d.conns) + 1}
	d.conns = append(d.conns, c)
	return c, nil
}

func newPool(t *testing.T, cfg Config) *Pool[*testConn] {
	t.Helper()
	p := New[*testConn](cfg)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// step is one operation on a pool in TestPool.
type step struct {
	op   string // "get", "dial", "put", "close-far", "invalidate", "drop"
	slot int    // which lease (get, dial, put) or dialled connection (close-far), from 1
}

func TestPool(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		maxIdle int
		steps   []step
		want    []int // connection ids lent by get/dial, in order; negative: reused
		idle    int   // idle connections at the end
		closed  []int // connections closed by the pool
	}{
		{"dial when empty, reuse after put", 2,
			[]step{{"get", 1}, {"put", 1}, {"get", 2}, {"put", 2}},
			[]int{1, -1}, 1, nil},
		{"newest idle first", 2,
			[]step{{"get", 1}, {"get", 2}, {"put", 1}, {"put", 2}, {"get", 3}},
			[]int{1, 2, -2}, 1, nil},
		{"bounded idle count", 2,
			[]step{{"get", 1}, {"get", 2}, {"get", 3}, {"put", 1}, {"put", 2}, {"put", 3}},
			[]int{1, 2, 3}, 2, []int{3}},
		{"no idle connections kept", -1,
			[]step{{"get", 1}, {"put", 1}, {"get", 2}},
			[]int{1, 2}, 0, []int{1}},
		{"dial skips idle connections", 2,
			[]step{{"get", 1}, {"put", 1}, {"dial", 2}},
			[]int{1, 2}, 1, nil},
		{"peer-closed idle connection skipped", 2,
			[]step{{"get", 1}, {"get", 2}, {"put", 1}, {"put", 2}, {"close-far", 2}, {"get", 3}},
			[]int{1, 2, -1}, 0, []int{2}},
		{"all idle peer-closed: dial", 2,
			[]step{{"get", 1}, {"put", 1}, {"close-far", 1}, {"get", 2}},
			[]int{1, 2}, 0, []int{1}},
		{"invalidate closes idle", 2,
			[]step{{"get", 1}, {"put", 1}, {"invalidate", 0}, {"get", 2}},
			[]int{1, 2}, 0, []int{1}},
		{"lease from before invalidate not kept", 2,
			[]step{{"get", 1}, {"invalidate", 0}, {"get", 2}, {"put", 1}, {"put", 2}},
			[]int{1, 2}, 1, []int{1}},
		{"drop idle", 2,
			[]step{{"get", 1}, {"get", 2}, {"put", 1}, {"put", 2}, {"drop", 0}},
			[]int{1, 2}, 0, []int{1, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newPool(t, Config{MaxIdle: tc.maxIdle})
			var d dialer
			leases := map[int]Lease[*testConn]{}
			var got []int
			for _, s := range tc.steps {
				switch s.op {
				case "get", "dial":
					get := p.Get
					if s.op == "dial" {
						get = p.Dial
					}
					l, err := get(t.Context(), d.dial)
					if err != nil {
						t.Fatal(err)
					}
					leases[s.slot] = l
					id := l.Conn.id
					if l.Reused {
						id = -id
					}
					got = append(got, id)
				case "put":
					p.Put(leases[s.slot])
				case "close-far":
					_ = d.conns[s.slot-1].far.Close()
				case "invalidate":
					p.Invalidate()
				case "drop":
					p.DropIdle()
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("lent (-want +got):\n%s", diff)
			}
			if n := p.Idle(); n != tc.idle {
				t.Errorf("Idle() = %d, want %d", n, tc.idle)
			}
			var gotClosed []int
			for _, c := range d.conns {
				if c.closed.Load() {
					gotClosed = append(gotClosed, c.id)
				}
			}
			if diff := cmp.Diff(tc.closed, gotClosed); diff != "" {
				t.Errorf("closed by the pool (-want +got):\n%s", diff)
			}
		})
	}
}

// TestIdleTimeout: the pool's timer closes a connection idle for IdleTimeout, oldest first,
// without any call on the pool; synctest's clock stands in for the wait.
func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, Config{MaxIdle: 4, IdleTimeout: 30 * time.Second})
		var d dialer
		l1, _ := p.Get(t.Context(), d.dial)
		l2, _ := p.Get(t.Context(), d.dial)
		p.Put(l1)
		time.Sleep(10 * time.Second) // synctest's fake clock
		p.Put(l2)

		time.Sleep(20*time.Second - time.Nanosecond) // l1 idle for just under 30 s
		synctest.Wait()
		if n := p.Idle(); n != 2 || d.conns[0].closed.Load() {
			t.Fatalf("just before the timeout: %d idle, first closed %v", n, d.conns[0].closed.Load())
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if n := p.Idle(); n != 1 || !d.conns[0].closed.Load() || d.conns[1].closed.Load() {
			t.Fatalf("after the first timeout: %d idle, closed %v %v", n, d.conns[0].closed.Load(), d.conns[1].closed.Load())
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if n := p.Idle(); n != 0 || !d.conns[1].closed.Load() {
			t.Fatalf("after the second timeout: %d idle", n)
		}

		// A reused connection's idle time starts again when it is put back.
		l3, _ := p.Get(t.Context(), d.dial)
		p.Put(l3)
		time.Sleep(20 * time.Second)
		l3, _ = p.Get(t.Context(), d.dial)
		if !l3.Reused {
			t.Fatal("a connection idle for less than the timeout was not reused")
		}
		p.Put(l3)
		time.Sleep(20 * time.Second)
		synctest.Wait()
		if p.Idle() != 1 {
			t.Fatal("the idle time did not restart on Put")
		}
	})
}

func TestClose(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, Config{MaxIdle: 4, IdleTimeout: time.Minute})
		var d dialer
		l1, _ := p.Get(t.Context(), d.dial)
		l2, _ := p.Get(t.Context(), d.dial)
		p.Put(l1)
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if !d.conns[0].closed.Load() {
			t.Error("Close left an idle connection open")
		}
		p.Put(l2)
		if !d.conns[1].closed.Load() || p.Idle() != 0 {
			t.Error("a connection put back after Close was kept")
		}
		for name, get := range map[string]func(context.Context, func(context.Context) (*testConn, error)) (Lease[*testConn], error){
			"Get": p.Get, "Dial": p.Dial,
		} {
			if _, err := get(t.Context(), d.dial); !errors.Is(err, ErrClosed) {
				t.Errorf("%s after Close: %v, want ErrClosed", name, err)
			}
		}
		if len(d.conns) != 2 {
			t.Errorf("%d dials, want 2", len(d.conns))
		}
		synctest.Wait() // the stopped timer left nothing running
	})
}

// TestPeerClosedTCP checks the non-blocking peek on real loopback sockets.
func TestPeerClosedTCP(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		server func(net.Conn) // what the server does to its end
		want   bool
	}{
		{"open and quiet", func(net.Conn) {}, false},
		{"closed by the peer", func(c net.Conn) { _ = c.Close() }, true},
		{"half-closed by the peer", func(c net.Conn) { _ = c.(*net.TCPConn).CloseWrite() }, true},
		{"unsolicited bytes", func(c net.Conn) { _, _ = c.Write([]byte("x")) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			accepted := make(chan net.Conn, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					close(accepted)
					return
				}
				accepted <- c
			}()
			var dl net.Dialer
			c, err := dl.DialContext(t.Context(), "tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			s, ok := <-accepted
			if !ok {
				t.Fatal("accept failed")
			}
			defer s.Close()
			tc.server(s)
			// The peer's FIN or bytes cross loopback at once, but not synchronously: poll,
			// with a deadline that fails the test.
			deadline := time.Now().Add(2 * time.Second)
			for peerClosed(c) != tc.want {
				if time.Now().After(deadline) {
					t.Fatalf("peerClosed = %v for 2 s, want %v", !tc.want, tc.want)
				}
				if !tc.want {
					break
				}
				runtime.Gosched()
			}
			if !tc.want {
				// An open connection stays usable: the check consumed nothing and left no
				// deadline behind.
				if _, err := s.Write([]byte("ok")); err != nil {
					t.Fatal(err)
				}
				b := make([]byte, 2)
				if _, err := io.ReadFull(c, b); err != nil || string(b) != "ok" {
					t.Fatalf("after the check: %q, %v", b, err)
				}
			}
		})
	}
}
