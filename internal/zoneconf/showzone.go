package zoneconf

import "strings"

// Statement is one top-level statement of a zone block.
type Statement struct {
	// Keyword is the statement's first token in lower case ("type", "also-notify").
	// BIND matches clause names case-insensitively ("'type' redefined near 'Type'").
	Keyword string
	// Raw is the statement's exact text, from its keyword to its trailing ';' included.
	Raw string
}

// Zone is a parsed `rndc showzone` answer.
type Zone struct {
	Name       string // unquoted zone name as BIND printed it
	Class      string // "" unless printed (named.conf zones print "IN"; added zones print none)
	Statements []Statement
}

// ParseShowzone splits `zone "example.test" [class] { type primary; file "x"; … };` into
// its top-level statements, keeping each one's exact text. It handles nested braces, quoted
// strings with escapes, BIND's irregular spacing (`allow-transfer  { … }`) and a bare zone
// name. Anything else, comments included, fails with ErrSyntax.
func ParseShowzone(text string) (Zone, error) {
	var z Zone
	toks, err := lex(text)
	if err != nil {
		return z, err
	}
	if len(toks) < 3 || toks[0].Kind != tWord || !strings.EqualFold(toks[0].Text, "zone") {
		return z, syntaxErr("does not start with zone \"<name>\"")
	}
	if toks[1].Kind != tString && toks[1].Kind != tWord {
		return z, syntaxErr("no zone name")
	}
	z.Name = toks[1].Text
	open := 2
	if toks[open].Kind == tWord {
		z.Class = toks[open].Text
		open++
	}
	if open >= len(toks) || toks[open].Kind != tOpen {
		return z, syntaxErr("no '{' after the zone name")
	}
	end := matchClose(toks, open)
	if end < 0 {
		return z, syntaxErr("unbalanced '{'")
	}
	if tail := toks[end+1:]; len(tail) > 1 || len(tail) == 1 && tail[0].Kind != tSemi {
		return z, syntaxErr("text after the zone block at offset %d", tail[0].Start)
	}
	z.Statements, err = statements(text, toks[open+1:end])
	return z, err
}

// statements cuts the top-level statements of a block body out of text.
func statements(text string, body []token) ([]Statement, error) {
	gs, err := groups(body)
	if err != nil {
		return nil, err
	}
	out := make([]Statement, 0, len(gs))
	for _, g := range gs {
		first := body[g[0]]
		if first.Kind != tWord || !isKeyword(first.Text) {
			return nil, syntaxErr("statement at offset %d does not start with a keyword", first.Start)
		}
		// g[1] indexes the ';' ending the statement.
		out = append(out, Statement{Keyword: strings.ToLower(first.Text), Raw: text[first.Start:body[g[1]].End]})
	}
	return out, nil
}

// isKeyword reports whether w can be a clause name: letters, digits, '-' and '_'.
func isKeyword(w string) bool {
	for i := 0; i < len(w); i++ {
		c := w[i] | 0x20
		if !('a' <= c && c <= 'z' || '0' <= w[i] && w[i] <= '9' || w[i] == '-' || w[i] == '_') {
			return false
		}
	}
	return w != ""
}

// canonicalKeyword folds BIND's alias: masters is the old name of primaries (9.18 accepts
// both and prints whichever was written).
func canonicalKeyword(kw string) string {
	kw = strings.ToLower(kw)
	if kw == "masters" {
		return "primaries"
	}
	return kw
}

// ParseBlock parses a configuration block as addzone and modzone take it and bindgate's
// registry keeps it ("{ type primary; file "x"; };"), with the same rules as ParseShowzone.
func ParseBlock(block string) (Zone, error) {
	return ParseShowzone("zone . " + block)
}

// Type returns the zone type in lower case, with BIND's old names mapped: master -> primary,
// slave -> secondary. It is "" when the zone has no type statement.
func (z Zone) Type() string {
	switch t := strings.ToLower(z.Arg("type")); t {
	case "master":
		return "primary"
	case "slave":
		return "secondary"
	default:
		return t
	}
}

// Arg returns the first argument of the zone's statement kw (case-insensitive), unquoted:
// "default" for `dnssec-policy "default";`. It is "" when there is no such statement or its
// first argument is not a word or a string (a list, for instance).
func (z Zone) Arg(kw string) string {
	kw = canonicalKeyword(kw)
	for _, s := range z.Statements {
		if canonicalKeyword(s.Keyword) != kw {
			continue
		}
		toks, err := lex(s.Raw)
		if err != nil || len(toks) < 3 || toks[1].Kind != tWord && toks[1].Kind != tString {
			return ""
		}
		return toks[1].Text
	}
	return ""
}

// Has reports whether the zone has a statement with keyword kw (case-insensitive; masters
// and primaries count as one keyword).
func (z Zone) Has(kw string) bool {
	kw = canonicalKeyword(kw)
	for _, s := range z.Statements {
		if canonicalKeyword(s.Keyword) == kw {
			return true
		}
	}
	return false
}

// Block returns the zone's statements, byte for byte, as a one-line block for `rndc
// addzone` or `rndc modzone`: "{ <raw> <raw> … };".
func (z Zone) Block() string {
	raws := make([]string, len(z.Statements))
	for i, s := range z.Statements {
		raws[i] = s.Raw
	}
	return joinBlock(raws)
}

func joinBlock(raws []string) string {
	if len(raws) == 0 {
		return "{ };"
	}
	return "{ " + strings.Join(raws, " ") + " };"
}
