package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/quote"
)

// Config is bindgate's whole configuration. Load fills it; Guard checks it.
type Config struct {
	ZoneDir    string     // BIND_ZONE_DIR: absolute and cleaned, symlinks kept; the caller checks it exists and is writable
	StateDir   string     // BINDGATE_STATE_DIR, default <ZoneDir>/.bindgate: the durable zone registry
	ListenAddr string     // BIND_API_ADDRESS joined with API_PORT, e.g. "0.0.0.0:8080"
	LogLevel   slog.Level // LOG_LEVEL, else RUST_LOG, else info; -d/--debug -> debug
	Version    bool       // --version: print the version and exit; nothing else is set or checked

	// Auth selects the authentication mode (see AuthMode) and its parameters.
	Auth       Auth
	EnableDocs bool // BIND_ENABLE_DOCS: serve the OpenAPI document and Swagger UI (/api/v1/openapi.json, /api/v1/docs)

	Access    Access    // who may do what, and from where (issue 4)
	RateLimit RateLimit // the per-client token bucket of docs/contract.md §16

	// RNDC is the control channel and its key (docs/contract.md §14.3).
	RNDC struct {
		Addr string      // host:port
		Key  bindkey.Key // Name may be "" when nothing names the key; the rndc wire carries none
		// KeyFiles are the files the key came from (rndc.conf and its includes, the secret
		// file), empty when the environment supplied all of it. When one changes, Load again.
		KeyFiles []string
	}

	// NSUpdate is the RFC 2136 target and its TSIG key; the key defaults to the rndc key.
	NSUpdate struct {
		Addr string      // host:port, default 127.0.0.1:53
		Key  bindkey.Key // Name is "" when neither NSUPDATE_KEY_NAME, RNDC_KEY_NAME nor rndc.conf names a key
		TCP  bool        // NSUPDATE_TCP: accepted and ignored, the DNS client always uses TCP
		// KeyFiles are the files the key came from besides RNDC.KeyFiles (NSUPDATE_SECRET_FILE).
		KeyFiles []string
	}

	TLS TLS // serves the API over HTTPS when CertFile is set

	History History // retention of the zone copy's change history

	StatsURL string // BIND_STATS_URL: named's statistics channel, optional, not used yet

	// Copy configures how the live zone copy follows named (issue 9, package zonesync).
	Copy struct {
		// NotifyAddr is BINDGATE_NOTIFY_ADDR, the loopback host:port of the NOTIFY listener
		// named is told about in every managed zone's also-notify (default 127.0.0.1:5399;
		// port 0 picks a free one, for tests).
		NotifyAddr string
		// SweepInterval is BINDGATE_COPY_SWEEP_INTERVAL: the period of the serial sweep that
		// catches lost NOTIFYs (default 60 s).
		SweepInterval time.Duration
		// CompareInterval is BINDGATE_COPY_COMPARE_INTERVAL: each zone's copy is compared whole
		// with named's zone once in this period (default 24 h; 0: never), a few zones after
		// each sweep (zonesync/compare.go).
		CompareInterval time.Duration
		// CacheZones is BINDGATE_COPY_CACHE_ZONES: the most zone copies held in memory
		// (zonecopy.Config.MaxLoaded; default 1000); the others are read from the state
		// directory when used.
		CacheZones int
	}

	// HealthInterval is BINDGATE_HEALTH_INTERVAL: the period of the background readiness
	// checks, whose `status` tells that named restarted (default 10 s; tests use 1).
	HealthInterval time.Duration

	Webhook Webhook // the ExternalDNS webhook provider (issue 12)
}

// Secret is a string that redacts itself wherever it could be printed (docs/contract.md §19 A4).
// An empty Secret prints as "", so logs can still tell "unset" from "set".
type Secret string

// String redacts the secret.
func (s Secret) String() string { return s.redacted() }

// GoString redacts the secret in %#v.
func (s Secret) GoString() string { return s.redacted() }

// Format redacts the secret for every verb.
func (s Secret) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.redacted()) }

// LogValue redacts the secret in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.redacted()) }

// MarshalText redacts the secret in JSON and other encodings.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.redacted()), nil }

// Reveal returns the secret itself, for the one place that compares it.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) redacted() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// SettingError is an invalid setting. Setting is the environment variable, followed by the
// flag in parentheses when a flag supplied the value. Its text never holds a secret.
type SettingError struct {
	Setting string
	Err     error
}

func (e *SettingError) Error() string { return e.Setting + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *SettingError) Unwrap() error { return e.Err }

// Load reads args (without the program name) and the environment through env, e.g.
// os.LookupEnv; flags win. It reads rndc.conf and secret files but contacts nothing. With
// --version it returns at once with only Version set. Every invalid setting is reported, joined
// into one error; -h/--help yields an error wrapping flag.ErrHelp.
func Load(args []string, env func(string) (string, bool)) (Config, error) {
	return load(args, env, loadOptions{
		rndcConfs:   []string{"/etc/bind/rndc.conf", "/etc/rndc.conf"},
		rndcKeyFile: "/etc/bind/rndc.key",
	})
}

// LoadFixed is Load for a caller that owns some settings itself (`bindgate dev` runs its own
// named, so it fixes the zone directory, the rndc key and the API token): fixed[k] replaces
// whatever the environment says for k ("" = unset), and a flag for k is an error naming it.
// Every other setting is read as the server reads it.
func LoadFixed(args []string, env func(string) (string, bool), fixed map[string]string) (Config, error) {
	return load(args, env, loadOptions{
		rndcConfs:   []string{"/etc/bind/rndc.conf", "/etc/rndc.conf"},
		rndcKeyFile: "/etc/bind/rndc.key",
		fixed:       fixed,
	})
}

// loadOptions are the places Load reads outside the environment; tests point them at a
// temporary directory (or nowhere) so that they never read /etc.
type loadOptions struct {
	fixed     map[string]string // settings the caller owns (LoadFixed)
	rndcConfs []string          // rndc.conf search list (docs/contract.md §14.3)
	// rndcKeyFile is BIND's default key file (Debian's postinst writes it with rndc-confgen -a),
	// used when no rndc.conf exists and RNDC_CONF is unset, as bin/rndc/rndc.c does.
	rndcKeyFile string
}

// load is Load with its file locations as options.
func load(args []string, env func(string) (string, bool), opts loadOptions) (Config, error) {
	v, cli, err := collect(args, env)
	if err != nil {
		return Config{}, err
	}
	var fixedErrs []error
	for k, val := range opts.fixed {
		if f, ok := v.fromFlag[k]; ok {
			fixedErrs = append(fixedErrs, fmt.Errorf("--%s: %s is set by this command itself", f, k))
		}
		v.val[k] = val
	}
	if len(fixedErrs) > 0 {
		slices.SortFunc(fixedErrs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return Config{}, errors.Join(fixedErrs...)
	}
	if cli.version { // printing the version needs no key and no valid configuration
		return Config{Version: true}, nil
	}
	p := &loader{v: v}
	var c Config
	c.ZoneDir = p.absDir(SettingZoneDir)
	if c.StateDir = filepath.Join(c.ZoneDir, ".bindgate"); v.isSet(SettingStateDir) {
		c.StateDir = p.absDir(SettingStateDir)
	}
	c.ListenAddr = p.listenAddr()
	c.LogLevel = p.logLevel()
	if cli.debug {
		c.LogLevel = slog.LevelDebug
	}
	p.auth(&c)
	c.EnableDocs = p.boolean("BIND_ENABLE_DOCS")
	p.access(&c)
	c.RateLimit.Enabled = p.boolean("RATE_LIMIT_ENABLED")
	c.RateLimit.Requests = p.integer("RATE_LIMIT_REQUESTS", 1, 1<<30)
	c.RateLimit.PeriodSecs = p.integer("RATE_LIMIT_PERIOD_SECS", 1, 1<<30)
	c.RateLimit.Burst = p.integer("RATE_LIMIT_BURST", 1, 1<<30)
	c.TLS.CertFile, c.TLS.KeyFile, c.TLS.ClientCAFile = v.get("BIND_TLS_CERT"), v.get("BIND_TLS_KEY"), v.get("BIND_TLS_CLIENT_CA")
	c.TLS.ReloadInterval = time.Duration(p.integer("BIND_TLS_RELOAD_INTERVAL", 0, 1<<31-1)) * time.Second
	c.StatsURL = p.httpURL("BIND_STATS_URL", "http", "https")
	c.History.MaxChanges = p.integer(SettingHistoryMaxChanges, 1, 1_000_000)
	c.History.MaxAge = p.age(SettingHistoryMaxAge)
	c.Copy.NotifyAddr = p.loopbackAddr(SettingNotifyAddr)
	c.Copy.SweepInterval = time.Duration(p.integer("BINDGATE_COPY_SWEEP_INTERVAL", 1, 86400)) * time.Second
	c.Copy.CacheZones = p.integer("BINDGATE_COPY_CACHE_ZONES", 16, 10_000_000)
	c.Copy.CompareInterval = time.Duration(p.integer("BINDGATE_COPY_COMPARE_INTERVAL", 0, 365*86400)) * time.Second
	c.HealthInterval = time.Duration(p.integer(SettingHealthInterval, 1, 3600)) * time.Second
	p.webhook(&c)
	p.keys(&c, opts)
	if err := errors.Join(p.errs...); err != nil {
		return Config{}, err
	}
	return c, nil
}

// access reads the authorization, allowlist, in-flight and audit settings.
func (p *loader) access(c *Config) {
	c.Access.TokensFile = p.optionalAbs(SettingTokensFile)
	c.Access.PolicyFile = p.optionalAbs(SettingAccessFile)
	for _, item := range splitList(p.v.get("BINDGATE_ALLOWED_CIDRS")) {
		pfx, err := netip.ParsePrefix(item)
		if err != nil {
			a, aerr := netip.ParseAddr(item)
			if aerr != nil {
				p.fail("BINDGATE_ALLOWED_CIDRS", fmt.Errorf("%s is not an IP address or CIDR prefix", quote.Short(item)))
				continue
			}
			a = a.Unmap()
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		c.Access.AllowedCIDRs = append(c.Access.AllowedCIDRs, pfx.Masked())
	}
	c.Access.MaxInFlight = p.integer("BINDGATE_MAX_INFLIGHT", 1, 1<<20)
	switch a := p.v.get(SettingAuditLog); {
	case a == "stderr", a == "stdout", a == "off":
		c.Access.AuditLog = a
	case filepath.IsAbs(a):
		c.Access.AuditLog = filepath.Clean(a)
	default:
		p.fail(SettingAuditLog, fmt.Errorf("%s: use stderr, stdout, off or an absolute file path", quote.Short(a)))
	}
}

// optionalAbs returns setting k as a clean absolute path, or "" when unset.
func (p *loader) optionalAbs(k string) string {
	if p.v.get(k) == "" {
		return ""
	}
	return p.absDir(k)
}

// loader turns values into typed settings, collecting every error.
type loader struct {
	v    values
	errs []error
}

// fail records an error about setting k.
func (p *loader) fail(k string, err error) {
	p.errs = append(p.errs, &SettingError{Setting: p.v.name(k), Err: err})
}

func (p *loader) boolean(k string) bool {
	if p.v.get(k) == "" {
		return false
	}
	b, err := parseBool(p.v.get(k))
	if err != nil {
		p.fail(k, err)
	}
	return b
}

func (p *loader) integer(k string, lo, hi int) int {
	n, err := parseInt(p.v.get(k), lo, hi)
	if err != nil {
		p.fail(k, err)
	}
	return n
}

// age reads a non-negative duration: Go syntax ("720h", "90m") or whole days ("30d").
func (p *loader) age(k string) time.Duration {
	d, err := parseAge(p.v.get(k))
	if err != nil {
		p.fail(k, err)
	}
	return d
}

// absDir returns setting k as a clean absolute path; symlinks are left alone.
func (p *loader) absDir(k string) string {
	s := p.v.get(k)
	if !filepath.IsAbs(s) {
		p.fail(k, fmt.Errorf("%s is not an absolute path", quote.Short(s)))
		return s
	}
	return filepath.Clean(s)
}

// httpURL checks an optional URL setting: one of schemes, a host, no user info (a password in
// a URL would end up in logs).
func (p *loader) httpURL(k string, schemes ...string) string {
	s := p.v.get(k)
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || !containsFold(schemes, u.Scheme):
		p.fail(k, fmt.Errorf("not a %s:// URL with a host", strings.Join(schemes, ":// or ")))
	case u.User != nil:
		p.fail(k, errors.New("user info in the URL is not supported"))
	}
	return s
}

func containsFold(list []string, s string) bool {
	for _, l := range list {
		if strings.EqualFold(l, s) {
			return true
		}
	}
	return false
}

// loopbackAddr reads a host:port whose host is a loopback IP address.
func (p *loader) loopbackAddr(k string) string {
	v := p.v.get(k)
	host, port, err := net.SplitHostPort(v)
	if err == nil {
		if a, aerr := netip.ParseAddr(host); aerr != nil || !a.IsLoopback() {
			err = errors.New("the host must be a loopback IP address")
		} else if n, perr := strconv.Atoi(port); perr != nil || n < 0 || n > 65535 {
			err = errors.New("the port must be 0-65535")
		}
	}
	if err != nil {
		p.fail(k, fmt.Errorf("%s is not a loopback host:port: %w", quote.Short(v), err))
		return ""
	}
	return v
}

func (p *loader) listenAddr() string {
	host, err := parseHost(strings.TrimSpace(p.v.get(SettingAPIAddress)))
	if err != nil {
		p.fail(SettingAPIAddress, err)
	}
	port := p.integer(SettingAPIPort, 1, 65535)
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// logLevel takes LOG_LEVEL, else RUST_LOG, else info.
func (p *loader) logLevel() slog.Level {
	if p.v.get("LOG_LEVEL") != "" {
		l, err := parseLevel(p.v.get("LOG_LEVEL"))
		if err != nil {
			p.fail("LOG_LEVEL", err)
		}
		return l
	}
	l, err := parseRustLog(p.v.get("RUST_LOG"))
	if err != nil {
		p.fail("RUST_LOG", err)
	}
	return l
}
