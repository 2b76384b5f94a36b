// Package bindconf splits BIND configuration text into tokens: the grammar of named.conf,
// rndc.conf and key files (lib/isccfg/parser.c over lib/isc/lex.c), and what `rndc showzone`
// prints. It is the one lexer for that grammar; bindkey and zoneconf build their parsers on it.
//
// It owns tokens only, never statements or their meaning, and its errors carry a byte offset
// and a reason but never input text: the text around a secret is the secret (docs/contract.md §19 A3).
package bindconf

import (
	"fmt"
	"strings"
)

// Kind is the kind of a token.
type Kind uint8

// Token kinds.
const (
	EOF    Kind = iota // end of input
	Word               // unquoted text: keywords, numbers, addresses, base64; Text is the raw bytes
	String             // "quoted text"; Text is the unescaped value
	Open               // {
	Close              // }
	Semi               // ;
	Bang               // ! (negation in address match lists)
)

// Token is one token. Start and End are byte offsets into the lexed text, so a run of tokens
// can be cut out byte for byte.
type Token struct {
	Kind       Kind
	Text       string
	Start, End int
}

// Comments says what to do with #, // and /* */ comments.
type Comments uint8

const (
	// SkipComments treats comments as white space: files written by people.
	SkipComments Comments = iota
	// RefuseComments makes a comment an error: BIND's printer (showzone) never emits one, so
	// text that has them did not come from it, and splitting it could disagree with BIND.
	RefuseComments
)

// Error is a lexing error: the offset of the problem and a reason that never holds input text.
type Error struct {
	Off    int
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("%s at offset %d", e.Reason, e.Off) }

// Lexer splits text into tokens, one Next at a time.
type Lexer struct {
	text     string
	pos      int
	comments Comments
}

// New returns a lexer over text.
func New(text string, c Comments) *Lexer { return &Lexer{text: text, comments: c} }

// All returns every token of text, without the final EOF.
func All(text string, c Comments) ([]Token, error) {
	l := New(text, c)
	var out []Token
	for {
		t, err := l.Next()
		if err != nil {
			return nil, err
		}
		if t.Kind == EOF {
			return out, nil
		}
		out = append(out, t)
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// isControl reports bytes that never belong in a token: they would end up in key names, TSIG
// names and logs. Tabs are only white space.
func isControl(c byte) bool { return c < 0x20 || c == 0x7f }

// commentAt reports whether a comment starts at i.
func (l *Lexer) commentAt(i int) bool {
	s := l.text
	return s[i] == '#' || (s[i] == '/' && i+1 < len(s) && (s[i+1] == '/' || s[i+1] == '*'))
}

func (l *Lexer) fail(off int, reason string) error { return &Error{Off: off, Reason: reason} }

// skip moves past white space and, with SkipComments, comments.
func (l *Lexer) skip() error {
	s := l.text
	for l.pos < len(s) {
		switch c := s[l.pos]; {
		case isSpace(c):
			l.pos++
		case !l.commentAt(l.pos):
			return nil
		case l.comments == RefuseComments:
			return l.fail(l.pos, "comment")
		case c == '#' || s[l.pos+1] == '/':
			if i := strings.IndexByte(s[l.pos:], '\n'); i >= 0 {
				l.pos += i + 1
			} else {
				l.pos = len(s)
			}
		default: // /*
			i := strings.Index(s[l.pos+2:], "*/")
			if i < 0 {
				return l.fail(l.pos, "unterminated /* comment")
			}
			l.pos += i + 4
		}
	}
	return nil
}

// Next returns the next token, EOF at the end. After an error the lexer must not be used.
func (l *Lexer) Next() (Token, error) {
	if err := l.skip(); err != nil {
		return Token{}, err
	}
	s := l.text
	start := l.pos
	if start >= len(s) {
		return Token{Kind: EOF, Start: start, End: start}, nil
	}
	var k Kind
	switch s[start] {
	case '{':
		k = Open
	case '}':
		k = Close
	case ';':
		k = Semi
	case '!':
		k = Bang
	case '"':
		return l.quoted()
	}
	if k != EOF {
		l.pos++
		return Token{Kind: k, Text: s[start:l.pos], Start: start, End: l.pos}, nil
	}
	return l.word()
}

// word reads a bare word. A backslash escapes the next byte, as in isc_lex, so `a\;b` is one
// word; Text keeps the backslash.
func (l *Lexer) word() (Token, error) {
	s := l.text
	start := l.pos
	for l.pos < len(s) {
		c := s[l.pos]
		if isSpace(c) || strings.IndexByte(`{};!"`, c) >= 0 || l.commentAt(l.pos) {
			break
		}
		if isControl(c) {
			return Token{}, l.fail(l.pos, "control character")
		}
		if c == '\\' {
			if l.pos+1 == len(s) || isControl(s[l.pos+1]) {
				return Token{}, l.fail(l.pos, "dangling escape")
			}
			l.pos++
		}
		l.pos++
	}
	return Token{Kind: Word, Text: s[start:l.pos], Start: start, End: l.pos}, nil
}

// quoted reads a quoted string. A backslash takes the next byte literally; an unescaped line
// break inside quotes is an error, as in BIND ("unbalanced quotes"), and so is a control
// character other than a tab.
func (l *Lexer) quoted() (Token, error) {
	s := l.text
	start := l.pos
	var b strings.Builder
	for l.pos++; l.pos < len(s); l.pos++ {
		c := s[l.pos]
		switch {
		case c == '"':
			l.pos++
			return Token{Kind: String, Text: b.String(), Start: start, End: l.pos}, nil
		case c == '\\':
			if l.pos+1 == len(s) {
				return Token{}, l.fail(start, "unterminated quoted string")
			}
			l.pos++
			c = s[l.pos]
			if c != '\n' && isControl(c) {
				return Token{}, l.fail(l.pos, "control character in a quoted string")
			}
			b.WriteByte(c)
		case c == '\n' || c == '\r':
			return Token{}, l.fail(start, "line break in a quoted string")
		case isControl(c) && c != '\t':
			return Token{}, l.fail(l.pos, "control character in a quoted string")
		default:
			b.WriteByte(c)
		}
	}
	return Token{}, l.fail(start, "unterminated quoted string")
}
