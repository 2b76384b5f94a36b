package api

import (
	"encoding"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
)

// strictCheck reads a body that encoding/json has already decoded into a value of type t as
// strictly as bindcar's serde_json does, which encoding/json is not: a key twice in one object
// (encoding/json keeps the last), a key that matches a field of t only when case is ignored
// (encoding/json folds "ZONENAME" into zoneName), and a string that is not valid UTF-8 or holds
// a lone surrogate escape (encoding/json substitutes U+FFFD) are each a 400 naming the field.
// Unknown fields stay ignored (docs/contract.md §3.1).
//
// It is one pass over the bytes beside the type, with no allocation per value: a 2 MiB body
// is checked in a fraction of the time encoding/json takes to decode it (BenchmarkDecodeLargeSync;
// json.Decoder.Token took three times as long as the decode). The body's syntax is already known
// to be valid, so the scanner only tracks structure.
//
// fields caches each struct type's field map across calls (the Server keeps one); nil builds
// them for this call only.
func strictCheck(body []byte, t reflect.Type, fields *fieldCache) error {
	if fields == nil {
		fields = &fieldCache{}
	}
	s := &strictScan{b: body, fields: fields}
	s.ws()
	return s.value(t, nil)
}

type strictScan struct {
	b      []byte
	i      int
	fields *fieldCache
}

// fieldCache maps a struct type to its JSON field names and their types. The maps are built
// once per type and never modified after, so readers share them without a lock: building one
// (reflect.VisibleFields) per request cost more than the rest of the strict check.
type fieldCache struct {
	m sync.Map // reflect.Type -> map[string]reflect.Type
}

// fieldPath is a value's place in the body, rendered only for an error message.
type fieldPath struct {
	parent *fieldPath
	key    string
}

func (p *fieldPath) String() string {
	if p == nil {
		return ""
	}
	if p.parent == nil {
		return p.key
	}
	return p.parent.String() + "." + p.key
}

var errStrictSyntax = errors.New("strict JSON check: unexpected input after a successful decode")

// value checks the value at s.i (no whitespace before it) and leaves s.i after it and any
// whitespace. t is its Go type, or nil where the type says nothing.
func (s *strictScan) value(t reflect.Type, path *fieldPath) error {
	if s.i >= len(s.b) {
		return errStrictSyntax
	}
	switch s.b[s.i] {
	case '{':
		return s.object(elem(t), path)
	case '[':
		t = elem(t)
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			t = t.Elem()
		} else {
			t = nil
		}
		s.i++
		s.ws()
		for s.i < len(s.b) && s.b[s.i] != ']' {
			if err := s.value(t, path); err != nil {
				return err
			}
			if s.i < len(s.b) && s.b[s.i] == ',' {
				s.i++
				s.ws()
			}
		}
		s.i++
	case '"':
		_, _, valid := s.str()
		if !valid {
			return strictError("field " + fieldName(path.String()) + " is not valid UTF-8")
		}
	default: // number, true, false, null
		for s.i < len(s.b) && !strings.ContainsRune(",]} \t\r\n", rune(s.b[s.i])) {
			s.i++
		}
	}
	s.ws()
	return nil
}

func (s *strictScan) object(t reflect.Type, path *fieldPath) error {
	var known map[string]reflect.Type
	var mapElem reflect.Type
	switch {
	case t == nil:
	case t.Kind() == reflect.Struct:
		known = s.structFields(t)
	case t.Kind() == reflect.Map:
		mapElem = t.Elem()
	}
	var seen []string // objects are small; a linear search beats a map until they are not
	var seenMap map[string]struct{}
	s.i++
	s.ws()
	for s.i < len(s.b) && s.b[s.i] != '}' {
		raw, escaped, valid := s.str()
		if !valid {
			where := "the body"
			if path != nil {
				where = path.String()
			}
			return strictError("a field name in " + where + " is not valid UTF-8")
		}
		key := string(raw)
		if escaped {
			if err := json.Unmarshal(s.b[s.i-len(raw)-2:s.i], &key); err != nil {
				return errStrictSyntax
			}
		}
		child := &fieldPath{parent: path, key: key}
		if seenMap == nil && len(seen) >= 16 {
			seenMap = make(map[string]struct{}, 2*len(seen))
			for _, k := range seen {
				seenMap[k] = struct{}{}
			}
		}
		dup := false
		if seenMap != nil {
			_, dup = seenMap[key]
			seenMap[key] = struct{}{}
		} else {
			for _, k := range seen {
				dup = dup || k == key
			}
			seen = append(seen, key)
		}
		if dup {
			return strictError("duplicate field " + fieldName(child.String()))
		}
		ct := mapElem
		if known != nil {
			var ok bool
			if ct, ok = known[key]; !ok {
				for name := range known {
					if strings.EqualFold(name, key) {
						return strictError("unknown field " + fieldName(child.String()) +
							" (names are case-sensitive: " + (&fieldPath{parent: path, key: name}).String() + ")")
					}
				}
			}
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return errStrictSyntax
		}
		s.i++
		s.ws()
		if err := s.value(ct, child); err != nil {
			return err
		}
		if s.i < len(s.b) && s.b[s.i] == ',' {
			s.i++
			s.ws()
		}
	}
	s.i++
	return nil
}

// str reads the string at s.i and returns its raw content (between the quotes), whether it has
// escapes, and whether it is valid: UTF-8 throughout and every \u surrogate escape paired
// (encoding/json would turn both into U+FFFD silently).
func (s *strictScan) str() (raw []byte, escaped, valid bool) {
	start := s.i + 1
	valid, ascii := true, true
	j := start
	for ; j < len(s.b) && s.b[j] != '"'; j++ {
		switch c := s.b[j]; {
		case c >= utf8.RuneSelf:
			ascii = false
		case c == '\\':
			escaped = true
			if j+1 < len(s.b) && s.b[j+1] == 'u' && j+5 < len(s.b) {
				r := hex4(s.b[j+2 : j+6])
				j += 5
				if r >= 0xD800 && r < 0xDC00 { // a high surrogate: a low one must follow
					if j+6 < len(s.b) && s.b[j+1] == '\\' && s.b[j+2] == 'u' {
						if r2 := hex4(s.b[j+3 : j+7]); r2 >= 0xDC00 && r2 <= 0xDFFF {
							j += 6
							continue
						}
					}
					valid = false
				} else if r >= 0xDC00 && r <= 0xDFFF {
					valid = false
				}
			} else {
				j++
			}
		}
	}
	raw = s.b[start:min(j, len(s.b))]
	s.i = j + 1
	if !ascii && !utf8.Valid(raw) {
		valid = false
	}
	return raw, escaped, valid
}

func (s *strictScan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// structFields maps the JSON names encoding/json decodes into t to their types, embedded
// structs flattened.
func (s *strictScan) structFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := s.fields.m.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	for _, f := range reflect.VisibleFields(t) {
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if tag == "-" || f.Anonymous && name == "" && elem(f.Type) != nil && elem(f.Type).Kind() == reflect.Struct {
			continue // skipped, or an embedded struct whose fields are among VisibleFields
		}
		if !f.IsExported() {
			continue
		}
		m[cmpOr(name, f.Name)] = f.Type
	}
	// Two requests may build the same map at once; they are equal, and the first one stored wins.
	got, _ := s.fields.m.LoadOrStore(t, m)
	return got.(map[string]reflect.Type)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// elem dereferences pointers; nil for types whose JSON shape it cannot know (interfaces and
// types with their own unmarshaller).
func elem(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() == reflect.Interface ||
		reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()) ||
		reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
		return nil
	}
	return t
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}

// fieldName is a field path for an error message: a caller's key is echoed, so it is cut to 64
// bytes on a rune boundary.
func fieldName(path string) string {
	if len(path) <= 64 {
		return path
	}
	cut := 64
	for cut > 0 && !utf8.RuneStart(path[cut]) {
		cut--
	}
	return path[:cut] + "…"
}

func strictError(msg string) error {
	return &httpError{status: http.StatusBadRequest, msg: "Invalid request: " + msg}
}
