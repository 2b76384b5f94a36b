package tlsconf

import (
	"crypto/tls"
	"errors"
	"io/fs"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bindgate/bindgate/internal/tlsconf/tlsconftest"
)

func TestReload(t *testing.T) {
	t.Parallel()
	ca := tlsconftest.NewCA(t, "ca")
	a, b := ca.Server(t, 100), ca.Server(t, 200)
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			st := s.new(t)
			st.update(pairFiles(a))
			ev := new(events)
			r, err := New(t.Context(), config(st, false, ev), nil)
			if err != nil {
				t.Fatal(err)
			}
			addr, _ := serve(t, r)
			if got := serial(t, addr, ca, nil); got.Int64() != 100 {
				t.Fatalf("serial %v before the update, want 100", got)
			}
			if err := r.Check(t.Context()); err != nil {
				t.Fatalf("Check with nothing changed: %v", err)
			}
			st.update(pairFiles(b))
			if got := serial(t, addr, ca, nil); got.Int64() != 100 {
				t.Fatalf("serial %v before Check, want 100", got)
			}
			if err := r.Check(t.Context()); err != nil {
				t.Fatalf("Check: %v", err)
			}
			if got := serial(t, addr, ca, nil); got.Int64() != 200 {
				t.Errorf("serial %v after Check, want 200", got)
			}
			if err := r.Check(t.Context()); err != nil {
				t.Fatalf("second Check: %v", err)
			}
			if diff := cmp.Diff([]string{ResultChanged}, ev.list()); diff != "" {
				t.Errorf("OnReload (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReloadClientCA(t *testing.T) {
	t.Parallel()
	oldCA, nextCA := tlsconftest.NewCA(t, "old CA"), tlsconftest.NewCA(t, "new CA")
	oldClient, newClient := oldCA.Client(t, "bindy"), nextCA.Client(t, "bindy")
	st := newSecretDir(t)
	srvID := oldCA.Server(t, 100)
	st.update(map[string][]byte{crtName: srvID.CertPEM, keyName: srvID.KeyPEM, caName: oldCA.CertPEM})
	r, err := New(t.Context(), config(st, true, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := serve(t, r)
	try := func(client *tlsconftest.Ident) error {
		return get(addr, &tls.Config{RootCAs: oldCA.Pool(), Certificates: []tls.Certificate{client.TLSCertificate(t)}})
	}
	if err := try(oldClient); err != nil {
		t.Fatalf("old CA's client before rotation: %v", err)
	}
	if err := try(newClient); err == nil {
		t.Fatal("new CA's client accepted before rotation")
	}
	st.update(map[string][]byte{crtName: srvID.CertPEM, keyName: srvID.KeyPEM, caName: nextCA.CertPEM})
	if err := r.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := try(newClient); err != nil {
		t.Errorf("new CA's client after rotation: %v", err)
	}
	if err := try(oldClient); err == nil {
		t.Error("old CA's client still accepted after rotation")
	}
}

func TestReloadKeepsOldOnBadPair(t *testing.T) {
	t.Parallel()
	ca := tlsconftest.NewCA(t, "ca")
	a, b, c := ca.Server(t, 100), ca.Server(t, 200), ca.Server(t, 300)
	tests := []struct {
		name    string
		files   map[string][]byte // the bad update
		setting string
		file    string
		is      error
		repeat  []string // OnReload after a second Check of the same files
	}{
		{"unparseable cert", map[string][]byte{crtName: []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), keyName: b.KeyPEM},
			SettingCert, crtName, nil, []string{ResultFailed}},
		{"new cert, old key", map[string][]byte{crtName: b.CertPEM, keyName: a.KeyPEM}, SettingKey, keyName, ErrKeyMismatch, []string{ResultFailed}},
		{"new key, old cert", map[string][]byte{crtName: a.CertPEM, keyName: b.KeyPEM}, SettingKey, keyName, ErrKeyMismatch, []string{ResultFailed}},
		{"cert and key swapped", map[string][]byte{crtName: b.KeyPEM, keyName: b.CertPEM}, SettingCert, crtName, nil, []string{ResultFailed}},
		// A missing file is re-read and reported on every check: it is either a moment in a
		// rotation or a real fault worth repeating.
		{"key file missing mid-rotation", map[string][]byte{crtName: b.CertPEM}, SettingKey, keyName, fs.ErrNotExist, []string{ResultFailed, ResultFailed}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newSecretDir(t) // a Secret update may drop a file: the symlink then dangles
			st.update(pairFiles(a))
			ev := new(events)
			var logs syncBuffer
			r, err := New(t.Context(), config(st, false, ev), slog.New(slog.NewJSONHandler(&logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			addr, _ := serve(t, r)

			st.update(tc.files)
			err = r.Check(t.Context())
			fe, ok := errors.AsType[*FileError](err)
			if !ok {
				t.Fatalf("Check = %v, want a *FileError", err)
			}
			if fe.Setting != tc.setting || fe.Path != st.path(tc.file) {
				t.Errorf("error names %s %s, want %s %s", fe.Setting, fe.Path, tc.setting, st.path(tc.file))
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want errors.Is %v", err, tc.is)
			}
			if got := serial(t, addr, ca, nil); got.Int64() != 100 {
				t.Errorf("serving serial %v after a bad update, want the old 100", got)
			}
			if err2 := r.Check(t.Context()); err2 == nil || err2.Error() != err.Error() {
				t.Errorf("second Check = %v, want %v again", err2, err)
			}
			if diff := cmp.Diff(tc.repeat, ev.list()); diff != "" {
				t.Errorf("OnReload (-want +got):\n%s", diff)
			}
			if l := logs.String(); !strings.Contains(l, `"level":"WARN"`) || !strings.Contains(l, st.path(tc.file)) {
				t.Errorf("no warning naming %s in the log:\n%s", st.path(tc.file), l)
			}
			assertNoKey(t, "error", err.Error(), a, b, c, ca)
			assertNoKey(t, "log", logs.String(), a, b, c, ca)

			// The next good update is picked up.
			st.update(pairFiles(c))
			if err := r.Check(t.Context()); err != nil {
				t.Fatalf("Check after a good update: %v", err)
			}
			if got := serial(t, addr, ca, nil); got.Int64() != 300 {
				t.Errorf("serving serial %v after the fix, want 300", got)
			}
			if got := ev.list(); got[len(got)-1] != ResultChanged {
				t.Errorf("last OnReload %v, want %s", got, ResultChanged)
			}
		})
	}
}

func TestReloadInterval(t *testing.T) {
	t.Parallel()
	ca := tlsconftest.NewCA(t, "ca")
	a, b := ca.Server(t, 100), ca.Server(t, 200)
	tests := []struct {
		name     string
		interval time.Duration
		want     int64
		events   []string
	}{
		{"ticker picks the change up", time.Minute, 200, []string{ResultChanged}},
		{"interval 0 leaves it to Check", 0, 100, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newSecretDir(t)
			st.update(pairFiles(a))
			synctest.Test(t, func(t *testing.T) {
				ev := new(events)
				cfg := config(st, false, ev)
				cfg.ReloadInterval = tc.interval
				cfg.NoEvents = true
				r, err := New(t.Context(), cfg, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				time.Sleep(90 * time.Second) // a tick with nothing changed
				st.update(pairFiles(b))
				time.Sleep(time.Minute)
				synctest.Wait()
				if got := certSerial(t, r); got != tc.want {
					t.Errorf("serving serial %d, want %d", got, tc.want)
				}
				if diff := cmp.Diff(tc.events, ev.list()); diff != "" {
					t.Errorf("OnReload (-want +got):\n%s", diff)
				}
			})
		})
	}
}

func TestCloseStopsPolling(t *testing.T) {
	t.Parallel()
	ca := tlsconftest.NewCA(t, "ca")
	st := newSecretDir(t)
	st.update(pairFiles(ca.Server(t, 100)))
	synctest.Test(t, func(t *testing.T) {
		cfg := config(st, false, nil)
		cfg.ReloadInterval, cfg.NoEvents = time.Second, true
		r, err := New(t.Context(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Close() // synctest fails the test if the poller outlives the bubble
		r.Close()
	})
}
