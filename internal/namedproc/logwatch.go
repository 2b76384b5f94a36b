package namedproc

import (
	"bytes"
	"strings"
	"sync"
)

// tailLines is how many of named's last log lines an error carries.
const tailLines = 20

// maxLine bounds a partial line kept between writes.
const maxLine = 4 << 10

// logWatch reads named's -g output as it is written: it keeps the last lines for error text,
// notes the "running" line that ends start-up, and notes lines that show a port named could
// not bind. It is safe for concurrent use.
//
// named logs a line per record of every update, so Write sees thousands of lines a second
// under load, in the same process as bindgate in tests, benchmarks and dev mode: lines are
// read from the written bytes in place, and only a line cut by the end of a write is kept.
type logWatch struct {
	mu       sync.Mutex
	partial  []byte   // a line not ended yet
	lower    []byte   // scratch: the line being matched, in lower case
	tail     []string // at most tailLines, oldest first
	running  bool
	conflict string // first line that shows a port already in use
	fatal    string // first line that shows the control channel is missing for another reason
}

// Write implements io.Writer; it never fails.
func (w *logWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	for {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			break
		}
		if len(w.partial) > 0 {
			w.partial = append(w.partial, p[:i]...)
			w.line(bytes.TrimRight(w.partial, "\r"))
			w.partial = w.partial[:0]
		} else {
			w.line(bytes.TrimRight(p[:i], "\r"))
		}
		p = p[i+1:]
	}
	w.partial = append(w.partial, p...)
	if len(w.partial) > maxLine {
		w.line(w.partial)
		w.partial = w.partial[:0]
	}
	return n, nil
}

func (w *logWatch) line(b []byte) {
	if len(bytes.TrimSpace(b)) == 0 {
		return
	}
	s := string(b)
	if len(w.tail) < tailLines {
		w.tail = append(w.tail, s)
	} else {
		copy(w.tail, w.tail[1:])
		w.tail[len(w.tail)-1] = s
	}
	// ASCII case folding suffices: every phrase matched below is ASCII.
	w.lower = w.lower[:0]
	for _, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		w.lower = append(w.lower, c)
	}
	l := w.lower
	switch {
	case bytes.HasSuffix(l, []byte(" running")) || string(l) == "running":
		w.running = true
	case bytes.Contains(l, []byte("address in use")) || bytes.Contains(l, []byte("interface ignored")):
		// "creating TCP socket: address in use" (named keeps running, UDP only),
		// "couldn't add command channel 127.0.0.1#N: address in use" (keeps running, no control
		// channel), "creating IPv4 interface lo failed; interface ignored" (exits).
		if w.conflict == "" {
			w.conflict = s
		}
	case bytes.Contains(l, []byte("couldn't add command channel")):
		if w.fatal == "" {
			w.fatal = s
		}
	}
}

// state returns what the log has shown so far.
func (w *logWatch) state() (running bool, conflict, fatal string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.running, w.conflict, w.fatal
}

// lastLines returns the last lines named wrote (at most tailLines), including a partial one.
func (w *logWatch) lastLines() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	lines := append([]string(nil), w.tail...)
	if p := strings.TrimSpace(string(w.partial)); p != "" {
		lines = append(lines, p)
	}
	if len(lines) > tailLines {
		lines = lines[len(lines)-tailLines:]
	}
	if len(lines) == 0 {
		return "(named wrote nothing)"
	}
	return strings.Join(lines, "\n")
}
