package bindconf

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func show(toks []Token) []string {
	var out []string
	for _, t := range toks {
		out = append(out, map[Kind]string{Word: "w:", String: "s:", Open: "", Close: "", Semi: "", Bang: ""}[t.Kind]+t.Text)
	}
	return out
}

func TestLex(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		comments Comments
		want     []string // tokens as kind:text
	}{
		{"words and punctuation", `key k{a b;};`, SkipComments, []string{"w:key", "w:k", "{", "w:a", "w:b", ";", "}", ";"}},
		{"quoted with escapes", `"a\"b\\c{};"`, SkipComments, []string{`s:a"b\c{};`}},
		{"comments", "a # x\n b // y\n c /* z\n */ d", SkipComments, []string{"w:a", "w:b", "w:c", "w:d"}},
		{"comment ends a word", "a#x\nb/*y*/c//z", SkipComments, []string{"w:a", "w:b", "w:c"}},
		{"slash inside a word", "a/b", RefuseComments, []string{"w:a/b"}},
		{"quote ends a word", `a"b"`, SkipComments, []string{"w:a", "s:b"}},
		{"tab in quotes", "\"a\tb\"", SkipComments, []string{"s:a\tb"}},
		{"escaped line break in quotes", "\"a\\\nb\"", SkipComments, []string{"s:a\nb"}},
		{"bang", `!key "k"; ! 10.0.0.0/8;`, RefuseComments, []string{"!", "w:key", "s:k", ";", "!", "w:10.0.0.0/8", ";"}},
		{"escape inside a word is kept", `a\;b;`, RefuseComments, []string{`w:a\;b`, ";"}},
		{"empty", " \n\t\r ", SkipComments, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			toks, err := All(tc.in, tc.comments)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, show(toks)); d != "" {
				t.Errorf("tokens (-want +got):\n%s", d)
			}
			for _, tk := range toks {
				if tk.Kind != String && tc.in[tk.Start:tk.End] != tk.Text {
					t.Errorf("token %q spans %q", tk.Text, tc.in[tk.Start:tk.End])
				}
			}
		})
	}
}

func TestLexErrors(t *testing.T) {
	t.Parallel()
	const secret = "c2VjcmV0"
	tests := []struct {
		name     string
		in       string
		comments Comments
		want     Error
	}{
		{"unterminated string", "a \"" + secret, SkipComments, Error{2, "unterminated quoted string"}},
		{"trailing backslash in a string", `a "x\`, SkipComments, Error{2, "unterminated quoted string"}},
		{"line break in a string", "a \"x\ny\"", SkipComments, Error{2, "line break in a quoted string"}},
		{"control character in a string", "\"a\x01\"", SkipComments, Error{2, "control character in a quoted string"}},
		{"escaped control character in a string", "\"a\\\x01\"", SkipComments, Error{3, "control character in a quoted string"}},
		{"unterminated comment", "a /* " + secret, SkipComments, Error{2, "unterminated /* comment"}},
		{"refused comment", "a # x", RefuseComments, Error{2, "comment"}},
		{"refused comment after a word", "a// x", RefuseComments, Error{1, "comment"}},
		{"control character", "a\x00b", SkipComments, Error{1, "control character"}},
		{"dangling escape", `a\`, SkipComments, Error{1, "dangling escape"}},
		{"escaped control character", "a\\\x7f", SkipComments, Error{1, "dangling escape"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := All(tc.in, tc.comments)
			e, ok := errors.AsType[*Error](err)
			if !ok {
				t.Fatalf("err = %v, want an *Error", err)
			}
			if d := cmp.Diff(tc.want, *e); d != "" {
				t.Errorf("error (-want +got):\n%s", d)
			}
		})
	}
}

func FuzzLex(f *testing.F) {
	for _, s := range []string{`key "k" { algorithm hmac-sha256; secret "x"; };`, `a\;b !c "d\"e" /* f */ # g`, "\"a\n", `a\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range []Comments{SkipComments, RefuseComments} {
			toks, err := All(s, c)
			if err != nil {
				if _, ok := errors.AsType[*Error](err); !ok {
					t.Fatalf("error %v is not an *Error", err)
				}
				continue
			}
			end := 0
			for _, tk := range toks {
				if tk.Start < end || tk.End <= tk.Start || tk.End > len(s) {
					t.Fatalf("token %+v out of order in %q", tk, s)
				}
				end = tk.End
			}
		}
	})
}
