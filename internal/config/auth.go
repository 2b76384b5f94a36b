package config

import (
	"fmt"
	"strings"

	"github.com/bindgate/bindgate/internal/quote"
)

// Auth is the authentication section: the mode's inputs (see Config.AuthMode) and the
// TokenReview parameters (docs/contract.md §15). auth.New builds the authenticator from it.
type Auth struct {
	Disabled               bool     // DISABLE_AUTH
	AllowInsecure          bool     // BINDCAR_ALLOW_INSECURE_AUTH, --i-know-this-is-insecure
	Token                  Secret   // BIND_API_TOKEN or the content of BIND_API_TOKEN_FILE
	TokenAudiences         []string // BIND_TOKEN_AUDIENCES
	AllowedServiceAccounts []string // BIND_ALLOWED_SERVICE_ACCOUNTS: system:serviceaccount:<ns>:<name>
	AllowedNamespaces      []string // BIND_ALLOWED_NAMESPACES
	AllowAnyServiceAccount bool     // BIND_ALLOW_ANY_SERVICEACCOUNT
	KubeAPIServer          string   // KUBE_API_SERVER, an https URL
	KubeTokenPath          string   // KUBE_TOKEN_PATH
	KubeCACertPath         string   // KUBE_CA_CERT_PATH
}

// TokenReviewSetting names the setting behind a field of auth.TokenReviewConfig (as an
// auth.ConfigError names it), so that an error about it names what the operator set: the
// KUBE_* settings when KUBE_API_SERVER is set, else the pod's in-cluster sources.
func (a Auth) TokenReviewSetting(field string) string {
	inCluster := a.KubeAPIServer == ""
	switch field {
	case "APIServer":
		if inCluster {
			return "KUBERNETES_SERVICE_HOST"
		}
		return "KUBE_API_SERVER"
	case "TokenPath":
		if inCluster {
			return "in-cluster service account token"
		}
		return "KUBE_TOKEN_PATH"
	case "CACertPath":
		if inCluster {
			return "in-cluster service account ca.crt"
		}
		return "KUBE_CA_CERT_PATH"
	case "Audiences":
		return "BIND_TOKEN_AUDIENCES"
	case "AllowedServiceAccounts":
		return "BIND_ALLOWED_SERVICE_ACCOUNTS"
	}
	return "TokenReview " + field
}

// auth reads the authentication settings (docs/contract.md §15).
func (p *loader) auth(c *Config) {
	c.Auth.Disabled = p.boolean("DISABLE_AUTH")
	c.Auth.AllowInsecure = p.boolean("BINDCAR_ALLOW_INSECURE_AUTH")
	tok, _ := p.secret("BIND_API_TOKEN", "BIND_API_TOKEN_FILE")
	c.Auth.Token = Secret(tok)
	c.Auth.TokenAudiences = splitList(p.v.get("BIND_TOKEN_AUDIENCES"))
	c.Auth.AllowedServiceAccounts = splitList(p.v.get("BIND_ALLOWED_SERVICE_ACCOUNTS"))
	for _, sa := range c.Auth.AllowedServiceAccounts {
		if !validServiceAccount(sa) {
			p.fail("BIND_ALLOWED_SERVICE_ACCOUNTS", fmt.Errorf("%s is not system:serviceaccount:<namespace>:<name>", quote.Short(sa)))
		}
	}
	c.Auth.AllowedNamespaces = splitList(p.v.get("BIND_ALLOWED_NAMESPACES"))
	for _, ns := range c.Auth.AllowedNamespaces {
		if !validLabel(ns) {
			p.fail("BIND_ALLOWED_NAMESPACES", fmt.Errorf("%s is not a namespace name (lower-case letters, digits and '-', 63 at most)", quote.Short(ns)))
		}
	}
	c.Auth.AllowAnyServiceAccount = p.boolean("BIND_ALLOW_ANY_SERVICEACCOUNT")
	c.Auth.KubeAPIServer = p.httpURL("KUBE_API_SERVER", "https")
	c.Auth.KubeTokenPath = p.v.get("KUBE_TOKEN_PATH")
	c.Auth.KubeCACertPath = p.v.get("KUBE_CA_CERT_PATH")
}

// secret reads a secret from variable k or from the file named by fileK, never both. It
// returns the value and the setting it came from. Errors never hold the value.
func (p *loader) secret(k, fileK string) (string, string) {
	switch {
	case p.v.isSet(k) && p.v.isSet(fileK):
		p.fail(k, fmt.Errorf("set %s or %s, not both", k, fileK))
		return "", k
	case p.v.isSet(fileK):
		s, err := readSecretFile(p.v.get(fileK))
		if err != nil {
			p.fail(fileK, err)
		}
		return s, fileK
	case p.v.isSet(k):
		s := strings.TrimSpace(p.v.get(k))
		if s == "" {
			p.fail(k, fmt.Errorf("only white space"))
		}
		return s, k
	}
	return "", k
}

// validLabel reports an RFC 1123 label, the form of a Kubernetes namespace name.
func validLabel(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validServiceAccount reports system:serviceaccount:<namespace>:<name>, the username a
// TokenReview returns for a service account (docs/contract.md §15.2). Names are RFC 1123 subdomains.
func validServiceAccount(s string) bool {
	rest, ok := strings.CutPrefix(s, "system:serviceaccount:")
	if !ok {
		return false
	}
	ns, name, ok := strings.Cut(rest, ":")
	if !ok || !validLabel(ns) || name == "" || len(name) > 253 {
		return false
	}
	for l := range strings.SplitSeq(name, ".") {
		if !validLabel(l) {
			return false
		}
	}
	return true
}
