package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strings"
	"sync"
	"time"
)

// maxTokenFile bounds the pod's token file; projected tokens are about 1 KiB.
const maxTokenFile = 64 << 10

// tokenSource is the pod's own service-account token, re-read every tokenReread because
// projected tokens rotate, and on demand when the API server refuses it.
type tokenSource struct {
	path string
	now  func() time.Time
	log  *slog.Logger

	mu     sync.Mutex
	tok    string
	readAt time.Time
}

// newTokenSource reads path once; a missing, unreadable or empty file is an error.
func newTokenSource(path string, now func() time.Time, log *slog.Logger) (*tokenSource, error) {
	if path == "" {
		return nil, errors.New("not set")
	}
	tok, err := readToken(path)
	if err != nil {
		return nil, err
	}
	return &tokenSource{path: path, now: now, log: log, tok: tok, readAt: now()}, nil
}

// get returns the token, re-reading the file when the last read is tokenReread old.
func (s *tokenSource) get() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.now().Sub(s.readAt) >= tokenReread {
		s.reloadLocked()
	}
	return s.tok
}

// reload re-reads the file now and reports whether the token changed.
func (s *tokenSource) reload() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reloadLocked()
}

func (s *tokenSource) reloadLocked() bool {
	s.readAt = s.now() // after a failure too: try again in a minute, not on every request
	tok, err := readToken(s.path)
	if err != nil {
		s.log.Warn("TokenReview: re-reading the service account token failed; keeping the previous one", "err", err)
		return false
	}
	if tok == s.tok {
		return false
	}
	s.tok = tok
	s.log.Info("TokenReview: service account token reloaded", "path", s.path)
	return true
}

// String, GoString, Format and LogValue never show the token (docs/contract.md §19 A4).
func (s *tokenSource) String() string             { return "tokenSource(" + s.path + ")" }
func (s *tokenSource) GoString() string           { return s.String() }
func (s *tokenSource) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }
func (s *tokenSource) LogValue() slog.Value       { return slog.StringValue(s.String()) }

// readToken reads a one-line token file. Errors name the file, never its content.
func readToken(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	switch {
	case err != nil:
		return "", fmt.Errorf("read %s: %w", path, err)
	case len(b) > maxTokenFile:
		return "", fmt.Errorf("%s: larger than %d bytes", path, maxTokenFile)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("%s: empty", path)
	}
	return tok, nil
}

// jwtExpiry returns the exp claim (RFC 7519 §4.1.4) of a JWT without verifying it: it only
// bounds how long an accepted token stays cached. ok is false for anything else.
func jwtExpiry(tok string) (time.Time, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp *float64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp == nil || math.IsNaN(*claims.Exp) ||
		*claims.Exp < 0 || *claims.Exp > 1<<40 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(*claims.Exp)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}
