package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"strconv"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/quote"
)

// ErrNoRNDCKey is returned when neither the environment nor rndc.conf supplies an rndc key.
var ErrNoRNDCKey = errors.New("no rndc key")

// keys resolves the control channel and the RFC 2136 target, per parameter: environment (or
// flag), then rndc.conf (else BIND's default rndc.key), then defaults (docs/contract.md §14.3). It
// contacts nothing.
func (p *loader) keys(c *Config, opts loadOptions) {
	conf, confPath := p.rndcConf(opts.rndcConfs)
	var keyFileErr error
	if conf == nil && !p.v.isSet("RNDC_CONF") && opts.rndcKeyFile != "" {
		conf, confPath, keyFileErr = loadKeyFile(opts.rndcKeyFile)
	}

	// Host: RNDC_SERVER, else default-server, else 127.0.0.1. Port: RNDC_SERVER's, else the
	// server statement's for that host, else default-port, else 953 (bin/rndc/rndc.c).
	host, port := "127.0.0.1", uint16(0)
	if conf != nil && conf.DefaultServer != "" {
		h, err := parseHost(conf.DefaultServer)
		if err != nil {
			p.fail("RNDC_CONF", fmt.Errorf("%s: default-server is not an IP address or host name", confPath))
		}
		host = h
	}
	if p.v.isSet("RNDC_SERVER") {
		h, pt, err := parseServer(p.v.get("RNDC_SERVER"))
		if err != nil {
			p.fail("RNDC_SERVER", err)
		}
		host, port = h, pt
	}
	if port == 0 {
		port = 953
		if s, ok := serverFor(conf, host); ok && s.Port != 0 {
			port = s.Port
		} else if conf != nil && conf.DefaultPort != 0 {
			port = conf.DefaultPort
		}
	}
	c.RNDC.Addr = net.JoinHostPort(host, strconv.Itoa(int(port)))
	c.RNDC.Key, c.RNDC.KeyFiles = p.rndcKey(conf, confPath, host, keyFileErr)
	p.nsupdate(c)
}

// loadKeyFile reads BIND's default key file, which holds one key statement (rndc.conf grammar).
// A missing file is no error; an unreadable one (Debian makes it 0640 root:bind) is returned,
// to report only if nothing else supplies the secret.
func loadKeyFile(path string) (*bindkey.RNDCConf, string, error) {
	c, err := bindkey.LoadRNDCConf(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && len(c.Files) == 0:
		return nil, "", nil
	case err != nil:
		return nil, "", err
	}
	return &c, path, nil
}

// rndcConf reads RNDC_CONF, or the first file of defaults that exists. A missing file is not
// an error here (the environment may supply everything); a malformed one is.
func (p *loader) rndcConf(defaults []string) (*bindkey.RNDCConf, string) {
	paths := defaults
	if p.v.isSet("RNDC_CONF") {
		paths = []string{p.v.get("RNDC_CONF")}
	}
	for _, path := range paths {
		c, err := bindkey.LoadRNDCConf(path)
		if errors.Is(err, fs.ErrNotExist) && len(c.Files) == 0 {
			continue
		}
		if err != nil {
			p.fail("RNDC_CONF", err) // file, line and offset only (docs/contract.md §19 A3)
			return nil, path
		}
		return &c, path
	}
	return nil, ""
}

// serverFor finds the server statement for host, comparing addresses by value.
func serverFor(c *bindkey.RNDCConf, host string) (bindkey.ServerConf, bool) {
	if c == nil {
		return bindkey.ServerConf{}, false
	}
	if s, ok := c.Server(host); ok {
		return s, true
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return bindkey.ServerConf{}, false
	}
	for _, s := range c.Servers {
		if b, err := parseHost(s.Addr); err == nil {
			if bb, err := netip.ParseAddr(b); err == nil && bb == a {
				return s, true
			}
		}
	}
	return bindkey.ServerConf{}, false
}

// rndcKey resolves the rndc key: each of secret, name and algorithm from the environment,
// else from the rndc.conf key (RNDC_KEY_NAME, else the server statement's key, else
// default-key, else the only key), else hmac-sha256 and no name. It returns the files used.
func (p *loader) rndcKey(conf *bindkey.RNDCConf, confPath, host string, keyFileErr error) (bindkey.Key, []string) {
	name := p.keyName("RNDC_KEY_NAME")
	secret, from := p.secret("RNDC_SECRET", "RNDC_SECRET_FILE")
	var files []string
	if from == "RNDC_SECRET_FILE" {
		files = append(files, p.v.get("RNDC_SECRET_FILE"))
	}
	var confKey *bindkey.Key
	var confErr error
	if conf != nil {
		want := name
		if s, ok := serverFor(conf, host); ok && want == "" {
			want = s.Key
		}
		k, err := conf.ResolveKey(want)
		if err == nil {
			confKey = &k
		}
		confErr = err
	}
	var key bindkey.Key
	usedConf := false
	switch {
	case secret != "":
		b, err := bindkey.DecodeSecret(secret)
		if err != nil {
			p.fail(from, err) // DecodeSecret never repeats its input
		}
		key = bindkey.Key{Name: name, Algorithm: bindkey.HMACSHA256, Secret: b}
		if confKey != nil && (name == "" || !p.v.isSet("RNDC_ALGORITHM")) {
			usedConf = true
			if name == "" {
				key.Name = confKey.Name
			}
			key.Algorithm = confKey.Algorithm
		}
	case confKey != nil:
		key, usedConf = *confKey, true
	case confErr != nil:
		p.errs = append(p.errs, fmt.Errorf("%w: %s: %w", ErrNoRNDCKey, confPath, confErr))
	case keyFileErr != nil: // names the file and why (permission denied, a syntax error)
		p.errs = append(p.errs, fmt.Errorf("%w: set RNDC_SECRET, provide /etc/bind/rndc.conf, or fix BIND's key file: %w", ErrNoRNDCKey, keyFileErr))
	case p.v.isSet("RNDC_CONF"):
		p.errs = append(p.errs, fmt.Errorf("%w: set RNDC_SECRET or provide /etc/bind/rndc.conf (RNDC_CONF %s does not exist)", ErrNoRNDCKey, p.v.get("RNDC_CONF")))
	default:
		p.errs = append(p.errs, fmt.Errorf("%w: set RNDC_SECRET or provide /etc/bind/rndc.conf or /etc/bind/rndc.key", ErrNoRNDCKey))
	}
	if p.v.isSet("RNDC_ALGORITHM") {
		key.Algorithm = p.algorithm("RNDC_ALGORITHM")
	}
	if usedConf {
		files = append(files, conf.Files...)
	}
	return key, files
}

// nsupdate resolves the RFC 2136 target and its TSIG key, which defaults to the rndc key with
// its real name, never a made-up "rndc-key" (docs/contract.md §18.17).
func (p *loader) nsupdate(c *Config) {
	host, port, err := parseServer(p.v.get("NSUPDATE_SERVER"))
	if err != nil {
		p.fail("NSUPDATE_SERVER", err)
	}
	switch {
	case port != 0 && p.v.isSet("NSUPDATE_PORT"):
		p.fail("NSUPDATE_PORT", errors.New("NSUPDATE_SERVER already gives a port"))
	case port == 0:
		port = uint16(p.integer("NSUPDATE_PORT", 1, 65535))
	}
	c.NSUpdate.Addr = net.JoinHostPort(host, strconv.Itoa(int(port)))

	key := c.RNDC.Key
	key.Secret = append([]byte(nil), key.Secret...) // the two keys never share memory
	if n := p.keyName("NSUPDATE_KEY_NAME"); n != "" {
		key.Name = n
	}
	if p.v.isSet("NSUPDATE_ALGORITHM") {
		key.Algorithm = p.algorithm("NSUPDATE_ALGORITHM")
	}
	if secret, from := p.secret("NSUPDATE_SECRET", "NSUPDATE_SECRET_FILE"); secret != "" {
		b, err := bindkey.DecodeSecret(secret)
		if err != nil {
			p.fail(from, err)
		}
		key.Secret = b
		if from == "NSUPDATE_SECRET_FILE" {
			c.NSUpdate.KeyFiles = []string{p.v.get(from)}
		}
	}
	c.NSUpdate.Key = key
	c.NSUpdate.TCP = p.boolean("NSUPDATE_TCP")
}

// keyName reads a key name; it must be usable in TSIG and rndc text (docs/contract.md §19 B-3).
func (p *loader) keyName(k string) string {
	n := p.v.get(k)
	if n != "" && !bindkey.ValidKeyName(n) {
		p.fail(k, fmt.Errorf("%s: a key name is 1-253 letters, digits, '.', '_' or '-'", quote.Short(n)))
	}
	return n
}

// algorithm reads an HMAC algorithm without repeating the value: a secret pasted into the
// wrong variable must not reach the log (docs/contract.md §19 B-7).
func (p *loader) algorithm(k string) bindkey.Algorithm {
	a, err := bindkey.ParseAlgorithm(p.v.get(k))
	if err != nil {
		p.fail(k, fmt.Errorf("%w: use hmac-sha224, hmac-sha256, hmac-sha384 or hmac-sha512 (md5 and sha1 are refused)", bindkey.ErrAlgorithm))
	}
	return a
}
