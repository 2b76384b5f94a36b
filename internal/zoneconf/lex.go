package zoneconf

import "strings"

// tokKind is the kind of a configuration token.
type tokKind uint8

const (
	tWord   tokKind = iota + 1 // unquoted text: keywords, numbers, addresses, prefixes
	tString                    // "quoted text"; val holds the unescaped value
	tOpen                      // {
	tClose                     // }
	tSemi                      // ;
	tBang                      // ! (negation in address match lists)
)

// token is one token of BIND configuration text; start and end are byte offsets into the
// lexed text, so a run of tokens can be cut out byte for byte.
type token struct {
	kind       tokKind
	start, end int
	val        string
}

// lex splits BIND configuration text into tokens, as BIND's isc_lex does for named.conf
// (lib/isccfg/parser.c): quoted strings with backslash escapes, the specials { } ; ! and
// words. Comments (#, //, /* */) are refused rather than skipped: showzone never prints
// them, and text that has them did not come from BIND's printer, so splitting it could
// silently disagree with BIND. So are control characters outside quoted strings.
func lex(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '{' || c == '}' || c == ';' || c == '!':
			toks = append(toks, token{kind: special(c), start: i, end: i + 1, val: s[i : i+1]})
			i++
		case c == '"':
			val, n, err := readQuoted(s[i:])
			if err != nil {
				return nil, syntaxErr("%v at offset %d", err, i)
			}
			toks = append(toks, token{kind: tString, start: i, end: i + n, val: val})
			i += n
		case isCommentStart(s, i):
			return nil, syntaxErr("comment at offset %d", i)
		case c < 0x20 || c == 0x7f:
			return nil, syntaxErr("control character at offset %d", i)
		default:
			j, err := wordEnd(s, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tWord, start: i, end: j, val: s[i:j]})
			i = j
		}
	}
	return toks, nil
}

func special(c byte) tokKind {
	switch c {
	case '{':
		return tOpen
	case '}':
		return tClose
	case ';':
		return tSemi
	default:
		return tBang
	}
}

func isCommentStart(s string, i int) bool {
	return s[i] == '#' || s[i] == '/' && i+1 < len(s) && (s[i+1] == '/' || s[i+1] == '*')
}

// wordEnd returns the end of the word starting at i. A backslash escapes the next byte, as
// in isc_lex, so `a\;b` is one word.
func wordEnd(s string, i int) (int, error) {
	j := i
	for j < len(s) {
		c := s[j]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || strings.IndexByte(`{};!"`, c) >= 0:
			return j, nil
		case isCommentStart(s, j), c < 0x20 || c == 0x7f:
			return j, nil // the caller reports it
		case c == '\\':
			if j+1 >= len(s) || s[j+1] < 0x20 || s[j+1] == 0x7f {
				return 0, syntaxErr("dangling escape at offset %d", j)
			}
			j += 2
		default:
			j++
		}
	}
	return j, nil
}

// errUnterminated is readQuoted's only failure.
type errUnterminated struct{}

func (errUnterminated) Error() string { return "unterminated string" }

// readQuoted reads the "…" string at the start of s, returning its unescaped value and its
// length in s including both quotes.
func readQuoted(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 >= len(s) {
				return "", 0, errUnterminated{}
			}
			i++
			b.WriteByte(s[i])
		case '"':
			return b.String(), i + 1, nil
		default:
			b.WriteByte(s[i])
		}
	}
	return "", 0, errUnterminated{}
}

// groups splits toks at the ';' tokens that are not inside braces. Each group is a half-open
// range [a, b) of toks without its ';'. Empty statements (a lone ';') are skipped. It fails
// on unbalanced braces and on a trailing group with no ';'.
func groups(toks []token) ([][2]int, error) {
	var out [][2]int
	depth, start := 0, -1
	for k, t := range toks {
		switch t.kind {
		case tOpen:
			depth++
		case tClose:
			depth--
			if depth < 0 {
				return nil, syntaxErr("unbalanced '}' at offset %d", t.start)
			}
		case tSemi:
			if depth == 0 {
				if start >= 0 {
					out = append(out, [2]int{start, k})
				}
				start = -1
				continue
			}
		}
		if start < 0 {
			start = k
		}
	}
	if depth != 0 {
		return nil, syntaxErr("unbalanced '{'")
	}
	if start >= 0 {
		return nil, syntaxErr("statement without ';' at offset %d", toks[start].start)
	}
	return out, nil
}

// matchClose returns the index of the '}' matching the '{' at toks[open], or -1.
func matchClose(toks []token, open int) int {
	depth := 0
	for k := open; k < len(toks); k++ {
		switch toks[k].kind {
		case tOpen:
			depth++
		case tClose:
			depth--
			if depth == 0 {
				return k
			}
		}
	}
	return -1
}
