package api

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bindgate/bindgate/internal/config"
)

// TestOpenAudit: each BINDGATE_AUDIT_LOG value gets its sink; a file is appended to with mode
// 0600 and closed by Close; a file that cannot be opened is an error naming the setting.
func TestOpenAudit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		name       string
		sink       string
		wantLogger bool
		wantErr    bool
	}{
		{name: "off", sink: "off"},
		{name: "stderr", sink: "stderr", wantLogger: true},
		{name: "stdout", sink: "stdout", wantLogger: true},
		{name: "file", sink: filepath.Join(dir, "audit.log"), wantLogger: true},
		{name: "file in a missing directory", sink: filepath.Join(dir, "missing", "audit.log"), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := OpenAudit(config.Access{AuditLog: tc.sink})
			if tc.wantErr {
				if se, ok := errors.AsType[*config.SettingError](err); !ok || se.Setting != config.SettingAuditLog {
					t.Fatalf("OpenAudit = %v, want a *config.SettingError for %s", err, config.SettingAuditLog)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (s.Logger != nil) != tc.wantLogger {
				t.Fatalf("Logger = %v, want one: %v", s.Logger, tc.wantLogger)
			}
			if filepath.IsAbs(tc.sink) {
				s.Logger.Info("audit", "zone", "example.com")
			}
			if err := s.Close(); err != nil {
				t.Fatalf("Close = %v", err)
			}
			if !filepath.IsAbs(tc.sink) {
				return
			}
			fi, err := os.Stat(tc.sink)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want 0600", fi.Mode().Perm())
			}
			b, _ := os.ReadFile(tc.sink)
			if !strings.Contains(string(b), `"zone":"example.com"`) {
				t.Errorf("file holds %q", b)
			}
			if err := s.Close(); err == nil {
				t.Error("a second Close reported nothing; the first one did not close the file")
			}
		})
	}
}
