package bindkey

import (
	"errors"
	"fmt"
	"strings"
)

// ErrSyntax is wrapped by parse errors; they name the file and byte offset, never the content
// (CONTRACT §19 A3), since the content around a secret is the secret.
var ErrSyntax = errors.New("syntax error")

// stmt is one statement of BIND's configuration grammar: words, an optional block, then ';'.
type stmt struct {
	words []string
	block []stmt
	hasBl bool
	off   int
}

type lexer struct {
	src  string
	name string
	pos  int
}

func (l *lexer) errf(off int, format string, a ...any) error {
	return fmt.Errorf("%s: offset %d: %w: %s", l.name, off, ErrSyntax, fmt.Sprintf(format, a...))
}

// next returns the next token: a word, a quoted string's value (quoted=true), or one of "{};".
// At the end it returns "" with eof true.
func (l *lexer) next() (tok string, quoted bool, off int, eof bool, err error) {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			l.pos++
		case c == '#' || strings.HasPrefix(l.src[l.pos:], "//"):
			if i := strings.IndexByte(l.src[l.pos:], '\n'); i >= 0 {
				l.pos += i + 1
			} else {
				l.pos = len(l.src)
			}
		case strings.HasPrefix(l.src[l.pos:], "/*"):
			i := strings.Index(l.src[l.pos+2:], "*/")
			if i < 0 {
				return "", false, l.pos, false, l.errf(l.pos, "unterminated comment")
			}
			l.pos += i + 4
		case c == '{' || c == '}' || c == ';':
			l.pos++
			return string(c), false, l.pos - 1, false, nil
		case c == '"':
			start := l.pos
			var b strings.Builder
			for l.pos++; l.pos < len(l.src); l.pos++ {
				switch l.src[l.pos] {
				case '\\':
					l.pos++
					if l.pos < len(l.src) {
						b.WriteByte(l.src[l.pos])
					}
				case '"':
					l.pos++
					return b.String(), true, start, false, nil
				default:
					b.WriteByte(l.src[l.pos])
				}
			}
			return "", false, start, false, l.errf(start, "unterminated string")
		default:
			start := l.pos
			for l.pos < len(l.src) && !strings.ContainsRune(" \t\r\n{};\"#", rune(l.src[l.pos])) &&
				!strings.HasPrefix(l.src[l.pos:], "//") && !strings.HasPrefix(l.src[l.pos:], "/*") {
				l.pos++
			}
			return l.src[start:l.pos], false, start, false, nil
		}
	}
	return "", false, l.pos, true, nil
}

// parseStmts parses statements until '}' (inBlock) or the end of input.
func (l *lexer) parseStmts(inBlock bool, depth int) ([]stmt, error) {
	if depth > 16 {
		return nil, l.errf(l.pos, "nesting too deep")
	}
	var out []stmt
	cur := stmt{off: -1}
	for {
		tok, quoted, off, eof, err := l.next()
		if err != nil {
			return nil, err
		}
		if cur.off < 0 {
			cur.off = off
		}
		switch {
		case eof:
			if inBlock {
				return nil, l.errf(off, "missing '}'")
			}
			if len(cur.words) > 0 || cur.hasBl {
				return nil, l.errf(off, "missing ';'")
			}
			return out, nil
		case !quoted && tok == "}":
			if !inBlock {
				return nil, l.errf(off, "unexpected '}'")
			}
			if len(cur.words) > 0 || cur.hasBl {
				return nil, l.errf(off, "missing ';'")
			}
			return out, nil
		case !quoted && tok == "{":
			if cur.hasBl {
				return nil, l.errf(off, "unexpected '{'")
			}
			b, err := l.parseStmts(true, depth+1)
			if err != nil {
				return nil, err
			}
			cur.block, cur.hasBl = b, true
		case !quoted && tok == ";":
			if len(cur.words) > 0 || cur.hasBl {
				out = append(out, cur)
			}
			cur = stmt{off: -1}
		default:
			if cur.hasBl {
				return nil, l.errf(off, "missing ';' after '}'")
			}
			cur.words = append(cur.words, tok)
		}
	}
}

func parse(data []byte, name string) ([]stmt, error) {
	l := &lexer{src: string(data), name: name}
	return l.parseStmts(false, 0)
}

// keyFrom interprets `key <name> { algorithm <alg>; secret "<b64>"; };`.
func keyFrom(s stmt, name string) (Key, error) {
	if len(s.words) != 2 || !s.hasBl {
		return Key{}, fmt.Errorf("%s: offset %d: %w: key needs a name and a block", name, s.off, ErrSyntax)
	}
	k := Key{Name: s.words[1]}
	var alg, secret bool
	for _, in := range s.block {
		if len(in.words) != 2 || in.hasBl {
			return Key{}, fmt.Errorf("%s: offset %d: %w: in key %q", name, in.off, ErrSyntax, k.Name)
		}
		var err error
		switch strings.ToLower(in.words[0]) {
		case "algorithm":
			if k.Algorithm, err = ParseAlgorithm(in.words[1]); err != nil {
				return Key{}, fmt.Errorf("%s: offset %d: key %q: %w", name, in.off, k.Name, err)
			}
			alg = true
		case "secret":
			if k.Secret, err = DecodeSecret(in.words[1]); err != nil {
				return Key{}, fmt.Errorf("%s: offset %d: key %q: %w", name, in.off, k.Name, err)
			}
			secret = true
		default:
			return Key{}, fmt.Errorf("%s: offset %d: %w: unknown key clause in key %q", name, in.off, ErrSyntax, k.Name)
		}
	}
	if !alg || !secret {
		return Key{}, fmt.Errorf("%s: offset %d: key %q needs both algorithm and secret", name, s.off, k.Name)
	}
	return k, nil
}

// ParseKeyFile reads the key statements of a BIND key file (rndc.key, a TSIG key file).
func ParseKeyFile(data []byte, name string) ([]Key, error) {
	sts, err := parse(data, name)
	if err != nil {
		return nil, err
	}
	var keys []Key
	for _, s := range sts {
		if len(s.words) == 0 || strings.ToLower(s.words[0]) != "key" {
			return nil, fmt.Errorf("%s: offset %d: %w: only key statements belong in a key file", name, s.off, ErrSyntax)
		}
		k, err := keyFrom(s, name)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s: no key statement", name)
	}
	return keys, nil
}
