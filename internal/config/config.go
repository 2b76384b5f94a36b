// Package config reads bindgate's configuration from the environment (bindcar's variables,
// CONTRACT §14) and command-line flags (which win), resolves the rndc and TSIG keys (env, then
// rndc.conf, then defaults, per parameter, §14.3), and holds the startup guards (§15.3).
// Invalid configuration is an error that names the setting and never prints a secret.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/bindgate/bindgate/internal/bindkey"
)

// Config is bindgate's whole configuration.
type Config struct {
	ZoneDir    string     // BIND_ZONE_DIR
	StateDir   string     // BINDGATE_STATE_DIR (the zone registry)
	ListenAddr string     // BIND_API_ADDRESS:API_PORT
	LogLevel   slog.Level // LOG_LEVEL, else RUST_LOG
	Version    bool       // --version

	Auth struct {
		Disabled               bool
		AllowInsecure          bool
		Token                  Secret
		TokenAudiences         []string
		AllowedServiceAccounts []string
		AllowedNamespaces      []string
		AllowAnyServiceAccount bool
		KubeAPIServer          string
		KubeTokenPath          string
		KubeCACertPath         string
	}
	EnableDocs bool
	RateLimit  struct {
		Enabled                     bool
		Requests, PeriodSecs, Burst int
	}
	RNDC struct {
		Addr     string
		Key      bindkey.Key
		ConfPath string // the rndc.conf that was read, "" when none
	}
	NSUpdate struct {
		Addr string
		Key  bindkey.Key
		TCP  bool
	}
	TLS struct {
		CertFile, KeyFile, ClientCAFile string
		ReloadInterval                  time.Duration
	}
}

// Secret is a string that redacts itself wherever it could be printed (CONTRACT §19 A4).
type Secret string

func (s Secret) String() string                { return redacted(s) }
func (s Secret) GoString() string              { return redacted(s) }
func (s Secret) Format(f fmt.State, verb rune) { fmt.Fprint(f, redacted(s)) }
func (s Secret) LogValue() slog.Value          { return slog.StringValue(redacted(s)) }
func (s Secret) Reveal() string                { return string(s) }
func redacted(s Secret) string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// setting is one configurable value: its environment variable and flag.
type setting struct {
	env, flag, def, usage string
	isBool                bool
}

// settings lists every value in one place, so flags, env and README stay in step.
func settings() []setting {
	return []setting{
		{env: "BIND_ZONE_DIR", flag: "zone-dir", def: "/var/cache/bind", usage: "zone file directory shared with named (absolute)"},
		{env: "BINDGATE_STATE_DIR", flag: "state-dir", usage: "zone registry directory (default <zone dir>/.bindgate)"},
		{env: "BIND_API_ADDRESS", flag: "listen-address", def: "0.0.0.0", usage: "API listen address"},
		{env: "API_PORT", flag: "port", def: "8080", usage: "API listen port"},
		{env: "LOG_LEVEL", flag: "log-level", usage: "debug, info, warn or error (default: RUST_LOG, else info)"},
		{env: "RUST_LOG", usage: "bindcar's log setting: a level or EnvFilter directives; the most verbose level named wins"},
		{env: "DISABLE_AUTH", flag: "disable-auth", isBool: true, usage: "serve without authentication (guarded: loopback only unless --i-know-this-is-insecure)"},
		{env: "BINDCAR_ALLOW_INSECURE_AUTH", flag: "i-know-this-is-insecure", isBool: true, usage: "allow DISABLE_AUTH on a non-loopback address"},
		{env: "BIND_API_TOKEN", usage: "shared-secret bearer token (env only: argv is visible to every process)"},
		{env: "BIND_API_TOKEN_FILE", flag: "api-token-file", usage: "file holding the shared-secret token"},
		{env: "BIND_TOKEN_AUDIENCES", flag: "token-audiences", def: "bindcar", usage: "TokenReview audiences, comma separated"},
		{env: "BIND_ALLOWED_SERVICE_ACCOUNTS", flag: "allowed-service-accounts", usage: "TokenReview: allowed system:serviceaccount:<ns>:<name>, comma separated"},
		{env: "BIND_ALLOWED_NAMESPACES", flag: "allowed-namespaces", usage: "TokenReview: allowed namespaces, comma separated"},
		{env: "BIND_ALLOW_ANY_SERVICEACCOUNT", flag: "allow-any-serviceaccount", isBool: true, usage: "TokenReview without an allowlist"},
		{env: "KUBE_API_SERVER", flag: "kube-api-server", usage: "TokenReview target outside a cluster (with KUBE_TOKEN_PATH, KUBE_CA_CERT_PATH)"},
		{env: "KUBE_TOKEN_PATH", flag: "kube-token-path", usage: "token file for KUBE_API_SERVER"},
		{env: "KUBE_CA_CERT_PATH", flag: "kube-ca-cert-path", usage: "CA file for KUBE_API_SERVER"},
		{env: "BIND_ENABLE_DOCS", flag: "enable-docs", isBool: true, usage: "serve the OpenAPI document and docs UI"},
		{env: "RATE_LIMIT_ENABLED", flag: "rate-limit-enabled", def: "true", usage: "per-peer rate limit on"},
		{env: "RATE_LIMIT_REQUESTS", flag: "rate-limit-requests", def: "600", usage: "requests per period"},
		{env: "RATE_LIMIT_PERIOD_SECS", flag: "rate-limit-period-secs", def: "60", usage: "rate-limit period in seconds"},
		{env: "RATE_LIMIT_BURST", flag: "rate-limit-burst", def: "50", usage: "rate-limit burst"},
		{env: "RNDC_CONF", flag: "rndc-conf", usage: "rndc.conf to read (default /etc/bind/rndc.conf, then /etc/rndc.conf)"},
		{env: "RNDC_SERVER", flag: "rndc-server", usage: "control channel: host, host:port, [v6]:port (default rndc.conf, else 127.0.0.1:953)"},
		{env: "RNDC_ALGORITHM", flag: "rndc-algorithm", usage: "hmac-sha224/256/384/512 (default rndc.conf, else hmac-sha256)"},
		{env: "RNDC_SECRET", usage: "rndc key secret, base64 (env only)"},
		{env: "RNDC_SECRET_FILE", flag: "rndc-secret-file", usage: "file holding the rndc key secret, base64"},
		{env: "RNDC_KEY_NAME", flag: "rndc-key-name", usage: "rndc key name (default: the rndc.conf key)"},
		{env: "NSUPDATE_SERVER", flag: "nsupdate-server", def: "127.0.0.1", usage: "RFC 2136 update target"},
		{env: "NSUPDATE_PORT", flag: "nsupdate-port", def: "53", usage: "RFC 2136 update port"},
		{env: "NSUPDATE_KEY_NAME", flag: "nsupdate-key-name", usage: "TSIG key name (default the rndc key name)"},
		{env: "NSUPDATE_ALGORITHM", flag: "nsupdate-algorithm", usage: "TSIG algorithm (default the rndc one)"},
		{env: "NSUPDATE_SECRET", usage: "TSIG secret, base64 (env only; default the rndc one)"},
		{env: "NSUPDATE_TCP", flag: "nsupdate-tcp", isBool: true, usage: "send updates over TCP"},
		{env: "BIND_TLS_CERT", flag: "tls-cert", usage: "TLS certificate (PEM), with BIND_TLS_KEY"},
		{env: "BIND_TLS_KEY", flag: "tls-key", usage: "TLS private key (PEM), with BIND_TLS_CERT"},
		{env: "BIND_TLS_CLIENT_CA", flag: "tls-client-ca", usage: "CA (PEM) clients must present a certificate from (mTLS)"},
		{env: "BIND_TLS_RELOAD_INTERVAL", flag: "tls-reload-interval", def: "60", usage: "seconds between certificate checks, 0 off"},
		{env: "TMPDIR", usage: "accepted; bindgate writes no temporary files outside BIND_ZONE_DIR and its state dir"},
	}
}

// Usage writes the flag and environment reference.
func Usage(w io.Writer) {
	fmt.Fprintln(w, "usage: bindgate [run|drone] [flags]   |   bindgate dev [--dir D] [--api-port P] [--dns-port P]")
	fmt.Fprintln(w, "Flags override environment variables:")
	for _, s := range settings() {
		f := "(env only)"
		if s.flag != "" {
			f = "--" + s.flag
		}
		def := ""
		if s.def != "" {
			def = " [" + s.def + "]"
		}
		fmt.Fprintf(w, "  %-32s %-28s %s%s\n", s.env, f, s.usage, def)
	}
	fmt.Fprintln(w, "  -d, --debug                      debug logging;  --version  print the version")
}

// Load reads args (without the program name) and env.
func Load(args []string, env func(string) (string, bool)) (Config, error) {
	vals, extra, err := collect(args, env)
	if err != nil {
		return Config{}, err
	}
	if extra.version { // printing the version needs no key and no valid configuration
		return Config{Version: true}, nil
	}
	var c Config
	var errs []error
	get := func(k string) string { return vals[k] }
	boolean := func(k string) bool {
		b, err := parseBool(vals[k])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k, err))
		}
		return b
	}
	integer := func(k string, min, max int) int {
		n, err := strconv.Atoi(strings.TrimSpace(vals[k]))
		if err != nil || n < min || n > max {
			errs = append(errs, fmt.Errorf("%s: %q is not a whole number from %d to %d", k, vals[k], min, max))
		}
		return n
	}

	c.Version = extra.version
	c.ZoneDir = filepath.Clean(get("BIND_ZONE_DIR"))
	if !filepath.IsAbs(get("BIND_ZONE_DIR")) {
		errs = append(errs, fmt.Errorf("BIND_ZONE_DIR: %q must be an absolute path", get("BIND_ZONE_DIR")))
	}
	c.StateDir = get("BINDGATE_STATE_DIR")
	if c.StateDir == "" {
		c.StateDir = filepath.Join(c.ZoneDir, ".bindgate")
	} else if !filepath.IsAbs(c.StateDir) {
		errs = append(errs, fmt.Errorf("BINDGATE_STATE_DIR: %q must be an absolute path", c.StateDir))
	}
	port := integer("API_PORT", 1, 65535)
	c.ListenAddr = net.JoinHostPort(get("BIND_API_ADDRESS"), strconv.Itoa(port))

	if c.LogLevel, err = logLevel(get("LOG_LEVEL"), get("RUST_LOG")); err != nil {
		errs = append(errs, err)
	}
	if extra.debug {
		c.LogLevel = slog.LevelDebug
	}

	c.Auth.Disabled = boolean("DISABLE_AUTH")
	c.Auth.AllowInsecure = boolean("BINDCAR_ALLOW_INSECURE_AUTH")
	tok := get("BIND_API_TOKEN")
	if f := get("BIND_API_TOKEN_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("BIND_API_TOKEN_FILE: cannot read %s", f))
		}
		tok = strings.TrimSpace(string(b))
	}
	c.Auth.Token = Secret(tok)
	c.Auth.TokenAudiences = list(get("BIND_TOKEN_AUDIENCES"))
	c.Auth.AllowedServiceAccounts = list(get("BIND_ALLOWED_SERVICE_ACCOUNTS"))
	c.Auth.AllowedNamespaces = list(get("BIND_ALLOWED_NAMESPACES"))
	c.Auth.AllowAnyServiceAccount = boolean("BIND_ALLOW_ANY_SERVICEACCOUNT")
	c.Auth.KubeAPIServer, c.Auth.KubeTokenPath, c.Auth.KubeCACertPath = get("KUBE_API_SERVER"), get("KUBE_TOKEN_PATH"), get("KUBE_CA_CERT_PATH")
	c.EnableDocs = boolean("BIND_ENABLE_DOCS")

	c.RateLimit.Enabled = boolean("RATE_LIMIT_ENABLED")
	c.RateLimit.Requests = integer("RATE_LIMIT_REQUESTS", 1, 1<<30)
	c.RateLimit.PeriodSecs = integer("RATE_LIMIT_PERIOD_SECS", 1, 1<<30)
	c.RateLimit.Burst = integer("RATE_LIMIT_BURST", 1, 1<<30)

	c.NSUpdate.TCP = boolean("NSUPDATE_TCP")
	c.TLS.CertFile, c.TLS.KeyFile, c.TLS.ClientCAFile = get("BIND_TLS_CERT"), get("BIND_TLS_KEY"), get("BIND_TLS_CLIENT_CA")
	c.TLS.ReloadInterval = time.Duration(integer("BIND_TLS_RELOAD_INTERVAL", 0, 86400)) * time.Second

	if err := resolveKeys(&c, vals); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

type extraFlags struct{ debug, version bool }

// collect merges defaults, the environment and flags (flags win) into one map by env name.
func collect(args []string, env func(string) (string, bool)) (map[string]string, extraFlags, error) {
	vals := map[string]string{}
	fs := flag.NewFlagSet("bindgate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	flagEnv := map[string]string{}
	for _, s := range settings() {
		vals[s.env] = s.def
		if v, ok := env(s.env); ok {
			vals[s.env] = v
		}
		switch {
		case s.flag == "":
		case s.isBool:
			fs.Bool(s.flag, false, s.usage)
		default:
			fs.String(s.flag, "", s.usage)
		}
		flagEnv[s.flag] = s.env
	}
	var ex extraFlags
	fs.BoolVar(&ex.debug, "d", false, "debug logging")
	fs.BoolVar(&ex.debug, "debug", false, "debug logging")
	fs.BoolVar(&ex.version, "version", false, "print the version")
	// bindcar's subcommand words are accepted and mean nothing.
	for len(args) > 0 && (args[0] == "run" || args[0] == "drone") {
		args = args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return nil, ex, fmt.Errorf("%w (see bindgate --help)", err)
	}
	if fs.NArg() > 0 {
		return nil, ex, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) {
		if e, ok := flagEnv[f.Name]; ok {
			vals[e] = f.Value.String()
		}
	})
	return vals, ex, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "false", "0", "no":
		return false, nil
	case "true", "1", "yes":
		return true, nil
	}
	return false, fmt.Errorf("%q is not a boolean (true/false, 1/0, yes/no)", s)
}

func list(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// logLevel takes LOG_LEVEL, else RUST_LOG (a level or EnvFilter directives such as
// "info,bindcar=debug": the most verbose level named wins; trace counts as debug).
func logLevel(level, rust string) (slog.Level, error) {
	name, src := level, "LOG_LEVEL"
	if name == "" {
		name, src = rust, "RUST_LOG"
	}
	if strings.TrimSpace(name) == "" {
		return slog.LevelInfo, nil
	}
	best, found := slog.Level(100), false
	for part := range strings.SplitSeq(name, ",") {
		if _, v, ok := strings.Cut(part, "="); ok {
			part = v
		}
		var l slog.Level
		switch strings.ToLower(strings.TrimSpace(part)) {
		case "trace", "debug":
			l = slog.LevelDebug
		case "info":
			l = slog.LevelInfo
		case "warn", "warning":
			l = slog.LevelWarn
		case "error", "off":
			l = slog.LevelError
		default:
			continue
		}
		found = true
		best = min(best, l)
	}
	if !found {
		return slog.LevelInfo, fmt.Errorf("%s: %q names no log level (trace, debug, info, warn, error)", src, name)
	}
	return best, nil
}

// loopback reports whether host is localhost, 127.0.0.0/8 or ::1 (not 0.0.0.0 or ::).
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}
