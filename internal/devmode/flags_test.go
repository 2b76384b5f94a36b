package devmode

import (
	"errors"
	"flag"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseFlags: dev's own flags are dev's; every other argument goes to the server's
// configuration parser, so dev takes the server's settings (issue 8 item 8).
func TestParseFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		want    Options
		wantErr error
	}{
		{name: "none", want: Options{}},
		{name: "dev flags both forms",
			args: []string{"--dir", "/tmp/d", "-api-port=8081", "--dns-port=5354", "--control-port", "9530"},
			want: Options{Dir: "/tmp/d", APIPort: 8081, DNSPort: 5354, ControlPort: 9530}},
		{name: "server flags pass through in order",
			args: []string{"--rate-limit-burst", "5", "--dir=/d", "--audit-log=off", "--log-level", "debug", "-d"},
			want: Options{Dir: "/d", Args: []string{"--rate-limit-burst", "5", "--audit-log=off", "--log-level", "debug", "-d"}}},
		{name: "help", args: []string{"--rate-limit-burst", "5", "--help"}, wantErr: flag.ErrHelp},
		{name: "bad dev value", args: []string{"--api-port", "x"}, wantErr: errors.New("any")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseFlags(tc.args, io.Discard)
			if tc.wantErr != nil {
				if err == nil || errors.Is(tc.wantErr, flag.ErrHelp) && !errors.Is(err, flag.ErrHelp) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got, cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Env" }, cmp.Ignore())); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}
