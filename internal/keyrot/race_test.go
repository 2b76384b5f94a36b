package keyrot

import (
	"context"
	"testing"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/rndc"
	"github.com/bindgate/bindgate/internal/rndc/rndctest"
)

// TestRetryAcrossRotations: a request whose first attempt named refused (named reloaded before
// bindgate noticed, order b) is retried, and named moves on to yet another key before that
// retry reaches it (the next rotation, again named first: under load a request can span two).
// The retry must end with the key named holds, never fail with the one it held a moment ago.
// Before the fix the retry's key was chosen before it waited at the gate and only once, so
// both cases failed with rndc.ErrRejected.
func TestRetryAcrossRotations(t *testing.T) {
	t.Parallel()
	k0, k1, k2 := key("k", "zero"), key("k", "one"), key("k", "two")
	tsig := key("t", "tsig") // unchanged: only the control channel is proved
	for _, tc := range []struct {
		name string
		// committed: bindgate's watcher commits k2 between Other's answer and the retry
		// (the retry waited at the gate while the switch ran); otherwise named alone moved on.
		committed bool
	}{
		{"the next switch committed while the retry waited at the gate", true},
		{"named moved on while the retry was on its way", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := rndctest.Start(t, k1) // named already reloaded k1; bindgate still uses k0
			r, err := New(Config{Prober: NewProber(srv.Addr(), "127.0.0.1:1")}, Set{RNDC: k0, TSIG: tsig})
			if err != nil {
				t.Fatal(err)
			}
			// The watcher: files hold fileKey, cur is the key in use (read under the gate).
			// Reloads are serialised by the rotator (Other) and this test.
			cur, fileKey := k0, k1
			reload := func(ctx context.Context) (bool, error) {
				if fileKey.Equal(cur) {
					return false, nil
				}
				nw := fileKey
				err := r.Switch(ctx, Set{RNDC: cur, TSIG: tsig}, Set{RNDC: nw, TSIG: tsig}, func() { cur = nw })
				return err == nil, err
			}
			r.Bind(reload)
			asked := 0
			c, err := rndc.New(rndc.Config{
				Addr: srv.Addr(), Key: func() bindkey.Key { return cur }, Gate: r.Gate(), MaxIdle: -1,
				OtherKey: func(ctx context.Context, refused bindkey.Key) (bindkey.Key, bool) {
					asked++
					k, ok := r.OtherRNDC(ctx, refused)
					if asked == 1 {
						if !k.Equal(k1) {
							t.Errorf("first OtherRNDC = %v, want k1", k)
						}
						// The next rotation, named first: the file and named hold k2 now.
						fileKey = k2
						srv.SetKey(k2)
						if tc.committed {
							if _, err := reload(ctx); err != nil {
								t.Errorf("second switch: %v", err)
							}
						}
					}
					return k, ok
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			if _, err := c.Do(t.Context(), "status"); err != nil {
				t.Fatalf("status across two rotations: %v", err)
			}
			if !cur.Equal(k2) {
				t.Errorf("key in use %s, want k2 (%s)", Fingerprint(cur), Fingerprint(k2))
			}
		})
	}
}
