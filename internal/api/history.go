package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/bindgate/bindgate/internal/records"
)

// HistoryService is what the API needs for a zone's change history and rollback (issue 9
// item 5, docs/contract.md §12.6); *records.Service implements it. Errors follow
// ZoneService's rules.
type HistoryService interface {
	ListHistory(ctx context.Context, zone string, before uint32, limit int) (records.HistoryPage, error)
	HistoryChange(ctx context.Context, zone string, serial uint32) (records.ChangeDetail, error)
	Rollback(ctx context.Context, zone string, req records.RollbackRequest) (records.RollbackResult, error)
}

// historyRoutes are the history and rollback routes; zone-scoped like the record routes.
func (s *Server) historyRoutes() []route {
	if s.history == nil {
		return nil
	}
	return []route{
		{pattern: "GET /api/v1/zones/{name}/history", h: s.listHistory},
		{pattern: "GET /api/v1/zones/{name}/history/{serial}", h: s.historyChange},
		{pattern: "POST /api/v1/zones/{name}/rollback", op: "rollback", h: s.rollback},
	}
}

// listHistory is GET /api/v1/zones/{name}/history[?before=<serial>&limit=<n>].
func (s *Server) listHistory(w http.ResponseWriter, r *http.Request) error {
	z, err := zoneName(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var before uint32
	if v := q.Get("before"); v != "" {
		if before, err = parseSerial(v); err != nil {
			return &httpError{status: http.StatusBadRequest, msg: "Invalid request: before must be a serial (0-4294967295)"}
		}
	}
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > records.MaxHistoryLimit {
			return &httpError{status: http.StatusBadRequest, msg: "Invalid request: limit must be from 1 to " + strconv.Itoa(records.MaxHistoryLimit)}
		}
		limit = n
	}
	page, err := s.history.ListHistory(r.Context(), z, before, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// historyChange is GET /api/v1/zones/{name}/history/{serial}: the change that ended at serial.
func (s *Server) historyChange(w http.ResponseWriter, r *http.Request) error {
	z, err := zoneName(r)
	if err != nil {
		return err
	}
	serial, err := parseSerial(r.PathValue("serial"))
	if err != nil {
		return &httpError{status: http.StatusBadRequest, msg: "Invalid request: the serial in the path must be a number from 0 to 4294967295"}
	}
	c, err := s.history.HistoryChange(r.Context(), z, serial)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// rollback is POST /api/v1/zones/{name}/rollback {"toSerial":N,"dryRun":bool}.
func (s *Server) rollback(w http.ResponseWriter, r *http.Request) error {
	z, err := zoneName(r)
	if err != nil {
		return err
	}
	var req records.RollbackRequest
	if err := decodeJSON(w, r, s.maxBody, &s.fields, &req); err != nil {
		return err
	}
	res, err := s.history.Rollback(r.Context(), z, req)
	if err != nil {
		return err
	}
	if res.Applied {
		noteChange(r.Context(), "rollback to "+strconv.FormatUint(uint64(res.TargetSerial), 10))
		for _, set := range res.Removed {
			noteChange(r.Context(), "remove "+set.Name+" "+set.Type)
		}
		for _, set := range res.Added {
			noteChange(r.Context(), "add "+set.Name+" "+set.Type)
		}
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// parseSerial reads a decimal SOA serial.
func parseSerial(v string) (uint32, error) {
	n, err := strconv.ParseUint(v, 10, 32)
	return uint32(n), err
}
