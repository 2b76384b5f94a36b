package api

import (
	"log/slog"
	"unicode/utf8"
)

// Audit line bounds. A request controls much of what an audit line holds (a record name, a
// method token, a TokenReview username), so each value is cut to maxAuditAttr bytes
// (maxAuditChangesAttr for the list of changes) and all values together to maxAuditValues,
// leaving room for keys, time and level so that one line stays within maxAuditLine bytes. Sizes
// are counted as slog's JSON handler writes them (escapes included). A cut value ends in "…"
// and the line gets "truncated":true.
const (
	maxAuditLine        = 4096
	maxAuditValues      = maxAuditLine - 512
	maxAuditAttr        = 256
	maxAuditChangesAttr = 2048
	auditCutMark        = "…"
)

// auditAttrs builds string attributes within the per-value and per-line budgets.
type auditAttrs struct {
	attrs     []slog.Attr
	budget    int
	truncated bool
}

// auditAttrsCap is how many attributes an audit line has at most (audit): allocated once, the
// slice does not grow attribute by attribute on every write.
const auditAttrsCap = 11

func newAuditAttrs() *auditAttrs {
	return &auditAttrs{budget: maxAuditValues, attrs: make([]slog.Attr, 0, auditAttrsCap)}
}

// add appends key=value, cut to at most limit escaped bytes and to what is left of the line.
func (a *auditAttrs) add(key, value string, limit int) {
	v, n, cut := clipJSON(value, min(limit, a.budget))
	a.budget -= n
	a.truncated = a.truncated || cut
	a.attrs = append(a.attrs, slog.String(key, v))
}

// clipJSON returns the longest prefix of s, on a rune boundary, whose JSON-escaped form fits in
// limit bytes, with auditCutMark appended (inside the limit) when s had to be cut, and the
// escaped size of what it returns.
func clipJSON(s string, limit int) (string, int, bool) {
	total, end, endSize := 0, -1, 0
	room := max(limit-len(auditCutMark), 0)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		cost := jsonEscapedLen(r, size)
		if end < 0 && total+cost > room {
			end, endSize = i, total // where s is cut if it turns out too long
		}
		total += cost
		if total > limit {
			if end < 0 || limit < len(auditCutMark) { // not even the mark fits
				return "", 0, true
			}
			return s[:end] + auditCutMark, endSize + len(auditCutMark), true
		}
		i += size
	}
	return s, total, false
}

// jsonEscapedLen is how many bytes slog's JSON handler writes for the rune r that took size
// bytes in the input (an invalid byte becomes \ufffd).
func jsonEscapedLen(r rune, size int) int {
	switch {
	case r == utf8.RuneError && size == 1, r < 0x20 && r != '\n' && r != '\r' && r != '\t',
		r == '\u2028', r == '\u2029':
		return 6
	case r == '"', r == '\\', r == '\n', r == '\r', r == '\t':
		return 2
	}
	return size
}
