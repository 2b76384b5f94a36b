package access

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/bindgate/bindgate/internal/config"
)

// TestNew: the access section builds the policy; no file is no policy (full access), and a
// file that does not load is an error naming BINDGATE_ACCESS_FILE.
func TestNew(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(good, []byte(`{"principals":[{"name":"ci","access":"read-only","zones":["*"]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"principals":[{"name":"ci","access":"everything","zones":["*"]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		file      string
		wantNil   bool
		wantErr   bool
		ciMayRead bool
		ciMayEdit bool
	}{
		{name: "no file", file: "", wantNil: true, ciMayRead: true, ciMayEdit: true},
		{name: "file", file: good, ciMayRead: true},
		{name: "invalid file", file: bad, wantErr: true},
		{name: "missing file", file: filepath.Join(dir, "missing.json"), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(t.Context(), config.Access{PolicyFile: tc.file}, nil)
			if tc.wantErr {
				se, ok := errors.AsType[*config.SettingError](err)
				if !ok || se.Setting != config.SettingAccessFile {
					t.Fatalf("New = %v, want a *config.SettingError for %s", err, config.SettingAccessFile)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (p == nil) != tc.wantNil {
				t.Fatalf("New = %v, want nil: %v", p, tc.wantNil)
			}
			if got := p.Allow("ci", "example.com", false); got != tc.ciMayRead {
				t.Errorf("read = %v, want %v", got, tc.ciMayRead)
			}
			if got := p.Allow("ci", "example.com", true); got != tc.ciMayEdit {
				t.Errorf("write = %v, want %v", got, tc.ciMayEdit)
			}
			// Watch and Reload work on the nil policy too, so the caller registers them alike.
			if _, err := p.Reload(t.Context()); err != nil {
				t.Errorf("Reload = %v", err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			p.Watch(ctx)
		})
	}
}
