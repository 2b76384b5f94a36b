package bindkey

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestParseAlgorithm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Algorithm
		ok   bool
	}{
		{"hmac-sha256", HMACSHA256, true},
		{"HMAC-SHA256", HMACSHA256, true},
		{"sha512", HMACSHA512, true},
		{" hmac-sha224 ", HMACSHA224, true},
		{"hmac-sha384", HMACSHA384, true},
		{"hmac-md5", 0, false},
		{"hmac-sha1", 0, false},
		{"sha3", 0, false},
		{"", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseAlgorithm(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseAlgorithm(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestKeyRedacts(t *testing.T) {
	t.Parallel()
	secret := "c2VjcmV0LXZhbHVlLXNob3VsZC1uZXZlci1sZWFr"
	raw, err := DecodeSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	k := Key{Name: "k", Algorithm: HMACSHA256, Secret: raw}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "key", k)
	js, _ := json.Marshal(struct{ K Key }{k})
	txt, _ := k.MarshalText()
	outs := []string{string(js), string(txt), fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s %q %x", k, k, k, k, k, k), k.String(), k.GoString(), buf.String()}
	for _, o := range outs {
		if strings.Contains(o, secret) || strings.Contains(o, string(raw)) || strings.Contains(o, fmt.Sprintf("%x", raw)) {
			t.Errorf("secret leaked in %q", o)
		}
	}
}

func TestDecodeSecret(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "   ", "!!!", "abc"} {
		if _, err := DecodeSecret(bad); err == nil {
			t.Errorf("DecodeSecret(%q) accepted", bad)
		}
	}
	if b, err := DecodeSecret("dGVzdA=="); err != nil || string(b) != "test" {
		t.Errorf("DecodeSecret(dGVzdA==) = %q, %v", b, err)
	}
}
