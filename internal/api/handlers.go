package api

import (
	"net/http"
	"slices"

	"github.com/bindgate/bindgate/internal/zonename"
	"github.com/bindgate/bindgate/internal/zones"
)

// zoneResponse is docs/contract.md §3.2's ZoneResponse, plus the optional top-level dnssec object of
// GET /zones/{name}/status (§8.3).
type zoneResponse struct {
	Success bool                `json:"success"`
	Message string              `json:"message"`
	Details string              `json:"details"`
	DNSSEC  *zones.DNSSECStatus `json:"dnssec,omitempty"`
}

func success(res zones.Result) zoneResponse {
	return zoneResponse{Success: true, Message: res.Message, Details: res.Details}
}

// zoneList is docs/contract.md §3.2's ZoneList.
type zoneList struct {
	Zones []string `json:"zones"`
	Count int      `json:"count"`
}

// createZone is POST /api/v1/zones: 201 ZoneResponse (docs/contract.md §5).
func (s *Server) createZone(w http.ResponseWriter, r *http.Request) error {
	var req zones.CreateRequest
	if err := decodeJSON(w, r, s.maxBody, &s.fields, &req); err != nil {
		return err
	}
	if req.ZoneName != nil { // the service validates; an invalid name is its 400
		if z, err := zonename.Normalize(*req.ZoneName); err == nil {
			setZone(r.Context(), z)
			if err := s.allowZone(r.Context(), z, true); err != nil {
				return err
			}
			typ := ""
			if req.ZoneType != nil {
				typ = *req.ZoneType
			}
			noteChange(r.Context(), "create zone "+z+" "+typ)
		}
	}
	res, err := s.zones.Create(r.Context(), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, success(res))
	return nil
}

// listZones is GET /api/v1/zones: sorted, never null (docs/contract.md §8.1).
func (s *Server) listZones(w http.ResponseWriter, r *http.Request) error {
	list, err := s.zones.List(r.Context())
	if err != nil {
		return err
	}
	if s.access != nil { // only the zones the caller may read
		p := principalOf(r.Context())
		list = slices.DeleteFunc(slices.Clone(list), func(z string) bool { return !s.access.Allow(p, z, false) })
	}
	list = slices.Sorted(slices.Values(list)) // a new slice, never nil
	if list == nil {
		list = []string{}
	}
	writeJSON(w, http.StatusOK, zoneList{Zones: list, Count: len(list)})
	return nil
}

// getZone is GET /api/v1/zones/{name}: ZoneInfo (docs/contract.md §8.2).
func (s *Server) getZone(w http.ResponseWriter, r *http.Request) error {
	z, err := zoneName(r)
	if err != nil {
		return err
	}
	info, err := s.zones.Get(r.Context(), z)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

// modifyZone is PATCH /api/v1/zones/{name} (docs/contract.md §10).
func (s *Server) modifyZone(w http.ResponseWriter, r *http.Request) error {
	z, err := zoneName(r)
	if err != nil {
		return err
	}
	var req zones.ModifyRequest
	if err := decodeJSON(w, r, s.maxBody, &s.fields, &req); err != nil {
		return err
	}
	res, err := s.zones.Modify(r.Context(), z, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, success(res))
	return nil
}

// deleteZone is DELETE /api/v1/zones/{name}: 200, not 204 (docs/contract.md §9).
func (s *Server) deleteZone(w http.ResponseWriter, r *http.Request) error {
	z, err := zoneName(r)
	if err != nil {
		return err
	}
	res, err := s.zones.Delete(r.Context(), z)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, success(res))
	return nil
}

// zoneStatus is GET /api/v1/zones/{name}/status, bindy's existence probe (docs/contract.md §8.3).
func (s *Server) zoneStatus(w http.ResponseWriter, r *http.Request) error {
	z, err := zoneName(r)
	if err != nil {
		return err
	}
	st, err := s.zones.Status(r.Context(), z)
	if err != nil {
		return err
	}
	resp := success(st.Result)
	resp.DNSSEC = st.DNSSEC
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// zoneAction is POST /api/v1/zones/{name}/<verb> (docs/contract.md §11).
func (s *Server) zoneAction(a zones.Action) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		z, err := zoneName(r)
		if err != nil {
			return err
		}
		res, err := s.zones.Act(r.Context(), z, a)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, success(res))
		return nil
	}
}
