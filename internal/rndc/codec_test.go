package rndc

import (
	"bytes"
	"crypto/hmac"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/google/go-cmp/cmp"
)

// The vectors of docs/rndc-protocol.md §11: key "test" (base64 dGVzdA==), _ser 1,
// _tim 1700000000, _exp 1700000060, type "null".
const (
	signedRequestHex = `055f6374726c0200000033 045f736572 0100000001 31
		045f74696d 010000000a 31373030303030303030
		045f657870 010000000a 31373030303030303630
		055f64617461020000000e 0474797065 0100000004 6e756c6c`

	// The whole hmac-sha256 request frame, 205 bytes, written out from §11.
	sha256FrameHex = `000000c9 00000001
		055f61757468 0200000063 0468736861 0100000059 a3` +
		/* "1iBMLkWBVosaFhc2xk/CuBMH6nKy7Laug1d3SlJ/890=" */ `
		3169424d4c6b5742566f736146686332786b2f437542
		4d48366e4b79374c617567316433536c4a2f3839303d` +
		/* 44 NULs */ `
		0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000` + `
		055f6374726c0200000033 045f736572 0100000001 31
		045f74696d 010000000a 31373030303030303030
		045f657870 010000000a 31373030303030303630
		055f64617461020000000e 0474797065 0100000004 6e756c6c`

	// The response vector: _ctrl { _nonce "12345" }, _data { result "0", text "authenticated" }.
	signedResponseHex = `055f6374726c0200000011 065f6e6f6e6365 0100000005 3132333435
		055f646174610200000024 06726573756c74 0100000001 30 0474657874 010000000d 61757468656e74696361746564`
	responseSHA256 = "i8Fqt+T0R5VcWh9n/278Jw73waqIbtTmqPYYYu2ehSE="
)

var requestMACs = []struct {
	alg bindkey.Algorithm
	b64 string
}{
	{bindkey.HMACSHA224, "g9SuEDAxnFlsNkGk/UynENQvpJZk/UKAlGkYIw=="},
	{bindkey.HMACSHA256, "1iBMLkWBVosaFhc2xk/CuBMH6nKy7Laug1d3SlJ/890="},
	{bindkey.HMACSHA384, "8EQejsGq2DMekLe0P63g9j7q2dJFDxd+RdVcqVjSRZnQdL5QUxejfHmz02wgyPNo"},
	{bindkey.HMACSHA512, "Ek2jOPO44nIJkkovj3t4sQWwUxPpsqamNRdoQlnY2fMZBtgVp7IpZnDXAZRLpS77Rw9haBgtnnLET/yiQG4mGA=="},
}

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

func nullRequest() Table {
	return Table{{"_ctrl", ctrl(1, 1700000000, 0)}, {"_data", Table{{"type", []byte("null")}}}}
}

func nullResponse() Table {
	return Table{
		{"_ctrl", Table{{"_nonce", []byte("12345")}}},
		{"_data", Table{{"result", []byte("0")}, {"text", []byte("authenticated")}}},
	}
}

// frameWith assembles a frame by hand, independently of Marshal: header, an _auth table whose
// hsha is alg followed by sig (NUL-padded to 88 bytes, or as given when longer), then signed.
func frameWith(alg byte, sig string, signed []byte) []byte {
	val := append([]byte{alg}, sig...)
	for len(val) < 89 {
		val = append(val, 0)
	}
	hsha := append([]byte("\x04hsha\x01"), binary.BigEndian.AppendUint32(nil, uint32(len(val)))...)
	hsha = append(hsha, val...)
	body := append([]byte("\x05_auth\x02"), binary.BigEndian.AppendUint32(nil, uint32(len(hsha)))...)
	body = append(body, hsha...)
	body = append(body, signed...)
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(body)+4))
	frame = binary.BigEndian.AppendUint32(frame, 1)
	return append(frame, body...)
}

// signed signs arbitrary (possibly malformed) bytes with crypto/hmac directly.
func signed(k bindkey.Key, b []byte) []byte {
	m := hmac.New(k.Algorithm.New(), k.Secret)
	m.Write(b)
	return frameWith(byte(k.Algorithm), base64.StdEncoding.EncodeToString(m.Sum(nil)), b)
}

func TestMarshalGoldenRequest(t *testing.T) {
	t.Parallel()
	body := unhex(t, signedRequestHex)
	if len(body) != 87 {
		t.Fatalf("vector has %d signed bytes, want 87", len(body))
	}
	if golden := unhex(t, sha256FrameHex); !bytes.Equal(golden, frameWith(163, requestMACs[1].b64, body)) || len(golden) != 205 {
		t.Fatalf("the hand-written sha256 frame (%d bytes) disagrees with frameWith", len(golden))
	}
	for _, tc := range requestMACs {
		t.Run(tc.alg.String(), func(t *testing.T) {
			t.Parallel()
			want := frameWith(byte(tc.alg), tc.b64, body)
			got, err := Marshal(nullRequest(), testKey(tc.alg))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(hex.EncodeToString(want), hex.EncodeToString(got)); diff != "" {
				t.Fatalf("frame (-want +got):\n%s", diff)
			}
			back, err := Unmarshal(got, testKey(tc.alg), 0)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(nullRequest(), back); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResponseVector(t *testing.T) {
	t.Parallel()
	body := unhex(t, signedResponseHex)
	want := frameWith(163, responseSHA256, body)
	if len(want) != 193 {
		t.Fatalf("response frame is %d bytes, want 193", len(want))
	}
	got, err := Marshal(nullResponse(), testKey(bindkey.HMACSHA256))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, got) {
		t.Fatalf("Marshal:\n got %x\nwant %x", got, want)
	}
	// Every algorithm verifies a reply signed independently with crypto/hmac.
	for _, tc := range requestMACs {
		t.Run(tc.alg.String(), func(t *testing.T) {
			tab, err := Unmarshal(signed(testKey(tc.alg), body), testKey(tc.alg), 0)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(nullResponse(), tab); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// nest returns a top-level body whose deepest element is at named's depth d (cc.c: the top
// table is 0, each value and each nested table adds one). Odd d ends in a binary value, even
// d in an empty table.
func nest(d int) []byte {
	var v any = []byte("x")
	levels := d - 1
	if d%2 == 0 {
		v, levels = Table{}, d-2
	}
	for range levels / 2 {
		v = Table{{"t", v}}
	}
	b, err := appendTableBody(nil, Table{{"t", v}})
	if err != nil {
		panic(err)
	}
	return b
}

func TestUnmarshalRejects(t *testing.T) {
	t.Parallel()
	k := testKey(bindkey.HMACSHA256)
	good, err := Marshal(nullRequest(), k)
	if err != nil {
		t.Fatal(err)
	}
	body := good[8+110:]
	b64 := requestMACs[1].b64
	edit := func(f func([]byte)) []byte { b := bytes.Clone(good); f(b); return b }
	otherKey, err := Marshal(nullRequest(), bindkey.Key{Algorithm: bindkey.HMACSHA256, Secret: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	type test struct {
		name  string
		frame []byte
		max   int
		want  error
	}
	tests := []test{
		{"wrong algorithm byte", edit(func(b []byte) { b[8+21] = byte(bindkey.HMACSHA512) }), 0, ErrBadSignature},
		{"md5 algorithm byte", edit(func(b []byte) { b[8+21] = 157 }), 0, ErrBadSignature},
		{"88-byte hsha", shortHsha(t, good), 0, ErrBadSignature},
		{"90-byte hsha", frameWith(163, b64+strings.Repeat("\x00", 45), body), 0, ErrBadSignature},
		{"padding not NUL", frameWith(163, b64+" ", body), 0, ErrBadSignature},
		{"other key", otherKey, 0, ErrBadSignature},
		{"no _auth", signedNoAuth(body), 0, ErrBadSignature},
		{"_auth not first", edit(func(b []byte) { b[9] = 'x' }), 0, ErrBadSignature},
		{"truncated", good[:len(good)-3], 0, ErrProtocol},
		{"trailing byte", append(bytes.Clone(good), 0), 0, ErrProtocol},
		{"short", good[:6], 0, ErrProtocol},
		{"zero length", []byte{0, 0, 0, 0, 0, 0, 0, 1}, 0, ErrProtocol},
		{"version 2", edit(func(b []byte) { b[7] = 2 }), 0, ErrProtocol},
		{"version 0", edit(func(b []byte) { b[7] = 0 }), 0, ErrProtocol},
		{"over max", good, len(good) - 5, ErrProtocol},
		{"type 4", signed(k, []byte("\x01t\x04\x00\x00\x00\x00")), 0, ErrProtocol},
		{"value past the end", signed(k, []byte("\x01t\x01\x00\x00\x00\x09abc")), 0, ErrProtocol},
		{"key past the end", signed(k, []byte("\x09ab")), 0, ErrProtocol},
		{"empty key", signed(k, []byte("\x00\x01\x00\x00\x00\x00")), 0, ErrProtocol},
		{"depth 11", signed(k, nest(11)), 0, ErrProtocol},
		{"depth 12", signed(k, nest(12)), 0, ErrProtocol},
		{"11 nested tables", signed(k, mustBody(Table{{"a", nestTables(11)}})), 0, ErrProtocol},
		{"list depth 11", signed(k, mustBody(Table{{"l", List{List{List{List{List{[]byte("x")}}}}}}})), 0, ErrProtocol},
	}
	for i := 8 + 21; i < len(good); i++ { // the algorithm byte, the 88 signature bytes, everything signed
		tests = append(tests, test{fmt.Sprintf("flip byte %d", i), edit(func(b []byte) { b[i] ^= 0x20 }), 0, ErrBadSignature})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := Unmarshal(tc.frame, k, tc.max)
			if !errors.Is(err, tc.want) || tab != nil {
				t.Fatalf("Unmarshal = %v, %v; want %v", tab, err, tc.want)
			}
		})
	}
	if _, err := Unmarshal(good, bindkey.Key{}, 0); err == nil {
		t.Error("a zero key verified a frame")
	}
}

// The depth limit is named's: 10 passes, 11 fails (see nest).
func TestDepthLimit(t *testing.T) {
	t.Parallel()
	k := testKey(bindkey.HMACSHA384)
	for d := 1; d <= 13; d++ {
		_, err := Unmarshal(signed(k, nest(d)), k, 0)
		if ok := d <= MaxDepth; ok != (err == nil) {
			t.Errorf("depth %d: %v", d, err)
		}
	}
}

func nestTables(n int) Table {
	t := Table{}
	for range n - 1 {
		t = Table{{"t", t}}
	}
	return t
}

func mustBody(t Table) []byte {
	b, err := appendTableBody(nil, t)
	if err != nil {
		panic(err)
	}
	return b
}

// signedNoAuth is a well-formed frame whose first entry is _ctrl.
func signedNoAuth(body []byte) []byte {
	f := binary.BigEndian.AppendUint32(nil, uint32(len(body)+4))
	f = binary.BigEndian.AppendUint32(f, 1)
	return append(f, body...)
}

// shortHsha cuts the hsha value of a Marshal frame to 88 bytes, fixing the lengths.
func shortHsha(t *testing.T, f []byte) []byte {
	t.Helper()
	body := f[8+110:]
	auth := []byte("\x05_auth\x02\x00\x00\x00\x62\x04hsha\x01\x00\x00\x00\x58")
	auth = append(auth, f[8+21:8+109]...)
	out := binary.BigEndian.AppendUint32(nil, uint32(4+len(auth)+len(body)))
	out = binary.BigEndian.AppendUint32(out, 1)
	out = append(out, auth...)
	out = append(out, body...)
	if _, rest, err := decodeEntry(out[8:], 0); err != nil || !bytes.Equal(rest, body) {
		t.Fatalf("shortHsha built a malformed frame: %v", err)
	}
	return out
}

func TestMarshalRejects(t *testing.T) {
	t.Parallel()
	k := testKey(bindkey.HMACSHA256)
	for name, tab := range map[string]Table{
		"_auth given":  {{"_auth", Table{}}},
		"empty key":    {{"", []byte("x")}},
		"long key":     {{strings.Repeat("k", 256), []byte("x")}},
		"unknown type": {{"k", 42}},
	} {
		if _, err := Marshal(tab, k); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Marshal(nullRequest(), bindkey.Key{Algorithm: 161, Secret: []byte("x")}); !errors.Is(err, bindkey.ErrAlgorithm) {
		t.Errorf("sha1 key: %v", err)
	}
}

func FuzzUnmarshal(f *testing.F) {
	k := testKey(bindkey.HMACSHA256)
	req, _ := Marshal(nullRequest(), k)
	resp, _ := Marshal(nullResponse(), k)
	f.Add(req)
	f.Add(resp)
	f.Add(req[:50])
	f.Add(signed(k, nest(10)))
	f.Add(signed(k, nest(11)))
	f.Add([]byte{0, 0, 0, 4, 0, 0, 0, 1})
	for _, tc := range requestMACs {
		f.Add(frameWith(byte(tc.alg), tc.b64, unhex(f, signedRequestHex)))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		tab, err := Unmarshal(frame, k, 1<<16)
		if (err == nil) == (tab == nil) {
			t.Fatalf("table %v with error %v", tab, err)
		}
		if err != nil && !errors.Is(err, ErrProtocol) && !errors.Is(err, ErrBadSignature) {
			t.Fatalf("unclassified error %v", err)
		}
		// The decoder alone, without the signature check in front, must not panic either.
		_, _ = decodeTable(frame, 0)
	})
}
