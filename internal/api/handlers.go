package api

import (
	"net/http"
	"strings"

	"github.com/bindgate/bindgate/internal/zonename"
	"github.com/bindgate/bindgate/internal/zones"
)

// zoneResponse is CONTRACT §3.2's ZoneResponse, plus the optional dnssec object of §8.3.
type zoneResponse struct {
	Success bool                `json:"success"`
	Message string              `json:"message"`
	Details string              `json:"details"`
	DNSSEC  *zones.DNSSECStatus `json:"dnssec,omitempty"`
}

func ok(res zones.Result) zoneResponse {
	return zoneResponse{Success: true, Message: res.Message, Details: res.Details}
}

// zoneName validates {name} first on every zone route (CONTRACT §4).
func zoneName(r *http.Request) (string, error) {
	z, err := zonename.Normalize(r.PathValue("name"))
	if err != nil {
		return "", newError(http.StatusBadRequest, "Invalid request: "+invalidName(err), nil)
	}
	return z, nil
}

func invalidName(err error) string {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, zonename.ErrInvalid.Error()+": "); ok {
		return "Invalid zone name: " + rest
	}
	return msg
}

func (s *Server) createZone(w http.ResponseWriter, r *http.Request) error {
	var req zones.CreateRequest
	if err := decodeJSON(w, r, s.maxBody, &req); err != nil {
		return err
	}
	res, err := s.zones.Create(r.Context(), req)
	s.metrics.ZoneOp("create", err)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, ok(res))
	return nil
}

func (s *Server) listZones(w http.ResponseWriter, r *http.Request) error {
	list, err := s.zones.List(r.Context())
	if err != nil {
		return err
	}
	if list == nil {
		list = []string{}
	}
	writeJSON(w, http.StatusOK, struct {
		Zones []string `json:"zones"`
		Count int      `json:"count"`
	}{list, len(list)})
	return nil
}

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

func (s *Server) modifyZone(w http.ResponseWriter, r *http.Request) error {
	z, err := zoneName(r)
	if err != nil {
		return err
	}
	var req zones.ModifyRequest
	if err := decodeJSON(w, r, s.maxBody, &req); err != nil {
		return err
	}
	res, err := s.zones.Modify(r.Context(), z, req)
	s.metrics.ZoneOp("modify", err)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ok(res))
	return nil
}

func (s *Server) deleteZone(w http.ResponseWriter, r *http.Request) error {
	z, err := zoneName(r)
	if err != nil {
		return err
	}
	res, err := s.zones.Delete(r.Context(), z)
	s.metrics.ZoneOp("delete", err)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ok(res))
	return nil
}

func (s *Server) zoneStatus(w http.ResponseWriter, r *http.Request) error {
	z, err := zoneName(r)
	if err != nil {
		return err
	}
	st, err := s.zones.Status(r.Context(), z)
	if err != nil {
		return err
	}
	resp := ok(st.Result)
	resp.DNSSEC = st.DNSSEC
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Server) zoneAction(a zones.Action) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		z, err := zoneName(r)
		if err != nil {
			return err
		}
		res, err := s.zones.Act(r.Context(), z, a)
		s.metrics.ZoneOp(string(a), err)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, ok(res))
		return nil
	}
}

func (s *Server) serverStatus(w http.ResponseWriter, r *http.Request) error {
	text, err := s.zones.ServerStatus(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Status string `json:"status"`
	}{text})
	return nil
}

func (s *Server) serverReload(w http.ResponseWriter, r *http.Request) error {
	res, err := s.zones.ServerReload(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ok(res))
	return nil
}

func (s *Server) reconcile(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.zones.Reconcile(r.Context())
	if err != nil {
		return err
	}
	s.metrics.Reconciled(len(rep.Readded), len(rep.Failed))
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, struct {
		Status  string `json:"status"`
		Version string `json:"version"`
	}{"healthy", s.version})
	return nil
}

// ready answers 200 only when every check passes, else 503; only ok/error tokens (C-3).
func (s *Server) ready(w http.ResponseWriter, r *http.Request) error {
	checks := s.zones.Ready(r.Context())
	all := true
	out := make([]string, 0, len(checks))
	for _, c := range checks {
		state := "ok"
		if !c.OK {
			state, all = "error", false
		}
		out = append(out, c.Name+": "+state)
	}
	status := http.StatusOK
	if !all {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, struct {
		Ready  bool     `json:"ready"`
		Checks []string `json:"checks"`
	}{all, out})
	return nil
}
