package bindkey

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bindgate/bindgate/internal/bindconf"
)

// ErrSyntax is wrapped by errors about malformed input. Like every parse error of this package
// it names the file, line and byte offset, never the content (docs/contract.md §19 A3), since the text
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

// lexer reads one file's tokens with bindconf, turning its errors into ErrSyntax errors that
// name the file and line.
type lexer struct {
	f *file
	l *bindconf.Lexer
}

func (l *lexer) next() (bindconf.Token, error) {
	t, err := l.l.Next()
	if e, ok := errors.AsType[*bindconf.Error](err); ok {
		return t, l.f.errAt(e.Off, ErrSyntax, "%s", e.Reason)
	}
	return t, err
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
	l := &lexer{f: f, l: bindconf.New(f.text, bindconf.SkipComments)}
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
			cur.off = t.Start
		}
		open := len(cur.words) > 0 || cur.hasBl
		switch t.Kind {
		case bindconf.EOF:
			if depth > 0 {
				return nil, l.f.errAt(t.Start, ErrSyntax, "missing '}'")
			}
			if open {
				return nil, l.f.errAt(t.Start, ErrSyntax, "missing ';' at end of input")
			}
			return out, nil
		case bindconf.Close:
			if depth == 0 {
				return nil, l.f.errAt(t.Start, ErrSyntax, "unexpected '}'")
			}
			if open {
				return nil, l.f.errAt(t.Start, ErrSyntax, "missing ';' before '}'")
			}
			return out, nil
		case bindconf.Open:
			if cur.hasBl {
				return nil, l.f.errAt(t.Start, ErrSyntax, "missing ';' between blocks")
			}
			if depth == 0 && len(cur.words) == 0 {
				return nil, l.f.errAt(t.Start, ErrSyntax, "block without a keyword")
			}
			if depth >= maxNesting {
				return nil, l.f.errAt(t.Start, ErrSyntax, "blocks nested deeper than %d", maxNesting)
			}
			b, err := l.block(depth + 1)
			if err != nil {
				return nil, err
			}
			cur.block, cur.hasBl = b, true
		case bindconf.Semi:
			if !open {
				return nil, l.f.errAt(t.Start, ErrSyntax, "empty statement")
			}
			out = append(out, cur)
			cur = stmt{off: -1}
		default:
			if cur.hasBl {
				return nil, l.f.errAt(t.Start, ErrSyntax, "missing ';' after '}'")
			}
			cur.words = append(cur.words, word{text: t.Text, quoted: t.Kind == bindconf.String, off: t.Start})
		}
	}
}
