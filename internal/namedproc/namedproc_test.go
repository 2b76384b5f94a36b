package namedproc

import (
	"context"
	"errors"
	"flag"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bindgate/bindgate/internal/bindkey"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestLogWatch(t *testing.T) {
	t.Parallel()
	// Lines as BIND 9.18.49 writes them with -g.
	tests := []struct {
		name     string
		log      string
		running  bool
		conflict bool
		fatal    bool
	}{
		{"ready", "24-Nov-2026 10:20:20.722 all zones loaded\n24-Nov-2026 10:20:20.726 running\n", true, false, false},
		{"not yet", "24-Nov-2026 10:20:20.634 listening on IPv4 interface lo, 127.0.0.1#25353\n24-Nov-2026 10:20:20.726 runn", false, false, false},
		{"control port taken", "24-Nov-2026 10:21:51.662 /d/named.conf:3: couldn't add command channel 127.0.0.1#25953: address in use\n24-Nov-2026 10:21:51.666 running\n", true, true, false},
		{"DNS TCP taken", "24-Nov-2026 10:21:56.174 creating TCP socket: address in use\n", false, true, false},
		{"DNS UDP taken", "24-Nov-2026 10:21:09.530 creating IPv4 interface lo failed; interface ignored\n24-Nov-2026 10:21:09.530 unable to listen on any configured interfaces\n", false, true, false},
		{"control channel refused", "24-Nov-2026 10:21:51.662 /d/named.conf:3: couldn't add command channel 127.0.0.1#25953: not found\n", false, false, true},
		{"shutting down is not running", "24-Nov-2026 10:20:23.594 shutting down\n", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Byte by byte (lines split across writes), in chunks of 7 and all at once (several
			// lines in one write): the same lines.
			for _, chunk := range []int{1, 7, len(tt.log)} {
				w := &logWatch{}
				for log := []byte(tt.log); len(log) > 0; {
					k := min(chunk, len(log))
					w.Write(log[:k])
					log = log[k:]
				}
				running, conflict, fatal := w.state()
				got := []bool{running, conflict != "", fatal != ""}
				if diff := cmp.Diff([]bool{tt.running, tt.conflict, tt.fatal}, got); diff != "" {
					t.Errorf("chunks of %d: running, conflict, fatal (-want +got):\n%s", chunk, diff)
				}
			}
		})
	}
}

func TestLogWatchTail(t *testing.T) {
	t.Parallel()
	w := &logWatch{}
	for i := range 50 {
		w.Write([]byte("line " + strconv.Itoa(i) + "\r\n"))
	}
	w.Write([]byte("part"))
	w.Write([]byte("ial"))
	lines := strings.Split(w.lastLines(), "\n")
	if len(lines) != tailLines || lines[0] != "line 31" || lines[len(lines)-2] != "line 49" || lines[len(lines)-1] != "partial" {
		t.Errorf("lastLines = %q", lines)
	}
	w.Write([]byte(" line\nmore\n" + strings.Repeat("x", maxLine+1)))
	lines = strings.Split(w.lastLines(), "\n")
	if n := len(lines); lines[n-3] != "partial line" || lines[n-2] != "more" || len(lines[n-1]) != maxLine+1 {
		t.Errorf("lastLines after a long line = %q", lines[n-3:])
	}
	if got := (&logWatch{}).lastLines(); got != "(named wrote nothing)" {
		t.Errorf("empty lastLines = %q", got)
	}
}

func TestBindString(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"/tmp/TestX 1/001", `"/tmp/TestX 1/001"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"/tmp/ünïcode", `"/tmp/ünïcode"`},
	}
	for _, tt := range tests {
		got, err := bindString(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("bindString(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := bindString("a\nb"); err == nil {
		t.Error("bindString accepted a newline")
	}
}

func TestNewKey(t *testing.T) {
	t.Parallel()
	k, err := newKey(Options{KeyName: "k1"})
	if err != nil || k.Name != "k1" || k.Algorithm != bindkey.HMACSHA256 || len(k.Secret) != 32 {
		t.Fatalf("generated key = %v (%d secret bytes), %v", k, len(k.Secret), err)
	}
	given := &bindkey.Key{Algorithm: bindkey.HMACSHA512, Secret: []byte("0123456789abcdef")}
	k, err = newKey(Options{KeyName: "fallback", Key: given})
	if err != nil || k.Name != "fallback" || k.Algorithm != bindkey.HMACSHA512 {
		t.Fatalf("given key = %v, %v", k, err)
	}
	k.Secret[0] = 'X'
	if given.Secret[0] != '0' {
		t.Error("Start's key aliases the caller's secret")
	}
	for _, bad := range []*bindkey.Key{
		{Name: "k", Algorithm: bindkey.HMACSHA256},
		{Name: "k", Secret: []byte("x")},
		{Name: `k"; };`, Algorithm: bindkey.HMACSHA256, Secret: []byte("x")},
	} {
		if _, err := newKey(Options{Key: bad}); err == nil {
			t.Errorf("newKey accepted %v", bad)
		}
	}
}

// TestConfigFiles compares the generated files with testdata/*.golden; -update rewrites them.
func TestConfigFiles(t *testing.T) {
	t.Parallel()
	n := &Named{
		Dir: "/state", ZoneDir: "/state/zones", ConfPath: "/state/named.conf",
		KeyPath: "/state/rndc.key", RNDCConfPath: "/state/rndc.conf",
		DNSAddr: "127.0.0.1:5353", ControlAddr: "127.0.0.1:9953",
		Key:  bindkey.Key{Name: "bindgate-key", Algorithm: bindkey.HMACSHA256, Secret: []byte("not a secret, a test fixture...")},
		opts: Options{ExtraOptions: "max-cache-size 1m;"},
	}
	keyText, conf, rndcConf, err := n.configFiles()
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]string{"rndc.key": keyText, "named.conf": conf, "rndc.conf": rndcConf} {
		golden := filepath.Join("testdata", name+".golden")
		if *update {
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	n.opts.ExtraOptions = "dnssec-validation yes; allow-new-zones no;"
	if _, conf, _, _ := n.configFiles(); strings.Contains(conf, "dnssec-validation no") || strings.Contains(conf, "allow-new-zones yes") {
		t.Error("ExtraOptions' dnssec-validation or allow-new-zones is duplicated")
	}
	n.opts.ControlKeys = []bindkey.Key{{Name: "other", Algorithm: bindkey.HMACSHA512, Secret: []byte("s")}}
	if keys, conf, _, _ := n.configFiles(); !strings.Contains(keys, `key "other" {`) || !strings.Contains(conf, `keys { "`+n.Key.Name+`"; "other"; };`) {
		t.Errorf("ControlKeys missing:\n%s\n%s", keys, conf)
	}
}

func TestPickPorts(t *testing.T) {
	t.Parallel()
	d, c, err := pickPorts(0, 0)
	if err != nil || d == c || d == 0 || c == 0 {
		t.Fatalf("pickPorts(0, 0) = %d, %d, %v", d, c, err)
	}
	if d, c, err := pickPorts(5353, 9953); err != nil || d != 5353 || c != 9953 {
		t.Errorf("given ports changed: %d, %d, %v", d, c, err)
	}
	if _, _, err := pickPorts(5353, 5353); err == nil {
		t.Error("the same port for DNS and control was accepted")
	}
}

// fakeNamed writes a shell script that stands in for a named that never becomes ready.
// fakeNamed returns the path of a stand-in for named that runs body (sh) from dir, the
// Options.Dir the test passes to Start. The executable itself is written once, in TestMain,
// before any test runs: writing an executable while a parallel test forks lets the child
// inherit the write descriptor, and exec of the file then fails with "text file busy".
func fakeNamed(t *testing.T, dir, body string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "fake-behaviour.sh"), []byte(body+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return fakeNamedPath
}

// fakeNamedPath is set by TestMain before tests run and only read afterwards.
var fakeNamedPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fake-named")
	if err != nil {
		panic(err)
	}
	fakeNamedPath = filepath.Join(dir, "named")
	// Start runs `named -g -c <Dir>/named.conf`: the behaviour file sits next to the conf.
	script := "#!/bin/sh\nexec /bin/sh \"$(dirname \"$3\")/fake-behaviour.sh\"\n"
	if err := os.WriteFile(fakeNamedPath, []byte(script), 0o755); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestStartFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		script  string
		timeout time.Duration
		want    string
	}{
		{"exits", "echo 'config error: bad things' >&2; exit 1", time.Minute, "config error: bad things"},
		{"never ready", "echo 'starting' >&2; exec sleep 60", 300 * time.Millisecond, "not ready within 300ms"},
		{"port conflict", "echo 'creating TCP socket: address in use' >&2; exec sleep 60", time.Minute, "port already in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var log strings.Builder
			dir := t.TempDir()
			n, err := Start(t.Context(), Options{
				Dir: dir, NamedPath: fakeNamed(t, dir, tt.script), StartTimeout: tt.timeout,
				DNSPort: freeTestPort(t), ControlPort: freeTestPort(t), Log: &syncWriter{w: &log},
			})
			if err == nil {
				n.Stop()
				t.Fatal("Start succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestStartCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	dir := t.TempDir()
	_, err := Start(ctx, Options{Dir: dir, NamedPath: fakeNamed(t, dir, "exec sleep 60")})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "named")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	if got, err := Find(); err != nil || got != fake {
		t.Errorf("Find() = %q, %v; want %q", got, err, fake)
	}
	t.Setenv("PATH", t.TempDir())
	got, err := Find()
	if _, statErr := os.Stat("/usr/sbin/named"); statErr == nil {
		if got != "/usr/sbin/named" {
			t.Errorf("Find() = %q, %v; want /usr/sbin/named", got, err)
		}
	} else if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "apt-get install -y bind9") {
		t.Errorf("Find() = %q, %v; want ErrNotFound with the install hint", got, err)
	}
}

// freeTestPort returns a port that was free a moment ago; a fixed port keeps Start from retrying.
func freeTestPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// syncWriter serialises writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
