package config

import (
	"flag"
	"fmt"
	"io"
)

// setting is one configurable value: its environment variable, its flag and its default.
type setting struct {
	env    string // environment variable
	flag   string // flag name, "" when the value is a secret or not ours to set
	def    string // default, "" = none
	isBool bool
	usage  string // a `word` in backquotes names the flag's argument
}

// settings lists every value in one place, so flags, environment and help stay in step.
func settings() []setting {
	return []setting{
		{env: SettingZoneDir, flag: "zone-dir", def: "/var/cache/bind", usage: "zone file `directory` shared with named; absolute"},
		{env: SettingStateDir, flag: "state-dir", usage: "zone registry `directory`; absolute (default <zone dir>/.bindgate)"},
		{env: SettingAPIAddress, flag: "listen-address", def: "0.0.0.0", usage: "API listen `address`"},
		{env: SettingAPIPort, flag: "port", def: "8080", usage: "API listen `port`"},
		{env: "LOG_LEVEL", flag: "log-level", usage: "`level`: debug, info, warn or error (default RUST_LOG, else info)"},
		{env: "RUST_LOG", usage: "bindcar's log setting, a level or EnvFilter directives: the most verbose level named wins"},
		{env: "DISABLE_AUTH", flag: "disable-auth", isBool: true, usage: "serve without authentication (refused off loopback without --i-know-this-is-insecure)"},
		{env: "BINDCAR_ALLOW_INSECURE_AUTH", flag: "i-know-this-is-insecure", isBool: true, usage: "allow DISABLE_AUTH on a non-loopback address"},
		{env: "BIND_API_TOKEN", usage: "shared-secret bearer token (no flag: argv is visible)"},
		{env: "BIND_API_TOKEN_FILE", flag: "api-token-file", usage: "`file` holding the shared-secret bearer token"},
		{env: SettingTokensFile, flag: "api-tokens-file", usage: "JSON `file` of named tokens stored as SHA-256 digests, reloaded when it changes"},
		{env: SettingAccessFile, flag: "access-file", usage: "JSON `file` mapping principals to read-only/read-write zone scopes, reloaded when it changes (default: full access)"},
		{env: "BINDGATE_ALLOWED_CIDRS", flag: "allowed-cidrs", usage: "client addresses allowed on the API routes, comma-separated `list` of IPs and CIDRs (default: any)"},
		{env: "BINDGATE_MAX_INFLIGHT", flag: "max-inflight", def: "256", usage: "most API requests working on BIND at once, `n` >= 1; more wait, then 503"},
		{env: SettingHistoryMaxChanges, flag: "history-max-changes", def: "1000", usage: "zone history retention: keep each zone's last `n` changes (1-1000000), or all younger than BINDGATE_HISTORY_MAX_AGE, whichever keeps more"},
		{env: SettingHistoryMaxAge, flag: "history-max-age", def: "30d", usage: "zone history retention: keep every change younger than this `age` (Go duration such as 720h, or whole days such as 30d; 0 = by count only)"},
		{env: SettingAuditLog, flag: "audit-log", def: "stderr", usage: "audit `sink`: stderr, stdout, off, or an absolute file path (appended, mode 0600)"},
		{env: "BIND_TOKEN_AUDIENCES", flag: "token-audiences", def: "bindcar", usage: "TokenReview audiences, comma-separated `list`"},
		{env: "BIND_ALLOWED_SERVICE_ACCOUNTS", flag: "allowed-service-accounts", usage: "TokenReview: allowed system:serviceaccount:<ns>:<name>, comma-separated `list`"},
		{env: "BIND_ALLOWED_NAMESPACES", flag: "allowed-namespaces", usage: "TokenReview: allowed service-account namespaces, comma-separated `list`"},
		{env: "BIND_ALLOW_ANY_SERVICEACCOUNT", flag: "allow-any-serviceaccount", isBool: true, usage: "TokenReview: accept any authenticated service account"},
		{env: "KUBE_API_SERVER", flag: "kube-api-server", usage: "TokenReview target outside a cluster, https `URL` (with KUBE_TOKEN_PATH and KUBE_CA_CERT_PATH)"},
		{env: "KUBE_TOKEN_PATH", flag: "kube-token-path", usage: "bearer token `file` for KUBE_API_SERVER"},
		{env: "KUBE_CA_CERT_PATH", flag: "kube-ca-cert-path", usage: "CA certificate `file` for KUBE_API_SERVER"},
		{env: "BIND_ENABLE_DOCS", flag: "enable-docs", isBool: true, usage: "serve the OpenAPI document at /api/v1/openapi.json and Swagger UI at /api/v1/docs (no auth, behind the CIDR allowlist)"},
		{env: "RATE_LIMIT_ENABLED", flag: "rate-limit-enabled", def: "true", isBool: true, usage: "per-client rate limit"},
		{env: "RATE_LIMIT_REQUESTS", flag: "rate-limit-requests", def: "600", usage: "rate limit: requests per period, `n` >= 1"},
		{env: "RATE_LIMIT_PERIOD_SECS", flag: "rate-limit-period-secs", def: "60", usage: "rate limit: period in `seconds`, >= 1"},
		{env: "RATE_LIMIT_BURST", flag: "rate-limit-burst", def: "50", usage: "rate limit: burst, `n` >= 1"},
		{env: "RNDC_CONF", flag: "rndc-conf", usage: "rndc.conf `file` (default /etc/bind/rndc.conf, then /etc/rndc.conf, then BIND's key file /etc/bind/rndc.key)"},
		{env: "RNDC_SERVER", flag: "rndc-server", usage: "control channel `address`: host, host:port, [v6]:port or bare IPv6 (default rndc.conf, else 127.0.0.1:953)"},
		{env: "RNDC_ALGORITHM", flag: "rndc-algorithm", usage: "rndc key `algorithm`, hmac-sha224/256/384/512 (default rndc.conf, else hmac-sha256)"},
		{env: "RNDC_SECRET", usage: "rndc key secret, base64 (no flag: argv is visible; default rndc.conf)"},
		{env: "RNDC_SECRET_FILE", flag: "rndc-secret-file", usage: "`file` holding the rndc key secret, base64 (instead of RNDC_SECRET)"},
		{env: "RNDC_KEY_NAME", flag: "rndc-key-name", usage: "rndc key `name` (default rndc.conf's key)"},
		{env: "NSUPDATE_SERVER", flag: "nsupdate-server", def: "127.0.0.1", usage: "RFC 2136 update target `host`"},
		{env: "NSUPDATE_PORT", flag: "nsupdate-port", def: "53", usage: "RFC 2136 update `port`"},
		{env: "NSUPDATE_KEY_NAME", flag: "nsupdate-key-name", usage: "TSIG key `name` (default RNDC_KEY_NAME, then rndc.conf's key name)"},
		{env: "NSUPDATE_ALGORITHM", flag: "nsupdate-algorithm", usage: "TSIG `algorithm` (default the rndc key's)"},
		{env: "NSUPDATE_SECRET", usage: "TSIG secret, base64 (no flag: argv is visible; default the rndc key's)"},
		{env: "NSUPDATE_SECRET_FILE", flag: "nsupdate-secret-file", usage: "`file` holding the TSIG secret, base64 (instead of NSUPDATE_SECRET)"},
		{env: "NSUPDATE_TCP", flag: "nsupdate-tcp", isBool: true, usage: "accepted for bindcar compatibility and ignored: updates, AXFR and checks always use TCP"},
		{env: "BIND_TLS_CERT", flag: "tls-cert", usage: "TLS certificate `file` (PEM), with BIND_TLS_KEY"},
		{env: "BIND_TLS_KEY", flag: "tls-key", usage: "TLS private key `file` (PEM), with BIND_TLS_CERT"},
		{env: "BIND_TLS_CLIENT_CA", flag: "tls-client-ca", usage: "CA `file` (PEM) client certificates must chain to (mTLS)"},
		{env: "BIND_TLS_RELOAD_INTERVAL", flag: "tls-reload-interval", def: "60", usage: "`seconds` between certificate checks, 0 = off"},
		{env: "BIND_STATS_URL", flag: "stats-url", usage: "named's statistics channel, http(s) `URL`; validated, not used yet"},
		{env: SettingNotifyAddr, flag: "notify-addr", def: "127.0.0.1:5399", usage: "loopback `host:port` where bindgate receives named's NOTIFYs (UDP and TCP) to keep its zone copy current; added to every managed zone's also-notify"},
		{env: "BINDGATE_COPY_CACHE_ZONES", flag: "copy-cache-zones", def: "1000", usage: "most zone copies held in memory, `n` 16-10000000; the least recently used others are read from the state directory again when used"},
		{env: "BINDGATE_COPY_SWEEP_INTERVAL", flag: "copy-sweep-interval", def: "60", usage: "`seconds` between serial checks of every managed zone against the zone copy, 1-86400"},
		{env: "BINDGATE_COPY_COMPARE_INTERVAL", flag: "copy-compare-interval", def: "86400", usage: "each managed zone's copy is compared whole with named's zone (AXFR) once in this many `seconds`, 0-31536000; 0: never"},
		{env: SettingHealthInterval, flag: "health-interval", def: "10", usage: "`seconds` between background readiness checks (directories writable, named's `status`); a changed boot time in it means named restarted and bindgate reconciles, 1-3600"},
		{env: SettingWebhook, flag: "webhook", isBool: true, usage: "serve the ExternalDNS webhook provider (protocol version 1) on BINDGATE_WEBHOOK_ADDR; it has no authentication and acts as BINDGATE_WEBHOOK_PRINCIPAL"},
		{env: SettingWebhookAddr, flag: "webhook-addr", def: "127.0.0.1:8888", usage: "webhook listen `host:port`, an IP address; loopback unless BINDGATE_WEBHOOK_ALLOW_REMOTE"},
		{env: SettingWebhookAllowRemote, flag: "webhook-allow-remote", isBool: true, usage: "allow a non-loopback BINDGATE_WEBHOOK_ADDR (unauthenticated: anyone who reaches it may change the principal's zones)"},
		{env: SettingWebhookPrincipal, flag: "webhook-principal", def: "shared-token", usage: "the `principal` the webhook acts as: its access-file scopes bound what it reads and writes; audit lines name it"},
		{env: SettingWebhookDomains, flag: "webhook-domains", usage: "the webhook's domain filter, comma-separated zone `list` (default: every managed zone the principal may write)"},
		{env: "TMPDIR", usage: "accepted and unused: bindgate writes temporary files only in BIND_ZONE_DIR and its state dir"},
	}
}

// flagValue holds one flag's text; parsing and checking happen with the environment's values,
// so a flag and its variable accept the same words and fail with the same error.
type flagValue struct {
	s      string
	isBool bool
}

func (v *flagValue) String() string {
	if v == nil {
		return ""
	}
	return v.s
}
func (v *flagValue) Set(s string) error { v.s = s; return nil }
func (v *flagValue) IsBoolFlag() bool   { return v != nil && v.isBool }

// values is the merged input: defaults, then the environment, then flags.
type values struct {
	val      map[string]string // by environment variable; "" = unset
	def      map[string]string
	fromFlag map[string]string // environment variable -> the flag that set it
}

// get returns the value of setting k, or its default.
func (v values) get(k string) string {
	if s := v.val[k]; s != "" {
		return s
	}
	return v.def[k]
}

// isSet reports whether k was given a non-empty value (an empty variable counts as unset).
func (v values) isSet(k string) bool { return v.val[k] != "" }

// name is how errors refer to k: "API_PORT", or "API_PORT (--port)" when a flag set it.
func (v values) name(k string) string {
	if f, ok := v.fromFlag[k]; ok {
		return k + " (--" + f + ")"
	}
	return k
}

// cliFlags are the flags that have no environment variable.
type cliFlags struct{ debug, version bool }

// newFlagSet declares every flag and maps each flag name to its environment variable.
func newFlagSet() (*flag.FlagSet, map[string]string, *cliFlags) {
	fs := flag.NewFlagSet("bindgate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	envOf := map[string]string{} // flag name -> environment variable
	for _, s := range settings() {
		if s.flag == "" {
			continue
		}
		v := &flagValue{isBool: s.isBool}
		envOf[s.flag] = s.env
		usage := s.usage + " (env " + s.env
		if s.def != "" {
			usage += ", default " + s.def
		}
		fs.Var(v, s.flag, usage+")")
	}
	var cli cliFlags
	fs.BoolVar(&cli.debug, "d", false, "debug logging (same as --debug)")
	fs.BoolVar(&cli.debug, "debug", false, "debug logging, overrides LOG_LEVEL and RUST_LOG")
	fs.BoolVar(&cli.version, "version", false, "print the version and exit")
	return fs, envOf, &cli
}

// collect merges defaults, the environment and args (flags win). It accepts bindcar's no-op
// subcommand words "run" and "drone" before, between and after the flags.
func collect(args []string, env func(string) (string, bool)) (values, cliFlags, error) {
	v := values{val: map[string]string{}, def: map[string]string{}, fromFlag: map[string]string{}}
	for _, s := range settings() {
		v.def[s.env] = s.def
		if e, ok := env(s.env); ok {
			v.val[s.env] = e
		}
	}
	fs, envOf, cli := newFlagSet()
	for {
		if err := fs.Parse(args); err != nil {
			return v, *cli, fmt.Errorf("%w (see bindgate --help)", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] != "run" && args[0] != "drone" {
			return v, *cli, fmt.Errorf("unexpected argument %q (see bindgate --help)", args[0])
		}
		args = args[1:]
	}
	fs.Visit(func(f *flag.Flag) {
		if k, ok := envOf[f.Name]; ok {
			v.val[k], v.fromFlag[k] = f.Value.String(), f.Name
		}
	})
	return v, *cli, nil
}

// Usage writes the flags with their environment variables, then the variables that have no
// flag.
func Usage(w io.Writer) {
	fmt.Fprintln(w, "usage: bindgate [run|drone] [flags]")
	fmt.Fprintln(w, "       bindgate dev [--dir D] [--api-port P] [--dns-port P] [--control-port P] [flags]")
	fmt.Fprintln(w, "       bindgate rotate-key --key-file PATH [...]   (bindgate rotate-key --help)")
	fmt.Fprintln(w, "\nEvery flag has an environment variable; the flag wins. Booleans: true/false, 1/0, yes/no.")
	fs, _, _ := newFlagSet()
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprintln(w, "\nEnvironment only:")
	for _, s := range settings() {
		if s.flag == "" {
			fmt.Fprintf(w, "  %s\n    \t%s\n", s.env, s.usage)
		}
	}
	fmt.Fprintln(w, "\nSecrets come from the environment or a *_FILE setting, never from flags.")
}
