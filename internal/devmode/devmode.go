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
	"slices"
	"strconv"
	"strings"

	"github.com/bindgate/bindgate/internal/app"
	"github.com/bindgate/bindgate/internal/config"
	"github.com/bindgate/bindgate/internal/namedproc"
)

// Options configure a dev run.
type Options struct {
	Dir         string // state directory; "" -> a temporary one, removed on exit
	APIPort     int    // 0 -> 8080 if free, else any free port
	DNSPort     int    // 0 -> 5353 if free, else any free port
	ControlPort int    // named's control port; 0 -> any free port
	// Args and Env are the server's flags and environment (config.Load): rate limit, audit,
	// log level, allowlists, access file and the rest apply as they do to the server, except
	// the settings dev owns (see fixedSettings). Env nil reads no environment.
	Args    []string
	Env     func(string) (string, bool)
	Version string
	Stdout  io.Writer
	// Stderr receives the JSON log at the configured level; nil -> os.Stderr. Logger, when set,
	// is used instead (tests).
	Stderr io.Writer
	Logger *slog.Logger
}

// ParseFlags reads `bindgate dev` arguments: dev's own flags, and the server's flags, which
// are kept in Args for config to parse.
func ParseFlags(args []string, stderr io.Writer) (Options, error) {
	devFlags := []string{"dir", "api-port", "dns-port", "control-port"} // every other flag is the server's
	var own, server []string
	for i := 0; i < len(args); i++ {
		name, _, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if name == "h" || name == "help" {
			return Options{}, flag.ErrHelp // the caller prints the server's usage, which names dev's flags
		}
		if !strings.HasPrefix(args[i], "-") || !slices.Contains(devFlags, name) {
			server = append(server, args[i])
			continue
		}
		own = append(own, args[i])
		if !hasValue && i+1 < len(args) {
			i++
			own = append(own, args[i])
		}
	}
	fs := flag.NewFlagSet("bindgate dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o Options
	fs.StringVar(&o.Dir, "dir", "", "state directory for named and bindgate (default: a temporary directory, removed on exit)")
	fs.IntVar(&o.APIPort, "api-port", 0, "API port on 127.0.0.1 (default 8080 if free, else any free port)")
	fs.IntVar(&o.DNSPort, "dns-port", 0, "named's DNS port on 127.0.0.1 (default 5353 if free, else any free port)")
	fs.IntVar(&o.ControlPort, "control-port", 0, "named's control (rndc) port on 127.0.0.1 (default any free port)")
	if err := fs.Parse(own); err != nil {
		return o, err
	}
	o.Args = server
	return o, nil
}

// fixedSettings are the server settings dev owns: its named's files, ports and key, loopback,
// plain HTTP and a generated token. Every other setting is the user's.
func fixedSettings(named *namedproc.Named, apiPort int, token string) map[string]string {
	fixed := named.BindgateEnv()
	fixed["API_PORT"] = strconv.Itoa(apiPort)
	fixed["BIND_API_TOKEN"] = token
	// The key comes from the files (rndc.conf including named's key file, which named.conf
	// includes too), not the environment: bindgate then follows a rotated key file, so
	// `bindgate rotate-key --key-file` on it works without a restart (issue 10).
	for _, k := range []string{"RNDC_SECRET", "RNDC_ALGORITHM", "RNDC_KEY_NAME", "BIND_API_TOKEN_FILE", "DISABLE_AUTH", "RNDC_SECRET_FILE", "NSUPDATE_KEY_NAME",
		"NSUPDATE_ALGORITHM", "NSUPDATE_SECRET", "NSUPDATE_SECRET_FILE", "BIND_TLS_CERT", "BIND_TLS_KEY", "BIND_TLS_CLIENT_CA"} {
		fixed[k] = ""
	}
	return fixed
}

// Run starts named and serves the API until ctx is done.
func Run(ctx context.Context, o Options) error {
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	level := new(slog.LevelVar)
	log := o.Logger
	if log == nil {
		w := o.Stderr
		if w == nil {
			w = os.Stderr
		}
		log = slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
	}
	env := o.Env
	if env == nil {
		env = func(string) (string, bool) { return "", false }
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
	named, err := namedproc.Start(ctx, namedproc.Options{Dir: filepath.Join(dir, "named"), DNSPort: dnsPort, ControlPort: o.ControlPort})
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
	fixed := fixedSettings(named, ln.Addr().(*net.TCPAddr).Port, token)
	cfg, err := config.LoadFixed(o.Args, env, fixed)
	if err == nil {
		err = cfg.Guard()
	}
	if err != nil {
		ln.Close()
		return fmt.Errorf("dev configuration: %w", err)
	}
	level.Set(cfg.LogLevel)
	return app.Run(ctx, cfg, app.Options{
		Version:  o.Version,
		Logger:   log,
		Listener: ln,
		// Re-read on SIGHUP and when the key file changes (rotate-key).
		Reload: func() (config.Config, error) { return config.LoadFixed(o.Args, env, fixed) },
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

Rotate the rndc/TSIG key (named and bindgate switch without a restart):

  BINDGATE_URL=%[1]s BINDGATE_TOKEN=$TOKEN bindgate rotate-key --key-file %[11]s

Press Ctrl-C to stop; named is stopped with bindgate.
`, url, token, n.PID(), n.DNSAddr, n.ControlAddr, dir, keep, host, port, n.Key.Name, n.KeyPath)
}
