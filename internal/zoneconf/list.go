package zoneconf

import (
	"net/netip"
	"slices"
	"strings"
)

// list is a statement of the form `keyword [header…] { element; … };`, e.g.
// `allow-transfer port 853 transport "tls" { 10.0.0.1/32; key "k"; };`.
type list struct {
	header     string  // exact text between the keyword and '{' ("" if none)
	headerToks []token // its tokens
	elems      []element
}

// element is one element of a list, without its ';'. It may itself be a nested list.
type element struct {
	raw  string
	toks []token
}

// parseList splits a list statement's elements, respecting nested braces and quotes.
func parseList(raw string) (list, error) {
	var l list
	toks, err := lex(raw)
	if err != nil {
		return l, err
	}
	open := slices.IndexFunc(toks, func(t token) bool { return t.Kind == tOpen })
	if open < 1 || toks[0].Kind != tWord {
		return l, syntaxErr("statement %q is not a list", firstWord(raw))
	}
	end := matchClose(toks, open)
	if end < 0 || end+2 != len(toks) || toks[end+1].Kind != tSemi {
		return l, syntaxErr("statement %q is not a list", firstWord(raw))
	}
	if open > 1 {
		l.header = raw[toks[1].Start:toks[open-1].End]
		l.headerToks = toks[1:open]
	}
	inner := toks[open+1 : end]
	gs, err := groups(inner)
	if err != nil {
		return l, err
	}
	for _, g := range gs {
		et := inner[g[0]:g[1]]
		l.elems = append(l.elems, element{raw: raw[et[0].Start:et[len(et)-1].End], toks: et})
	}
	return l, nil
}

// isKey reports whether e is a `key "name"` element: a TSIG key grant, which a PATCH of
// allowTransfer or allowUpdate keeps ([fix] docs/contract.md §10, §18.11).
func (e element) isKey() bool {
	return len(e.toks) == 2 && e.toks[0].Kind == tWord && strings.EqualFold(e.toks[0].Text, "key") &&
		(e.toks[1].Kind == tString || e.toks[1].Kind == tWord)
}

// hasKey reports whether e carries `key "name"` (an also-notify or primaries entry's key).
func (e element) hasKey(name string) bool {
	for i := 0; i+1 < len(e.toks); i++ {
		t, k := e.toks[i], e.toks[i+1]
		if t.Kind == tWord && strings.EqualFold(t.Text, "key") && (k.Kind == tString || k.Kind == tWord) &&
			strings.EqualFold(k.Text, name) {
			return true
		}
	}
	return false
}

func firstWord(raw string) string {
	if f := strings.Fields(raw); len(f) > 0 {
		return f[0]
	}
	return ""
}

// equivalent reports whether two statements mean the same to BIND, comparing parsed values
// rather than text: showzone prints the bare address bindgate rendered as 10.0.0.7/32 and
// `none` as "none", and must not count as a change (docs/contract.md §10). Only folds known to be
// safe are made, so a false "different" costs one needless modzone, never a lost change.
func equivalent(a, b string) bool {
	ca, errA := canon(a)
	cb, errB := canon(b)
	return errA == nil && errB == nil && ca == cb
}

// canon is the comparison form of a statement: keyword aliases folded (masters ->
// primaries), addresses and prefixes parsed (host prefixes folded to addresses), quoted and
// unquoted strings alike, inline-signing booleans folded, and the elements of an
// allow-transfer or allow-update without negation compared as a set (order cannot matter
// when every element grants).
func canon(raw string) (string, error) {
	toks, err := lex(raw)
	if err != nil || len(toks) == 0 {
		return "", syntaxErr("empty statement")
	}
	kw := canonicalKeyword(toks[0].Text)
	switch kw {
	case "allow-transfer", "allow-update":
		l, err := parseList(raw)
		if err != nil {
			return "", err
		}
		elems := make([]string, len(l.elems))
		negated := false
		for i, e := range l.elems {
			elems[i] = normToks(e.toks)
			negated = negated || slices.ContainsFunc(e.toks, func(t token) bool { return t.Kind == tBang })
		}
		if !negated {
			slices.Sort(elems)
			elems = slices.Compact(elems)
		}
		return kw + " " + normToks(l.headerToks) + " { " + strings.Join(elems, " ; ") + " }", nil
	case "inline-signing":
		if len(toks) == 3 && toks[1].Kind == tWord && toks[2].Kind == tSemi {
			switch strings.ToLower(toks[1].Text) {
			case "yes", "true", "1":
				return kw + " yes", nil
			case "no", "false", "0":
				return kw + " no", nil
			}
		}
	}
	return kw + " " + normToks(toks[1:]), nil
}

func normToks(toks []token) string {
	parts := make([]string, len(toks))
	for i, t := range toks {
		parts[i] = normTok(t)
	}
	return strings.Join(parts, " ")
}

func normTok(t token) string {
	switch t.Kind {
	case tString:
		return "t:" + t.Text
	case tWord:
		if a, err := netip.ParseAddr(t.Text); err == nil {
			return "@" + a.String()
		}
		if p, err := netip.ParsePrefix(t.Text); err == nil {
			if p.IsSingleIP() {
				return "@" + p.Addr().String()
			}
			return "@" + p.String()
		}
		return "t:" + t.Text
	default:
		return t.Text
	}
}
