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

// History is the retention of the zone copy's change history (issue 9 item 5): a change is
// kept while it is among a zone's last MaxChanges or younger than MaxAge, whichever keeps
// more (zonecopy.Config).
type History struct {
	MaxChanges int           // BINDGATE_HISTORY_MAX_CHANGES, 1-1000000
	MaxAge     time.Duration // BINDGATE_HISTORY_MAX_AGE; 0 keeps by count only
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

	SettingHistoryMaxChanges = "BINDGATE_HISTORY_MAX_CHANGES"
	SettingHistoryMaxAge     = "BINDGATE_HISTORY_MAX_AGE"
	SettingNotifyAddr        = "BINDGATE_NOTIFY_ADDR"
	SettingHealthInterval    = "BINDGATE_HEALTH_INTERVAL"
)

// Errorf returns a *SettingError about setting (one of the Setting constants) whose cause is
// fmt.Errorf(format, a...), so %w keeps the original error for errors.Is.
func Errorf(setting, format string, a ...any) error {
	return &SettingError{Setting: setting, Err: fmt.Errorf(format, a...)}
}
