package zoneconf

import (
	"fmt"
	"net/netip"
	"strings"
)

// Statement is one top-level statement of a zone block: its keyword (lower case) and its exact
// text, trailing ';' included.
type Statement struct {
	Keyword string
	Raw     string
}

// Zone is a parsed `rndc showzone` answer.
type Zone struct {
	Name       string
	Class      string
	Statements []Statement
}

// ParseShowzone splits `zone "example.test" [class] { type primary; file "x"; … };` into its
// statements, keeping each one's raw text. It understands quoted strings with escapes, nested
// braces and BIND's irregular spacing.
func ParseShowzone(text string) (Zone, error) {
	var z Zone
	s := strings.TrimSpace(text)
	rest, ok := strings.CutPrefix(s, "zone")
	if !ok {
		return z, fmt.Errorf("%w: no zone keyword", ErrSyntax)
	}
	rest = strings.TrimLeft(rest, " \t")
	name, n, err := readQuoted(rest)
	if err != nil {
		return z, err
	}
	z.Name = name
	rest = strings.TrimLeft(rest[n:], " \t")
	if !strings.HasPrefix(rest, "{") {
		cls, after, _ := strings.Cut(rest, " ")
		z.Class, rest = cls, strings.TrimLeft(after, " \t")
	}
	if !strings.HasPrefix(rest, "{") {
		return z, fmt.Errorf("%w: no opening brace", ErrSyntax)
	}
	body, tail, err := matchBrace(rest)
	if err != nil {
		return z, err
	}
	if t := strings.TrimSpace(tail); t != ";" && t != "" {
		return z, fmt.Errorf("%w: trailing text after the zone block", ErrSyntax)
	}
	z.Statements, err = splitStatements(body)
	return z, err
}

// readQuoted reads a "…" string at the start of s and returns its value and length.
func readQuoted(s string) (string, int, error) {
	if !strings.HasPrefix(s, `"`) {
		return "", 0, fmt.Errorf("%w: expected a quoted string", ErrSyntax)
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 >= len(s) {
				return "", 0, fmt.Errorf("%w: unterminated string", ErrSyntax)
			}
			i++
			b.WriteByte(s[i])
		case '"':
			return b.String(), i + 1, nil
		default:
			b.WriteByte(s[i])
		}
	}
	return "", 0, fmt.Errorf("%w: unterminated string", ErrSyntax)
}

// matchBrace takes s starting with '{' and returns what is between it and its matching '}',
// and what follows.
func matchBrace(s string) (inner, tail string, err error) {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			_, n, err := readQuoted(s[i:])
			if err != nil {
				return "", "", err
			}
			i += n - 1
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return s[1:i], s[i+1:], nil
			}
			if depth < 0 {
				return "", "", fmt.Errorf("%w: unbalanced braces", ErrSyntax)
			}
		}
	}
	return "", "", fmt.Errorf("%w: unbalanced braces", ErrSyntax)
}

// splitStatements splits a block body at top-level ';'.
func splitStatements(body string) ([]Statement, error) {
	var out []Statement
	depth, start := 0, 0
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '"':
			_, n, err := readQuoted(body[i:])
			if err != nil {
				return nil, err
			}
			i += n - 1
		case '{':
			depth++
		case '}':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("%w: unbalanced braces", ErrSyntax)
			}
		case ';':
			if depth == 0 {
				raw := strings.TrimSpace(body[start : i+1])
				if raw != ";" {
					kw, _, _ := strings.Cut(raw, " ")
					kw = strings.TrimRight(kw, ";{")
					out = append(out, Statement{Keyword: strings.ToLower(kw), Raw: raw})
				}
				start = i + 1
			}
		}
	}
	if depth != 0 || strings.TrimSpace(body[start:]) != "" {
		return nil, fmt.Errorf("%w: statement without ';'", ErrSyntax)
	}
	return out, nil
}

// listElements returns the raw elements of a list statement `kw { a; b; { c; }; };`.
func listElements(raw string) ([]string, error) {
	i := strings.IndexByte(raw, '{')
	if i < 0 {
		return nil, fmt.Errorf("%w: %s is not a list", ErrSyntax, strings.Fields(raw)[0])
	}
	inner, _, err := matchBrace(raw[i:])
	if err != nil {
		return nil, err
	}
	st, err := splitStatements(inner)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(st))
	for j, s := range st {
		out[j] = strings.TrimSpace(strings.TrimSuffix(s.Raw, ";"))
	}
	return out, nil
}

// Type returns the zone type with BIND's old keywords mapped: master -> primary, slave ->
// secondary.
func (z Zone) Type() string {
	for _, s := range z.Statements {
		if s.Keyword == "type" {
			f := strings.Fields(strings.TrimSuffix(s.Raw, ";"))
			if len(f) < 2 {
				return ""
			}
			switch t := strings.ToLower(f[1]); t {
			case "master":
				return "primary"
			case "slave":
				return "secondary"
			default:
				return t
			}
		}
	}
	return ""
}

// Has reports whether the zone has a statement with keyword kw.
func (z Zone) Has(kw string) bool {
	for _, s := range z.Statements {
		if s.Keyword == kw {
			return true
		}
	}
	return false
}

// canonical folds a statement's text for comparison: single spaces around punctuation, and
// host prefixes (/32, /128) written as bare addresses and "none"/"any" unquoted, which is how
// showzone reprints what bindgate rendered (CONTRACT §10: compare parsed values, never drop a prefix).
func canonical(raw string) string {
	r := strings.NewReplacer("{", " { ", "}", " } ", ";", " ; ")
	f := strings.Fields(r.Replace(raw))
	for i, w := range f {
		if w == `"none"` || w == `"any"` { // 9.18 prints the ACL keywords quoted: { "none"; }
			f[i] = strings.Trim(w, `"`)
		}
		if p, err := netip.ParsePrefix(w); err == nil && p.Bits() == p.Addr().BitLen() {
			f[i] = p.Addr().String()
		}
		if strings.EqualFold(w, "master") || strings.EqualFold(w, "masters") || strings.EqualFold(w, "slave") {
			f[i] = map[string]string{"master": "primary", "masters": "primaries", "slave": "secondary"}[strings.ToLower(w)]
		}
	}
	return strings.Join(f, " ")
}
