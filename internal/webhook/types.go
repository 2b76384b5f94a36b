package webhook

// MediaType is the content type of every webhook answer with a body, and what ExternalDNS
// sends in Accept and Content-Type. ExternalDNS compares it as a string: it must be exact.
const MediaType = "application/external.dns.webhook+json;version=1"

// Endpoint is ExternalDNS's endpoint.Endpoint in JSON: one RRset, as ExternalDNS names it.
// DNSName has no trailing dot; RecordTTL 0 means "not configured".
type Endpoint struct {
	DNSName          string             `json:"dnsName,omitempty"`
	Targets          []string           `json:"targets,omitempty"`
	RecordType       string             `json:"recordType,omitempty"`
	SetIdentifier    string             `json:"setIdentifier,omitempty"`
	RecordTTL        int64              `json:"recordTTL,omitempty"`
	Labels           map[string]string  `json:"labels,omitempty"`
	ProviderSpecific []ProviderSpecific `json:"providerSpecific,omitempty"`
}

// ProviderSpecific is one of an endpoint's provider-specific properties.
type ProviderSpecific struct {
	Name  string `json:"name,omitempty"`
	Value string `json:"value,omitempty"`
}

// Changes is ExternalDNS's plan.Changes: what one run wants changed. UpdateOld and UpdateNew
// are pairs, the RRset as read and as wanted.
type Changes struct {
	Create    []Endpoint `json:"create,omitempty"`
	UpdateOld []Endpoint `json:"updateOld,omitempty"`
	UpdateNew []Endpoint `json:"updateNew,omitempty"`
	Delete    []Endpoint `json:"delete,omitempty"`
}

// DomainFilter is the answer to GET /: the zones ExternalDNS may manage through us.
type DomainFilter struct {
	Include []string `json:"include"`
}
