package zoneconf

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrNotText means a secondary's block sets a masterfile-format other than text (raw, map):
// named would not read a text zone file written for it. It is bindgate's concern, not the
// caller's, so it does not match ErrInvalid.
var ErrNotText = errors.New("the zone's masterfile-format is not text")

// textFormat is what makes named 9.18 read a secondary's file as text: its default
// masterfile-format for secondaries is raw (text for primaries).
const textFormat = "masterfile-format text;"

// TextFile returns a secondary's block with what named needs to load a text zone file at
// once, for a restore that writes the zone's data itself instead of waiting for a transfer
// from the primaries: `file "<file>";` unless the block names a file already (path is then
// that one), and `masterfile-format text;` unless the block sets masterfile-format. Neither is
// ever added twice, so a block that went through an earlier restore and a PATCH (Merge keeps
// both statements byte for byte) comes back unchanged. Both statements are bindgate's, like
// its also-notify entry: no API field reads or sets them, and a PATCH keeps them.
//
// Errors: ErrSyntax when block does not parse, ErrNotText when it sets another format, and a
// plain error for a zone that is not a secondary or a file path named could not be given.
func TextFile(block, file string) (out, path string, err error) {
	z, err := ParseBlock(block)
	if err != nil {
		return "", "", err
	}
	if z.Type() != "secondary" {
		return "", "", fmt.Errorf("zoneconf: TextFile of a zone that is %s", typeName(z.Type()))
	}
	if f := strings.ToLower(z.Arg("masterfile-format")); f != "" && f != "text" {
		return "", "", fmt.Errorf("%w: %s", ErrNotText, f)
	}
	path = z.Arg("file")
	var add []string
	if path == "" {
		if !strings.HasPrefix(file, "/") || strings.ContainsFunc(file, unsafePathRune) {
			return "", "", errors.New("zoneconf: the zone file path must be absolute and free of quotes, backslashes and control characters")
		}
		path = file
		add = append(add, `file "`+file+`";`)
	}
	if !z.Has("masterfile-format") {
		add = append(add, textFormat)
	}
	if len(add) == 0 {
		return block, path, nil
	}
	// After the type statement, where BIND's clause order puts file; showzone reorders anyway.
	raws := make([]string, 0, len(z.Statements)+len(add))
	at := slices.IndexFunc(z.Statements, func(s Statement) bool { return s.Keyword == "type" })
	for i, st := range z.Statements {
		raws = append(raws, st.Raw)
		if i == at {
			raws = append(raws, add...)
		}
	}
	out = joinBlock(raws)
	if len(out) > maxBlock {
		return "", "", tooLarge(len(out))
	}
	return out, path, nil
}
