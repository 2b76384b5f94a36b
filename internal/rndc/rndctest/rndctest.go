// Package rndctest is an in-process fake of named's control channel for unit tests of error
// paths a real named cannot produce on demand: silent closes, slow, oversized or badly signed
// replies, idle connections dropped. It checks requests as named does (HMAC, _tim skew, _ser
// reuse, nonce) and, like named, closes the connection without a reply when one fails.
package rndctest

import (
	"encoding/binary"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/rndc"
)

// Mode is how the server misbehaves.
type Mode int

// The modes.
const (
	Normal        Mode = iota
	CloseSilently      // read the command, close without a reply (named's answer to a bad key)
	BadSignature       // reply signed with another key
	Oversized          // reply larger than any client cap
)

// Handler answers one command line.
type Handler func(command string) rndc.Response

// Server is a fake control channel on 127.0.0.1.
type Server struct {
	key bindkey.Key
	ln  net.Listener

	mu       sync.Mutex
	handlers map[string]Handler
	mode     Mode
	delay    time.Duration
	conns    map[net.Conn]bool
	seen     map[string]bool
	commands []string

	accepted atomic.Int64
	wg       sync.WaitGroup
}

// Start starts a server that authenticates with key; it stops in t.Cleanup.
func Start(t testing.TB, key bindkey.Key) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{key: key, ln: ln, handlers: map[string]Handler{}, conns: map[net.Conn]bool{}, seen: map[string]bool{}}
	s.wg.Go(s.serve)
	t.Cleanup(s.Close)
	return s
}

// Addr is the server's address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Handle sets the answer for verb (the first word of the command). Unhandled verbs succeed
// with empty text.
func (s *Server) Handle(verb string, h Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[verb] = h
}

// SetMode changes how the server answers from now on.
func (s *Server) SetMode(m Mode) { s.mu.Lock(); s.mode = m; s.mu.Unlock() }

// SetDelay delays every reply.
func (s *Server) SetDelay(d time.Duration) { s.mu.Lock(); s.delay = d; s.mu.Unlock() }

// DropConnections closes every open connection, as a restarted named would.
func (s *Server) DropConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
}

// Accepted is the number of connections accepted so far.
func (s *Server) Accepted() int { return int(s.accepted.Load()) }

// Commands returns every command line received (handshakes excluded).
func (s *Server) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}

// Close stops the server.
func (s *Server) Close() {
	s.ln.Close()
	s.DropConnections()
	s.wg.Wait()
}

func (s *Server) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.accepted.Add(1)
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Go(func() { s.conn(c) })
	}
}

func (s *Server) conn(c net.Conn) {
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	var nonce uint32
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if n > 32768 { // named's limit
			return
		}
		buf := make([]byte, 4+n)
		copy(buf, hdr[:])
		if _, err := io.ReadFull(c, buf[4:]); err != nil {
			return
		}
		req, err := rndc.Unmarshal(buf, s.key, 32772)
		if err != nil {
			return // bad auth: close silently
		}
		ctrl, data := req.Sub("_ctrl"), req.Sub("_data")
		ser, _ := ctrl.Str("_ser")
		tim, _ := ctrl.Str("_tim")
		t, err := strconv.ParseInt(tim, 10, 64)
		if err != nil || ser == "" || abs(time.Now().Unix()-t) > 300 {
			return // clock skew or missing fields
		}
		s.mu.Lock()
		dup := s.seen[ser+";"+tim]
		s.seen[ser+";"+tim] = true
		mode, delay := s.mode, s.delay
		s.mu.Unlock()
		if dup {
			return
		}
		cmd, _ := data.Str("type")
		var resp rndc.Response
		if nonce == 0 {
			nonce = uint32(time.Now().UnixNano()&0x7fffffff) | 1
		} else {
			got, _ := ctrl.Str("_nonce")
			if got != strconv.FormatUint(uint64(nonce), 10) {
				return // bad nonce
			}
			s.mu.Lock()
			s.commands = append(s.commands, cmd)
			h := s.handlers[strings.Fields(cmd + " x")[0]]
			s.mu.Unlock()
			if mode == CloseSilently {
				return
			}
			if h != nil {
				resp = h(cmd)
			}
		}
		time.Sleep(delay)
		if err := s.reply(c, mode, ser, nonce, cmd, resp); err != nil {
			return
		}
	}
}

func (s *Server) reply(c net.Conn, mode Mode, ser string, nonce uint32, cmd string, r rndc.Response) error {
	now := time.Now().Unix()
	d := rndc.Table{{Key: "type", Value: []byte(cmd)}, {Key: "result", Value: []byte(strconv.FormatUint(uint64(r.Result), 10))}}
	if r.Err != "" {
		d = append(d, rndc.Entry{Key: "err", Value: []byte(r.Err)})
	}
	text := r.Text
	if mode == Oversized {
		text = strings.Repeat("x", 2<<20)
	}
	if text != "" {
		d = append(d, rndc.Entry{Key: "text", Value: []byte(text)})
	}
	msg := rndc.Table{
		{Key: "_ctrl", Value: rndc.Table{
			{Key: "_ser", Value: []byte(ser)}, {Key: "_tim", Value: []byte(strconv.FormatInt(now, 10))},
			{Key: "_exp", Value: []byte(strconv.FormatInt(now+60, 10))}, {Key: "_rpl", Value: []byte("1")},
			{Key: "_nonce", Value: []byte(strconv.FormatUint(uint64(nonce), 10))},
		}},
		{Key: "_data", Value: d},
	}
	key := s.key
	if mode == BadSignature {
		key = bindkey.Key{Name: "other", Algorithm: s.key.Algorithm, Secret: []byte("not-the-key")}
	}
	frame, err := rndc.Marshal(msg, key)
	if err != nil {
		return err
	}
	_, err = c.Write(frame)
	return err
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
