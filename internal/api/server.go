// Package api is bindgate's HTTP layer: bindcar's routes and wire contract (CONTRACT §2-§3),
// JSON in and out, one error mapping, request ids, metrics and authentication. Zone logic lives
// in internal/zones behind the ZoneService interface.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/common/expfmt"

	"github.com/bindgate/bindgate/internal/auth"
	"github.com/bindgate/bindgate/internal/metrics"
	"github.com/bindgate/bindgate/internal/zones"
)

// ZoneService is what the API needs from the zone service; *zones.Service implements it.
type ZoneService interface {
	Create(ctx context.Context, req zones.CreateRequest) (zones.Result, error)
	Delete(ctx context.Context, zone string) (zones.Result, error)
	Modify(ctx context.Context, zone string, req zones.ModifyRequest) (zones.Result, error)
	Get(ctx context.Context, zone string) (zones.Info, error)
	Status(ctx context.Context, zone string) (zones.Status, error)
	Act(ctx context.Context, zone string, a zones.Action) (zones.Result, error)
	List(ctx context.Context) ([]string, error)
	ServerStatus(ctx context.Context) (string, error)
	ServerReload(ctx context.Context) (zones.Result, error)
	Reconcile(ctx context.Context) (zones.ReconcileReport, error)
	Ready(ctx context.Context) []zones.Check
}

// Config wires a Server.
type Config struct {
	Zones          ZoneService
	Auth           auth.Authenticator
	Metrics        *metrics.Metrics
	Logger         *slog.Logger
	Version        string
	MaxBody        int64         // default 2 MiB (CONTRACT §3.1)
	RequestTimeout time.Duration // default 25 s: bindy gives up at 30 s (CONTRACT §1)
}

// Server serves the API.
type Server struct {
	zones   ZoneService
	auth    auth.Authenticator
	metrics *metrics.Metrics
	log     *slog.Logger
	version string
	maxBody int64
	timeout time.Duration
	mux     *http.ServeMux
}

// New returns a Server; Zones, Auth and Metrics are required.
func New(cfg Config) (*Server, error) {
	if cfg.Zones == nil || cfg.Auth == nil || cfg.Metrics == nil {
		return nil, errors.New("api: Zones, Auth and Metrics are required")
	}
	s := &Server{zones: cfg.Zones, auth: cfg.Auth, metrics: cfg.Metrics, log: cfg.Logger, version: cfg.Version,
		maxBody: cfg.MaxBody, timeout: cfg.RequestTimeout, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBody <= 0 {
		s.maxBody = 2 << 20
	}
	if s.timeout <= 0 {
		s.timeout = 25 * time.Second
	}
	s.routes()
	return s, nil
}

// Handler returns the root handler.
func (s *Server) Handler() http.Handler { return s.outer(s.unmatched(s.mux)) }

func (s *Server) routes() {
	s.route("POST /api/v1/zones", true, s.createZone)
	s.route("GET /api/v1/zones", true, s.listZones)
	s.route("GET /api/v1/zones/{name}", true, s.getZone)
	s.route("PATCH /api/v1/zones/{name}", true, s.modifyZone)
	s.route("DELETE /api/v1/zones/{name}", true, s.deleteZone)
	s.route("GET /api/v1/zones/{name}/status", true, s.zoneStatus)
	for _, a := range []zones.Action{zones.ActionReload, zones.ActionFreeze, zones.ActionThaw, zones.ActionNotify, zones.ActionRetransfer} {
		s.route("POST /api/v1/zones/{name}/"+string(a), true, s.zoneAction(a))
	}
	s.route("GET /api/v1/server/status", true, s.serverStatus)
	s.route("POST /api/v1/server/reload", true, s.serverReload)
	s.route("POST /api/v1/server/reconcile", true, s.reconcile)
	s.route("GET /api/v1/health", false, s.health)
	s.route("GET /api/v1/ready", false, s.ready)
	s.route("GET /metrics", false, s.metricsHandler)
}

func authReason(err error) string {
	if r := auth.Reason(err); r != "" {
		return r
	}
	return "other"
}

func (s *Server) metricsHandler(w http.ResponseWriter, r *http.Request) error {
	mfs, err := s.metrics.Registry.Gather()
	if err != nil {
		return err
	}
	format := expfmt.NewFormat(expfmt.TypeTextPlain)
	w.Header().Set("Content-Type", string(format))
	enc := expfmt.NewEncoder(w, format)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			s.log.Debug("write metrics", "err", err)
			return nil
		}
	}
	return nil
}
