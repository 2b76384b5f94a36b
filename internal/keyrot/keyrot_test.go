package keyrot

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/dnsclient/dnsclienttest"
	"github.com/bindgate/bindgate/internal/rndc/rndctest"
)

func key(name, secret string) bindkey.Key {
	return bindkey.Key{Name: name, Algorithm: bindkey.HMACSHA256, Secret: []byte(secret + "-0123456789abcdef0123456789")}
}

var (
	oldKey = key("k", "old")
	newKey = key("k", "new")
)

func set(k bindkey.Key) Set { return Set{RNDC: k, TSIG: k} }

// fakeNamed is a control channel and a DNS server; the DNS side knows only the new key.
type fakeNamed struct {
	ctl *rndctest.Server
	dns string
}

func startNamed(t *testing.T) fakeNamed {
	ctl := rndctest.Start(t, oldKey)
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if w.TsigStatus() != nil {
			dnsclienttest.Reply(w, r, dns.RcodeNotAuth, dnsclienttest.SignTSIGErr, dns.RcodeBadSig)
			return
		}
		dnsclienttest.Reply(w, r, dns.RcodeRefused, dnsclienttest.SignOK, 0)
	})
	srv := dnsclienttest.Start(t, map[string]string{"k.": base64.StdEncoding.EncodeToString(newKey.Secret)}, h)
	return fakeNamed{ctl: ctl, dns: srv.Addr}
}

type outcome struct {
	mu      sync.Mutex
	results []string
}

func (o *outcome) add(r string, _, _ Info) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.results = append(o.results, r)
}

func (o *outcome) list() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.results)
}

// TestSwitch covers the orders of issue 10 item 2 against fakes of named.
func TestSwitch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		prepare   func(n fakeNamed)
		nw        Set
		wantErr   error
		committed bool
		state     string
		commands  []string // what the control channel ran
		results   []string
	}{
		{"a: the file changed first; reconfig with the old key loads the new one",
			func(n fakeNamed) { n.ctl.StageKey(newKey) }, set(newKey), nil, true, StateOK,
			[]string{"reconfig", "status"}, []string{Rotated}},
		{"b: named already has the new key",
			func(n fakeNamed) { n.ctl.SetKey(newKey) }, set(newKey), nil, true, StateOK,
			[]string{"status"}, []string{Rotated}},
		{"c: named.conf does not include the file; pending, reported once",
			func(fakeNamed) {}, set(newKey), ErrPending, false, StatePending,
			[]string{"reconfig"}, []string{Pending}},
		{"d: a new key name is refused without asking named",
			func(fakeNamed) {}, set(key("renamed", "new")), ErrRenamed, false, StateFailed,
			nil, []string{Refused}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := startNamed(t)
			tc.prepare(n)
			var o outcome
			r, err := New(Config{Prober: NewProber(n.ctl.Addr(), n.dns), OnResult: o.add}, set(oldKey))
			if err != nil {
				t.Fatal(err)
			}
			committed := false
			for range 2 { // a second attempt (the watcher's retry) is not reported again
				err = r.Switch(t.Context(), set(oldKey), tc.nw, func() { committed = true })
				if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
					t.Fatalf("Switch: %v, want %v", err, tc.wantErr)
				}
				if committed {
					break
				}
			}
			st := r.Status()
			if committed != tc.committed || st.State != tc.state {
				t.Errorf("committed %v, state %q; want %v, %q", committed, st.State, tc.committed, tc.state)
			}
			want := Fingerprint(oldKey)
			if tc.committed {
				want = Fingerprint(newKey)
			}
			if st.Key.Fingerprint != want || st.Key.Name != "k" || st.Key.Algorithm != "hmac-sha256" {
				t.Errorf("status key %+v, want fingerprint %s", st.Key, want)
			}
			if d := cmp.Diff(tc.commands, n.ctl.Commands()); d != "" {
				t.Errorf("commands (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.results, o.list()); d != "" {
				t.Errorf("results (-want +got):\n%s", d)
			}
		})
	}
}

// unreachableRotator is a Rotator on oldKey whose named listens nowhere (a closed loopback port).
func unreachableRotator(t *testing.T) *Rotator {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r, err := New(Config{Prober: NewProber(addr, addr)}, set(oldKey))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSwitchFailed: named unreachable; nothing switches and the outcome is failed.
func TestSwitchFailed(t *testing.T) {
	t.Parallel()
	r := unreachableRotator(t)
	if err := r.Switch(t.Context(), set(oldKey), set(newKey), func() { t.Error("committed") }); !errors.Is(err, ErrFailed) {
		t.Fatalf("Switch: %v, want ErrFailed", err)
	}
	if st := r.Status(); st.State != StateFailed || st.Key.Fingerprint != Fingerprint(oldKey) {
		t.Errorf("status %+v", st)
	}
}

// TestReloadWithdrawn: a failed new key that the files no longer hold (rotate-key put the
// old one back) leaves the failed state at the next hand reload.
func TestReloadWithdrawn(t *testing.T) {
	t.Parallel()
	r := unreachableRotator(t)
	_ = r.Switch(t.Context(), set(oldKey), set(newKey), func() {})
	r.Bind(func(context.Context) (bool, error) { return false, nil }) // the files hold oldKey
	rep, err := r.Reload(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Result != Unchanged || rep.State != StateOK || rep.Next != nil || rep.Reason != "" {
		t.Errorf("report %+v", rep)
	}
}

// TestOther: a refused key gets the current, next or previous one, after one reload for a
// burst of refusals.
func TestOther(t *testing.T) {
	t.Parallel()
	n := startNamed(t)
	n.ctl.StageKey(newKey)
	r, err := New(Config{Prober: NewProber(n.ctl.Addr(), n.dns)}, set(oldKey))
	if err != nil {
		t.Fatal(err)
	}
	var reloads int
	r.Bind(func(ctx context.Context) (bool, error) {
		reloads++
		// The watcher finds the new file and switches (order b: named was first).
		return true, r.Switch(ctx, set(oldKey), set(newKey), func() {})
	})
	k, ok := r.OtherRNDC(t.Context(), oldKey)
	if !ok || !k.Equal(newKey) {
		t.Fatalf("OtherRNDC(old) = %v, %v; want the new key", k, ok)
	}
	k, ok = r.OtherTSIG(t.Context(), newKey)
	if !ok || !k.Equal(oldKey) {
		t.Fatalf("OtherTSIG(new) = %v, %v; want the previous key", k, ok)
	}
	if reloads != 2 {
		t.Errorf("%d reloads, want one per refusal made after the last", reloads)
	}
}

// TestFingerprint: 8 hex digits, never the secret.
func TestFingerprint(t *testing.T) {
	t.Parallel()
	k := bindkey.Key{Name: "k", Algorithm: bindkey.HMACSHA256, Secret: []byte("abc")}
	if got := Fingerprint(k); got != "ba7816bf" { // SHA-256("abc") = ba7816bf…
		t.Errorf("Fingerprint = %s", got)
	}
}
