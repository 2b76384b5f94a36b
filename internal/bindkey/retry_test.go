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

// TestDoNewerKey: a switch committed while the retry waited (the key in use changed) wins
// over Other's answer, and a retry refused because named moved on again is retried with the
// newer key; no key is tried twice.
func TestDoNewerKey(t *testing.T) {
	t.Parallel()
	k0, k1, k2 := Key{Name: "k", Secret: []byte("0")}, Key{Name: "k", Secret: []byte("1")}, Key{Name: "k", Secret: []byte("2")}
	errRefused := errors.New("key refused")
	for _, tc := range []struct {
		name     string
		cur      []Key // current() on each call
		other    []Key // Other's answers
		named    Key   // the only key accepted
		wantKeys []string
	}{
		{"switch committed meanwhile", []Key{k0, k2}, []Key{k1}, k2, []string{"0", "2"}},
		{"named moved on during the retry", []Key{k0, k0, k0}, []Key{k1, k2}, k2, []string{"0", "1", "2"}},
		{"nothing new: stop", []Key{k0, k0, k0}, []Key{k1, k0}, k2, []string{"0", "1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			nc, no := 0, 0
			sw := Switchable{Other: func(context.Context, Key) (Key, bool) {
				k := tc.other[min(no, len(tc.other)-1)]
				no++
				return k, true
			}}
			var used []string
			_, _ = Do(t.Context(), sw, func() Key {
				k := tc.cur[min(nc, len(tc.cur)-1)]
				nc++
				return k
			}, func(err error, _ Key) bool { return errors.Is(err, errRefused) },
				func(k Key, _ bool) (int, error) {
					used = append(used, string(k.Secret))
					if !k.Equal(tc.named) {
						return 0, errRefused
					}
					return 0, nil
				})
			if !slices.Equal(used, tc.wantKeys) {
				t.Errorf("keys used %v, want %v", used, tc.wantKeys)
			}
		})
	}
}
