// Package devmode is `bindgate dev`, what `make run` starts: a private named on loopback with a
// generated control/TSIG key, and the API in front of it, with a token and a working curl
// example printed. named is stopped by its PID when bindgate exits.
package devmode

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/bindgate/bindgate/internal/app"
	"github.com/bindgate/bindgate/internal/config"
	"github.com/bindgate/bindgate/internal/namedproc"
)

// Options configure a dev run.
type Options struct {
	Dir     string // state directory; "" -> a temporary one, removed on exit
	APIPort int    // 0 -> 8080 if free, else any free port
	DNSPort int    // 0 -> 5353 if free, else any free port
	Version string
	Stdout  io.Writer
	Logger  *slog.Logger
}

// ParseFlags reads `bindgate dev` flags.
func ParseFlags(args []string, stderr io.Writer) (Options, error) {
	fs := flag.NewFlagSet("bindgate dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o Options
	fs.StringVar(&o.Dir, "dir", "", "state directory for named and bindgate (default: a temporary directory, removed on exit)")
	fs.IntVar(&o.APIPort, "api-port", 0, "API port on 127.0.0.1 (default 8080 if free, else any free port)")
	fs.IntVar(&o.DNSPort, "dns-port", 0, "named's DNS port on 127.0.0.1 (default 5353 if free, else any free port)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("bindgate dev: unexpected argument %q", fs.Arg(0))
	}
	return o, nil
}

// Run starts named and serves the API until ctx is done.
func Run(ctx context.Context, o Options) error {
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "bindgate-dev-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}

	dnsPort := o.DNSPort
	if dnsPort == 0 && portFree(5353) {
		dnsPort = 5353
	}
	named, err := namedproc.Start(ctx, namedproc.Options{Dir: filepath.Join(dir, "named"), DNSPort: dnsPort})
	if err != nil {
		return fmt.Errorf("start named: %w", err)
	}
	defer func() {
		if err := named.Stop(); err != nil {
			log.Warn("stop named", "err", err)
		}
	}()

	ln, err := listen(o.APIPort)
	if err != nil {
		return err
	}
	token, err := randomToken()
	if err != nil {
		return err
	}
	env := named.BindgateEnv()
	env["API_PORT"] = strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	env["BIND_API_TOKEN"] = token
	cfg, err := config.Load(nil, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		ln.Close()
		return fmt.Errorf("dev configuration: %w", err)
	}
	return app.Run(ctx, cfg, app.Options{
		Version:  o.Version,
		Logger:   log,
		Listener: ln,
		Ready: func(addr string) {
			printBanner(o.Stdout, "http://"+addr, token, named, dir, o.Dir == "")
		},
	})
}

func listen(port int) (net.Listener, error) {
	if port != 0 {
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			return nil, fmt.Errorf("API port %d: %w", port, err)
		}
		return ln, nil
	}
	if ln, err := net.Listen("tcp", "127.0.0.1:8080"); err == nil {
		return ln, nil
	}
	return net.Listen("tcp", "127.0.0.1:0")
}

func portFree(p int) bool {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
	t, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	t.Close()
	u, err := net.ListenPacket("udp", addr)
	if err != nil {
		return false
	}
	u.Close()
	return true
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", errors.New("cannot generate a token")
	}
	return hex.EncodeToString(b), nil
}

func printBanner(w io.Writer, url, token string, n *namedproc.Named, dir string, temp bool) {
	host, port, _ := net.SplitHostPort(n.DNSAddr)
	keep := "kept after exit"
	if temp {
		keep = "removed on exit; pass --dir to keep it"
	}
	fmt.Fprintf(w, `
bindgate dev is running.
  API      %[1]s
  token    %[2]s
  named    pid %[3]d, DNS %[4]s, control %[5]s
  files    %[6]s (%[7]s)

Create a zone, then ask named for it:

  export TOKEN=%[2]s
  curl -sS -X POST %[1]s/api/v1/zones \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"zoneName":"example.test","zoneType":"primary","updateKeyName":"%[10]s","zoneConfig":{"ttl":300,
         "soa":{"primaryNs":"ns1.example.test.","adminEmail":"admin.example.test."},
         "nameServers":["ns1.example.test."],"nameServerIps":{"ns1.example.test.":"127.0.0.1"}}}'
  dig @%[8]s -p %[9]s example.test SOA +short

Add a record (a signed dynamic update), read the zone back:

  curl -sS -X POST %[1]s/api/v1/zones/example.test/records \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"name":"www","type":"A","value":"192.0.2.1","ttl":300}'
  dig @%[8]s -p %[9]s www.example.test A +short
  curl -sS -H "Authorization: Bearer $TOKEN" %[1]s/api/v1/zones/example.test/rrsets

Press Ctrl-C to stop; named is stopped with bindgate.
`, url, token, n.PID(), n.DNSAddr, n.ControlAddr, dir, keep, host, port, n.Key.Name)
}
