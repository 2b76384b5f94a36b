package config

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bindgate/bindgate/internal/bindkey"
)

const secret = "c2VjcmV0LW1hdGVyaWFsLW5ldmVyLWluLWVycm9ycy0xMjM0NQ=="

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// base never reads the host's /etc/bind.
func base(extra map[string]string) map[string]string {
	m := map[string]string{"RNDC_CONF": "/nonexistent/rndc.conf", "RNDC_SECRET": secret}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(nil, envOf(base(nil)))
	if err != nil {
		t.Fatal(err)
	}
	if c.ZoneDir != "/var/cache/bind" || c.StateDir != "/var/cache/bind/.bindgate" || c.ListenAddr != "0.0.0.0:8080" ||
		c.RNDC.Addr != "127.0.0.1:953" || c.RNDC.Key.Algorithm != bindkey.HMACSHA256 || c.LogLevel != slog.LevelInfo ||
		c.NSUpdate.Addr != "127.0.0.1:53" || !c.RateLimit.Enabled || c.RateLimit.Requests != 600 || c.RateLimit.Burst != 50 ||
		c.AuthMode() != "tokenreview" || len(c.Auth.TokenAudiences) != 1 {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestLoadValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		check func(Config) bool
	}{
		{"RUST_LOG directives: most verbose wins", map[string]string{"RUST_LOG": "info,bindcar=debug"}, nil, func(c Config) bool { return c.LogLevel == slog.LevelDebug }},
		{"RUST_LOG trace", map[string]string{"RUST_LOG": "trace"}, nil, func(c Config) bool { return c.LogLevel == slog.LevelDebug }},
		{"LOG_LEVEL beats RUST_LOG", map[string]string{"RUST_LOG": "debug", "LOG_LEVEL": "warn"}, nil, func(c Config) bool { return c.LogLevel == slog.LevelWarn }},
		{"-d", nil, []string{"run", "-d"}, func(c Config) bool { return c.LogLevel == slog.LevelDebug }},
		{"flag beats env", map[string]string{"API_PORT": "9000"}, []string{"--port", "9100"}, func(c Config) bool { return c.ListenAddr == "0.0.0.0:9100" }},
		{"IPv6 rndc server", map[string]string{"RNDC_SERVER": "[::1]:9530"}, nil, func(c Config) bool { return c.RNDC.Addr == "[::1]:9530" }},
		{"bare IPv6 rndc server", map[string]string{"RNDC_SERVER": "::1"}, nil, func(c Config) bool { return c.RNDC.Addr == "[::1]:953" }},
		{"host without port", map[string]string{"RNDC_SERVER": "localhost"}, nil, func(c Config) bool { return c.RNDC.Addr == "localhost:953" }},
		{"HMAC-SHA256 upper case", map[string]string{"RNDC_ALGORITHM": "HMAC-SHA512"}, nil, func(c Config) bool { return c.RNDC.Key.Algorithm == bindkey.HMACSHA512 }},
		{"nsupdate defaults to the rndc key name", map[string]string{"RNDC_KEY_NAME": "bindy-operator"}, nil, func(c Config) bool { return c.NSUpdate.Key.Name == "bindy-operator" }},
		{"booleans", map[string]string{"DISABLE_AUTH": "YES", "NSUPDATE_TCP": "1"}, nil, func(c Config) bool { return c.Auth.Disabled && c.NSUpdate.TCP }},
		{"token mode", map[string]string{"BIND_API_TOKEN": "t"}, nil, func(c Config) bool { return c.AuthMode() == "token" }},
	}
	for _, tc := range tests {
		c, err := Load(tc.args, envOf(base(tc.env)))
		if err != nil || !tc.check(c) {
			t.Errorf("%s: %v %+v", tc.name, err, c)
		}
	}
}

func TestLoadErrorsNameTheSetting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"API_PORT": "70000"}, "API_PORT"},
		{map[string]string{"API_PORT": "x"}, "API_PORT"},
		{map[string]string{"DISABLE_AUTH": "maybe"}, "DISABLE_AUTH"},
		{map[string]string{"RATE_LIMIT_REQUESTS": "0"}, "RATE_LIMIT_REQUESTS"},
		{map[string]string{"RATE_LIMIT_BURST": "-1"}, "RATE_LIMIT_BURST"},
		{map[string]string{"RNDC_ALGORITHM": "hmac-md5"}, "RNDC_ALGORITHM"},
		{map[string]string{"RNDC_SECRET": "not base64!"}, "RNDC_SECRET"},
		{map[string]string{"RNDC_SECRET": ""}, "no rndc key"},
		{map[string]string{"RNDC_SERVER": "[::1]:99999"}, "RNDC_SERVER"},
		{map[string]string{"BIND_ZONE_DIR": "relative"}, "BIND_ZONE_DIR"},
		{map[string]string{"NSUPDATE_PORT": "0"}, "NSUPDATE_PORT"},
		{map[string]string{"RUST_LOG": "bindcar=loud"}, "RUST_LOG"},
		{map[string]string{"NSUPDATE_SECRET": "%%%"}, "NSUPDATE_SECRET"},
	}
	for _, tc := range tests {
		_, err := Load(nil, envOf(base(tc.env)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want it to name %s", tc.env, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%v: error leaks the secret", tc.env)
		}
	}
	if _, err := Load([]string{"--no-such-flag"}, envOf(base(nil))); err == nil {
		t.Error("unknown flag accepted")
	}
}

// The bindy pod of CONTRACT §14.2: rndc.conf including the key, port 9530.
func TestBindyPod(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "keys"), 0o755)
	os.WriteFile(filepath.Join(dir, "keys", "rndc.key"), []byte(`key "bindy-operator" { algorithm hmac-sha256; secret "`+secret+`"; };`), 0o600)
	conf := filepath.Join(dir, "rndc.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf(`include "%s/keys/rndc.key"; options { default-server 127.0.0.1; default-port 9530; default-key "bindy-operator"; }; server 127.0.0.1 { key "bindy-operator"; port 9530; };`, dir)), 0o644)
	c, err := Load(nil, envOf(map[string]string{"RNDC_CONF": conf, "BIND_ALLOWED_SERVICE_ACCOUNTS": "system:serviceaccount:dns:bindy", "NSUPDATE_PORT": "5353"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.RNDC.Addr != "127.0.0.1:9530" || c.RNDC.Key.Name != "bindy-operator" || c.NSUpdate.Key.Name != "bindy-operator" || c.NSUpdate.Addr != "127.0.0.1:5353" {
		t.Fatalf("%+v", c)
	}
	if err := c.Guard(); err != nil {
		t.Fatal(err)
	}
	// The environment's secret wins over the file's, and the name still comes from rndc.conf.
	other := "b3RoZXItc2VjcmV0LWZyb20tdGhlLWVudmlyb25tZW50"
	c2, err := Load(nil, envOf(map[string]string{"RNDC_CONF": conf, "RNDC_SECRET": other}))
	if err != nil || c2.RNDC.Key.SecretBase64() != other || c2.RNDC.Key.Name != "bindy-operator" {
		t.Fatalf("%v %+v", err, c2.RNDC.Key)
	}
}

func TestGuard(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env  map[string]string
		args []string
		ok   bool
		want string
	}{
		{map[string]string{"DISABLE_AUTH": "true"}, nil, false, "--i-know-this-is-insecure"},
		{map[string]string{"DISABLE_AUTH": "true", "BIND_API_ADDRESS": "::"}, nil, false, "BIND_API_TOKEN"},
		{map[string]string{"DISABLE_AUTH": "true", "BIND_API_ADDRESS": "127.0.0.1"}, nil, true, ""},
		{map[string]string{"DISABLE_AUTH": "true", "BIND_API_ADDRESS": "::1"}, nil, true, ""},
		{map[string]string{"DISABLE_AUTH": "true", "BIND_API_ADDRESS": "localhost"}, nil, true, ""},
		{map[string]string{"DISABLE_AUTH": "true"}, []string{"--i-know-this-is-insecure"}, true, ""},
		{map[string]string{"DISABLE_AUTH": "true", "BINDCAR_ALLOW_INSECURE_AUTH": "true"}, nil, true, ""},
		{nil, nil, false, "BIND_ALLOWED_SERVICE_ACCOUNTS"},
		{map[string]string{"BIND_ALLOW_ANY_SERVICEACCOUNT": "true"}, nil, true, ""},
		{map[string]string{"BIND_ALLOWED_NAMESPACES": "dns", "KUBE_API_SERVER": "https://x"}, nil, false, "KUBE_TOKEN_PATH"},
		{map[string]string{"BIND_API_TOKEN": "t", "BIND_TLS_CERT": "/c"}, nil, false, "BIND_TLS_KEY"},
		{map[string]string{"BIND_API_TOKEN": "t"}, nil, true, ""},
	}
	for _, tc := range tests {
		c, err := Load(tc.args, envOf(base(tc.env)))
		if err != nil {
			t.Fatal(err)
		}
		err = c.Guard()
		if tc.ok != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%v %v: Guard = %v", tc.env, tc.args, err)
		}
	}
}

func TestSecretRedacts(t *testing.T) {
	t.Parallel()
	s := Secret("hunter2")
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %s %q %#v %+v", s, s, s, s, s)} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("leak: %s", out)
		}
	}
	if s.Reveal() != "hunter2" {
		t.Error("Reveal")
	}
}
