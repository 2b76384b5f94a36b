package config

import (
	"fmt"
	"net/netip"
	"time"
)

// The sections a part builds itself from (access.New(ctx, cfg.Access, ...),
// ratelimit.FromConfig(cfg.RateLimit), tlsconf.FromConfig(ctx, cfg.TLS, ...)). config defines
// them and never imports the parts.

// Access is who may do what, and from where (issue 4).
type Access struct {
	TokensFile   string         // BIND_API_TOKENS_FILE: named tokens as SHA-256 digests
	PolicyFile   string         // BINDGATE_ACCESS_FILE: principal -> scopes; "" = full access
	AllowedCIDRs []netip.Prefix // BINDGATE_ALLOWED_CIDRS; empty = any address
	MaxInFlight  int            // BINDGATE_MAX_INFLIGHT
	AuditLog     string         // BINDGATE_AUDIT_LOG: "stderr", "stdout", "off" or an absolute path
}

// RateLimit is the per-client token bucket of docs/contract.md §16.
type RateLimit struct {
	Enabled                     bool // RATE_LIMIT_ENABLED
	Requests, PeriodSecs, Burst int  // RATE_LIMIT_REQUESTS, _PERIOD_SECS, _BURST; each >= 1
}

// TLS serves the API over HTTPS when CertFile is set.
type TLS struct {
	CertFile, KeyFile, ClientCAFile string        // BIND_TLS_CERT, BIND_TLS_KEY, BIND_TLS_CLIENT_CA
	ReloadInterval                  time.Duration // BIND_TLS_RELOAD_INTERVAL, 0 = off
}

// Names of settings that can fail where they are used rather than where they are read (a
// directory that does not open, a file that does not parse, an address already taken). The
// part that fails names the setting with Errorf; config owns every setting's name.
const (
	SettingZoneDir    = "BIND_ZONE_DIR"
	SettingStateDir   = "BINDGATE_STATE_DIR"
	SettingAPIAddress = "BIND_API_ADDRESS"
	SettingAPIPort    = "API_PORT"
	SettingListenAddr = SettingAPIAddress + "/" + SettingAPIPort // Config.ListenAddr joins both
	SettingTokensFile = "BIND_API_TOKENS_FILE"
	SettingAccessFile = "BINDGATE_ACCESS_FILE"
	SettingAuditLog   = "BINDGATE_AUDIT_LOG"
	SettingNotifyAddr = "BINDGATE_NOTIFY_ADDR"
)

// Errorf returns a *SettingError about setting (one of the Setting constants) whose cause is
// fmt.Errorf(format, a...), so %w keeps the original error for errors.Is.
func Errorf(setting, format string, a ...any) error {
	return &SettingError{Setting: setting, Err: fmt.Errorf(format, a...)}
}
