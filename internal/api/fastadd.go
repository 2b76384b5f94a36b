package api

import "github.com/bindgate/bindgate/internal/records"

// decodeAddFast decodes the body of POST /zones/{name}/records into dst when it has the plain
// shape clients send (one object; keys among the five fields of records.AddRequest, spelled
// exactly and each once; printable ASCII strings without escapes; unsigned integers in range;
// JSON whitespace anywhere between tokens) and reports whether it did. Every body it decodes
// is one decodeBody decodes to the same value without error; anything else (null, escapes,
// other keys, a number out of range, a syntax error, ...) it leaves to decodeBody, which then
// gives exactly the answer it always gave. It spares the one write route that runs thousands
// of times a second (issue 13: 64 writers) encoding/json's reflection and the strict check's
// second pass; FuzzDecodeAddFast holds it to that promise.
func decodeAddFast(body []byte, dst *records.AddRequest) bool {
	p := fastScan{b: body}
	p.ws()
	if !p.byte('{') {
		return false
	}
	var out records.AddRequest
	p.ws()
	if p.byte('}') {
		return p.done(dst, out)
	}
	for {
		p.ws()
		key, ok := p.str()
		if !ok {
			return false
		}
		p.ws()
		if !p.byte(':') {
			return false
		}
		p.ws()
		switch key {
		case "name", "type", "value":
			field := &out.Name
			switch key {
			case "type":
				field = &out.Type
			case "value":
				field = &out.Value
			}
			if *field != nil { // a duplicate: decodeBody answers it
				return false
			}
			v, ok := p.str()
			if !ok {
				return false
			}
			*field = &v
		case "ttl":
			n, ok := p.uint(1<<32 - 1)
			if !ok || out.TTL != nil {
				return false
			}
			ttl := uint32(n)
			out.TTL = &ttl
		case "priority":
			n, ok := p.uint(1<<16 - 1)
			if !ok || out.Priority != nil {
				return false
			}
			prio := uint16(n)
			out.Priority = &prio
		default:
			return false
		}
		p.ws()
		if p.byte('}') {
			return p.done(dst, out)
		}
		if !p.byte(',') {
			return false
		}
	}
}

// fastScan reads the plain JSON decodeAddFast takes.
type fastScan struct {
	b []byte
	i int
}

func (p *fastScan) ws() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *fastScan) byte(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// end reports whether only whitespace follows.
func (p *fastScan) end() bool {
	p.ws()
	return p.i == len(p.b)
}

// done stores out in dst when only whitespace follows the object, and reports whether it did:
// a body the fast path leaves goes to decodeBody with dst untouched.
func (p *fastScan) done(dst *records.AddRequest, out records.AddRequest) bool {
	if !p.end() {
		return false
	}
	*dst = out
	return true
}

// str reads a string of printable ASCII without escapes.
func (p *fastScan) str() (string, bool) {
	if !p.byte('"') {
		return "", false
	}
	start := p.i
	for ; p.i < len(p.b); p.i++ {
		switch c := p.b[p.i]; {
		case c == '"':
			s := string(p.b[start:p.i])
			p.i++
			return s, true
		case c < 0x20 || c > 0x7e || c == '\\':
			return "", false
		}
	}
	return "", false
}

// uint reads a JSON integer without sign, fraction or exponent that is at most max.
func (p *fastScan) uint(max uint64) (uint64, bool) {
	start := p.i
	var n uint64
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		if p.i-start >= 10 { // more digits than any value up to 1<<32-1 has
			return 0, false
		}
		n = n*10 + uint64(p.b[p.i]-'0')
		p.i++
	}
	digits := p.i - start
	switch {
	case digits == 0, digits > 1 && p.b[start] == '0', n > max:
		return 0, false
	case p.i < len(p.b) && (p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E'):
		return 0, false
	}
	return n, true
}
