package records

// AddRequest is docs/contract.md §12.1's AddRecordRequest. Pointers tell "absent" from zero, so a
// missing required field is a 422 and not a silent default.
type AddRequest struct {
	Name     *string `json:"name"`
	Type     *string `json:"type"`
	Value    *string `json:"value"`
	TTL      *uint32 `json:"ttl"`
	Priority *uint16 `json:"priority"`
}

// RemoveRequest is docs/contract.md §12.1's RemoveRecordRequest; Value nil removes the RRset.
type RemoveRequest struct {
	Name  *string `json:"name"`
	Type  *string `json:"type"`
	Value *string `json:"value"`
}

// UpdateRequest is docs/contract.md §12.1's UpdateRecordRequest.
type UpdateRequest struct {
	Name         *string `json:"name"`
	Type         *string `json:"type"`
	CurrentValue *string `json:"currentValue"`
	NewValue     *string `json:"newValue"`
	TTL          *uint32 `json:"ttl"`
	Priority     *uint16 `json:"priority"`
}

// RecordResult is what the one-record routes answer in "details" (docs/contract.md §3.2).
type RecordResult struct {
	Message string
	Zone    string
	Record  any // the echo of the request, per route
}

// AddedRecord is the "record" echo of an add. Priority is set for MX and SRV only (issue 8:
// bindcar's echo dropped it).
type AddedRecord struct {
	Name     string  `json:"name"`
	Type     string  `json:"type"`
	Value    string  `json:"value"`
	TTL      uint32  `json:"ttl"`
	Priority *uint16 `json:"priority,omitempty"`
}

// RemovedRecord is the "record" echo of a remove; Value is null when the RRset was removed.
// Removed is how many records went: a DELETE of something absent is still 200, as in
// bindcar, but says "removed":0 (issue 8).
type RemovedRecord struct {
	Name    string  `json:"name"`
	Type    string  `json:"type"`
	Value   *string `json:"value"`
	Removed int     `json:"removed"`
}

// UpdatedRecord is the "record" echo of an update; Priority as in AddedRecord.
type UpdatedRecord struct {
	Name         string  `json:"name"`
	Type         string  `json:"type"`
	CurrentValue string  `json:"currentValue"`
	NewValue     string  `json:"newValue"`
	TTL          uint32  `json:"ttl"`
	Priority     *uint16 `json:"priority,omitempty"`
}

// RRset is one RRset as GET answers it: absolute name with the trailing dot, type upper case,
// records in master-file syntax, sorted.
type RRset struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	TTL     uint32   `json:"ttl"`
	Records []string `json:"records"`
}

// ZoneData is the body of GET /zones/{name}/rrsets. The RRsets of an answer from the read
// cache are shared with it: read-only.
type ZoneData struct {
	Zone   string  `json:"zone"`
	Serial uint32  `json:"serial"`
	RRsets []RRset `json:"rrsets"`
	// Encoded, when set, is this answer already encoded as the API encodes JSON (HTML not
	// escaped, a final newline): the unfiltered answer from the read cache, written as is.
	Encoded []byte `json:"-"`
}

// RRsetChange is one entry of a PATCH (and, without ChangeType, of a PUT). Name is relative
// or absolute; ChangeType is REPLACE or DELETE.
type RRsetChange struct {
	Name       *string  `json:"name"`
	Type       *string  `json:"type"`
	TTL        *uint32  `json:"ttl"`
	ChangeType *string  `json:"changetype"`
	Records    []string `json:"records"`
}

// PatchRequest is the body of PATCH /zones/{name}/rrsets.
type PatchRequest struct {
	RRsets []RRsetChange `json:"rrsets"`
}

// PatchResult is the body of a successful PATCH.
type PatchResult struct {
	Zone    string    `json:"zone"`
	Serial  uint32    `json:"serial"`
	Changes []Applied `json:"changes"`
}

// Applied is one RRset change as planned or made. Records and TTL are empty for DELETE.
type Applied struct {
	Name       string   `json:"name"`
	Type       string   `json:"type"`
	ChangeType string   `json:"changetype"`
	TTL        *uint32  `json:"ttl,omitempty"`
	Records    []string `json:"records"`
}

// SyncRequest is the body of PUT /zones/{name}/rrsets: the complete desired data.
type SyncRequest struct {
	RRsets []RRsetChange `json:"rrsets"`
}

// SyncResult is the body of PUT /zones/{name}/rrsets.
type SyncResult struct {
	Zone    string    `json:"zone"`
	Serial  uint32    `json:"serial"`
	Changes []Applied `json:"changes"`
	Applied bool      `json:"applied"`
}

// The change types of PATCH.
const (
	ChangeReplace = "REPLACE"
	ChangeDelete  = "DELETE"
)

// Limits on one request (documented in README). The real limit of a PATCH or a sync diff is
// one UPDATE message (maxUpdateSize, checked by fits: 413); MaxRecordsPerChange is a cheap
// bound checked first. MaxSyncRecords bounds the desired records of one PUT.
const (
	MaxRecordsPerChange = 1000
	MaxSyncRecords      = 50000
	// DefaultTTL applies when a record or RRset gives none (bindcar's default, docs/contract.md §12.1).
	DefaultTTL uint32 = 3600
)
