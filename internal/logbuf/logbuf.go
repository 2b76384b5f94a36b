// Package logbuf is a bytes.Buffer that several goroutines may write at once: the sink tests
// give a slog handler, an HTTP server's error log or named's output, and read while the
// writers still run. It holds no other state and never blocks a writer for longer than a copy.
package logbuf

import (
	"bytes"
	"sync"
)

// Buffer collects writes; the zero value is empty and ready to use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
