package pdnsapi

// The PowerDNS JSON shapes this subset reads and writes. Requests are decoded leniently:
// fields the clients send and PowerDNS ignores (comments, a zone's name or kind in a PATCH,
// per-record names) are ignored here too.

// APIVersion is one entry of GET /api.
type APIVersion struct {
	URL     string `json:"url"`
	Version int    `json:"version"`
}

// Server is GET /api/v1/servers/localhost and the entries of GET /api/v1/servers.
type Server struct {
	Type       string `json:"type"`
	ID         string `json:"id"`
	DaemonType string `json:"daemon_type"`
	Version    string `json:"version"`
	URL        string `json:"url"`
	ConfigURL  string `json:"config_url"`
	ZonesURL   string `json:"zones_url"`
}

// Zone is a PowerDNS zone object. RRsets is set on GET of one zone only.
type Zone struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	Type           string   `json:"type"`
	URL            string   `json:"url"`
	Kind           string   `json:"kind"`
	Serial         uint32   `json:"serial"`
	NotifiedSerial uint32   `json:"notified_serial"`
	EditedSerial   uint32   `json:"edited_serial"`
	Masters        []string `json:"masters"`
	DNSSEC         bool     `json:"dnssec"`
	Account        string   `json:"account"`
	RRsets         []RRset  `json:"rrsets,omitempty"`
}

// RRset is a PowerDNS RRset as GET answers it.
type RRset struct {
	Name     string    `json:"name"`
	Type     string    `json:"type"`
	TTL      uint32    `json:"ttl"`
	Records  []Record  `json:"records"`
	Comments []Comment `json:"comments"`
}

// Record is one record of an RRset: its content in presentation format.
type Record struct {
	Content  string `json:"content"`
	Disabled bool   `json:"disabled"`
}

// Comment is accepted in requests and ignored; answers always carry an empty list.
type Comment struct {
	Content    string `json:"content"`
	Account    string `json:"account"`
	ModifiedAt int64  `json:"modified_at"`
}

// RRsetChange is one entry of a PATCH (or of a create's rrsets). Records nil and [] are the
// same: with REPLACE, a delete.
type RRsetChange struct {
	Name       *string       `json:"name"`
	Type       *string       `json:"type"`
	TTL        *uint32       `json:"ttl"`
	ChangeType *string       `json:"changetype"`
	Records    []RecordInput `json:"records"`
}

// RecordInput is a record of a request; a per-record name or type is ignored.
type RecordInput struct {
	Content  *string `json:"content"`
	Disabled bool    `json:"disabled"`
}

// PatchRequest is the body of PATCH …/zones/{zone}.
type PatchRequest struct {
	RRsets []RRsetChange `json:"rrsets"`
}

// CreateRequest is the body of POST …/zones.
type CreateRequest struct {
	Name        *string       `json:"name"`
	Kind        *string       `json:"kind"`
	Nameservers []string      `json:"nameservers"`
	Masters     []string      `json:"masters"`
	RRsets      []RRsetChange `json:"rrsets"`
}

// Cryptokey is one entry of GET …/cryptokeys, from `rndc dnssec -status`.
type Cryptokey struct {
	Type      string `json:"type"`
	ID        int    `json:"id"`
	KeyType   string `json:"keytype"`
	Active    bool   `json:"active"`
	Published bool   `json:"published"`
	Algorithm string `json:"algorithm"`
}

// ErrorBody is PowerDNS's error answer.
type ErrorBody struct {
	Error string `json:"error"`
}
