package namedproc

import (
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
type logWatch struct {
	mu       sync.Mutex
	partial  []byte
	tail     []string // at most tailLines, oldest first
	running  bool
	conflict string // first line that shows a port already in use
	fatal    string // first line that shows the control channel is missing for another reason
}

// Write implements io.Writer; it never fails.
func (w *logWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, p...)
	for {
		i := strings.IndexByte(string(w.partial), '\n')
		if i < 0 {
			break
		}
		w.line(strings.TrimRight(string(w.partial[:i]), "\r"))
		w.partial = w.partial[i+1:]
	}
	if len(w.partial) > maxLine {
		w.line(string(w.partial))
		w.partial = w.partial[:0]
	}
	return len(p), nil
}

func (w *logWatch) line(s string) {
	if strings.TrimSpace(s) == "" {
		return
	}
	w.tail = append(w.tail, s)
	if len(w.tail) > tailLines {
		w.tail = w.tail[len(w.tail)-tailLines:]
	}
	l := strings.ToLower(s)
	switch {
	case strings.HasSuffix(l, " running") || l == "running":
		w.running = true
	case strings.Contains(l, "address in use") || strings.Contains(l, "interface ignored"):
		// "creating TCP socket: address in use" (named keeps running, UDP only),
		// "couldn't add command channel 127.0.0.1#N: address in use" (keeps running, no control
		// channel), "creating IPv4 interface lo failed; interface ignored" (exits).
		if w.conflict == "" {
			w.conflict = s
		}
	case strings.Contains(l, "couldn't add command channel"):
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
