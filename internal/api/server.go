package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/bindgate/bindgate/internal/access"
	"github.com/bindgate/bindgate/internal/auth"
	"github.com/bindgate/bindgate/internal/metrics"
	"github.com/bindgate/bindgate/internal/pdnsapi"
	"github.com/bindgate/bindgate/internal/ratelimit"
	"github.com/bindgate/bindgate/internal/zones"
)

// ZoneService is what the API needs from the zone service; *zones.Service implements it.
// Zone names passed to it are already normalised (docs/contract.md §4). Errors are *errs.Error kinds,
// shown with their kind's status and public message (classify); context.DeadlineExceeded
// becomes 503; anything else is 500.
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

// Defaults for the zero values of Config.
const (
	// DefaultMaxBody is the request body limit of docs/contract.md §3.1.
	DefaultMaxBody int64 = 2 << 20
	// DefaultRequestTimeout bounds every request: bindy gives up after 30 s, so bindgate answers
	// 503 before that rather than hang (docs/contract.md §1).
	DefaultRequestTimeout = 25 * time.Second
)

// Config wires a Server. Zones, Auth and Metrics are required.
type Config struct {
	Zones ZoneService
	// Records serves the record routes; nil leaves them out (404).
	Records RecordService
	// History serves the history and rollback routes; nil leaves them out (404).
	History HistoryService
	Auth    auth.Authenticator
	Metrics *metrics.Metrics
	// Logger receives request lines and error logs; nil discards them.
	Logger *slog.Logger
	// Version is reported by GET /api/v1/health.
	Version string
	// MaxBody limits request bodies; 0 or less means DefaultMaxBody.
	MaxBody int64
	// RequestTimeout bounds each request's context; 0 or less means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// Limiter, when set, rate-limits the authenticated routes per TCP peer (docs/contract.md §16).
	Limiter *ratelimit.Limiter
	// AllowedCIDRs, when not empty, refuses authenticated routes to other peers with 403
	// before authentication. Health, readiness and metrics stay open to probes.
	AllowedCIDRs []netip.Prefix
	// Access scopes principals to zones; nil gives every authenticated principal full access.
	Access *access.Policy
	// MaxInFlight bounds concurrent authenticated requests; 0 or less means 256.
	MaxInFlight int
	// Audit receives one line per write and per refused request; nil writes none.
	Audit *slog.Logger
	// Keys reports the rndc/TSIG key in use and rotates it by hand (issue 10); nil leaves the
	// key out of server status and readiness, and POST /api/v1/server/keys/reload out (404).
	Keys KeyService
	// Docs serves the OpenAPI document and its Swagger UI (BIND_ENABLE_DOCS; issue 11):
	// GET /api/v1/openapi.json, /api/v1/docs and /api/v1/docs/{asset}, without
	// authentication but behind AllowedCIDRs. False leaves them out (404).
	Docs bool
	// PowerDNS serves the PowerDNS-compatible API (issue 12) under /api and /api/v1/servers;
	// nil leaves it out (404).
	PowerDNS *pdnsapi.API
}

// Server serves the API. Create it with New; it is safe for concurrent use.
type Server struct {
	zones   ZoneService
	records RecordService
	history HistoryService
	auth    auth.Authenticator
	metrics *metrics.Metrics
	log     *slog.Logger
	version string
	maxBody int64
	timeout time.Duration
	mux     *http.ServeMux

	limiter  *ratelimit.Limiter
	allowed  []netip.Prefix
	access   *access.Policy
	slots    chan struct{}
	auditLog *slog.Logger
	keys     KeyService
	docs     bool
	pdns     *pdnsapi.API
	fields   fieldCache // request body types' JSON fields, for decodeJSON's strict check

	handler http.Handler
}

// New returns a Server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Zones == nil || cfg.Auth == nil || cfg.Metrics == nil {
		return nil, errors.New("api: Config.Zones, Config.Auth and Config.Metrics are required")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		zones:   cfg.Zones,
		records: cfg.Records,
		history: cfg.History,
		auth:    cfg.Auth,
		metrics: cfg.Metrics,
		log:     slog.New(contextHandler{log.Handler()}),
		version: cfg.Version,
		maxBody: cfg.MaxBody,
		timeout: cfg.RequestTimeout,
		mux:     http.NewServeMux(),

		limiter:  cfg.Limiter,
		allowed:  cfg.AllowedCIDRs,
		access:   cfg.Access,
		auditLog: cfg.Audit,
		keys:     cfg.Keys,
		docs:     cfg.Docs,
		pdns:     cfg.PowerDNS,
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 256
	}
	s.slots = make(chan struct{}, cfg.MaxInFlight)
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBody
	}
	if s.timeout <= 0 {
		s.timeout = DefaultRequestTimeout
	}
	for _, rt := range s.routes() {
		s.mux.Handle(rt.pattern, s.routeHandler(rt))
	}
	s.handler = chain(http.HandlerFunc(s.dispatch), s.requestID, s.recoverer, s.instrument, s.logRequests, s.audit)
	return s, nil
}

// Handler returns the root handler of the API.
func (s *Server) Handler() http.Handler { return s.handler }

// Routes returns the patterns this Server serves ("GET /api/v1/zones", ...), in route-table
// order: what the OpenAPI document must describe (internal/api's parity test).
func (s *Server) Routes() []string {
	rs := s.routes()
	out := make([]string, len(rs))
	for i, rt := range rs {
		out[i] = rt.pattern
	}
	return out
}

// route is one entry of the route table.
type route struct {
	pattern string      // ServeMux pattern with method
	public  bool        // no authentication (health, ready, metrics; docs/contract.md §15.1)
	listed  bool        // public, but behind the address allowlist (the docs routes)
	scope   scopeKind   // how authorization finds the zone
	op      string      // bindcar_zone_operations_total operation label; "" = not counted
	h       handlerFunc // the handler
}

// routes is the route table of docs/contract.md §2, with the RRset routes of issue 3.
func (s *Server) routes() []route {
	rs := []route{
		{pattern: "POST /api/v1/zones", scope: scopeBody, op: "create", h: s.createZone},
		{pattern: "GET /api/v1/zones", scope: scopeList, h: s.listZones},
		{pattern: "GET /api/v1/zones/{name}", h: s.getZone},
		{pattern: "PATCH /api/v1/zones/{name}", op: "modify", h: s.modifyZone},
		{pattern: "DELETE /api/v1/zones/{name}", op: "delete", h: s.deleteZone},
		{pattern: "GET /api/v1/zones/{name}/status", h: s.zoneStatus},
	}
	for _, a := range []zones.Action{zones.ActionReload, zones.ActionFreeze, zones.ActionThaw, zones.ActionNotify, zones.ActionRetransfer} {
		rs = append(rs, route{pattern: "POST /api/v1/zones/{name}/" + string(a), op: string(a), h: s.zoneAction(a)})
	}
	rs = append(rs, s.recordRoutes()...)
	rs = append(rs, s.historyRoutes()...)
	rs = append(rs, s.docsRoutes()...)
	rs = append(rs, s.pdnsRoutes()...)
	if s.keys != nil {
		rs = append(rs, route{pattern: "POST /api/v1/server/keys/reload", scope: scopeServer, h: s.reloadKeys})
	}
	return append(rs,
		route{pattern: "GET /api/v1/server/status", scope: scopeServer, h: s.serverStatus},
		route{pattern: "POST /api/v1/server/reload", scope: scopeServer, h: s.serverReload},
		route{pattern: "POST /api/v1/server/reconcile", scope: scopeServer, h: s.reconcile},
		route{pattern: "GET /api/v1/health", public: true, h: s.health},
		route{pattern: "GET /api/v1/ready", public: true, h: s.ready},
		route{pattern: "GET /metrics", public: true, h: s.serveMetrics},
	)
}

// routeHandler builds the per-route part of the chain: record the route template; unless
// public: the address allowlist, the rate limit, authentication, authorization; then bound
// the context, wait for an in-flight slot, and run the handler through the adapter.
func (s *Server) routeHandler(rt route) http.Handler {
	if rt.public {
		h := s.withTimeout(s.adapt(rt.op, rt.h))
		if rt.listed {
			h = s.allowlist(h)
		}
		return recordRoute(h)
	}
	h := s.withTimeout(s.inflight(s.adapt(rt.op, rt.h)))
	h = s.authorize(rt.scope, h)
	h = s.authenticate(h)
	h = s.rateLimit(h)
	h = s.allowlist(h)
	return recordRoute(h)
}
