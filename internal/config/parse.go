package config

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/bindgate/bindgate/internal/quote"
)

// parseBool accepts true/false, 1/0 and yes/no in any case (docs/contract.md §14.1).
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes":
		return true, nil
	case "false", "0", "no":
		return false, nil
	}
	return false, fmt.Errorf("%s is not a boolean (true/false, 1/0, yes/no)", quote.Short(s))
}

// parseInt reads a whole number from lo to hi; anything else, overflow included, is an error
// (docs/contract.md §19 A16).
func parseInt(s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s is not a whole number from %d to %d", quote.Short(s), lo, hi)
	}
	return n, nil
}

// parseAge reads a non-negative duration in Go syntax, or a whole number of days ("30d").
func parseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("%s is not a duration such as 720h or 30d (0 or more)", quote.Short(s))
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100*365 {
			return 0, bad
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, bad
	}
	return d, nil
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseLevel reads LOG_LEVEL: one level name.
func parseLevel(s string) (slog.Level, error) {
	if l, ok := levelName(s); ok {
		return l, nil
	}
	return 0, fmt.Errorf("%s is not a log level (debug, info, warn, error; trace = debug)", quote.Short(s))
}

func levelName(s string) (slog.Level, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "trace", "debug":
		return slog.LevelDebug, true
	case "info":
		return slog.LevelInfo, true
	case "warn", "warning":
		return slog.LevelWarn, true
	case "error", "off":
		return slog.LevelError, true
	}
	return 0, false
}

// parseRustLog reads RUST_LOG as tracing's EnvFilter would: comma-separated directives, each a
// level, a target, or target=level (a target may carry a [span{field}] filter). bindgate has one
// logger, so the most verbose level named anywhere wins; a value naming no level means info.
// A directive whose level is not a level is an error.
func parseRustLog(s string) (slog.Level, error) {
	best, found := slog.LevelError, false
	for d := range strings.SplitSeq(s, ",") {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		name := d
		if i := strings.LastIndexByte(d, '='); i >= 0 && !strings.HasSuffix(d, "]") {
			name = d[i+1:]
		} else if _, ok := levelName(d); !ok {
			continue // a bare target: it names no level
		}
		l, ok := levelName(name)
		if !ok {
			return 0, fmt.Errorf("directive %s names no log level (trace, debug, info, warn, error, off)", quote.Short(d))
		}
		best, found = min(best, l), true
	}
	if !found {
		return slog.LevelInfo, nil
	}
	return best, nil
}

// validHostname reports whether s is a DNS host name: letters, digits, '-', '_' and dots,
// labels of 1-63 bytes, 253 bytes at most.
func validHostname(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for l := range strings.SplitSeq(s, ".") {
		if l == "" || len(l) > 63 {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// parseHost accepts an IP address (IPv6 with or without brackets) or a host name and returns
// it without brackets.
func parseHost(s string) (string, error) {
	h := s
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
		if a, err := netip.ParseAddr(h); err != nil || !a.Is6() {
			return "", fmt.Errorf("%s: only IPv6 addresses go in brackets", quote.Short(s))
		}
	}
	if _, err := netip.ParseAddr(h); err == nil || validHostname(h) {
		return h, nil
	}
	return "", fmt.Errorf("%s is not an IP address or host name", quote.Short(s))
}

// parseServer reads host, host:port, [v6]:port, [v6] or a bare IPv6 address. port is 0 when
// none is given.
func parseServer(s string) (host string, port uint16, err error) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil { // a bare address, IPv6 included
		return a.String(), 0, nil
	}
	if strings.Count(s, ":") == 0 || (strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]")) {
		h, err := parseHost(s)
		return h, 0, err
	}
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, fmt.Errorf("%s is not host, host:port, [v6]:port or an IPv6 address", quote.Short(s))
	}
	if strings.HasPrefix(s, "[") {
		h = "[" + h + "]" // parseHost checks that only IPv6 goes in brackets
	}
	if h, err = parseHost(h); err != nil {
		return "", 0, err
	}
	n, err := parseInt(p, 1, 65535)
	if err != nil {
		return "", 0, fmt.Errorf("port: %w", err)
	}
	return h, uint16(n), nil
}

// maxSecretFile bounds a secret or token file; real ones are under a hundred bytes.
const maxSecretFile = 64 << 10

// readSecretFile reads a one-value file (a Kubernetes Secret key) and trims it. Its errors name
// the path and the fs error, never the content.
func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxSecretFile {
		return "", fmt.Errorf("%s is larger than %d bytes", path, maxSecretFile)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return s, nil
}
