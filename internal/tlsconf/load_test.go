package tlsconf

import (
	"errors"
	"io/fs"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bindgate/bindgate/internal/tlsconf/tlsconftest"
)

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	ca := tlsconftest.NewCA(t, "ca")
	a, b := ca.Server(t, 100), ca.Server(t, 200)
	rsaLike := []byte("-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----\n")

	tests := []struct {
		name    string
		files   map[string][]byte // written to the directory; absent = missing
		mtls    bool
		setting string
		file    string
		is      error // errors.Is target, nil = not checked
	}{
		{"cert file missing", map[string][]byte{keyName: a.KeyPEM}, false, SettingCert, crtName, fs.ErrNotExist},
		{"key file missing", map[string][]byte{crtName: a.CertPEM}, false, SettingKey, keyName, fs.ErrNotExist},
		{"key of another certificate", map[string][]byte{crtName: a.CertPEM, keyName: b.KeyPEM}, false, SettingKey, keyName, ErrKeyMismatch},
		{"files swapped", map[string][]byte{crtName: a.KeyPEM, keyName: a.CertPEM}, false, SettingCert, crtName, nil},
		{"key file holds only a certificate", map[string][]byte{crtName: a.CertPEM, keyName: a.CertPEM}, false, SettingKey, keyName, nil},
		{"cert not PEM", map[string][]byte{crtName: []byte("not a certificate"), keyName: a.KeyPEM}, false, SettingCert, crtName, nil},
		{"cert PEM with bad DER", map[string][]byte{crtName: []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), keyName: a.KeyPEM}, false, SettingCert, crtName, nil},
		{"key PEM with bad DER", map[string][]byte{crtName: a.CertPEM, keyName: rsaLike}, false, SettingKey, keyName, nil},
		{"empty key", map[string][]byte{crtName: a.CertPEM, keyName: {}}, false, SettingKey, keyName, nil},
		{"client CA missing", pairFiles(a), true, SettingClientCA, caName, fs.ErrNotExist},
		{"client CA is a key", map[string][]byte{crtName: a.CertPEM, keyName: a.KeyPEM, caName: ca.KeyPEM}, true, SettingClientCA, caName, nil},
		{"client CA not PEM", map[string][]byte{crtName: a.CertPEM, keyName: a.KeyPEM, caName: []byte("junk")}, true, SettingClientCA, caName, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := &renameDir{t: t, dir: t.TempDir()}
			st.update(tc.files)
			var logs syncBuffer
			r, err := New(t.Context(), config(st, tc.mtls, nil), slog.New(slog.NewJSONHandler(&logs, nil)))
			if err == nil {
				r.Close()
				t.Fatal("New succeeded")
			}
			fe, ok := errors.AsType[*FileError](err)
			if !ok {
				t.Fatalf("err = %v (%T), want a *FileError", err, err)
			}
			if diff := cmp.Diff([]string{tc.setting, st.path(tc.file)}, []string{fe.Setting, fe.Path}); diff != "" {
				t.Errorf("file named (-want +got):\n%s", diff)
			}
			if !strings.Contains(err.Error(), tc.setting) || !strings.Contains(err.Error(), st.path(tc.file)) {
				t.Errorf("error %q does not name %s and the file", err, tc.setting)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want errors.Is %v", err, tc.is)
			}
			assertNoKey(t, "error", err.Error(), a, b, ca)
			assertNoKey(t, "log", logs.String(), a, b, ca)
		})
	}
}

func TestNewConfig(t *testing.T) {
	t.Parallel()
	for _, c := range []Config{{}, {CertFile: "/c"}, {KeyFile: "/k"}, {CertFile: "/c", KeyFile: "/k", ReloadInterval: -1}} {
		if _, err := New(t.Context(), c, nil); err == nil {
			t.Errorf("New(%+v) succeeded", c)
		}
	}
}
