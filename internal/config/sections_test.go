package config

import (
	"errors"
	"io/fs"
	"testing"
)

// TestErrorf: a part's error about a setting is a *SettingError that names the setting and
// keeps its cause for errors.Is.
func TestErrorf(t *testing.T) {
	for _, tc := range []struct {
		setting, format string
		args            []any
		want            string
	}{
		{SettingZoneDir, "%s: %w", []any{"/zones", fs.ErrNotExist}, "BIND_ZONE_DIR: /zones: file does not exist"},
		{SettingListenAddr, "listen on %s: %w", []any{"0.0.0.0:53", fs.ErrNotExist}, "BIND_API_ADDRESS/API_PORT: listen on 0.0.0.0:53: file does not exist"},
		{SettingAuditLog, "%w", []any{fs.ErrNotExist}, "BINDGATE_AUDIT_LOG: file does not exist"},
	} {
		t.Run(tc.setting, func(t *testing.T) {
			err := Errorf(tc.setting, tc.format, tc.args...)
			if err.Error() != tc.want {
				t.Errorf("Error() = %q, want %q", err, tc.want)
			}
			se, ok := errors.AsType[*SettingError](err)
			if !ok || se.Setting != tc.setting {
				t.Errorf("AsType = %v, %v; want a *SettingError for %s", se, ok, tc.setting)
			}
			if !errors.Is(err, fs.ErrNotExist) {
				t.Error("the cause is lost")
			}
		})
	}
}

// TestSettingNamesAreSettings: every exported setting name is one Load reads.
func TestSettingNamesAreSettings(t *testing.T) {
	known := map[string]bool{}
	for _, s := range settings() {
		known[s.env] = true
	}
	for _, n := range []string{SettingZoneDir, SettingStateDir, SettingAPIAddress, SettingAPIPort,
		SettingTokensFile, SettingAccessFile, SettingAuditLog} {
		if !known[n] {
			t.Errorf("%s is not in settings()", n)
		}
	}
}
