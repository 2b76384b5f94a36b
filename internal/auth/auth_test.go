package auth

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
)

const secret = "s3cret-token"

func TestStatic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, header string
		reason       string // "" = accepted
	}{
		{"canonical", "Bearer " + secret, ""},
		{"lower-case scheme", "bearer " + secret, ""},
		{"upper-case scheme and spaces", "BEARER  " + secret + " ", ""},
		{"no header", "", ReasonMissing},
		{"basic scheme", "Basic czNjcmV0LXRva2Vu", ReasonScheme},
		{"token without scheme", secret, ReasonScheme},
		{"scheme without separator", "Bearer", ReasonScheme},
		{"bearer with empty token", "Bearer ", ReasonEmpty},
		{"bearer with blank token", "Bearer    ", ReasonEmpty},
		{"presence-only token", "Bearer x", ReasonMismatch},
		{"prefix of the secret", "Bearer " + secret[:len(secret)-1], ReasonMismatch},
		{"secret plus suffix", "Bearer " + secret + "2", ReasonMismatch},
		{"different case", "Bearer " + strings.ToUpper(secret), ReasonMismatch},
	}
	a := NewStatic(secret)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", "/api/v1/zones", nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			p, err := a.Authenticate(r)
			if tc.reason == "" {
				if err != nil || p.Name == "" {
					t.Fatalf("Authenticate = %+v, %v; want accepted", p, err)
				}
				return
			}
			if !errors.Is(err, ErrUnauthenticated) {
				t.Fatalf("err = %v, want ErrUnauthenticated", err)
			}
			if got := Reason(err); got != tc.reason {
				t.Errorf("Reason = %q, want %q", got, tc.reason)
			}
			if p != (Principal{}) {
				t.Errorf("principal %+v on refusal", p)
			}
			// The text is fixed per reason, so it can carry no token.
			if got, want := err.Error(), "unauthenticated: "+tc.reason; got != want {
				t.Errorf("error text %q, want %q", got, want)
			}
		})
	}
}

// TestPresenceOnlyNeverAccepted: no non-empty token other than the secret passes, and an empty
// configured secret accepts nothing (docs/contract.md §15.1: there is no "any token" mode).
func TestPresenceOnlyNeverAccepted(t *testing.T) {
	t.Parallel()
	tests := []struct{ configured, sent string }{
		{"", "anything"},
		{"", "x"},
		{"a", "b"},
		{secret, "Bearer"},
		{secret, "null"},
		{secret, "*"},
	}
	for _, tc := range tests {
		t.Run(tc.configured+"/"+tc.sent, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "Bearer "+tc.sent)
			if _, err := NewStatic(tc.configured).Authenticate(r); !errors.Is(err, ErrUnauthenticated) {
				t.Errorf("token %q accepted for secret %q", tc.sent, tc.configured)
			}
		})
	}
}

func TestNone(t *testing.T) {
	t.Parallel()
	for _, h := range []string{"", "Bearer whatever", "Basic x"} {
		r := httptest.NewRequest("GET", "/", nil)
		if h != "" {
			r.Header.Set("Authorization", h)
		}
		p, err := NewNone().Authenticate(r)
		if err != nil || p.Name != "anonymous" {
			t.Errorf("%q: %+v, %v", h, p, err)
		}
	}
}

func TestReasonOfForeignError(t *testing.T) {
	t.Parallel()
	if got := Reason(errors.New("other")); got != "" {
		t.Errorf("Reason = %q", got)
	}
	if got := Reason(nil); got != "" {
		t.Errorf("Reason(nil) = %q", got)
	}
}
