package bindkey

import (
	"errors"
	"strings"
	"testing"
)

func TestGrammarErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string // position and reason
	}{
		{"unterminated string", "a \"" + testSecret, "line 1 (byte 2): syntax error: unterminated quoted string"},
		{"trailing backslash", `a "x\`, "line 1 (byte 2): syntax error: unterminated quoted string"},
		{"line break in string", "a \"x\ny\";", "line 1 (byte 2): syntax error: line break"},
		{"unterminated comment", "a; /* x", "line 1 (byte 3): syntax error: unterminated /* comment"},
		{"missing semicolon at end", "a b", "line 1 (byte 3): syntax error: missing ';' at end of input"},
		{"missing semicolon after block", "a { b; }", "missing ';' at end of input"},
		{"missing semicolon before brace", "a { b };", "line 1 (byte 6): syntax error: missing ';' before '}'"},
		{"missing brace", "a { b;", "missing '}'"},
		{"stray brace", "a; };", "line 1 (byte 3): syntax error: unexpected '}'"},
		{"words after block", "a { } b;", "missing ';' after '}'"},
		{"two blocks", "a { } { };", "missing ';' between blocks"},
		{"anonymous top-level block", "{ a; };", "block without a keyword"},
		{"empty statement", "a;;", "line 1 (byte 2): syntax error: empty statement"},
		{"control character", "a\x00b;", "control character"},
		{"control character in string", "\"a\x01\";", "control character"},
		{"line numbers", "a;\nb;\n}", "line 3 (byte 6)"},
		{"too deep", "a " + strings.Repeat("{ ", maxNesting+1) + strings.Repeat("}; ", maxNesting+1), "nested deeper"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := parseFile([]byte(tc.in), "x.conf")
			if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "x.conf: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrSyntax containing %q", err, tc.want)
			}
			assertNoSecret(t, err)
		})
	}
}

func TestGrammarNesting(t *testing.T) {
	t.Parallel()
	in := "a " + strings.Repeat("{ ", maxNesting) + strings.Repeat("}; ", maxNesting)
	if _, _, err := parseFile([]byte(in), "x"); err != nil {
		t.Fatalf("%d levels: %v", maxNesting, err)
	}
	in = `a { { b; }; c { d; }; };`
	_, sts, err := parseFile([]byte(in), "x")
	if err != nil || len(sts) != 1 || len(sts[0].block) != 2 || len(sts[0].block[0].words) != 0 {
		t.Fatalf("nested anonymous blocks: %v %+v", err, sts)
	}
}
