package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/bindgate/bindgate/internal/bindkey"
)

// defaultRNDCConfs are read in order when RNDC_CONF is not set (CONTRACT §14.3).
func defaultRNDCConfs() []string { return []string{"/etc/bind/rndc.conf", "/etc/rndc.conf"} }

// resolveKeys resolves the control channel and TSIG settings per parameter: environment (or
// flag), then rndc.conf, then defaults (CONTRACT §14.3). Startup does not contact BIND.
func resolveKeys(c *Config, v map[string]string) error {
	conf, confPath, err := readRNDCConf(v["RNDC_CONF"])
	if err != nil {
		return err
	}
	c.RNDC.ConfPath = confPath

	// Server and port.
	host, port := "127.0.0.1", uint16(953)
	if conf != nil && conf.DefaultServer != "" {
		host = conf.DefaultServer
	}
	if s := v["RNDC_SERVER"]; s != "" {
		h, p, err := splitServer(s)
		if err != nil {
			return fmt.Errorf("RNDC_SERVER: %w", err)
		}
		host = h
		if p != 0 {
			port = p
		} else {
			port = confPort(conf, host, port)
		}
	} else {
		port = confPort(conf, host, port)
	}
	c.RNDC.Addr = net.JoinHostPort(host, strconv.Itoa(int(port)))

	// Key: RNDC_SECRET (or its file) from the environment wins, else rndc.conf.
	secret := v["RNDC_SECRET"]
	if f := v["RNDC_SECRET_FILE"]; f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("RNDC_SECRET_FILE: cannot read %s", f)
		}
		secret = strings.TrimSpace(string(b))
	}
	var confKey *bindkey.Key
	if conf != nil && (secret == "" || v["RNDC_KEY_NAME"] == "") {
		if k, err := conf.ResolveKey(v["RNDC_KEY_NAME"]); err == nil {
			confKey = &k
		} else if secret == "" {
			return fmt.Errorf("%s: %w", confPath, err)
		}
	}
	var key bindkey.Key
	switch {
	case secret != "":
		b, err := bindkey.DecodeSecret(secret)
		if err != nil {
			return fmt.Errorf("RNDC_SECRET: %w", err)
		}
		key.Secret, key.Algorithm = b, bindkey.HMACSHA256
		key.Name = v["RNDC_KEY_NAME"]
		if confKey != nil {
			if key.Name == "" {
				key.Name = confKey.Name
			}
			key.Algorithm = confKey.Algorithm
		}
		if key.Name == "" {
			key.Name = "rndc-key" // rndc-confgen's default name; only when nothing names the key
		}
	case confKey != nil:
		key = *confKey
	default:
		return errors.New("no rndc key: set RNDC_SECRET (and RNDC_ALGORITHM, RNDC_KEY_NAME) or provide /etc/bind/rndc.conf (RNDC_CONF)")
	}
	if a := v["RNDC_ALGORITHM"]; a != "" {
		alg, err := bindkey.ParseAlgorithm(a)
		if err != nil {
			return fmt.Errorf("RNDC_ALGORITHM: %w", err)
		}
		key.Algorithm = alg
	}
	c.RNDC.Key = key

	// TSIG for RFC 2136 defaults to the rndc key, with its real name ([fix] §18.17).
	c.NSUpdate.Key = key
	c.NSUpdate.Key.Secret = append([]byte(nil), key.Secret...)
	if n := v["NSUPDATE_KEY_NAME"]; n != "" {
		c.NSUpdate.Key.Name = n
	}
	if a := v["NSUPDATE_ALGORITHM"]; a != "" {
		alg, err := bindkey.ParseAlgorithm(a)
		if err != nil {
			return fmt.Errorf("NSUPDATE_ALGORITHM: %w", err)
		}
		c.NSUpdate.Key.Algorithm = alg
	}
	if s := v["NSUPDATE_SECRET"]; s != "" {
		b, err := bindkey.DecodeSecret(s)
		if err != nil {
			return fmt.Errorf("NSUPDATE_SECRET: %w", err)
		}
		c.NSUpdate.Key.Secret = b
	}
	np, err := strconv.Atoi(v["NSUPDATE_PORT"])
	if err != nil || np < 1 || np > 65535 {
		return fmt.Errorf("NSUPDATE_PORT: %q is not a port (1-65535)", v["NSUPDATE_PORT"])
	}
	c.NSUpdate.Addr = net.JoinHostPort(strings.Trim(v["NSUPDATE_SERVER"], "[]"), strconv.Itoa(np))
	return nil
}

// readRNDCConf reads the named file, or the first default that exists. A missing file is fine
// (the environment may supply everything); a malformed one is an error.
func readRNDCConf(path string) (*bindkey.RNDCConf, string, error) {
	paths := defaultRNDCConfs()
	if path != "" {
		paths = []string{path}
	}
	for _, p := range paths {
		c, err := bindkey.LoadRNDCConf(p)
		if errors.Is(err, fs.ErrNotExist) && len(c.Files) == 0 {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("rndc.conf: %w", err)
		}
		return &c, p, nil
	}
	return nil, "", nil
}

func confPort(c *bindkey.RNDCConf, host string, def uint16) uint16 {
	if c == nil {
		return def
	}
	if s, ok := c.Server(host); ok && s.Port != 0 {
		return s.Port
	}
	if c.DefaultPort != 0 {
		return c.DefaultPort
	}
	return def
}

// splitServer reads host, host:port, [v6]:port or a bare IPv6 address.
func splitServer(s string) (string, uint16, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.String(), 0, nil
	}
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		if strings.ContainsAny(s, "[]: /") {
			return "", 0, fmt.Errorf("%q is not host, host:port or [v6]:port", s)
		}
		return s, 0, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 || h == "" {
		return "", 0, fmt.Errorf("%q: port must be 1-65535", s)
	}
	return h, uint16(n), nil
}

// AuthMode is "disabled", "token" or "tokenreview" (CONTRACT §15.1).
func (c Config) AuthMode() string {
	switch {
	case c.Auth.Disabled:
		return "disabled"
	case c.Auth.Token != "":
		return "token"
	}
	return "tokenreview"
}

// Guard runs the startup guards of CONTRACT §15.3. It is pure.
func (c Config) Guard() error {
	host, _, _ := net.SplitHostPort(c.ListenAddr)
	switch c.AuthMode() {
	case "disabled":
		if !loopback(host) && !c.Auth.AllowInsecure {
			return fmt.Errorf("DISABLE_AUTH=true on %s would let anyone on the network change zones. "+
				"Set BIND_API_TOKEN to a secret instead, or listen on loopback (BIND_API_ADDRESS=127.0.0.1), "+
				"or, if this really is what you want, pass --i-know-this-is-insecure or set BINDCAR_ALLOW_INSECURE_AUTH=true", c.ListenAddr)
		}
	case "tokenreview":
		if len(c.Auth.AllowedServiceAccounts) == 0 && len(c.Auth.AllowedNamespaces) == 0 && !c.Auth.AllowAnyServiceAccount {
			return errors.New("TokenReview authentication (no BIND_API_TOKEN set) needs an allowlist: set " +
				"BIND_ALLOWED_SERVICE_ACCOUNTS or BIND_ALLOWED_NAMESPACES, or BIND_ALLOW_ANY_SERVICEACCOUNT=true; " +
				"or set BIND_API_TOKEN for shared-secret mode")
		}
		n := 0
		for _, s := range []string{c.Auth.KubeAPIServer, c.Auth.KubeTokenPath, c.Auth.KubeCACertPath} {
			if s != "" {
				n++
			}
		}
		if n != 0 && n != 3 {
			return errors.New("KUBE_API_SERVER, KUBE_TOKEN_PATH and KUBE_CA_CERT_PATH go together: set all three or none")
		}
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		return errors.New("BIND_TLS_CERT and BIND_TLS_KEY go together: set both or neither")
	}
	return nil
}
