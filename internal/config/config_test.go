package config

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/google/go-cmp/cmp"
)

// secret is the base64 rndc secret of the fixtures; no error may ever contain it.
const secret = "c2VjcmV0LW1hdGVyaWFsLW5ldmVyLWluLWVycm9ycy0xMjM0NQ=="

// secrets lists every secret the fixtures use, for the leak checks.
var secrets = []string{secret, "secret-material-never-in-errors-12345", "hunter2-api-token", "b3RoZXItc2VjcmV0", "other-secret"}

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// with returns base plus extra; an extra value of "-" removes the variable.
func with(base, extra map[string]string) map[string]string {
	m := map[string]string{}
	for k, v := range base {
		m[k] = v
	}
	for k, v := range extra {
		if v == "-" {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

// minimal is the smallest valid environment: an rndc secret.
var minimal = map[string]string{"RNDC_SECRET": secret}

// testLoad is Load that never reads /etc.
func testLoad(args []string, env map[string]string) (Config, error) {
	return load(args, envOf(env), loadOptions{})
}

// assertNoSecret fails when err's text holds any fixture secret.
func assertNoSecret(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error text leaks a secret: %v", err)
		}
	}
}

// join prints values separated by single spaces.
func join(a ...any) string { return strings.TrimSuffix(fmt.Sprintln(a...), "\n") }

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, err := testLoad(nil, minimal)
	if err != nil {
		t.Fatal(err)
	}
	key := bindkey.Key{Algorithm: bindkey.HMACSHA256, Secret: []byte("secret-material-never-in-errors-12345")}
	if !c.RNDC.Key.Equal(key) || !c.NSUpdate.Key.Equal(key) {
		t.Errorf("keys: %v %v, want %v", c.RNDC.Key, c.NSUpdate.Key, key)
	}
	var want Config
	want.ZoneDir, want.StateDir, want.ListenAddr, want.LogLevel = "/var/cache/bind", "/var/cache/bind/.bindgate", "0.0.0.0:8080", slog.LevelInfo
	want.Auth.TokenAudiences = []string{"bindcar"}
	want.RateLimit.Enabled, want.RateLimit.Requests, want.RateLimit.PeriodSecs, want.RateLimit.Burst = true, 600, 60, 50
	want.RNDC.Addr, want.NSUpdate.Addr = "127.0.0.1:953", "127.0.0.1:53"
	want.TLS.ReloadInterval = time.Minute
	want.Access.MaxInFlight, want.Access.AuditLog = 256, "stderr"
	want.History.MaxChanges, want.History.MaxAge = 1000, 30*24*time.Hour
	want.Copy.NotifyAddr, want.Copy.SweepInterval, want.Copy.CacheZones, want.Copy.CompareInterval = "127.0.0.1:5399", time.Minute, 1000, 24*time.Hour
	want.HealthInterval = 10 * time.Second
	want.Webhook.Addr, want.Webhook.Principal = "127.0.0.1:8888", "shared-token"
	want.RNDC.Key, want.NSUpdate.Key = c.RNDC.Key, c.NSUpdate.Key
	if d := cmp.Diff(want, c); d != "" {
		t.Errorf("defaults (-want +got):\n%s", d)
	}
	if &c.RNDC.Key.Secret[0] == &c.NSUpdate.Key.Secret[0] {
		t.Error("rndc and TSIG keys share secret memory")
	}
}

func TestLoadValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		args []string
		got  func(Config) any
		want any
	}{
		{"zone dir cleaned, not resolved", map[string]string{"BIND_ZONE_DIR": "/srv//zones/../bind/"}, nil,
			func(c Config) any { return c.ZoneDir + " " + c.StateDir }, "/srv/bind /srv/bind/.bindgate"},
		{"state dir", map[string]string{"BINDGATE_STATE_DIR": "/state/"}, nil, func(c Config) any { return c.StateDir }, "/state"},
		{"empty variable is unset", map[string]string{"BIND_ZONE_DIR": "", "API_PORT": ""}, nil,
			func(c Config) any { return c.ZoneDir + " " + c.ListenAddr }, "/var/cache/bind 0.0.0.0:8080"},
		{"IPv6 listen address", map[string]string{"BIND_API_ADDRESS": "::1", "API_PORT": "9000"}, nil, func(c Config) any { return c.ListenAddr }, "[::1]:9000"},
		{"bracketed listen address", map[string]string{"BIND_API_ADDRESS": "[::]"}, nil, func(c Config) any { return c.ListenAddr }, "[::]:8080"},
		{"listen host name", map[string]string{"BIND_API_ADDRESS": "localhost"}, nil, func(c Config) any { return c.ListenAddr }, "localhost:8080"},
		{"RUST_LOG directives: most verbose wins", map[string]string{"RUST_LOG": "info,bindcar=debug"}, nil, func(c Config) any { return c.LogLevel }, slog.LevelDebug},
		{"RUST_LOG trace is debug", map[string]string{"RUST_LOG": "TRACE"}, nil, func(c Config) any { return c.LogLevel }, slog.LevelDebug},
		{"RUST_LOG warn", map[string]string{"RUST_LOG": "warn,hyper=error"}, nil, func(c Config) any { return c.LogLevel }, slog.LevelWarn},
		{"RUST_LOG bare target", map[string]string{"RUST_LOG": "bindcar"}, nil, func(c Config) any { return c.LogLevel }, slog.LevelInfo},
		{"LOG_LEVEL beats RUST_LOG", map[string]string{"RUST_LOG": "debug", "LOG_LEVEL": "warn"}, nil, func(c Config) any { return c.LogLevel }, slog.LevelWarn},
		{"-d beats LOG_LEVEL", map[string]string{"LOG_LEVEL": "error"}, []string{"-d"}, func(c Config) any { return c.LogLevel }, slog.LevelDebug},
		{"--debug", nil, []string{"--debug"}, func(c Config) any { return c.LogLevel }, slog.LevelDebug},
		{"run and drone are no-ops", nil, []string{"run", "--port", "9100", "drone"}, func(c Config) any { return c.ListenAddr }, "0.0.0.0:9100"},
		{"booleans any case", map[string]string{"DISABLE_AUTH": "YES", "NSUPDATE_TCP": "1", "BIND_ENABLE_DOCS": "True", "RATE_LIMIT_ENABLED": "no"}, nil,
			func(c Config) any { return join(c.Auth.Disabled, c.NSUpdate.TCP, c.EnableDocs, c.RateLimit.Enabled) }, "true true true false"},
		{"rate limit", map[string]string{"RATE_LIMIT_REQUESTS": "100", "RATE_LIMIT_PERIOD_SECS": "1", "RATE_LIMIT_BURST": " 5 "}, nil,
			func(c Config) any { return join(c.RateLimit.Requests, c.RateLimit.PeriodSecs, c.RateLimit.Burst) }, "100 1 5"},
		{"lists", map[string]string{"BIND_TOKEN_AUDIENCES": "a, b,,", "BIND_ALLOWED_SERVICE_ACCOUNTS": "system:serviceaccount:dns:bindy,system:serviceaccount:x:y.z", "BIND_ALLOWED_NAMESPACES": "dns"}, nil,
			func(c Config) any {
				return join(c.Auth.TokenAudiences, c.Auth.AllowedServiceAccounts, c.Auth.AllowedNamespaces)
			}, "[a b] [system:serviceaccount:dns:bindy system:serviceaccount:x:y.z] [dns]"},
		{"token mode", map[string]string{"BIND_API_TOKEN": " hunter2-api-token\n"}, nil, func(c Config) any { return c.AuthMode() + " " + c.Auth.Token.Reveal() }, "token hunter2-api-token"},
		{"TLS", map[string]string{"BIND_TLS_CERT": "/tls/tls.crt", "BIND_TLS_KEY": "/tls/tls.key", "BIND_TLS_CLIENT_CA": "/tls/ca.crt", "BIND_TLS_RELOAD_INTERVAL": "0"}, nil,
			func(c Config) any {
				return join(c.TLS.CertFile, c.TLS.KeyFile, c.TLS.ClientCAFile, c.TLS.ReloadInterval)
			}, "/tls/tls.crt /tls/tls.key /tls/ca.crt 0s"},
		{"kube target", map[string]string{"KUBE_API_SERVER": "https://k8s:6443", "KUBE_TOKEN_PATH": "/t", "KUBE_CA_CERT_PATH": "/ca"}, nil,
			func(c Config) any { return c.Auth.KubeAPIServer + c.Auth.KubeTokenPath + c.Auth.KubeCACertPath }, "https://k8s:6443/t/ca"},
		{"stats URL", map[string]string{"BIND_STATS_URL": "http://127.0.0.1:8053/json/v1"}, nil, func(c Config) any { return c.StatsURL }, "http://127.0.0.1:8053/json/v1"},
		{"NSUPDATE_SERVER with port", map[string]string{"NSUPDATE_SERVER": "[::1]:5353"}, nil, func(c Config) any { return c.NSUpdate.Addr }, "[::1]:5353"},
		{"NSUPDATE_SERVER bare IPv6", map[string]string{"NSUPDATE_SERVER": "fd00::53", "NSUPDATE_PORT": "5353"}, nil, func(c Config) any { return c.NSUpdate.Addr }, "[fd00::53]:5353"},
		{"history retention", map[string]string{"BINDGATE_HISTORY_MAX_CHANGES": "50", "BINDGATE_HISTORY_MAX_AGE": "7d"}, nil,
			func(c Config) any { return join(c.History.MaxChanges, c.History.MaxAge) }, "50 168h0m0s"},
		{"history age in Go syntax, 0 = by count only", nil, []string{"--history-max-age", "0"},
			func(c Config) any { return c.History.MaxAge }, time.Duration(0)},
		{"history age in hours", map[string]string{"BINDGATE_HISTORY_MAX_AGE": "36h"}, nil,
			func(c Config) any { return c.History.MaxAge }, 36 * time.Hour},
		{"copy cache", map[string]string{"BINDGATE_COPY_CACHE_ZONES": "5000"}, nil, func(c Config) any { return c.Copy.CacheZones }, 5000},
		{"copy compare", map[string]string{"BINDGATE_COPY_COMPARE_INTERVAL": "3600"}, nil, func(c Config) any { return c.Copy.CompareInterval }, time.Hour},
		{"copy compare never", map[string]string{"BINDGATE_COPY_COMPARE_INTERVAL": "0"}, nil, func(c Config) any { return c.Copy.CompareInterval }, time.Duration(0)},
		{"--version needs nothing else", map[string]string{"RNDC_SECRET": "-", "API_PORT": "bad"}, []string{"--version"}, func(c Config) any { return c.Version }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := testLoad(tc.args, with(minimal, tc.env))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, tc.got(c)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// Every flag overrides its variable, and the two accept the same words.
func TestFlagsOverrideEnv(t *testing.T) {
	t.Parallel()
	env := with(minimal, map[string]string{
		"BIND_ZONE_DIR": "/env", "API_PORT": "1", "BIND_API_ADDRESS": "10.0.0.1", "LOG_LEVEL": "error",
		"DISABLE_AUTH": "true", "RATE_LIMIT_ENABLED": "true", "RNDC_SERVER": "10.0.0.2", "NSUPDATE_PORT": "1",
		"RNDC_ALGORITHM": "hmac-sha256", "BIND_TLS_RELOAD_INTERVAL": "1", "BIND_TOKEN_AUDIENCES": "env",
	})
	args := []string{"--zone-dir=/flag", "--port", "2", "--listen-address", "127.0.0.1", "--log-level", "warn",
		"--disable-auth=no", "--rate-limit-enabled=0", "--rndc-server", "[::1]:9530", "--nsupdate-port=5353",
		"--rndc-algorithm", "HMAC-SHA512", "--tls-reload-interval", "30", "--token-audiences", "flag", "--enable-docs", "--nsupdate-tcp"}
	c, err := testLoad(args, env)
	if err != nil {
		t.Fatal(err)
	}
	got := join(c.ZoneDir, c.ListenAddr, c.LogLevel, c.Auth.Disabled, c.RateLimit.Enabled, c.RNDC.Addr,
		c.NSUpdate.Addr, c.RNDC.Key.Algorithm, c.TLS.ReloadInterval, c.Auth.TokenAudiences, c.EnableDocs, c.NSUpdate.TCP)
	want := "/flag 127.0.0.1:2 WARN false false [::1]:9530 127.0.0.1:5353 hmac-sha512 30s [flag] true true"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestLoadErrorsNameTheSetting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env     map[string]string
		args    []string
		setting string // the *SettingError's Setting
	}{
		{map[string]string{"BIND_ZONE_DIR": "relative/dir"}, nil, "BIND_ZONE_DIR"},
		{map[string]string{"BINDGATE_STATE_DIR": "state"}, nil, "BINDGATE_STATE_DIR"},
		{map[string]string{"BIND_API_ADDRESS": "not an address"}, nil, "BIND_API_ADDRESS"},
		{map[string]string{"BIND_API_ADDRESS": "[10.0.0.1]"}, nil, "BIND_API_ADDRESS"},
		{map[string]string{"API_PORT": "70000"}, nil, "API_PORT"},
		{map[string]string{"API_PORT": "0"}, nil, "API_PORT"},
		{map[string]string{"API_PORT": "eighty"}, nil, "API_PORT"},
		{nil, []string{"--port", "99999999999999999999"}, "API_PORT (--port)"},
		{map[string]string{"LOG_LEVEL": "loud"}, nil, "LOG_LEVEL"},
		{map[string]string{"RUST_LOG": "info,bindcar=loud"}, nil, "RUST_LOG"},
		{map[string]string{"DISABLE_AUTH": "maybe"}, nil, "DISABLE_AUTH"},
		{nil, []string{"--disable-auth=maybe"}, "DISABLE_AUTH (--disable-auth)"},
		{map[string]string{"BINDCAR_ALLOW_INSECURE_AUTH": "on"}, nil, "BINDCAR_ALLOW_INSECURE_AUTH"},
		{map[string]string{"BIND_ALLOW_ANY_SERVICEACCOUNT": "2"}, nil, "BIND_ALLOW_ANY_SERVICEACCOUNT"},
		{map[string]string{"BIND_ENABLE_DOCS": "y"}, nil, "BIND_ENABLE_DOCS"},
		{map[string]string{"NSUPDATE_TCP": "tcp"}, nil, "NSUPDATE_TCP"},
		{map[string]string{"RATE_LIMIT_ENABLED": "enabled"}, nil, "RATE_LIMIT_ENABLED"},
		{map[string]string{"RATE_LIMIT_REQUESTS": "0"}, nil, "RATE_LIMIT_REQUESTS"},
		{map[string]string{"BINDGATE_HISTORY_MAX_CHANGES": "0"}, nil, "BINDGATE_HISTORY_MAX_CHANGES"},
		{map[string]string{"BINDGATE_COPY_CACHE_ZONES": "15"}, nil, "BINDGATE_COPY_CACHE_ZONES"},
		{map[string]string{"BINDGATE_COPY_COMPARE_INTERVAL": "-1"}, nil, "BINDGATE_COPY_COMPARE_INTERVAL"},
		{nil, []string{"--copy-cache-zones", "lots"}, "BINDGATE_COPY_CACHE_ZONES (--copy-cache-zones)"},
		{map[string]string{"BINDGATE_HISTORY_MAX_AGE": "-1h"}, nil, "BINDGATE_HISTORY_MAX_AGE"},
		{nil, []string{"--history-max-age", "a month"}, "BINDGATE_HISTORY_MAX_AGE (--history-max-age)"},
		{map[string]string{"RATE_LIMIT_PERIOD_SECS": "-60"}, nil, "RATE_LIMIT_PERIOD_SECS"},
		{map[string]string{"RATE_LIMIT_BURST": "-1"}, nil, "RATE_LIMIT_BURST"},
		{map[string]string{"RATE_LIMIT_BURST": "1.5"}, nil, "RATE_LIMIT_BURST"},
		{map[string]string{"BIND_TLS_RELOAD_INTERVAL": "-1"}, nil, "BIND_TLS_RELOAD_INTERVAL"},
		{map[string]string{"BIND_TLS_RELOAD_INTERVAL": "1m"}, nil, "BIND_TLS_RELOAD_INTERVAL"},
		{map[string]string{"BIND_ALLOWED_SERVICE_ACCOUNTS": "bindy"}, nil, "BIND_ALLOWED_SERVICE_ACCOUNTS"},
		{map[string]string{"BIND_ALLOWED_SERVICE_ACCOUNTS": "system:serviceaccount:dns"}, nil, "BIND_ALLOWED_SERVICE_ACCOUNTS"},
		{map[string]string{"BIND_ALLOWED_NAMESPACES": "Bad_NS"}, nil, "BIND_ALLOWED_NAMESPACES"},
		{map[string]string{"KUBE_API_SERVER": "http://k8s"}, nil, "KUBE_API_SERVER"},
		{map[string]string{"BIND_STATS_URL": "ftp://x"}, nil, "BIND_STATS_URL"},
		{map[string]string{"BIND_STATS_URL": "http://user:pw@x/"}, nil, "BIND_STATS_URL"},
		{map[string]string{"BIND_API_TOKEN": "   "}, nil, "BIND_API_TOKEN"},
		{map[string]string{"BIND_API_TOKEN": "hunter2-api-token", "BIND_API_TOKEN_FILE": "/x"}, nil, "BIND_API_TOKEN"},
		{map[string]string{"BIND_API_TOKEN_FILE": "/nonexistent/token"}, nil, "BIND_API_TOKEN_FILE"},
		{map[string]string{"RNDC_SERVER": "[::1]:99999"}, nil, "RNDC_SERVER"},
		{map[string]string{"RNDC_SERVER": "host:"}, nil, "RNDC_SERVER"},
		{map[string]string{"RNDC_SERVER": "a b"}, nil, "RNDC_SERVER"},
		{nil, []string{"--rndc-server", "1.2.3.4:0"}, "RNDC_SERVER (--rndc-server)"},
		{map[string]string{"RNDC_ALGORITHM": "hmac-md5"}, nil, "RNDC_ALGORITHM"},
		{map[string]string{"RNDC_ALGORITHM": secret}, nil, "RNDC_ALGORITHM"},
		{map[string]string{"RNDC_SECRET": "not base64!"}, nil, "RNDC_SECRET"},
		{map[string]string{"RNDC_SECRET": "-", "RNDC_SECRET_FILE": "/nonexistent/secret"}, nil, "RNDC_SECRET_FILE"},
		{map[string]string{"RNDC_SECRET_FILE": "/nonexistent/secret"}, nil, "RNDC_SECRET"},
		{map[string]string{"RNDC_KEY_NAME": "bad name"}, nil, "RNDC_KEY_NAME"},
		{map[string]string{"NSUPDATE_SERVER": "[1.2.3.4]"}, nil, "NSUPDATE_SERVER"},
		{map[string]string{"NSUPDATE_PORT": "0"}, nil, "NSUPDATE_PORT"},
		{map[string]string{"NSUPDATE_PORT": "65536"}, nil, "NSUPDATE_PORT"},
		{map[string]string{"NSUPDATE_SERVER": "127.0.0.1:5353", "NSUPDATE_PORT": "53"}, nil, "NSUPDATE_PORT"},
		{map[string]string{"NSUPDATE_KEY_NAME": "a;b"}, nil, "NSUPDATE_KEY_NAME"},
		{map[string]string{"NSUPDATE_ALGORITHM": "sha1"}, nil, "NSUPDATE_ALGORITHM"},
		{map[string]string{"NSUPDATE_SECRET": "%%%"}, nil, "NSUPDATE_SECRET"},
		{map[string]string{"BINDGATE_ALLOWED_CIDRS": "10.0.0.0/8, example.com"}, nil, "BINDGATE_ALLOWED_CIDRS"},
		{map[string]string{"BINDGATE_ALLOWED_CIDRS": "10.0.0.0/33"}, nil, "BINDGATE_ALLOWED_CIDRS"},
		{map[string]string{"BINDGATE_MAX_INFLIGHT": "0"}, nil, "BINDGATE_MAX_INFLIGHT"},
		{map[string]string{"BINDGATE_AUDIT_LOG": "audit.log"}, nil, "BINDGATE_AUDIT_LOG"},
		{map[string]string{"BIND_API_TOKENS_FILE": "tokens.json"}, nil, "BIND_API_TOKENS_FILE"},
		{map[string]string{"RNDC_CONF": "/"}, nil, "RNDC_CONF"},
	}
	for _, tc := range tests {
		t.Run(tc.setting, func(t *testing.T) {
			t.Parallel()
			_, err := testLoad(tc.args, with(minimal, tc.env))
			se, ok := errors.AsType[*SettingError](err)
			if !ok || se.Setting != tc.setting || !strings.HasPrefix(err.Error(), tc.setting+": ") {
				t.Fatalf("err = %v, want a *SettingError for %s", err, tc.setting)
			}
			assertNoSecret(t, err)
		})
	}
}

// All invalid settings are reported at once.
func TestLoadReportsEveryError(t *testing.T) {
	t.Parallel()
	_, err := testLoad(nil, with(minimal, map[string]string{"API_PORT": "x", "RATE_LIMIT_BURST": "0", "NSUPDATE_TCP": "?"}))
	for _, k := range []string{"API_PORT", "RATE_LIMIT_BURST", "NSUPDATE_TCP"} {
		if err == nil || !strings.Contains(err.Error(), k+": ") {
			t.Errorf("error %v does not name %s", err, k)
		}
	}
}

func TestLoadCommandLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--no-such-flag"}, "flag provided but not defined"},
		{[]string{"serve"}, `unexpected argument "serve"`},
		{[]string{"--rndc-secret", "x"}, "flag provided but not defined: -rndc-secret"},
		{[]string{"--api-token", "x"}, "flag provided but not defined"},
		{[]string{"-h"}, flag.ErrHelp.Error()},
	}
	for _, tc := range tests {
		_, err := testLoad(tc.args, minimal)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
	if _, err := testLoad([]string{"--help"}, minimal); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("--help: %v, want flag.ErrHelp", err)
	}
}

func TestSecretRedacts(t *testing.T) {
	t.Parallel()
	var c Config
	c.Auth.Token = "hunter2-api-token"
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Info("x", "token", c.Auth.Token, "auth", c.Auth)
	j, err := json.Marshal(c.Auth)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Auth.Token
	outs := []string{fmt.Sprint(s), fmt.Sprintf("%v %s %q %x %X %#v %+v %d", s, s, s, s, s, s, s, s), fmt.Sprintf("%+v %#v", c.Auth, c.Auth), s.String(), s.GoString(), b.String(), string(j)}
	for _, out := range outs {
		if strings.Contains(out, "hunter2") || strings.Contains(out, fmt.Sprintf("%x", "hunter2")) {
			t.Errorf("leak: %s", out)
		}
	}
	if s.Reveal() != "hunter2-api-token" || Secret("").String() != "" {
		t.Error("Reveal or empty String")
	}
}

// The help text shows every setting, and every flag names its variable.
func TestUsage(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	Usage(&b)
	out := b.String()
	for _, s := range settings() {
		if !strings.Contains(out, s.env) {
			t.Errorf("usage lacks %s", s.env)
		}
		if s.flag != "" && !strings.Contains(out, "-"+s.flag) {
			t.Errorf("usage lacks --%s", s.flag)
		}
		if s.flag != "" && (strings.Contains(s.env, "SECRET") && !strings.HasSuffix(s.env, "_FILE") || s.env == "BIND_API_TOKEN") {
			t.Errorf("%s must have no flag (docs/contract.md §19 B-7)", s.env)
		}
	}
	for _, f := range []string{"-debug", "-version", "-i-know-this-is-insecure"} {
		if !strings.Contains(out, f) {
			t.Errorf("usage lacks %s", f)
		}
	}
}

// TestHelpTellsTheTruth: settings parsed but not acted on say so in --help and in the README's
// table (issue 8 item 8): the DNS client always dials TCP (internal/dnsclient) and the statistics
// channel is not read yet; the docs flag, once reserved, says what it serves (issue 11).
func TestHelpTellsTheTruth(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ env, phrase string }{
		{"NSUPDATE_TCP", "ignored: updates, AXFR and checks always use TCP"},
		{"BIND_ENABLE_DOCS", "serve the OpenAPI document at /api/v1/openapi.json and Swagger UI at /api/v1/docs"},
		{"BIND_STATS_URL", "not used yet"},
	}
	for _, tc := range tests {
		t.Run(tc.env, func(t *testing.T) {
			for _, s := range settings() {
				if s.env != tc.env {
					continue
				}
				if !strings.Contains(s.usage, tc.phrase) {
					t.Errorf("usage %q lacks %q", s.usage, tc.phrase)
				}
				row := "| `" + s.env + "` | `--" + s.flag + "` | – | " + strings.ReplaceAll(s.usage, "`", "") + " "
				if !strings.Contains(string(readme), row) {
					t.Errorf("README has no row %q", row)
				}
				return
			}
			t.Errorf("no setting %s", tc.env)
		})
	}
}

// TestLoadFixed: a caller that owns settings (bindgate dev) replaces them whatever the
// environment says, refuses them as flags, and leaves every other setting to the server's
// parsing (issue 8 item 8).
func TestLoadFixed(t *testing.T) {
	t.Parallel()
	fixed := map[string]string{"BIND_ZONE_DIR": "/dev-zones", "RNDC_SECRET": secret, "RNDC_CONF": "/nonexistent", "DISABLE_AUTH": ""}
	env := map[string]string{"BIND_ZONE_DIR": "/elsewhere", "DISABLE_AUTH": "true", "RATE_LIMIT_BURST": "7"}
	c, err := load([]string{"--audit-log", "off", "--log-level", "debug"}, envOf(env), loadOptions{fixed: fixed})
	if err != nil {
		t.Fatal(err)
	}
	if got := join(c.ZoneDir, c.Auth.Disabled, c.RateLimit.Burst, c.Access.AuditLog, c.LogLevel); got != "/dev-zones false 7 off DEBUG" {
		t.Errorf("got %s", got)
	}
	_, err = load([]string{"--zone-dir", "/mine", "--rndc-conf=/x", "--port", "9"}, envOf(nil), loadOptions{fixed: fixed})
	if err == nil || !strings.Contains(err.Error(), "--zone-dir: BIND_ZONE_DIR is set by this command itself") ||
		!strings.Contains(err.Error(), "--rndc-conf: RNDC_CONF is set") || strings.Contains(err.Error(), "API_PORT") {
		t.Errorf("err = %v", err)
	}
}
