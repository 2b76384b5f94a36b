package zones

import (
	"errors"

	"github.com/bindgate/bindgate/internal/errs"
)

// CreateRequest is docs/contract.md §5's CreateZoneRequest. Pointers tell "absent" from zero so that a
// missing required field is a 422 (docs/contract.md §3.1) and not a silent default.
type CreateRequest struct {
	ZoneName      *string     `json:"zoneName"`
	ZoneType      *string     `json:"zoneType"`
	ZoneConfig    *ZoneConfig `json:"zoneConfig"`
	UpdateKeyName *string     `json:"updateKeyName"`
}

// ZoneConfig is docs/contract.md §5's ZoneConfig.
type ZoneConfig struct {
	TTL           *uint32           `json:"ttl"`
	SOA           *SOARecord        `json:"soa"`
	NameServers   []string          `json:"nameServers"`
	NameServerIPs map[string]string `json:"nameServerIps"`
	Records       []DNSRecord       `json:"records"`
	AlsoNotify    []string          `json:"alsoNotify"`
	AllowTransfer []string          `json:"allowTransfer"`
	Primaries     []string          `json:"primaries"`
	DNSSECPolicy  *string           `json:"dnssecPolicy"`
	InlineSigning *bool             `json:"inlineSigning"`
}

// SOARecord is docs/contract.md §5's SoaRecord; absent numbers take the contract's defaults.
type SOARecord struct {
	PrimaryNS   *string `json:"primaryNs"`
	AdminEmail  *string `json:"adminEmail"`
	Serial      *uint32 `json:"serial"`
	Refresh     *uint32 `json:"refresh"`
	Retry       *uint32 `json:"retry"`
	Expire      *uint32 `json:"expire"`
	NegativeTTL *uint32 `json:"negativeTtl"`
}

// DNSRecord is one entry of ZoneConfig.Records (docs/contract.md §5).
type DNSRecord struct {
	Name     *string `json:"name"`
	Type     *string `json:"type"`
	Value    *string `json:"value"`
	TTL      *uint32 `json:"ttl"`
	Priority *uint16 `json:"priority"`
}

// ModifyRequest is docs/contract.md §10's ModifyZoneRequest. A nil slice is absent; a non-nil empty
// slice is "[]" (JSON null decodes to nil, which the contract defines as absent too).
type ModifyRequest struct {
	AlsoNotify    []string `json:"alsoNotify"`
	AllowTransfer []string `json:"allowTransfer"`
	AllowUpdate   []string `json:"allowUpdate"`
	Primaries     []string `json:"primaries"`
	DNSSECPolicy  *string  `json:"dnssecPolicy"`
	InlineSigning *bool    `json:"inlineSigning"`
}

// Result is the body of every successful zone operation (docs/contract.md §3.2 ZoneResponse):
// a fixed message and BIND's raw text.
type Result struct {
	Message string
	Details string
}

// Info is docs/contract.md §3.2's ZoneInfo.
type Info struct {
	Name     string  `json:"name"`
	ZoneType string  `json:"zoneType"`
	Serial   *uint32 `json:"serial,omitempty"`
	FilePath string  `json:"filePath,omitempty"`
}

// Status is GET /zones/{name}/status: the zonestatus text and, for zones with a dnssec-policy,
// the parsed `rndc dnssec -status` (docs/contract.md §8.3).
type Status struct {
	Result
	DNSSEC *DNSSECStatus
}

// DNSSECStatus is the optional "dnssec" object of docs/contract.md §8.3.
type DNSSECStatus struct {
	Policy string      `json:"policy,omitempty"`
	Signed bool        `json:"signed"`
	Keys   []DNSSECKey `json:"keys"`
}

// DNSSECKey is one key of DNSSECStatus.
type DNSSECKey struct {
	Tag              uint16 `json:"tag"`
	Algorithm        string `json:"algorithm"`
	Role             string `json:"role"`
	Published        bool   `json:"published"`
	PublishedSince   string `json:"publishedSince,omitempty"`
	KeySigning       bool   `json:"keySigning"`
	KeySigningSince  string `json:"keySigningSince,omitempty"`
	ZoneSigning      bool   `json:"zoneSigning"`
	ZoneSigningSince string `json:"zoneSigningSince,omitempty"`
	NextRollover     string `json:"nextRollover,omitempty"`
	Removed          bool   `json:"removed"`
	Goal             string `json:"goal,omitempty"`
	DNSKEYState      string `json:"dnskeyState,omitempty"`
	DSState          string `json:"dsState,omitempty"`
	ZoneRRSIGState   string `json:"zoneRrsigState,omitempty"`
	KeyRRSIGState    string `json:"keyRrsigState,omitempty"`
}

// Action is a zone verb of docs/contract.md §11.
type Action string

// The zone actions.
const (
	ActionReload     Action = "reload"
	ActionFreeze     Action = "freeze"
	ActionThaw       Action = "thaw"
	ActionNotify     Action = "notify"
	ActionRetransfer Action = "retransfer"
)

// ReconcileReport says what a reconcile pass found and did.
type ReconcileReport struct {
	Registered int              `json:"registered"`
	Present    int              `json:"present"`
	Readded    []string         `json:"readded"`
	Failed     []ReconcileError `json:"failed"`
	// Restored says, per re-added zone, what it was restored from (issue 9 item 4).
	Restored []RestoredZone `json:"restored"`
	// Removed lists the zones deleted with a 2xx that named served again (a named killed
	// right after delzone keeps the zone in its NZD), which reconcile deleted once more
	// (their tombstones, registry/tombstone.go).
	Removed []string `json:"removed"`
}

// RestoredZone is one zone a reconcile (or a replayed create) added back.
type RestoredZone struct {
	Zone string `json:"zone"`
	// Source is copy, file, registry or transfer (SourceCopy, ...).
	Source string `json:"source"`
	// Serial is the SOA serial the zone was restored at; absent when not known yet (a
	// secondary waiting for its transfer, a zone still loading).
	Serial *uint32 `json:"serial,omitempty"`
	// CopyAgeSeconds is how long before the restore the copy was last known current (its
	// last change or confirmation); absent when the copy was not used (none, or a secondary
	// that waits for a transfer).
	CopyAgeSeconds *int64 `json:"copyAgeSeconds,omitempty"`
	// Stale: the data restored is older than the zone's last known change (the copy lags a
	// serial named was seen serving, or only the registry's first file was left). Logged too.
	Stale bool `json:"stale,omitempty"`
}

// ReconcileError is one zone a reconcile could not restore; Reason is safe to show.
type ReconcileError struct {
	Zone   string `json:"zone"`
	Reason string `json:"reason"`
}

// Check is one readiness check; OK false carries no detail (docs/contract.md §19 C-3).
// Progress, when set, is a count safe to show ("120/10000"), used by the startup reconcile.
type Check struct {
	Name     string
	OK       bool
	Progress string
}

// Zone-service errors are *errs.Error values; the HTTP layer maps their kinds (docs/contract.md
// §3.4). Two facts callers need beyond the kind are sentinels wrapped in the error:
// ErrExists (the 409 of a create, the only message that may say "already exists") and
// ErrNotLoaded (the typed 503 of docs/contract.md §8.3).
var (
	// ErrExists is wrapped by Exists.
	ErrExists = errors.New("zones: zone exists")
	// ErrNotLoaded is wrapped by NotLoaded.
	ErrNotLoaded = errors.New("zones: zone not loaded")
)

// Invalid returns a 400 with the contract's "Invalid request: " prefix.
func Invalid(format string, a ...any) *errs.Error {
	return errs.New(errs.Invalid, "Invalid request: "+format, a...)
}

// Unprocessable returns a 422 for a body of the wrong shape.
func Unprocessable(format string, a ...any) *errs.Error {
	return errs.New(errs.Unprocessable, "Invalid request: "+format, a...)
}

// invalidInput is the 400 for caller input that zoneconf or zonefile refused: their error
// text is written to be shown after "Invalid request: " (zoneconf and zonefile doc.go), and
// the error itself stays the cause.
func invalidInput(err error) *errs.Error {
	return errs.Wrap(errs.Invalid, err, "Invalid request: %s", err)
}

// NotFound returns the contract's 404 for zone z.
func NotFound(z string) *errs.Error { return errs.New(errs.NotFound, "Zone not found: %s", z) }

// Exists returns the contract's 409 for zone z; the only message that may say "already exists".
func Exists(z string) *errs.Error {
	return errs.Wrap(errs.Conflict, ErrExists, "Zone already exists: %s", z)
}

// NotLoaded returns the typed 503 of docs/contract.md §8.3.
func NotLoaded(z string) *errs.Error {
	return errs.Wrap(errs.Unavailable, ErrNotLoaded, "Zone not loaded: %s", z)
}

// Conflict returns a 409 with msg.
func Conflict(msg string) *errs.Error { return &errs.Error{Kind: errs.Conflict, Msg: msg} }

// ErrUnavailable is wrapped around every failure a retry may fix: BIND unreachable, timed out,
// or rejecting the control key. Its kind is errs.Unavailable: 503 "Service unavailable".
var ErrUnavailable = errs.Sentinel(errs.Unavailable, "zones: BIND unavailable")
