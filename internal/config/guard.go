package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// ErrUnsafe is wrapped by every Guard error.
var ErrUnsafe = errors.New("unsafe configuration")

// The authentication modes (docs/contract.md §15.1).
const (
	AuthDisabled    = "disabled"
	AuthToken       = "token"
	AuthTokenReview = "tokenreview"
)

// AuthMode is "disabled" (DISABLE_AUTH), else "token" (BIND_API_TOKEN or
// BIND_API_TOKENS_FILE set), else "tokenreview" (docs/contract.md §15.1).
func (c Config) AuthMode() string {
	switch {
	case c.Auth.Disabled:
		return AuthDisabled
	case c.Auth.Token != "" || c.Access.TokensFile != "":
		return AuthToken
	}
	return AuthTokenReview
}

// Guard runs the startup guards of docs/contract.md §15.3 and reports every failure, each a
// *SettingError wrapping ErrUnsafe that says how to fix it. It is pure: files the settings name
// (TokenReview credentials, certificates) are checked where they are opened.
func (c Config) Guard() error {
	var errs []error
	refuse := func(setting, format string, a ...any) {
		errs = append(errs, &SettingError{Setting: setting, Err: fmt.Errorf("%w: %s", ErrUnsafe, fmt.Sprintf(format, a...))})
	}
	switch c.AuthMode() {
	case AuthDisabled:
		host, _, err := net.SplitHostPort(c.ListenAddr)
		if (err != nil || !loopback(host)) && !c.Auth.AllowInsecure { // docs/contract.md §19 B-4
			refuse("DISABLE_AUTH", "authentication is off and the API listens on %s, so anyone who can reach it "+
				"can change zones. Either set BIND_API_TOKEN to a shared secret instead of DISABLE_AUTH, "+
				"or listen on 127.0.0.1 with BIND_API_ADDRESS=127.0.0.1, "+
				"or, if you really mean it, pass --i-know-this-is-insecure or set BINDCAR_ALLOW_INSECURE_AUTH=true", c.ListenAddr)
		}
	case AuthTokenReview:
		if len(c.Auth.AllowedServiceAccounts) == 0 && len(c.Auth.AllowedNamespaces) == 0 && !c.Auth.AllowAnyServiceAccount {
			refuse("BIND_ALLOWED_SERVICE_ACCOUNTS", "TokenReview authentication (BIND_API_TOKEN is not set) "+
				"would accept every service account in the cluster. Set BIND_ALLOWED_SERVICE_ACCOUNTS "+
				"(system:serviceaccount:<namespace>:<name>) or BIND_ALLOWED_NAMESPACES, "+
				"or BIND_ALLOW_ANY_SERVICEACCOUNT=true to accept that; or set BIND_API_TOKEN for shared-secret mode")
		}
		if len(c.Auth.TokenAudiences) == 0 {
			refuse("BIND_TOKEN_AUDIENCES", "no audience: every TokenReview would fail (docs/contract.md §19 A1); "+
				"leave it unset for the default, bindcar")
		}
	}
	kube := map[string]string{"KUBE_API_SERVER": c.Auth.KubeAPIServer, "KUBE_TOKEN_PATH": c.Auth.KubeTokenPath, "KUBE_CA_CERT_PATH": c.Auth.KubeCACertPath}
	var missing []string
	for _, k := range []string{"KUBE_API_SERVER", "KUBE_TOKEN_PATH", "KUBE_CA_CERT_PATH"} {
		if kube[k] == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) == 1 || len(missing) == 2 {
		refuse(missing[0], "KUBE_API_SERVER, KUBE_TOKEN_PATH and KUBE_CA_CERT_PATH go together: "+
			"set all three or none (missing: %s)", strings.Join(missing, ", "))
	}
	switch {
	case c.TLS.CertFile != "" && c.TLS.KeyFile == "":
		refuse("BIND_TLS_KEY", "BIND_TLS_CERT is set without BIND_TLS_KEY: set both or neither")
	case c.TLS.CertFile == "" && c.TLS.KeyFile != "":
		refuse("BIND_TLS_CERT", "BIND_TLS_KEY is set without BIND_TLS_CERT: set both or neither")
	case c.TLS.CertFile == "" && c.TLS.ClientCAFile != "":
		refuse("BIND_TLS_CLIENT_CA", "client certificates need TLS: set BIND_TLS_CERT and BIND_TLS_KEY too")
	}
	return errors.Join(errs...)
}

// loopback reports whether host is localhost, in 127.0.0.0/8 or ::1; 0.0.0.0 and :: are not
// (docs/contract.md §15.3).
func loopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}
