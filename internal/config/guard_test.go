package config

import (
	"errors"
	"strings"
	"testing"
)

func TestGuard(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*Config)
		want []string // substrings of the error; nil = passes
	}{
		{"token mode on all interfaces", func(c *Config) { c.Auth.Token = "t" }, nil},
		{"auth off on 0.0.0.0", func(c *Config) { c.Auth.Disabled = true },
			[]string{"DISABLE_AUTH: ", "0.0.0.0:8080", "set BIND_API_TOKEN", "listen on 127.0.0.1 with BIND_API_ADDRESS", "--i-know-this-is-insecure", "BINDCAR_ALLOW_INSECURE_AUTH=true"}},
		{"auth off on ::", func(c *Config) { c.Auth.Disabled, c.ListenAddr = true, "[::]:8080" }, []string{"DISABLE_AUTH"}},
		{"auth off on a LAN address", func(c *Config) { c.Auth.Disabled, c.ListenAddr = true, "10.1.2.3:8080" }, []string{"DISABLE_AUTH"}},
		{"auth off on a host name", func(c *Config) { c.Auth.Disabled, c.ListenAddr = true, "api.example:8080" }, []string{"DISABLE_AUTH"}},
		{"auth off on a broken address", func(c *Config) { c.Auth.Disabled, c.ListenAddr = true, "" }, []string{"DISABLE_AUTH"}},
		{"auth off on 127.0.0.1", func(c *Config) { c.Auth.Disabled, c.ListenAddr = true, "127.0.0.1:8080" }, nil},
		{"auth off on 127.1.2.3", func(c *Config) { c.Auth.Disabled, c.ListenAddr = true, "127.1.2.3:8080" }, nil},
		{"auth off on ::1", func(c *Config) { c.Auth.Disabled, c.ListenAddr = true, "[::1]:8080" }, nil},
		{"auth off on localhost", func(c *Config) { c.Auth.Disabled, c.ListenAddr = true, "LocalHost:8080" }, nil},
		{"auth off, overridden", func(c *Config) { c.Auth.Disabled, c.Auth.AllowInsecure = true, true }, nil},
		{"auth off wins over a token", func(c *Config) { c.Auth.Disabled, c.Auth.Token = true, "t" }, []string{"DISABLE_AUTH"}},
		{"TokenReview without allowlist", func(c *Config) {},
			[]string{"BIND_ALLOWED_SERVICE_ACCOUNTS: ", "BIND_ALLOWED_NAMESPACES", "BIND_ALLOW_ANY_SERVICEACCOUNT=true"}},
		{"TokenReview, allow any", func(c *Config) { c.Auth.AllowAnyServiceAccount = true }, nil},
		{"TokenReview, namespaces", func(c *Config) { c.Auth.AllowedNamespaces = []string{"dns"} }, nil},
		{"TokenReview, service accounts", func(c *Config) { c.Auth.AllowedServiceAccounts = []string{"system:serviceaccount:dns:bindy"} }, nil},
		{"TokenReview without audience", func(c *Config) { c.Auth.AllowAnyServiceAccount, c.Auth.TokenAudiences = true, nil }, []string{"BIND_TOKEN_AUDIENCES"}},
		{"KUBE_* all set", func(c *Config) {
			c.Auth.AllowAnyServiceAccount = true
			c.Auth.KubeAPIServer, c.Auth.KubeTokenPath, c.Auth.KubeCACertPath = "https://k", "/t", "/ca"
		}, nil},
		{"KUBE_API_SERVER alone", func(c *Config) { c.Auth.AllowAnyServiceAccount, c.Auth.KubeAPIServer = true, "https://k" },
			[]string{"KUBE_TOKEN_PATH: ", "missing: KUBE_TOKEN_PATH, KUBE_CA_CERT_PATH"}},
		{"KUBE_CA_CERT_PATH missing, token mode", func(c *Config) {
			c.Auth.Token, c.Auth.KubeAPIServer, c.Auth.KubeTokenPath = "t", "https://k", "/t"
		}, []string{"KUBE_CA_CERT_PATH: "}},
		{"TLS cert without key", func(c *Config) { c.Auth.Token, c.TLS.CertFile = "t", "/c" }, []string{"BIND_TLS_KEY: "}},
		{"TLS key without cert", func(c *Config) { c.Auth.Token, c.TLS.KeyFile = "t", "/k" }, []string{"BIND_TLS_CERT: "}},
		{"client CA without TLS", func(c *Config) { c.Auth.Token, c.TLS.ClientCAFile = "t", "/ca" }, []string{"BIND_TLS_CLIENT_CA: "}},
		{"TLS pair", func(c *Config) {
			c.Auth.Token, c.TLS.CertFile, c.TLS.KeyFile, c.TLS.ClientCAFile = "t", "/c", "/k", "/ca"
		}, nil},
		{"every failure reported", func(c *Config) { c.TLS.CertFile, c.Auth.KubeTokenPath = "/c", "/t" },
			[]string{"BIND_ALLOWED_SERVICE_ACCOUNTS: ", "KUBE_API_SERVER: ", "BIND_TLS_KEY: "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := Config{ListenAddr: "0.0.0.0:8080"}
			c.Auth.TokenAudiences = []string{"bindcar"}
			tc.edit(&c)
			err := c.Guard()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Guard = %v", err)
				}
				return
			}
			if !errors.Is(err, ErrUnsafe) {
				t.Fatalf("Guard = %v, want ErrUnsafe", err)
			}
			if _, ok := errors.AsType[*SettingError](err); !ok {
				t.Errorf("not a *SettingError: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Guard = %v\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

func TestAuthMode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		disabled bool
		token    Secret
		want     string
	}{
		{true, "", "disabled"},
		{true, "t", "disabled"},
		{false, "t", "token"},
		{false, "", "tokenreview"},
	}
	for _, tc := range tests {
		var c Config
		c.Auth.Disabled, c.Auth.Token = tc.disabled, tc.token
		if got := c.AuthMode(); got != tc.want {
			t.Errorf("AuthMode(disabled=%v, token=%q) = %s, want %s", tc.disabled, tc.token.Reveal(), got, tc.want)
		}
	}
}

// The guards see what Load produced from the environment.
func TestGuardAfterLoad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env  map[string]string
		args []string
		ok   bool
	}{
		{map[string]string{"DISABLE_AUTH": "true"}, nil, false},
		{map[string]string{"DISABLE_AUTH": "true"}, []string{"--i-know-this-is-insecure"}, true},
		{map[string]string{"DISABLE_AUTH": "true", "BINDCAR_ALLOW_INSECURE_AUTH": "TRUE"}, nil, true},
		{map[string]string{"DISABLE_AUTH": "1", "BIND_API_ADDRESS": "127.0.0.1"}, nil, true},
		{nil, []string{"--disable-auth", "--listen-address", "::1"}, true},
		{map[string]string{"BIND_TOKEN_AUDIENCES": ",", "BIND_ALLOWED_NAMESPACES": "dns"}, nil, false},
		{nil, nil, false},
	}
	for _, tc := range tests {
		c, err := testLoad(tc.args, with(minimal, tc.env))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Guard(); (err == nil) != tc.ok {
			t.Errorf("%v %v: Guard = %v, want ok=%v", tc.env, tc.args, err, tc.ok)
		}
	}
}
