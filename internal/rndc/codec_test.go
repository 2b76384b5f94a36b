package rndc

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/bindgate/bindgate/internal/bindkey"
)

func testKey(alg bindkey.Algorithm) bindkey.Key {
	return bindkey.Key{Name: "test", Algorithm: alg, Secret: []byte("test")}
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The vectors of shared/RNDC-PROTOCOL.md §11: key "test", _ser 1, _tim 1700000000, type null.
const signedRequest = `055f6374726c0200000033 045f736572 0100000001 31
045f74696d 010000000a 31373030303030303030
045f657870 010000000a 31373030303030303630
055f64617461020000000e 0474797065 0100000004 6e756c6c`

func nullRequest() Table {
	return Table{{"_ctrl", ctrl(1, 1700000000, 0)}, {"_data", Table{{"type", []byte("null")}}}}
}

func TestMarshalGoldenVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		alg  bindkey.Algorithm
		want string
	}{
		{bindkey.HMACSHA224, "g9SuEDAxnFlsNkGk/UynENQvpJZk/UKAlGkYIw=="},
		{bindkey.HMACSHA256, "1iBMLkWBVosaFhc2xk/CuBMH6nKy7Laug1d3SlJ/890="},
		{bindkey.HMACSHA384, "8EQejsGq2DMekLe0P63g9j7q2dJFDxd+RdVcqVjSRZnQdL5QUxejfHmz02wgyPNo"},
		{bindkey.HMACSHA512, "Ek2jOPO44nIJkkovj3t4sQWwUxPpsqamNRdoQlnY2fMZBtgVp7IpZnDXAZRLpS77Rw9haBgtnnLET/yiQG4mGA=="},
	}
	signed := unhex(t, signedRequest)
	for _, tc := range tests {
		t.Run(tc.alg.String(), func(t *testing.T) {
			frame, err := Marshal(nullRequest(), testKey(tc.alg))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(frame[8+authEntryLen:], signed) {
				t.Fatalf("signed bytes differ:\n got %x\nwant %x", frame[8+authEntryLen:], signed)
			}
			b64 := bytes.TrimRight(frame[8+22:8+authEntryLen], "\x00")
			if string(b64) != tc.want || frame[8+21] != byte(tc.alg) {
				t.Fatalf("hsha = %d %q, want %d %q", frame[8+21], b64, byte(tc.alg), tc.want)
			}
			if binary.BigEndian.Uint32(frame) != uint32(len(frame)-4) {
				t.Fatal("length word wrong")
			}
			if tc.alg == bindkey.HMACSHA256 && len(frame) != 205 {
				t.Fatalf("sha256 frame is %d bytes, want 205", len(frame))
			}
			got, err := Unmarshal(frame, testKey(tc.alg), 0)
			if err != nil {
				t.Fatal(err)
			}
			if typ, _ := got.Sub("_data").Str("type"); typ != "null" {
				t.Fatalf("round trip lost _data.type: %v", got)
			}
		})
	}
}

// The response vector: _ctrl { _nonce "12345" }, _data { result "0", text "authenticated" }.
func TestUnmarshalResponseVector(t *testing.T) {
	t.Parallel()
	signed := unhex(t, `055f6374726c0200000011 065f6e6f6e6365 0100000005 3132333435
055f646174610200000024 06726573756c74 0100000001 30 0474657874 010000000d 61757468656e74696361746564`)
	frame := buildFrame(t, bindkey.HMACSHA256, "i8Fqt+T0R5VcWh9n/278Jw73waqIbtTmqPYYYu2ehSE=", signed)
	if len(frame) != 193 {
		t.Fatalf("frame is %d bytes, want 193", len(frame))
	}
	tab, err := Unmarshal(frame, testKey(bindkey.HMACSHA256), 0)
	if err != nil {
		t.Fatal(err)
	}
	if txt, _ := tab.Sub("_data").Str("text"); txt != "authenticated" {
		t.Fatalf("text = %q", txt)
	}
}

func buildFrame(t testing.TB, alg bindkey.Algorithm, b64 string, signed []byte) []byte {
	t.Helper()
	sig := make([]byte, 88)
	copy(sig, b64)
	auth := append([]byte("\x05_auth\x02\x00\x00\x00\x63\x04hsha\x01\x00\x00\x00\x59"), byte(alg))
	auth = append(auth, sig...)
	body := append(auth, signed...)
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(body)+4))
	frame = binary.BigEndian.AppendUint32(frame, 1)
	return append(frame, body...)
}

func TestUnmarshalRejects(t *testing.T) {
	t.Parallel()
	k := testKey(bindkey.HMACSHA256)
	good, err := Marshal(nullRequest(), k)
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(f func([]byte) []byte) []byte { return f(bytes.Clone(good)) }
	tests := []struct {
		name  string
		frame []byte
		want  error
	}{
		{"wrong algorithm byte", mutate(func(b []byte) []byte { b[8+21] = byte(bindkey.HMACSHA512); return b }), ErrBadSignature},
		{"wrong key", func() []byte {
			f, _ := Marshal(nullRequest(), bindkey.Key{Algorithm: bindkey.HMACSHA256, Secret: []byte("x")})
			return f
		}(), ErrBadSignature},
		{"truncated", good[:len(good)-3], ErrProtocol},
		{"version 2", mutate(func(b []byte) []byte { b[7] = 2; return b }), ErrProtocol},
		{"short", good[:6], ErrProtocol},
		{"over max", good, ErrProtocol}, // with maxSize 100 below
		{"88-byte hsha", mutate(func(b []byte) []byte { b[8+20] = 0x58; return b }), ErrBadSignature},
		{"no _auth first", mutate(func(b []byte) []byte { b[9] = 'x'; return b }), ErrBadSignature},
	}
	for i := 8 + authEntryLen; i < len(good); i++ {
		f := bytes.Clone(good)
		f[i] ^= 0x01
		tests = append(tests, struct {
			name  string
			frame []byte
			want  error
		}{"flip byte " + base64.StdEncoding.EncodeToString([]byte{byte(i)}), f, nil})
	}
	for _, tc := range tests {
		max := 0
		if tc.name == "over max" {
			max = 100
		}
		_, err := Unmarshal(tc.frame, k, max)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		if tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
		}
		if tc.want == nil && !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrProtocol) {
			t.Errorf("%s: error %v", tc.name, err)
		}
	}
}

func TestDecodeLimits(t *testing.T) {
	t.Parallel()
	// Depth 11 of nested tables is refused; depth 10 is fine.
	nest := func(d int) Table {
		t := Table{{"v", []byte("x")}}
		for range d - 1 {
			t = Table{{"t", t}}
		}
		return t
	}
	for _, c := range []struct {
		depth int
		ok    bool
	}{{10, true}, {11, false}} {
		body, err := encodeTableBody(nil, nest(c.depth))
		if err != nil {
			t.Fatal(err)
		}
		_, err = decodeTable(body, 1)
		if (err == nil) != c.ok {
			t.Errorf("depth %d: err %v", c.depth, err)
		}
	}
	if _, _, err := decodeValue([]byte{4, 0, 0, 0, 0}, 1); !errors.Is(err, ErrProtocol) {
		t.Errorf("type 4 accepted: %v", err)
	}
	if _, _, err := decodeValue([]byte{1, 0xff, 0xff, 0xff, 0xff, 'a'}, 1); !errors.Is(err, ErrProtocol) {
		t.Errorf("huge length accepted: %v", err)
	}
}

func FuzzUnmarshal(f *testing.F) {
	k := testKey(bindkey.HMACSHA256)
	good, _ := Marshal(nullRequest(), k)
	f.Add(good)
	f.Add(good[:50])
	f.Add([]byte{0, 0, 0, 4, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, frame []byte) {
		tab, err := Unmarshal(frame, k, 1<<16)
		if err == nil && tab == nil && len(frame) > 8+authEntryLen {
			t.Fatal("nil table without error")
		}
		// The decoder alone must not panic on anything either.
		_, _ = decodeTable(frame, 1)
	})
}
