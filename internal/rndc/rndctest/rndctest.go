// Package rndctest is an in-process fake of named's control channel on 127.0.0.1, built on
// package rndc's codec, for unit tests without BIND.
//
// Like named (bin/named/controlconf.c) it answers the first message of a connection with a
// fresh random nonce and runs nothing, then checks every message: the HMAC, _tim within
// ±300 s, _exp not past, _ser/_tim never seen before, the connection's nonce, and not a reply.
// A message that fails a check gets no answer: the connection is closed silently. Replies
// are scripted per verb with Handle or Responses; SetMode and SetDelay make it misbehave
// (silent close, bad signature, oversized or truncated replies, slow replies), DropAfter runs
// a command and then closes without its reply (named restarting right after a change), and
// CloseIdle drops idle connections as a restarting named would.
package rndctest

import (
	"crypto/rand"
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

// Mode is how the server answers commands (the handshake is always answered normally).
type Mode int

// The modes.
const (
	Normal        Mode = iota // answer as scripted
	CloseSilently             // read the command, close without a reply (named's answer to a bad key)
	BadSignature              // sign the reply with another key
	Oversized                 // reply with 2 MiB of text, above any client's default cap
	Truncated                 // send half of the reply, then close
)

// Handler answers one command line.
type Handler func(command string) rndc.Response

// Server is a fake control channel. Its methods are safe for concurrent use.
type Server struct {
	ln   net.Listener
	done chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex
	key      bindkey.Key
	staged   *bindkey.Key // loaded by the next reconfig
	handlers map[string]Handler
	mode     Mode
	delay    time.Duration
	conns    map[net.Conn]bool // open connections; true while waiting for a message (idle)
	seen     map[string]bool   // "_ser;_tim" of every message, for duplicate suppression
	commands []string
	drops    map[string]int // verb -> how many more commands of it to run and then drop

	accepted atomic.Int64
}

// Start starts a server that accepts messages signed with key; it stops in t.Cleanup.
func Start(t testing.TB, key bindkey.Key) *Server {
	t.Helper()
	s, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// New starts a server that accepts messages signed with key, for callers without a testing.TB
// (examples); the caller must Close it.
func New(key bindkey.Key) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{
		ln: ln, done: make(chan struct{}), key: key,
		handlers: map[string]Handler{}, conns: map[net.Conn]bool{}, seen: map[string]bool{},
		drops: map[string]int{},
	}
	s.wg.Go(s.serve)
	return s, nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Handle sets the answer for verb, the first word of a command. Unhandled verbs succeed with
// no text.
func (s *Server) Handle(verb string, h Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[verb] = h
}

// Responses sets a fixed answer for each verb in m.
func (s *Server) Responses(m map[string]rndc.Response) {
	for verb, r := range m {
		s.Handle(verb, func(string) rndc.Response { return r })
	}
}

// DropAfter makes the next n commands of verb run (their handler is called and they are
// recorded) and then close the connection without a reply: the command took effect, the
// client cannot know it.
func (s *Server) DropAfter(verb string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drops[verb] = n
}

// SetMode changes how the server answers from the next message on.
func (s *Server) SetMode(m Mode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mode = m
}

// SetDelay delays every reply by d (cut short when the server closes).
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// SetKey replaces the key the server accepts, as a named reconfigured with a new key would.
func (s *Server) SetKey(k bindkey.Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.key = k
}

// StageKey makes the next `reconfig` switch the server to k, as named does when its
// named.conf includes a key file that was replaced: the reconfig itself is answered with the
// old key, every later message must use k.
func (s *Server) StageKey(k bindkey.Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.staged = &k
}

// CloseIdle closes every connection that is waiting for a message, as named does when it
// restarts; it returns how many it closed.
func (s *Server) CloseIdle() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for c, idle := range s.conns {
		if idle {
			_ = c.Close()
			n++
		}
	}
	return n
}

// DropConnections closes every open connection, busy or idle.
func (s *Server) DropConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		_ = c.Close()
	}
}

// Accepted is the number of connections accepted so far.
func (s *Server) Accepted() int { return int(s.accepted.Load()) }

// Open is the number of connections open now.
func (s *Server) Open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Commands returns every authenticated command line received, in order, handshakes excluded.
func (s *Server) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}

// Close stops the server and waits for its goroutines. It is idempotent.
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.mu.Unlock()
	_ = s.ln.Close()
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

func (s *Server) setIdle(c net.Conn, idle bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[c]; ok {
		s.conns[c] = idle
	}
}

// conn serves one connection until a check fails or either side closes.
func (s *Server) conn(c net.Conn) {
	defer func() {
		_ = c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	var nonce uint32
	for {
		s.setIdle(c, true)
		var hdr [4]byte
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			return
		}
		s.setIdle(c, false)
		n := binary.BigEndian.Uint32(hdr[:])
		if n > rndc.MaxRequest {
			return // named: message too large
		}
		buf := make([]byte, 4+n)
		copy(buf, hdr[:])
		if _, err := io.ReadFull(c, buf[4:]); err != nil {
			return
		}
		s.mu.Lock()
		key := s.key
		s.mu.Unlock()
		req, err := rndc.Unmarshal(buf, key, rndc.MaxRequest)
		if err != nil {
			return // bad auth, bad version, max depth: named closes without a word
		}
		cmd, ser, ok := s.check(req, nonce)
		if !ok {
			return
		}
		var resp rndc.Response
		mode := Normal
		if nonce == 0 {
			nonce = newNonce() // the first message only establishes the nonce
		} else {
			var h Handler
			s.mu.Lock()
			s.commands = append(s.commands, cmd)
			verb, _, _ := strings.Cut(cmd, " ")
			h, mode = s.handlers[verb], s.mode
			drop := s.drops[verb] > 0
			if drop {
				s.drops[verb]--
			}
			if verb == "reconfig" && s.staged != nil {
				s.key, s.staged = *s.staged, nil
			}
			s.mu.Unlock()
			if mode == CloseSilently {
				return
			}
			if h != nil {
				resp = h(cmd)
			}
			if drop {
				return
			}
		}
		if !s.wait() {
			return
		}
		if err := s.reply(c, mode, key, ser, nonce, cmd, resp); err != nil {
			return
		}
	}
}

// check applies named's checks to an authenticated message and returns its command and _ser.
func (s *Server) check(req rndc.Table, nonce uint32) (cmd, ser string, ok bool) {
	ctrl, data := req.Sub("_ctrl"), req.Sub("_data")
	if ctrl == nil || data == nil {
		return "", "", false
	}
	if _, isReply := ctrl.Str("_rpl"); isReply {
		return "", "", false
	}
	now := time.Now().Unix()
	ser, _ = ctrl.Str("_ser")
	tim, _ := ctrl.Str("_tim")
	t, err := strconv.ParseInt(tim, 10, 64)
	if err != nil || ser == "" || t+300 < now || t-300 > now {
		return "", "", false // clock skew, or no _ser/_tim
	}
	if exp, ok := ctrl.Str("_exp"); ok {
		if e, err := strconv.ParseInt(exp, 10, 64); err != nil || now > e {
			return "", "", false // expired
		}
	}
	s.mu.Lock()
	dup := s.seen[ser+";"+tim]
	s.seen[ser+";"+tim] = true
	s.mu.Unlock()
	if dup {
		return "", "", false // duplicate
	}
	if nonce != 0 {
		if got, _ := ctrl.Str("_nonce"); got != strconv.FormatUint(uint64(nonce), 10) {
			return "", "", false // bad auth
		}
	}
	cmd, ok = data.Str("type")
	return cmd, ser, ok
}

// wait sleeps for the configured delay; false when the server closed meanwhile.
func (s *Server) wait() bool {
	s.mu.Lock()
	d := s.delay
	s.mu.Unlock()
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.done:
		return false
	}
}

// reply writes named's response: _ctrl { _ser echo, _tim, _exp, _rpl, _nonce }, _data { type
// echo, result, err, text } (cc.c isccc_cc_createresponse, controlconf.c).
func (s *Server) reply(c net.Conn, mode Mode, key bindkey.Key, ser string, nonce uint32, cmd string, r rndc.Response) error {
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
			{Key: "_ser", Value: []byte(ser)},
			{Key: "_tim", Value: []byte(strconv.FormatInt(now, 10))},
			{Key: "_exp", Value: []byte(strconv.FormatInt(now+60, 10))},
			{Key: "_rpl", Value: []byte("1")},
			{Key: "_nonce", Value: []byte(strconv.FormatUint(uint64(nonce), 10))},
		}},
		{Key: "_data", Value: d},
	}
	if mode == BadSignature {
		key = bindkey.Key{Name: "other", Algorithm: key.Algorithm, Secret: []byte("not-the-key")}
	}
	frame, err := rndc.Marshal(msg, key)
	if err != nil {
		return err
	}
	if mode == Truncated {
		_, _ = c.Write(frame[:len(frame)/2])
		return io.ErrShortWrite // close
	}
	_, err = c.Write(frame)
	return err
}

func newNonce() uint32 {
	var b [4]byte
	for {
		_, _ = rand.Read(b[:])
		if n := binary.BigEndian.Uint32(b[:]); n != 0 {
			return n
		}
	}
}
