package auth

import (
	"errors"
	"net/http/httptest"
	"testing"
)

func TestStatic(t *testing.T) {
	t.Parallel()
	a := NewStatic("s3cret-token")
	tests := []struct {
		header, reason string
	}{
		{"Bearer s3cret-token", ""},
		{"bearer s3cret-token", ""},
		{"BEARER  s3cret-token ", ""},
		{"", "missing"},
		{"Basic czNjcmV0LXRva2Vu", "scheme"},
		{"s3cret-token", "scheme"},
		{"Bearer ", "empty"},
		{"Bearer x", "mismatch"}, // presence-only tokens are never accepted
		{"Bearer s3cret-token2", "mismatch"},
		{"Bearer s3cret-toke", "mismatch"},
	}
	for _, tc := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		_, err := a.Authenticate(r)
		if tc.reason == "" && err != nil || tc.reason != "" && (!errors.Is(err, ErrUnauthenticated) || Reason(err) != tc.reason) {
			t.Errorf("%q: err %v, want reason %q", tc.header, err, tc.reason)
		}
	}
	if _, err := NewNone().Authenticate(httptest.NewRequest("GET", "/", nil)); err != nil {
		t.Error(err)
	}
}
