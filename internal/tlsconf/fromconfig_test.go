package tlsconf

import (
	"crypto/tls"
	"errors"
	"net"
	"testing"

	bgconfig "github.com/bindgate/bindgate/internal/config"
	"github.com/bindgate/bindgate/internal/tlsconf/tlsconftest"
)

// TestFromConfig: the TLS section builds the Reloader, or nothing (plaintext) without a
// certificate; its Listener serves TLS, and a file that does not load names its setting.
func TestFromConfig(t *testing.T) {
	t.Parallel()
	ca := tlsconftest.NewCA(t, "ca")
	st := &renameDir{t: t, dir: t.TempDir()}
	st.update(pairFiles(ca.Server(t, 100)))
	st.update(map[string][]byte{caName: ca.CertPEM})
	for _, tc := range []struct {
		name        string
		cfg         bgconfig.TLS
		wantNil     bool
		wantSetting string // the FileError's setting, "" for none
		wantAuth    tls.ClientAuthType
	}{
		{name: "off", wantNil: true},
		{name: "TLS", cfg: bgconfig.TLS{CertFile: st.path(crtName), KeyFile: st.path(keyName)}, wantAuth: tls.NoClientCert},
		{name: "mTLS", cfg: bgconfig.TLS{CertFile: st.path(crtName), KeyFile: st.path(keyName), ClientCAFile: st.path(caName)},
			wantAuth: tls.RequireAndVerifyClientCert},
		{name: "missing key", cfg: bgconfig.TLS{CertFile: st.path(crtName), KeyFile: st.path("nope")}, wantSetting: SettingKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := FromConfig(t.Context(), tc.cfg, nil, nil)
			if tc.wantSetting != "" {
				if fe, ok := errors.AsType[*FileError](err); !ok || fe.Setting != tc.wantSetting {
					t.Fatalf("FromConfig = %v, want a *FileError for %s", err, tc.wantSetting)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := r.Close(); err != nil {
					t.Error(err)
				}
			}()
			if (r == nil) != tc.wantNil {
				t.Fatalf("FromConfig = %v, want nil: %v", r, tc.wantNil)
			}
			if err := r.Check(t.Context()); err != nil {
				t.Errorf("Check = %v", err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			wrapped := r.Listener(ln)
			if tc.wantNil {
				if wrapped != ln {
					t.Error("without TLS the listener is not returned unchanged")
				}
				return
			}
			if got := r.TLSConfig().ClientAuth; got != tc.wantAuth {
				t.Errorf("ClientAuth = %v, want %v", got, tc.wantAuth)
			}
			if _, ok := wrapped.(*net.TCPListener); ok {
				t.Error("the listener is not wrapped in TLS")
			}
		})
	}
}
