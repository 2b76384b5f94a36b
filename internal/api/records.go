package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/bindgate/bindgate/internal/records"
)

// RecordService is what the API needs from the records service; *records.Service implements
// it. Its errors follow the same rules as ZoneService's.
type RecordService interface {
	Add(ctx context.Context, zone string, req records.AddRequest) (records.RecordResult, error)
	Remove(ctx context.Context, zone string, req records.RemoveRequest) (records.RecordResult, error)
	Update(ctx context.Context, zone string, req records.UpdateRequest) (records.RecordResult, error)
	RRsets(ctx context.Context, zone, name, typ string) (records.ZoneData, error)
	Patch(ctx context.Context, zone string, req records.PatchRequest, ifMatch *uint32) (records.PatchResult, error)
	Sync(ctx context.Context, zone string, req records.SyncRequest, dryRun bool, ifMatch *uint32) (records.SyncResult, error)
	Export(ctx context.Context, zone string) (string, error)
}

// recordResponse is docs/contract.md §3.2's RecordResponse.
type recordResponse struct {
	Success bool          `json:"success"`
	Message string        `json:"message"`
	Details recordDetails `json:"details"`
}

type recordDetails struct {
	Zone   string `json:"zone"`
	Record any    `json:"record"`
}

func recordSuccess(res records.RecordResult) recordResponse {
	return recordResponse{Success: true, Message: res.Message, Details: recordDetails{Zone: res.Zone, Record: res.Record}}
}

// recordRoutes are bindcar's record routes (docs/contract.md §12) and the RRset API of issue 3.
func (s *Server) recordRoutes() []route {
	if s.records == nil {
		return nil
	}
	return []route{
		{pattern: "POST /api/v1/zones/{name}/records", op: "record_add", h: s.addRecord},
		{pattern: "PUT /api/v1/zones/{name}/records", op: "record_update", h: s.updateRecord},
		{pattern: "DELETE /api/v1/zones/{name}/records", op: "record_remove", h: s.removeRecord},
		{pattern: "GET /api/v1/zones/{name}/rrsets", h: s.getRRsets},
		{pattern: "PATCH /api/v1/zones/{name}/rrsets", op: "rrset_patch", h: s.patchRRsets},
		{pattern: "PUT /api/v1/zones/{name}/rrsets", op: "rrset_sync", h: s.syncRRsets},
		{pattern: "GET /api/v1/zones/{name}/export", h: s.exportZone},
	}
}

// addRecord is POST /api/v1/zones/{name}/records: 201 (docs/contract.md §12).
func (s *Server) addRecord(w http.ResponseWriter, r *http.Request) error {
	return recordChange(s, w, r, "add", http.StatusCreated,
		func(q *records.AddRequest) (*string, *string) { return q.Name, q.Type }, s.records.Add)
}

// updateRecord is PUT /api/v1/zones/{name}/records.
func (s *Server) updateRecord(w http.ResponseWriter, r *http.Request) error {
	return recordChange(s, w, r, "update", http.StatusOK,
		func(q *records.UpdateRequest) (*string, *string) { return q.Name, q.Type }, s.records.Update)
}

// removeRecord is DELETE /api/v1/zones/{name}/records, with a JSON body.
func (s *Server) removeRecord(w http.ResponseWriter, r *http.Request) error {
	return recordChange(s, w, r, "remove", http.StatusOK,
		func(q *records.RemoveRequest) (*string, *string) { return q.Name, q.Type }, s.records.Remove)
}

// recordChange is the body of the three record routes, which differ only in the request type,
// the audit verb, the service call and the success status: decode, note the change for the
// audit line, call, answer with docs/contract.md §3.2's RecordResponse.
func recordChange[Req any](s *Server, w http.ResponseWriter, r *http.Request, verb string, status int,
	key func(*Req) (name, typ *string), call func(context.Context, string, Req) (records.RecordResult, error)) error {
	z, err := zoneName(r)
	if err != nil {
		return err
	}
	var req Req
	if err := decodeJSON(w, r, s.maxBody, &s.fields, &req); err != nil {
		return err
	}
	name, typ := key(&req)
	noteChange(r.Context(), verb+" "+str(name)+" "+str(typ))
	res, err := call(r.Context(), z, req)
	if err != nil {
		return err
	}
	writeJSON(w, status, recordSuccess(res))
	return nil
}

// getRRsets is GET /api/v1/zones/{name}/rrsets[?name=…&type=…]; the ETag is the serial, for
// If-Match on the next PATCH or PUT.
func (s *Server) getRRsets(w http.ResponseWriter, r *http.Request) error {
	z, err := zoneName(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	data, err := s.records.RRsets(r.Context(), z, q.Get("name"), q.Get("type"))
	if err != nil {
		return err
	}
	if data.Encoded != nil { // the read cache's body, encoded as writeJSON would
		setSerial(w, data.Serial)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(data.Encoded)
		return nil
	}
	writeWithSerial(w, data.Serial, data)
	return nil
}

// patchRRsets is PATCH /api/v1/zones/{name}/rrsets: one atomic update.
func (s *Server) patchRRsets(w http.ResponseWriter, r *http.Request) error {
	z, ifMatch, err := zoneAndPrecondition(r)
	if err != nil {
		return err
	}
	var req records.PatchRequest
	if err := decodeJSON(w, r, s.maxBody, &s.fields, &req); err != nil {
		return err
	}
	for _, c := range req.RRsets {
		noteChange(r.Context(), str(c.ChangeType)+" "+str(c.Name)+" "+str(c.Type))
	}
	res, err := s.records.Patch(r.Context(), z, req, ifMatch)
	if err != nil {
		return err
	}
	writeWithSerial(w, res.Serial, res)
	return nil
}

// syncRRsets is PUT /api/v1/zones/{name}/rrsets[?dryRun=true]: declarative sync.
func (s *Server) syncRRsets(w http.ResponseWriter, r *http.Request) error {
	z, ifMatch, err := zoneAndPrecondition(r)
	if err != nil {
		return err
	}
	dryRun := false
	if v := r.URL.Query().Get("dryRun"); v != "" {
		if dryRun, err = strconv.ParseBool(v); err != nil {
			return &httpError{status: http.StatusBadRequest, msg: "Invalid request: dryRun must be true or false"}
		}
	}
	var req records.SyncRequest
	if err := decodeJSON(w, r, s.maxBody, &s.fields, &req); err != nil {
		return err
	}
	res, err := s.records.Sync(r.Context(), z, req, dryRun, ifMatch)
	if err != nil {
		return err
	}
	if res.Applied {
		for _, c := range res.Changes {
			noteChange(r.Context(), c.ChangeType+" "+c.Name+" "+c.Type)
		}
	}
	writeWithSerial(w, res.Serial, res)
	return nil
}

// exportZone is GET /api/v1/zones/{name}/export: a master file, text/dns (RFC 4027).
func (s *Server) exportZone(w http.ResponseWriter, r *http.Request) error {
	z, err := zoneName(r)
	if err != nil {
		return err
	}
	text, err := s.records.Export(r.Context(), z)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/dns; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(text))
	return nil
}

// writeWithSerial writes v with 200 and the zone's SOA serial, quoted, as the ETag, for
// If-Match on the next PATCH or PUT (see serialPrecondition).
func writeWithSerial(w http.ResponseWriter, serial uint32, v any) {
	setSerial(w, serial)
	writeJSON(w, http.StatusOK, v)
}

// setSerial sets the ETag to the zone's SOA serial, quoted.
func setSerial(w http.ResponseWriter, serial uint32) {
	w.Header().Set("ETag", strconv.Quote(strconv.FormatUint(uint64(serial), 10)))
}

// zoneAndPrecondition reads the zone name and If-Match of an RRset change.
func zoneAndPrecondition(r *http.Request) (z string, ifMatch *uint32, err error) {
	if z, err = zoneName(r); err != nil {
		return "", nil, err
	}
	ifMatch, err = serialPrecondition(r)
	return z, ifMatch, err
}

// serialPrecondition reads If-Match: the SOA serial the client last saw, bare or as the
// quoted ETag GET sent ("2026112401"; W/ weak tags are refused: a serial is exact).
func serialPrecondition(r *http.Request) (*uint32, error) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "" {
		return nil, nil
	}
	if u, err := strconv.Unquote(v); err == nil {
		v = u
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return nil, &httpError{status: http.StatusBadRequest, msg: "Invalid request: If-Match must be the zone's SOA serial, as the ETag of GET /rrsets"}
	}
	u := uint32(n)
	return &u, nil
}

// str is *p or "" for the audit line.
func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
