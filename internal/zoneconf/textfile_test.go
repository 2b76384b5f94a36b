package zoneconf

import (
	"errors"
	"testing"
)

func TestTextFile(t *testing.T) {
	t.Parallel()
	const file = "/var/cache/bind/s.test.zone"
	tests := []struct {
		name     string
		block    string
		want     string // "" with wantErr
		wantPath string
		wantErr  error // nil: no error; errAny: any error
	}{
		{
			name:     "a secondary as create renders it gets both, after type",
			block:    `{ type secondary; primaries { 192.0.2.1; }; also-notify { 127.0.0.1 port 5399 key "k"; }; };`,
			want:     `{ type secondary; file "/var/cache/bind/s.test.zone"; masterfile-format text; primaries { 192.0.2.1; }; also-notify { 127.0.0.1 port 5399 key "k"; }; };`,
			wantPath: file,
		},
		{
			name:     "an earlier restore's block, as a PATCH reprinted it, is unchanged",
			block:    `{ type secondary; file "/var/cache/bind/s.test.zone"; primaries { 192.0.2.1; }; masterfile-format text; };`,
			want:     `{ type secondary; file "/var/cache/bind/s.test.zone"; primaries { 192.0.2.1; }; masterfile-format text; };`,
			wantPath: file,
		},
		{
			name:     "a file of its own is kept and returned",
			block:    `{ type slave; masters { 192.0.2.1; }; file "/elsewhere/s.db"; };`,
			want:     `{ type slave; masterfile-format text; masters { 192.0.2.1; }; file "/elsewhere/s.db"; };`,
			wantPath: "/elsewhere/s.db",
		},
		{
			name:     "masterfile-format text of its own is not repeated",
			block:    `{ type secondary; masterfile-format TEXT; primaries { 192.0.2.1; }; };`,
			want:     `{ type secondary; file "/var/cache/bind/s.test.zone"; masterfile-format TEXT; primaries { 192.0.2.1; }; };`,
			wantPath: file,
		},
		{name: "raw is not text", block: `{ type secondary; primaries { 192.0.2.1; }; masterfile-format raw; };`, wantErr: ErrNotText},
		{name: "map is not text", block: `{ type secondary; primaries { 192.0.2.1; }; masterfile-format map; };`, wantErr: ErrNotText},
		{name: "a primary is refused", block: `{ type primary; file "/f"; };`, wantErr: errAny},
		{name: "text that is not a block", block: `{ type secondary`, wantErr: ErrSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, path, err := TextFile(tc.block, file)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("TextFile: %v", err)
			case tc.wantErr != nil && err == nil:
				t.Fatalf("TextFile = %q, want error %v", got, tc.wantErr)
			case tc.wantErr != nil && tc.wantErr != errAny && !errors.Is(err, tc.wantErr):
				t.Fatalf("TextFile: %v, want %v", err, tc.wantErr)
			case tc.wantErr != nil:
				if errors.Is(err, ErrInvalid) {
					t.Errorf("error %v matches ErrInvalid: it is not the caller's input", err)
				}
				return
			}
			if got != tc.want || path != tc.wantPath {
				t.Errorf("TextFile =\n %q, %q\nwant\n %q, %q", got, path, tc.want, tc.wantPath)
			}
			// What it returns goes through it again unchanged: a restore never adds twice.
			if again, _, err := TextFile(got, "/other/path.zone"); err != nil || again != got {
				t.Errorf("TextFile of its own result = %q, %v", again, err)
			}
		})
	}
}

// errAny stands for "some error" in TestTextFile.
var errAny = errors.New("any error")

// The invalid file path given for a block without one is refused, never rendered.
func TestTextFileRefusesUnsafePath(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"relative.zone", `/a"b.zone`, "/a\nb.zone", ""} {
		if out, _, err := TextFile(`{ type secondary; primaries { 192.0.2.1; }; };`, p); err == nil {
			t.Errorf("TextFile with file %q = %q, want an error", p, out)
		}
	}
}
