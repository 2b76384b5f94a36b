package rndc

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/bindgate/bindgate/internal/bindkey"
)

// Value types of ISCCC (lib/isccc/cc.c).
const (
	typeString byte = 0x00 // never sent by BIND; decoded like binary data
	typeBinary byte = 0x01
	typeTable  byte = 0x02
	typeList   byte = 0x03
)

const (
	maxDepth       = 10    // ISCCC_MAXDEPTH
	maxRequest     = 32768 // named: isccc_ccmsg_setmaxsize(…, 32768)
	hshaLen        = 89    // algorithm byte + 88 bytes of NUL-padded base64
	authEntryLen   = 110   // 05 "_auth" 02 len 04 "hsha" 01 len <89>
	defaultMaxResp = 1 << 20
)

// Table is an ordered ISCCC table. Values are []byte, Table or List.
type Table []Entry

// Entry is one key and value of a Table.
type Entry struct {
	Key   string
	Value any
}

// List is an ISCCC list.
type List []any

// Get returns the value under key, or nil.
func (t Table) Get(key string) any {
	for _, e := range t {
		if e.Key == key {
			return e.Value
		}
	}
	return nil
}

// Str returns the binary value under key as a string; ok false when absent or not binary.
func (t Table) Str(key string) (string, bool) {
	b, ok := t.Get(key).([]byte)
	return string(b), ok
}

// Sub returns the table under key, or nil.
func (t Table) Sub(key string) Table {
	s, _ := t.Get(key).(Table)
	return s
}

// encodeValue appends one type/length/value.
func encodeValue(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case []byte:
		dst = append(dst, typeBinary)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(x)))
		return append(dst, x...), nil
	case string:
		return encodeValue(dst, []byte(x))
	case Table:
		body, err := encodeTableBody(nil, x)
		if err != nil {
			return nil, err
		}
		dst = append(dst, typeTable)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(body)))
		return append(dst, body...), nil
	case List:
		var body []byte
		var err error
		for _, e := range x {
			if body, err = encodeValue(body, e); err != nil {
				return nil, err
			}
		}
		dst = append(dst, typeList)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(body)))
		return append(dst, body...), nil
	}
	return nil, fmt.Errorf("%w: cannot encode %T", ErrProtocol, v)
}

func encodeTableBody(dst []byte, t Table) ([]byte, error) {
	var err error
	for _, e := range t {
		if len(e.Key) == 0 || len(e.Key) > 255 {
			return nil, fmt.Errorf("%w: key length %d", ErrProtocol, len(e.Key))
		}
		dst = append(dst, byte(len(e.Key)))
		dst = append(dst, e.Key...)
		if dst, err = encodeValue(dst, e.Value); err != nil {
			return nil, err
		}
	}
	return dst, nil
}

// Marshal encodes a message signed with k: the frame header, the _auth entry, then t's entries
// (which must not contain _auth). The HMAC covers exactly the bytes after the _auth entry
// (lib/isccc/cc.c sign()).
func Marshal(t Table, k bindkey.Key) ([]byte, error) {
	if err := k.Validate(); err != nil {
		return nil, err
	}
	signed, err := encodeTableBody(nil, t)
	if err != nil {
		return nil, err
	}
	frame := make([]byte, 8, 8+authEntryLen+len(signed))
	frame = append(frame, authEntry(k, signed)...)
	frame = append(frame, signed...)
	binary.BigEndian.PutUint32(frame[0:4], uint32(len(frame)-4))
	binary.BigEndian.PutUint32(frame[4:8], 1)
	return frame, nil
}

// authEntry renders `_auth { hsha <alg byte><b64 NUL-padded to 88> }`.
func authEntry(k bindkey.Key, signed []byte) []byte {
	return fmt.Appendf(nil, "\x05_auth\x02%s\x04hsha\x01%s%s",
		be32(hshaLen+10), be32(hshaLen), hsha(k, signed))
}

func hsha(k bindkey.Key, signed []byte) []byte {
	out := make([]byte, hshaLen)
	out[0] = byte(k.Algorithm)
	base64.StdEncoding.Encode(out[1:], k.MAC(signed)) // sha512's 88 characters fill it exactly
	return out
}

func be32(n int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(n)) }

// Unmarshal decodes a whole frame (length word included), verifies its signature with k, and
// returns the top-level table without _auth. It never panics, checks every length against the
// bytes left, caps nesting at 10 and the frame at maxSize.
func Unmarshal(frame []byte, k bindkey.Key, maxSize int) (Table, error) {
	if maxSize <= 0 {
		maxSize = defaultMaxResp
	}
	if len(frame) < 8 {
		return nil, fmt.Errorf("%w: short frame", ErrProtocol)
	}
	n := binary.BigEndian.Uint32(frame[0:4])
	if n < 4 || int64(n) > int64(maxSize) || int(n) != len(frame)-4 {
		return nil, fmt.Errorf("%w: frame length %d", ErrProtocol, n)
	}
	if v := binary.BigEndian.Uint32(frame[4:8]); v != 1 {
		return nil, fmt.Errorf("%w: unknown version %d", ErrProtocol, v)
	}
	body := frame[8:]
	if err := verify(body, k); err != nil {
		return nil, err
	}
	t, err := decodeTable(body[authEntryLen:], 1)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// verify checks that body starts with a well-formed hsha _auth entry whose signature over the
// rest of the body matches k, comparing all 88 bytes in constant time.
func verify(body []byte, k bindkey.Key) error {
	if len(body) < authEntryLen || !bytes.HasPrefix(body, []byte("\x05_auth\x02")) {
		return fmt.Errorf("%w: _auth is not the first entry", ErrBadSignature)
	}
	if binary.BigEndian.Uint32(body[7:11]) != authEntryLen-11 {
		return fmt.Errorf("%w: _auth is not an hsha signature", ErrBadSignature)
	}
	auth, err := decodeTable(body[11:authEntryLen], 2)
	if err != nil {
		return fmt.Errorf("%w: malformed _auth", ErrBadSignature)
	}
	got, ok := auth.Get("hsha").([]byte)
	if !ok || len(got) != hshaLen {
		return fmt.Errorf("%w: no 89-byte hsha", ErrBadSignature)
	}
	if got[0] != byte(k.Algorithm) {
		return fmt.Errorf("%w: algorithm %d, want %d", ErrBadSignature, got[0], byte(k.Algorithm))
	}
	if subtle.ConstantTimeCompare(got, hsha(k, body[authEntryLen:])) != 1 {
		return ErrBadSignature
	}
	return nil
}

func decodeTable(b []byte, depth int) (Table, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: nesting deeper than %d", ErrProtocol, maxDepth)
	}
	var t Table
	for len(b) > 0 {
		kl := int(b[0])
		if kl == 0 || len(b) < 1+kl {
			return nil, fmt.Errorf("%w: truncated key", ErrProtocol)
		}
		key := string(b[1 : 1+kl])
		v, rest, err := decodeValue(b[1+kl:], depth)
		if err != nil {
			return nil, err
		}
		t = append(t, Entry{Key: key, Value: v})
		b = rest
	}
	return t, nil
}

func decodeValue(b []byte, depth int) (any, []byte, error) {
	if len(b) < 5 {
		return nil, nil, fmt.Errorf("%w: truncated value", ErrProtocol)
	}
	typ, n := b[0], binary.BigEndian.Uint32(b[1:5])
	b = b[5:]
	if uint64(n) > uint64(len(b)) {
		return nil, nil, fmt.Errorf("%w: value length %d exceeds %d bytes left", ErrProtocol, n, len(b))
	}
	data, rest := b[:n], b[n:]
	switch typ {
	case typeString, typeBinary:
		return bytes.Clone(data), rest, nil
	case typeTable:
		t, err := decodeTable(data, depth+1)
		return t, rest, err
	case typeList:
		if depth+1 > maxDepth {
			return nil, nil, fmt.Errorf("%w: nesting deeper than %d", ErrProtocol, maxDepth)
		}
		var l List
		for len(data) > 0 {
			v, r, err := decodeValue(data, depth+1)
			if err != nil {
				return nil, nil, err
			}
			l = append(l, v)
			data = r
		}
		return l, rest, nil
	}
	return nil, nil, fmt.Errorf("%w: unknown value type %d", ErrProtocol, typ)
}

// ctrl builds the _ctrl table of a request (RNDC-PROTOCOL.md §3).
func ctrl(ser uint32, now int64, nonce uint32) Table {
	t := Table{
		{"_ser", []byte(strconv.FormatUint(uint64(ser), 10))},
		{"_tim", []byte(strconv.FormatInt(now, 10))},
		{"_exp", []byte(strconv.FormatInt(now+60, 10))},
	}
	if nonce != 0 {
		t = append(t, Entry{"_nonce", []byte(strconv.FormatUint(uint64(nonce), 10))})
	}
	return t
}
