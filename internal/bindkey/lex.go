package bindkey

import (
	"errors"
	"fmt"
	"strings"
)

// ErrSyntax is wrapped by errors about malformed input. Like every parse error of this package
// it names the file, line and byte offset, never the content (CONTRACT §19 A3), since the text
// around a secret is the secret.
var ErrSyntax = errors.New("syntax error")

// maxNesting bounds block nesting; BIND's own files nest three or four deep. It keeps the
// recursive parser's stack small on hostile input.
const maxNesting = 16

// file is one configuration file being parsed: the name errors use, and its text.
type file struct {
	name string
	text string
}

// errAt returns "<name>: line L (byte O): <err>: <msg>". msg must never hold file content.
func (f *file) errAt(off int, err error, format string, a ...any) error {
	off = min(max(off, 0), len(f.text))
	line := 1 + strings.Count(f.text[:off], "\n")
	msg := fmt.Sprintf(format, a...)
	if msg == "" {
		return fmt.Errorf("%s: line %d (byte %d): %w", f.name, line, off, err)
	}
	return fmt.Errorf("%s: line %d (byte %d): %w: %s", f.name, line, off, err, msg)
}

type tokKind uint8

const (
	tokEOF    tokKind = iota
	tokWord           // a bare word
	tokString         // a quoted string; text is its unescaped value
	tokOpen           // {
	tokClose          // }
	tokSemi           // ;
)

type token struct {
	kind tokKind
	text string
	off  int
}

// lexer splits BIND configuration text into tokens (lib/isc/lex.c with C, C++ and shell
// comments and backslash escapes in quoted strings).
type lexer struct {
	f   *file
	pos int
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// isControl reports bytes that never belong in a token: they would end up in key names, TSIG
// names and logs. Tabs are only whitespace.
func isControl(c byte) bool { return c < 0x20 || c == 0x7f }

// commentAt reports whether a comment starts at i.
func (l *lexer) commentAt(i int) bool {
	s := l.f.text
	return s[i] == '#' || (s[i] == '/' && i+1 < len(s) && (s[i+1] == '/' || s[i+1] == '*'))
}

// skip moves past whitespace and comments.
func (l *lexer) skip() error {
	s := l.f.text
	for l.pos < len(s) {
		switch c := s[l.pos]; {
		case isSpace(c):
			l.pos++
		case c == '#' || strings.HasPrefix(s[l.pos:], "//"):
			if i := strings.IndexByte(s[l.pos:], '\n'); i >= 0 {
				l.pos += i + 1
			} else {
				l.pos = len(s)
			}
		case strings.HasPrefix(s[l.pos:], "/*"):
			i := strings.Index(s[l.pos+2:], "*/")
			if i < 0 {
				return l.f.errAt(l.pos, ErrSyntax, "unterminated /* comment")
			}
			l.pos += i + 4
		default:
			return nil
		}
	}
	return nil
}

// next returns the next token, tokEOF at the end.
func (l *lexer) next() (token, error) {
	if err := l.skip(); err != nil {
		return token{}, err
	}
	s := l.f.text
	start := l.pos
	if start >= len(s) {
		return token{kind: tokEOF, off: start}, nil
	}
	switch s[start] {
	case '{':
		l.pos++
		return token{kind: tokOpen, off: start}, nil
	case '}':
		l.pos++
		return token{kind: tokClose, off: start}, nil
	case ';':
		l.pos++
		return token{kind: tokSemi, off: start}, nil
	case '"':
		return l.quoted()
	}
	for l.pos < len(s) {
		c := s[l.pos]
		if isSpace(c) || c == '{' || c == '}' || c == ';' || c == '"' || l.commentAt(l.pos) {
			break
		}
		if isControl(c) {
			return token{}, l.f.errAt(l.pos, ErrSyntax, "control character")
		}
		l.pos++
	}
	return token{kind: tokWord, text: s[start:l.pos], off: start}, nil
}

// quoted reads a quoted string. A backslash takes the next byte literally; an unescaped line
// break inside quotes is an error, as in BIND ("unbalanced quotes").
func (l *lexer) quoted() (token, error) {
	s := l.f.text
	start := l.pos
	var b strings.Builder
	for l.pos++; l.pos < len(s); l.pos++ {
		c := s[l.pos]
		switch {
		case c == '"':
			l.pos++
			return token{kind: tokString, text: b.String(), off: start}, nil
		case c == '\\':
			if l.pos+1 == len(s) {
				return token{}, l.f.errAt(start, ErrSyntax, "unterminated quoted string")
			}
			l.pos++
			c = s[l.pos]
			if c != '\n' && isControl(c) {
				return token{}, l.f.errAt(l.pos, ErrSyntax, "control character in a quoted string")
			}
			b.WriteByte(c)
		case c == '\n' || c == '\r':
			return token{}, l.f.errAt(start, ErrSyntax, "line break in a quoted string")
		case isControl(c) && c != '\t':
			return token{}, l.f.errAt(l.pos, ErrSyntax, "control character in a quoted string")
		default:
			b.WriteByte(c)
		}
	}
	return token{}, l.f.errAt(start, ErrSyntax, "unterminated quoted string")
}

// word is one word of a statement; quoted tells "{" the string from { the brace.
type word struct {
	text   string
	quoted bool
	off    int
}

// stmt is one statement of BIND's configuration grammar: words, an optional block, then ';'.
// Inside a block a statement may be a bare block (address match lists nest that way).
type stmt struct {
	words []word
	block []stmt
	hasBl bool
	off   int
}

// keyword returns the statement's first word in lower case, "" for a bare block.
func (s stmt) keyword() string {
	if len(s.words) == 0 {
		return ""
	}
	return strings.ToLower(s.words[0].text)
}

// arg returns the i-th word after the keyword.
func (s stmt) arg(i int) string { return s.words[i+1].text }

// parseFile parses data into statements, checking the whole grammar: balanced braces, every
// statement closed by ';', nothing after the last one.
func parseFile(data []byte, name string) (*file, []stmt, error) {
	f := &file{name: name, text: string(data)}
	l := &lexer{f: f}
	sts, err := l.block(0)
	return f, sts, err
}

// block parses statements up to the matching '}' (depth > 0) or the end of input (depth 0).
func (l *lexer) block(depth int) ([]stmt, error) {
	var out []stmt
	cur := stmt{off: -1}
	for {
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		if cur.off < 0 {
			cur.off = t.off
		}
		open := len(cur.words) > 0 || cur.hasBl
		switch t.kind {
		case tokEOF:
			if depth > 0 {
				return nil, l.f.errAt(t.off, ErrSyntax, "missing '}'")
			}
			if open {
				return nil, l.f.errAt(t.off, ErrSyntax, "missing ';' at end of input")
			}
			return out, nil
		case tokClose:
			if depth == 0 {
				return nil, l.f.errAt(t.off, ErrSyntax, "unexpected '}'")
			}
			if open {
				return nil, l.f.errAt(t.off, ErrSyntax, "missing ';' before '}'")
			}
			return out, nil
		case tokOpen:
			if cur.hasBl {
				return nil, l.f.errAt(t.off, ErrSyntax, "missing ';' between blocks")
			}
			if depth == 0 && len(cur.words) == 0 {
				return nil, l.f.errAt(t.off, ErrSyntax, "block without a keyword")
			}
			if depth >= maxNesting {
				return nil, l.f.errAt(t.off, ErrSyntax, "blocks nested deeper than %d", maxNesting)
			}
			b, err := l.block(depth + 1)
			if err != nil {
				return nil, err
			}
			cur.block, cur.hasBl = b, true
		case tokSemi:
			if !open {
				return nil, l.f.errAt(t.off, ErrSyntax, "empty statement")
			}
			out = append(out, cur)
			cur = stmt{off: -1}
		default:
			if cur.hasBl {
				return nil, l.f.errAt(t.off, ErrSyntax, "missing ';' after '}'")
			}
			cur.words = append(cur.words, word{text: t.text, quoted: t.kind == tokString, off: t.off})
		}
	}
}
