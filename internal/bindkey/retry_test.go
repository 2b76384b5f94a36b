package bindkey

import (
	"context"
	"errors"
	"slices"
	"testing"
)

func TestDo(t *testing.T) {
	t.Parallel()
	cur, next := Key{Name: "k", Secret: []byte("old")}, Key{Name: "k", Secret: []byte("new")}
	errRefused, errOther := errors.New("key refused"), errors.New("other failure")
	for _, tc := range []struct {
		name     string
		fail     map[string]error // by secret
		other    bool             // Other is set and offers next
		wantErr  error
		wantKeys []string
	}{
		{name: "works with the current key", wantKeys: []string{"old"}, other: true},
		{name: "refused, retried once with the other key", fail: map[string]error{"old": errRefused}, other: true, wantKeys: []string{"old", "new"}},
		{name: "refused twice: the second answer", fail: map[string]error{"old": errRefused, "new": errRefused}, other: true, wantErr: errRefused, wantKeys: []string{"old", "new"}},
		{name: "refused, no other key", fail: map[string]error{"old": errRefused}, wantErr: errRefused, wantKeys: []string{"old"}},
		{name: "another failure is not retried", fail: map[string]error{"old": errOther}, other: true, wantErr: errOther, wantKeys: []string{"old"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var sw Switchable
			if tc.other {
				sw.Other = func(context.Context, Key) (Key, bool) { return next, true }
			}
			var used []string
			_, err := Do(t.Context(), sw, func() Key { return cur },
				func(err error, _ Key) bool { return errors.Is(err, errRefused) },
				func(k Key, first bool) (int, error) {
					if first != (len(used) == 0) {
						t.Errorf("first = %v on attempt %d", first, len(used)+1)
					}
					used = append(used, string(k.Secret))
					return 0, tc.fail[string(k.Secret)]
				})
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if !slices.Equal(used, tc.wantKeys) {
				t.Errorf("keys used %v, want %v", used, tc.wantKeys)
			}
		})
	}
}
