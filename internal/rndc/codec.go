package rndc

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	"github.com/bindgate/bindgate/internal/bindkey"
)

// Value types of ISCCC (lib/isccc/cc.c, ISCCC_CCMSGTYPE_*).
const (
	typeString byte = 0x00 // never sent by BIND; decoded like binary data
	typeBinary byte = 0x01
	typeTable  byte = 0x02
	typeList   byte = 0x03
)

const (
	// MaxDepth is ISCCC_MAXDEPTH. named counts depth as cc.c does: the top-level table is at
	// depth 0 and every value and every nested table or list adds one, so a value inside the
	// top-level table is at depth 1, the _data table at 2 and its entries at 3. Deeper is an
	// error.
	MaxDepth = 10
	// MaxRequest is the largest request length word named accepts (controlconf.c,
	// isccc_ccmsg_setmaxsize(…, 32768)); the frame is 4 bytes longer.
	MaxRequest = 32768
	// DefaultMaxResponse caps a reply's length word when the caller gives no cap.
	DefaultMaxResponse = 1 << 20

	hshaLen  = 89 // algorithm byte + base64 NUL-padded to 88 bytes
	b64Len   = 88
	authKey  = "_auth"
	hshaKey  = "hsha"
	frameHdr = 8 // length word + version word
)

// Table is an ordered ISCCC table. Values are []byte (or string when marshalling), Table or
// List. Order matters only for the bytes on the wire, which the HMAC covers.
type Table []Entry

// Entry is one key and value of a Table.
type Entry struct {
	Key   string
	Value any
}

// List is an ISCCC list of values.
type List []any

// Get returns the first value under key, or nil.
func (t Table) Get(key string) any {
	for _, e := range t {
		if e.Key == key {
			return e.Value
		}
	}
	return nil
}

// Str returns the binary value under key as a string; ok is false when it is absent or not
// binary.
func (t Table) Str(key string) (s string, ok bool) {
	switch v := t.Get(key).(type) {
	case []byte:
		return string(v), true
	case string:
		return v, true
	}
	return "", false
}

// Sub returns the table under key, or nil.
func (t Table) Sub(key string) Table {
	s, _ := t.Get(key).(Table)
	return s
}

// Marshal encodes the message t signed with k: the length and version words, the _auth entry
// (hsha: the algorithm byte and the base64 HMAC NUL-padded to 88 bytes), then t's entries,
// which must not include _auth. The HMAC covers exactly the bytes after the _auth entry
// (lib/isccc/cc.c isccc_cc_towire and sign). Marshal does not enforce named's 32 KiB request
// limit; the client does.
func Marshal(t Table, k bindkey.Key) ([]byte, error) {
	if err := k.Validate(); err != nil {
		return nil, fmt.Errorf("rndc: signing key: %w", err)
	}
	if t.Get(authKey) != nil {
		return nil, fmt.Errorf("%w: the message already has %s", ErrProtocol, authKey)
	}
	signed, err := appendTableBody(nil, t)
	if err != nil {
		return nil, err
	}
	auth, err := appendTableBody(nil, Table{{authKey, Table{{hshaKey, hsha(k, signed)}}}})
	if err != nil {
		return nil, err
	}
	n := 4 + len(auth) + len(signed)
	if uint64(n) > math.MaxUint32 {
		return nil, fmt.Errorf("%w: message of %d bytes", ErrProtocol, n)
	}
	frame := make([]byte, 0, 4+n)
	frame = binary.BigEndian.AppendUint32(frame, uint32(n))
	frame = binary.BigEndian.AppendUint32(frame, 1)
	frame = append(frame, auth...)
	return append(frame, signed...), nil
}

// hsha renders the 89-byte hsha value for the signed bytes.
func hsha(k bindkey.Key, signed []byte) []byte {
	out := make([]byte, hshaLen)
	out[0] = byte(k.Algorithm)
	base64.StdEncoding.Encode(out[1:], k.MAC(signed)) // sha512's 88 characters fill it exactly
	return out
}

func appendValue(dst []byte, v any) ([]byte, error) {
	var typ byte
	var body []byte
	var err error
	switch x := v.(type) {
	case []byte:
		typ, body = typeBinary, x
	case string:
		typ, body = typeBinary, []byte(x)
	case Table:
		typ = typeTable
		body, err = appendTableBody(nil, x)
	case List:
		typ = typeList
		for _, e := range x {
			if body, err = appendValue(body, e); err != nil {
				break
			}
		}
	default:
		return nil, fmt.Errorf("%w: cannot encode %T", ErrProtocol, v)
	}
	if err != nil {
		return nil, err
	}
	if uint64(len(body)) > math.MaxUint32 {
		return nil, fmt.Errorf("%w: value of %d bytes", ErrProtocol, len(body))
	}
	dst = append(dst, typ)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(body)))
	return append(dst, body...), nil
}

func appendTableBody(dst []byte, t Table) ([]byte, error) {
	var err error
	for _, e := range t {
		if len(e.Key) == 0 || len(e.Key) > 255 {
			return nil, fmt.Errorf("%w: key length %d", ErrProtocol, len(e.Key))
		}
		dst = append(dst, byte(len(e.Key)))
		dst = append(dst, e.Key...)
		if dst, err = appendValue(dst, e.Value); err != nil {
			return nil, err
		}
	}
	return dst, nil
}

// Unmarshal decodes one whole frame (length word included), verifies its signature with k and
// returns the top-level table without _auth. maxSize caps the length word (DefaultMaxResponse
// when <= 0).
//
// Malformed input is ErrProtocol: a length word that is zero, above maxSize or not the frame's
// size, a version other than 1, any length running past the bytes left, a value type above 3,
// nesting deeper than MaxDepth. A signature problem is ErrBadSignature: _auth missing or not
// first, no 89-byte hsha, another algorithm byte, or an HMAC that differs in any of its 88
// bytes (compared in constant time, NUL padding included). The signature is checked over the
// raw bytes before the rest is decoded. Unmarshal never panics, and allocates in proportion
// to the frame's size.
func Unmarshal(frame []byte, k bindkey.Key, maxSize int) (Table, error) {
	if err := k.Validate(); err != nil {
		return nil, fmt.Errorf("rndc: verifying key: %w", err)
	}
	if maxSize <= 0 {
		maxSize = DefaultMaxResponse
	}
	if len(frame) < frameHdr {
		return nil, fmt.Errorf("%w: frame of %d bytes", ErrProtocol, len(frame))
	}
	n := binary.BigEndian.Uint32(frame[0:4])
	if n < 4 || uint64(n) > uint64(maxSize) || uint64(n) != uint64(len(frame)-4) {
		return nil, fmt.Errorf("%w: length word %d for a frame of %d bytes (cap %d)", ErrProtocol, n, len(frame), maxSize)
	}
	if v := binary.BigEndian.Uint32(frame[4:8]); v != 1 {
		return nil, fmt.Errorf("%w: unknown version %d", ErrProtocol, v)
	}
	body := frame[frameHdr:]
	signed, err := verify(body, k)
	if err != nil {
		return nil, err
	}
	return decodeTable(signed, 0)
}

// verify checks that body starts with an _auth entry carrying an hsha signature of the bytes
// after that entry, and returns those bytes.
func verify(body []byte, k bindkey.Key) ([]byte, error) {
	first, rest, err := decodeEntry(body, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: first entry: %w", ErrBadSignature, err)
	}
	if first.Key != authKey {
		return nil, fmt.Errorf("%w: %s is not the first entry", ErrBadSignature, authKey)
	}
	auth, ok := first.Value.(Table)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not a table", ErrBadSignature, authKey)
	}
	got, ok := auth.Get(hshaKey).([]byte)
	if !ok || len(got) != hshaLen {
		return nil, fmt.Errorf("%w: no %d-byte hsha", ErrBadSignature, hshaLen)
	}
	if got[0] != byte(k.Algorithm) {
		return nil, fmt.Errorf("%w: algorithm %d, want %d", ErrBadSignature, got[0], byte(k.Algorithm))
	}
	want := hsha(k, rest)
	if subtle.ConstantTimeCompare(got[1:], want[1:]) != 1 {
		return nil, fmt.Errorf("%w: HMAC mismatch", ErrBadSignature)
	}
	return rest, nil
}

// decodeTable decodes the entries of a table body at depth (0 for the top level).
func decodeTable(b []byte, depth int) (Table, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("%w: nesting deeper than %d", ErrProtocol, MaxDepth)
	}
	t := Table{}
	for len(b) > 0 {
		e, rest, err := decodeEntry(b, depth)
		if err != nil {
			return nil, err
		}
		t = append(t, e)
		b = rest
	}
	return t, nil
}

// decodeEntry decodes `keylen key value` of a table at depth.
func decodeEntry(b []byte, depth int) (Entry, []byte, error) {
	if len(b) < 1 {
		return Entry{}, nil, fmt.Errorf("%w: truncated key", ErrProtocol)
	}
	kl := int(b[0])
	if kl == 0 || len(b)-1 < kl {
		return Entry{}, nil, fmt.Errorf("%w: key length %d with %d bytes left", ErrProtocol, kl, len(b)-1)
	}
	key := string(b[1 : 1+kl])
	v, rest, err := decodeValue(b[1+kl:], depth+1)
	if err != nil {
		return Entry{}, nil, err
	}
	return Entry{Key: key, Value: v}, rest, nil
}

// decodeValue decodes one `type len data` at depth and returns the bytes after it.
func decodeValue(b []byte, depth int) (any, []byte, error) {
	if depth > MaxDepth {
		return nil, nil, fmt.Errorf("%w: nesting deeper than %d", ErrProtocol, MaxDepth)
	}
	if len(b) < 5 {
		return nil, nil, fmt.Errorf("%w: truncated value header", ErrProtocol)
	}
	typ, n := b[0], binary.BigEndian.Uint32(b[1:5])
	b = b[5:]
	if uint64(n) > uint64(len(b)) {
		return nil, nil, fmt.Errorf("%w: value length %d with %d bytes left", ErrProtocol, n, len(b))
	}
	data, rest := b[:n], b[n:]
	switch typ {
	case typeString, typeBinary:
		return bytes.Clone(data), rest, nil
	case typeTable:
		t, err := decodeTable(data, depth+1)
		return t, rest, err
	case typeList:
		l, err := decodeList(data, depth+1)
		return l, rest, err
	}
	return nil, nil, fmt.Errorf("%w: unknown value type %d", ErrProtocol, typ)
}

func decodeList(b []byte, depth int) (List, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("%w: nesting deeper than %d", ErrProtocol, MaxDepth)
	}
	l := List{}
	for len(b) > 0 {
		v, rest, err := decodeValue(b, depth+1)
		if err != nil {
			return nil, err
		}
		l = append(l, v)
		b = rest
	}
	return l, nil
}

// ctrl builds the _ctrl table of a request (docs/rndc-protocol.md §3, §5): _ser, _tim, _exp =
// _tim+60, and _nonce on every message after the handshake.
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
