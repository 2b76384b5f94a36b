package zoneconf

import (
	"errors"

	"github.com/bindgate/bindgate/internal/bindconf"
)

// token is one token of showzone text (bindconf.Token).
type token = bindconf.Token

// Token kinds, short for the parsers here.
const (
	tWord   = bindconf.Word
	tString = bindconf.String
	tOpen   = bindconf.Open
	tClose  = bindconf.Close
	tSemi   = bindconf.Semi
	tBang   = bindconf.Bang
)

// lex splits showzone text into tokens with bindconf. Comments are refused rather than
// skipped: showzone never prints them, and text that has them did not come from BIND's
// printer, so splitting it could silently disagree with BIND.
func lex(s string) ([]token, error) {
	toks, err := bindconf.All(s, bindconf.RefuseComments)
	if e, ok := errors.AsType[*bindconf.Error](err); ok {
		return nil, syntaxErr("%s at offset %d", e.Reason, e.Off)
	}
	return toks, err
}

// groups splits toks at the ';' tokens that are not inside braces. Each group is a half-open
// range [a, b) of toks without its ';'. Empty statements (a lone ';') are skipped. It fails
// on unbalanced braces and on a trailing group with no ';'.
func groups(toks []token) ([][2]int, error) {
	var out [][2]int
	depth, start := 0, -1
	for k, t := range toks {
		switch t.Kind {
		case tOpen:
			depth++
		case tClose:
			depth--
			if depth < 0 {
				return nil, syntaxErr("unbalanced '}' at offset %d", t.Start)
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
		return nil, syntaxErr("statement without ';' at offset %d", toks[start].Start)
	}
	return out, nil
}

// matchClose returns the index of the '}' matching the '{' at toks[open], or -1.
func matchClose(toks []token, open int) int {
	depth := 0
	for k := open; k < len(toks); k++ {
		switch toks[k].Kind {
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
