package api

import (
	"context"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/bindgate/bindgate/internal/keyrot"
	"github.com/bindgate/bindgate/internal/zones"
)

// serverStatus is GET /api/v1/server/status: {"status":"<rndc status text>"} (docs/contract.md
// §8.4; bindy reads "status"), and [bindgate] the key in use: {"key":{name, algorithm,
// fingerprint, loadedAt}, "keyState", …} (issue 10), never the secret.
func (s *Server) serverStatus(w http.ResponseWriter, r *http.Request) error {
	text, err := s.zones.ServerStatus(r.Context())
	if err != nil {
		return err
	}
	if s.keys == nil {
		writeJSON(w, http.StatusOK, struct {
			Status string `json:"status"`
		}{text})
		return nil
	}
	writeJSON(w, http.StatusOK, struct {
		Status string `json:"status"`
		keyStatus
	}{text, s.keys.Status()})
	return nil
}

// keyStatus is embedded under its own name beside the "status" field: its fields join the
// top level of the answer.
type keyStatus = keyrot.Status

// KeyService is the key rotation the API reports and triggers; *keyrot.Rotator implements it.
type KeyService interface {
	Status() keyrot.Status
	Reload(ctx context.Context) (keyrot.Report, error)
}

// reloadKeys is POST /api/v1/server/keys/reload [bindgate]: read the key files now and, when
// they changed, drive named onto the new key, as SIGHUP does (issue 10). It answers the result
// (rotated, unchanged, pending, refused, failed) and the key in use; 200 whatever the result,
// since the key in use keeps working.
func (s *Server) reloadKeys(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.keys.Reload(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// serverReload is POST /api/v1/server/reload [fix]: bindy defines the call, bindcar had no
// route (docs/contract.md §2, §11).
func (s *Server) serverReload(w http.ResponseWriter, r *http.Request) error {
	res, err := s.zones.ServerReload(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, success(res))
	return nil
}

// reconcile is POST /api/v1/server/reconcile (bindgate only): re-add registered zones BIND
// lost and answer the report.
func (s *Server) reconcile(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.zones.Reconcile(r.Context())
	if err != nil {
		return err
	}
	s.metrics.Reconciled(len(rep.Readded), len(rep.Failed))
	if rep.Readded == nil {
		rep.Readded = []string{}
	}
	if rep.Failed == nil {
		rep.Failed = []zones.ReconcileError{}
	}
	if rep.Restored == nil {
		rep.Restored = []zones.RestoredZone{}
	}
	if rep.Removed == nil {
		rep.Removed = []string{}
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// health is GET /api/v1/health: 200 while serving, with the build version (docs/contract.md §13).
func (s *Server) health(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, struct {
		Status  string `json:"status"`
		Version string `json:"version"`
	}{"healthy", s.version})
	return nil
}

// ready is GET /api/v1/ready: 200 when every check passes, else 503 [fix] (bindcar: always
// 200). Only "<name>: ok" and "<name>: error" tokens, no detail (docs/contract.md §13, §19 C-3),
// except the startup reconcile's progress count: "startup_reconcile: error (120/10000)".
func (s *Server) ready(w http.ResponseWriter, r *http.Request) error {
	checks := s.zones.Ready(r.Context())
	all := true
	out := make([]string, 0, len(checks))
	for _, c := range checks {
		state := "ok"
		if !c.OK {
			state, all = "error", false
		}
		if c.Progress != "" { // a count, never a path or BIND's text (C-3)
			state += " (" + c.Progress + ")"
		}
		out = append(out, c.Name+": "+state)
	}
	if s.keys != nil {
		// Informational: a key waiting for named (pending) leaves the working key in use, so it
		// never fails readiness (issue 10).
		out = append(out, "key: "+s.keys.Status().State)
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

// serveMetrics is GET /metrics. It gathers first, so that a gather failure is a 500 in the
// JSON error shape (docs/contract.md §13) rather than promhttp's plain text; the gathered families are
// then served by promhttp, which negotiates the format and compression.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) error {
	mfs, err := s.metrics.Registry.Gather()
	if err != nil {
		return err
	}
	gathered := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return mfs, nil })
	promhttp.HandlerFor(gathered, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}).ServeHTTP(w, r)
	return nil
}
