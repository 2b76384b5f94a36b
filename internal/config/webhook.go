package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/bindgate/bindgate/internal/quote"
	"github.com/bindgate/bindgate/internal/zonename"
)

// The ExternalDNS webhook settings (issue 12).
const (
	SettingWebhook            = "BINDGATE_WEBHOOK"
	SettingWebhookAddr        = "BINDGATE_WEBHOOK_ADDR"
	SettingWebhookAllowRemote = "BINDGATE_WEBHOOK_ALLOW_REMOTE"
	SettingWebhookPrincipal   = "BINDGATE_WEBHOOK_PRINCIPAL"
	SettingWebhookDomains     = "BINDGATE_WEBHOOK_DOMAINS"
)

// Webhook is the ExternalDNS webhook provider's listener (package webhook). The protocol has
// no authentication: the listener acts as Principal and stays on loopback, where ExternalDNS
// runs as a sidecar, unless AllowRemote says otherwise.
type Webhook struct {
	Enabled     bool     // BINDGATE_WEBHOOK
	Addr        string   // BINDGATE_WEBHOOK_ADDR, host:port, default 127.0.0.1:8888
	AllowRemote bool     // BINDGATE_WEBHOOK_ALLOW_REMOTE: Addr may be a non-loopback address
	Principal   string   // BINDGATE_WEBHOOK_PRINCIPAL, default "shared-token"
	Domains     []string // BINDGATE_WEBHOOK_DOMAINS, normalised zone names; empty: the principal's writable zones
}

// IsLoopback reports whether Addr's host is a loopback address.
func (w Webhook) IsLoopback() bool {
	host, _, err := net.SplitHostPort(w.Addr)
	a, perr := netip.ParseAddr(host)
	return err == nil && perr == nil && a.IsLoopback()
}

// webhook reads the webhook settings; the address is checked even when the webhook is off, so
// a typo shows before the day it is turned on.
func (p *loader) webhook(c *Config) {
	w := &c.Webhook
	w.Enabled = p.boolean(SettingWebhook)
	w.AllowRemote = p.boolean(SettingWebhookAllowRemote)
	w.Addr = p.v.get(SettingWebhookAddr)
	host, port, err := net.SplitHostPort(w.Addr)
	if err == nil {
		if _, aerr := netip.ParseAddr(host); aerr != nil {
			err = errors.New("the host must be an IP address")
		} else if n, perr := strconv.Atoi(port); perr != nil || n < 0 || n > 65535 {
			err = errors.New("the port must be 0-65535")
		}
	}
	switch {
	case err != nil:
		p.fail(SettingWebhookAddr, fmt.Errorf("%s is not an IP host:port: %w", quote.Short(w.Addr), err))
	case w.Enabled && !w.IsLoopback() && !w.AllowRemote:
		p.fail(SettingWebhookAddr, fmt.Errorf("%s is not a loopback address: the webhook protocol has no authentication, so anyone who reaches it may change every zone its principal may; set %s=true to listen there anyway",
			quote.Short(w.Addr), SettingWebhookAllowRemote))
	}
	w.Principal = strings.TrimSpace(p.v.get(SettingWebhookPrincipal))
	if w.Principal == "" || len(w.Principal) > 253 || strings.ContainsFunc(w.Principal, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
		p.fail(SettingWebhookPrincipal, fmt.Errorf("%s: a principal name is 1-253 printable ASCII characters", quote.Short(w.Principal)))
	}
	for _, d := range splitList(p.v.get(SettingWebhookDomains)) {
		z, err := zonename.Normalize(d)
		if err != nil {
			p.fail(SettingWebhookDomains, fmt.Errorf("%s is not a zone name: %w", quote.Short(d), err))
			continue
		}
		w.Domains = append(w.Domains, z)
	}
}
