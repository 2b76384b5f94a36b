package zoneconf

// Modification names the statements a PATCH changes (docs/contract.md §10); nil fields are left
// alone. Lists hold values from ParseEndpoints and ParseACL.
type Modification struct {
	AlsoNotify    *[]Endpoint // replaces the list; empty removes also-notify
	AllowTransfer *[]ACLEntry // replaces all but key elements; nothing left -> { none; }
	AllowUpdate   *[]ACLEntry // primaries only; replaces all but key elements; nothing left removes it
	Primaries     *[]Endpoint // secondaries only; non-empty; replaces primaries or masters
	DNSSECPolicy  *string     // sets dnssec-policy "<p>"; IsIdentifier
	InlineSigning *bool       // sets inline-signing yes|no
	// SelfNotify is bindgate's own also-notify entry (Spec.SelfNotify). When set, the zone's
	// also-notify ends up holding it first and exactly once: an AlsoNotify replacement keeps
	// it, and without AlsoNotify the current list gets it (replacing an older entry of the
	// same key, e.g. another port). Entries carrying its key are never shown to or taken from
	// callers (ParseEndpoints refuses keys), so this is how it stays invisible.
	SelfNotify *NotifyTarget
}

// Merge applies m to z and returns the block for `rndc modzone <zone> <block>`.
//
//   - Statements m does not name are re-emitted byte for byte, in showzone's order ([fix]
//     docs/contract.md §10, §18.8): CIDRs, ports, keys, TLS, any/none, named ACLs, update-policy,
//     unknown options.
//   - A replaced statement stays where it was; a new one is appended in §7.1's order.
//   - A keyword appears at most once. BIND refuses a repeated clause ("'also-notify'
//     redefined"), so showzone text that repeats one is not BIND's and fails with ErrSyntax.
//     The one pair 9.18 does accept, masters beside primaries, is left alone unless m
//     names primaries; then a single primaries statement replaces both.
//   - allowTransfer and allowUpdate keep the list's `key "…"` elements (first) and its
//     header (allow-transfer's `port …`/`transport …` filter). alsoNotify and primaries
//     replace the whole list, header and per-server key/tls options included.
//
// changed is false when every statement m names means the same, by parsed value, as the
// zone's current one (showzone's 10.0.0.7/32 equals a rendered 10.0.0.7); the caller then
// skips modzone. Errors: ErrNotPrimary, ErrNotSecondary, ErrUpdatePolicy and other input
// errors (all matching ErrInvalid), ErrTooLarge for a changed block over ~32000 bytes, and
// ErrSyntax when z's text must be read and cannot be.
func Merge(z Zone, m Modification) (block string, changed bool, err error) {
	seen := make(map[string]bool, len(z.Statements))
	for _, st := range z.Statements {
		if seen[st.Keyword] {
			return "", false, syntaxErr("keyword %q appears twice", st.Keyword)
		}
		seen[st.Keyword] = true
	}
	repl, err := replacements(z, m)
	if err != nil {
		return "", false, err
	}

	out := make([]string, 0, len(z.Statements)+len(repl))
	placed := make(map[string]bool, len(repl))
	for _, st := range z.Statements {
		kw := canonicalKeyword(st.Keyword)
		r, named := repl[kw]
		switch {
		case !named:
			out = append(out, st.Raw)
		case placed[kw]:
			changed = true // the masters of a masters+primaries pair
		default:
			placed[kw] = true
			if r == "" {
				changed = true
				continue
			}
			out = append(out, r)
			changed = changed || !equivalent(st.Raw, r)
		}
	}
	// Statements the zone did not have go last, in docs/contract.md §7.1's order.
	for _, kw := range [...]string{"primaries", "allow-update", "also-notify", "allow-transfer", "max-ixfr-ratio", "notify-delay", "dnssec-policy", "inline-signing"} {
		if r, ok := repl[kw]; ok && !placed[kw] && r != "" {
			out = append(out, r)
			changed = true
		}
	}
	block = joinBlock(out)
	if changed && len(block) > maxBlock {
		return "", false, tooLarge(len(block))
	}
	return block, changed, nil
}

// replacements returns the new text of every statement m names, by canonical keyword; ""
// means remove it.
func replacements(z Zone, m Modification) (map[string]string, error) {
	typ := z.Type()
	repl := map[string]string{}
	if m.Primaries != nil {
		if typ != "secondary" {
			return nil, invalidKind(ErrNotSecondary, "primaries applies to secondary zones only; this zone is %s", typeName(typ))
		}
		if len(*m.Primaries) == 0 {
			return nil, invalid("primaries must not be empty")
		}
		if err := checkEndpoints("primaries", *m.Primaries); err != nil {
			return nil, err
		}
		// Written as primaries even where the zone said masters (9.18's name).
		repl["primaries"] = endpointList("primaries", *m.Primaries)
	}
	if m.AllowUpdate != nil {
		if typ != "primary" {
			return nil, invalidKind(ErrNotPrimary, "allowUpdate applies to primary zones only; this zone is %s", typeName(typ))
		}
		if z.Has("update-policy") {
			return nil, invalidKind(ErrUpdatePolicy, "the zone uses update-policy; allowUpdate cannot be combined with it")
		}
		r, err := aclReplacement(z, "allow-update", *m.AllowUpdate, false)
		if err != nil {
			return nil, err
		}
		repl["allow-update"] = r
	}
	if m.AllowTransfer != nil {
		r, err := aclReplacement(z, "allow-transfer", *m.AllowTransfer, true)
		if err != nil {
			return nil, err
		}
		repl["allow-transfer"] = r
	}
	if m.AlsoNotify != nil || m.SelfNotify != nil {
		r, err := notifyReplacement(z, m.AlsoNotify, m.SelfNotify)
		if err != nil {
			return nil, err
		}
		repl["also-notify"] = r
	}
	if m.SelfNotify != nil && !z.Has("notify-delay") {
		repl["notify-delay"] = selfNotifyDelay
	}
	if m.SelfNotify != nil && !z.Has("max-ixfr-ratio") {
		repl["max-ixfr-ratio"] = selfIXFRRatio
	}
	if m.DNSSECPolicy != nil {
		if !IsIdentifier(*m.DNSSECPolicy) {
			return nil, invalid("dnssecPolicy must match [A-Za-z0-9._-]{1,253}")
		}
		repl["dnssec-policy"] = policyStatement(*m.DNSSECPolicy)
	}
	if m.InlineSigning != nil {
		repl["inline-signing"] = yesNo("inline-signing", *m.InlineSigning)
	}
	return repl, nil
}

// aclReplacement renders kw with entries, keeping the current statement's key elements and
// header. With nothing left it is "{ none; }" when noneIfEmpty, else removed ("").
func aclReplacement(z Zone, kw string, entries []ACLEntry, noneIfEmpty bool) (string, error) {
	if err := checkACL(kw, entries); err != nil {
		return "", err
	}
	var cur list
	for _, st := range z.Statements {
		if st.Keyword == kw {
			l, err := parseList(st.Raw)
			if err != nil {
				return "", err
			}
			cur = l
		}
	}
	var keys []string
	for _, e := range cur.elems {
		if e.isKey() {
			keys = append(keys, e.raw)
		}
	}
	if len(keys)+len(entries) == 0 && !noneIfEmpty {
		return "", nil
	}
	return aclList(kw, cur.header, keys, entries), nil
}

// notifyReplacement renders also-notify: eps (or, when nil, the current entries other than
// bindgate's) after bindgate's own entry self, if any. With nothing left it is removed ("").
func notifyReplacement(z Zone, eps *[]Endpoint, self *NotifyTarget) (string, error) {
	var kept []string
	if self != nil {
		if err := self.check(); err != nil {
			return "", err
		}
		kept = []string{self.String()}
	}
	if eps != nil {
		if err := checkEndpoints("also-notify", *eps); err != nil {
			return "", err
		}
		if len(kept)+len(*eps) == 0 {
			return "", nil
		}
		return notifyList("", kept, *eps), nil
	}
	var cur list
	found := false
	for _, st := range z.Statements {
		if st.Keyword == "also-notify" {
			l, err := parseList(st.Raw)
			if err != nil {
				return "", err
			}
			cur, found = l, true
		}
	}
	if !found {
		return notifyList("", kept, nil), nil
	}
	for _, e := range cur.elems {
		if !e.hasKey(self.Key) {
			kept = append(kept, e.raw)
		}
	}
	return notifyList(cur.header, kept, nil), nil
}

// HasSelfNotify reports whether z's also-notify holds exactly bindgate's entry self and z has
// the statements that go with it (notify-delay, max-ixfr-ratio), as Render or Merge wrote
// them: a reconcile adds what is missing to zones that lack it, once.
func HasSelfNotify(z Zone, self NotifyTarget) bool {
	if !z.Has("notify-delay") || !z.Has("max-ixfr-ratio") {
		return false
	}
	for _, st := range z.Statements {
		if st.Keyword != "also-notify" {
			continue
		}
		l, err := parseList(st.Raw)
		if err != nil {
			return false
		}
		want := normToks(mustLex(self.String()))
		n := 0
		ok := false
		for _, e := range l.elems {
			if e.hasKey(self.Key) {
				n++
				ok = ok || normToks(e.toks) == want
			}
		}
		return ok && n == 1
	}
	return false
}

func mustLex(s string) []token {
	toks, _ := lex(s)
	return toks
}

func typeName(t string) string {
	if t == "" {
		return "of no type"
	}
	return t
}
