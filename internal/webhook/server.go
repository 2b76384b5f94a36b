package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/bindgate/bindgate/internal/api"
	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/records"
	"github.com/bindgate/bindgate/internal/zonecopy"
	"github.com/bindgate/bindgate/internal/zonename"
)

// Records is what the webhook needs of package records: reads (from the zone copy when it is
// current) and one atomic RRset change per zone.
type Records interface {
	RRsets(ctx context.Context, zone, name, typ string) (records.ZoneData, error)
	Patch(ctx context.Context, zone string, req records.PatchRequest, ifMatch *uint32) (records.PatchResult, error)
}

// Zones lists the zones bindgate manages.
type Zones interface {
	List(ctx context.Context) ([]string, error)
}

// Access is the principal's zone scopes (*access.Policy; a nil policy allows everything).
type Access interface {
	Allow(principal, zone string, write bool) bool
}

// Config is what New needs.
type Config struct {
	// Principal is who the webhook acts as: its scopes bound every read and write, and audit
	// lines name it.
	Principal string
	// Domains is the domain filter answered on GET / (zone names); empty: every managed zone
	// the principal may write.
	Domains []string
	Records Records
	Zones   Zones
	Access  Access
	Audit   *slog.Logger // the API's audit sink; nil writes no audit lines
	Logger  *slog.Logger
}

// Server serves the webhook protocol.
type Server struct {
	cfg  Config
	log  *slog.Logger
	http *http.Server
}

// managedTypes are the types GET /records lists: ExternalDNS's supported record types. The
// SOA, which BIND maintains, and DNSSEC records are never endpoints.
var managedTypes = map[string]bool{"A": true, "AAAA": true, "CNAME": true, "TXT": true, "MX": true,
	"NS": true, "SRV": true, "NAPTR": true, "PTR": true, "CAA": true}

// maxBody bounds a request body: a plan of thousands of endpoints fits.
const maxBody = 16 << 20

// requestTimeout caps one webhook request, as the API caps its own (STYLE: whole request 25 s).
const requestTimeout = 25 * time.Second

// New checks cfg and builds the server; Serve starts it.
func New(cfg Config) (*Server, error) {
	if cfg.Records == nil || cfg.Zones == nil {
		return nil, errors.New("webhook: Records and Zones are required")
	}
	for i, d := range cfg.Domains {
		n, err := zonename.Normalize(d)
		if err != nil {
			return nil, fmt.Errorf("webhook: domain %q: %w", d, err)
		}
		cfg.Domains[i] = n
	}
	s := &Server{cfg: cfg, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.http = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	return s, nil
}

// Handler is the webhook's routes.
func (s *Server) Handler() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", s.negotiate)
	m.HandleFunc("GET /records", s.records)
	m.HandleFunc("POST /records", s.apply)
	m.HandleFunc("POST /adjustendpoints", s.adjust)
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	return m
}

// Serve serves on ln until Shutdown; it returns http.ErrServerClosed then.
func (s *Server) Serve(ln net.Listener) error { return s.http.Serve(ln) }

// Shutdown stops accepting and waits for requests in flight, until ctx ends; then it cuts
// their connections.
func (s *Server) Shutdown(ctx context.Context) error {
	if err := s.http.Shutdown(ctx); err != nil {
		return errors.Join(err, s.http.Close())
	}
	return nil
}

// zones returns the managed zones the principal may write, within the domain filter.
func (s *Server) zones(ctx context.Context) ([]string, error) {
	all, err := s.cfg.Zones.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, z := range all {
		if s.allowed(z) && (len(s.cfg.Domains) == 0 || slices.ContainsFunc(s.cfg.Domains, func(d string) bool {
			return zonename.InZone(z, d) || zonename.InZone(d, z)
		})) {
			out = append(out, z)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (s *Server) allowed(zone string) bool {
	return s.cfg.Access == nil || s.cfg.Access.Allow(s.cfg.Principal, zone, true)
}

// inDomains reports whether name (no trailing dot) is within the configured filter.
func (s *Server) inDomains(name string) bool {
	return len(s.cfg.Domains) == 0 || slices.ContainsFunc(s.cfg.Domains, func(d string) bool { return zonename.InZone(name, d) })
}

// negotiate is GET /: the domain filter, configured or the zones the principal may write.
func (s *Server) negotiate(w http.ResponseWriter, r *http.Request) {
	inc := s.cfg.Domains
	if len(inc) == 0 {
		zs, err := s.zones(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		inc = zs
	}
	writeJSON(w, DomainFilter{Include: append([]string{}, inc...)})
}

// records is GET /records: one endpoint per RRset of every zone in scope.
func (s *Server) records(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	zs, err := s.zones(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := []Endpoint{}
	for _, z := range zs {
		data, err := s.cfg.Records.RRsets(ctx, z, "", "")
		if errs.Is(err, errs.NotFound) { // deleted since the listing
			continue
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, set := range data.RRsets {
			name := endpointName(set.Name)
			if !managedTypes[set.Type] || !s.inDomains(name) {
				continue
			}
			ep := Endpoint{DNSName: name, RecordType: set.Type, RecordTTL: int64(set.TTL), Targets: make([]string, len(set.Records))}
			for i, v := range set.Records {
				ep.Targets[i] = fromValue(set.Type, v)
			}
			out = append(out, ep)
		}
	}
	writeJSON(w, out)
}

// adjust is POST /adjustendpoints: the desired endpoints as bindgate will store and list
// them, so ExternalDNS compares like with like and plans no change for a record that is
// already right. BIND has no routing policies: setIdentifier and every provider-specific
// property go (kept, they would never come back from GET /records and every run would plan
// an update). Names lose the trailing dot and case, targets take bindgate's rendering, and a
// TTL left to the provider becomes the default TTL bindgate stores.
func (s *Server) adjust(w http.ResponseWriter, r *http.Request) {
	var in []Endpoint
	if err := decode(r, &in); err != nil {
		s.refuse(w, r, http.StatusBadRequest, err.Error())
		return
	}
	out := make([]Endpoint, 0, len(in))
	for _, ep := range in {
		ep.SetIdentifier, ep.ProviderSpecific = "", nil
		ep.DNSName = endpointName(ep.DNSName)
		ep.RecordType = strings.ToUpper(ep.RecordType)
		if ep.RecordTTL <= 0 {
			ep.RecordTTL = int64(records.DefaultTTL)
		}
		var ts []string
		for _, t := range ep.Targets {
			if c := canonical(ep.RecordType, t); !slices.Contains(ts, c) {
				ts = append(ts, c)
			}
		}
		ep.Targets = ts
		out = append(out, ep)
	}
	writeJSON(w, out)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", MediaType)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// decode reads a JSON body of at most maxBody bytes.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	if err := dec.Decode(v); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return fmt.Errorf("body larger than %d bytes", maxBody)
		}
		return fmt.Errorf("body is not valid JSON for this call: %v", err)
	}
	return nil
}

// refuse answers a plain-text message with status (ExternalDNS keeps only the status, the
// message is for a person and for bindgate's log).
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.log.Warn("webhook request refused", "method", r.Method, "path", r.URL.Path, "status", status, "reason", msg)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = fmt.Fprintln(w, msg)
}

// fail maps an error of another package to a status and its public message.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := statusOf(err)
	if status >= 500 {
		s.log.Error("webhook request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	s.refuse(w, r, status, msg)
}

// statusOf maps an error kind to the status the API would answer, and a public message.
func statusOf(err error) (int, string) {
	status := map[errs.Kind]int{
		errs.Invalid: http.StatusBadRequest, errs.Unprocessable: http.StatusUnprocessableEntity,
		errs.NotFound: http.StatusNotFound, errs.Conflict: http.StatusConflict,
		errs.PreconditionFailed: http.StatusPreconditionFailed, errs.TooLarge: http.StatusRequestEntityTooLarge,
		errs.Forbidden: http.StatusForbidden, errs.Unavailable: http.StatusServiceUnavailable,
		errs.InsufficientStorage: http.StatusInsufficientStorage,
	}[errs.KindOfStorage(err)]
	if status == 0 {
		return http.StatusInternalServerError, "internal error; see bindgate's log"
	}
	msg := errs.Public(err)
	if msg == "" {
		msg = http.StatusText(status)
	}
	return status, msg
}

// requestID is a random id tying an audit line to bindgate's log.
func requestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// withActor marks changes made through ctx as the principal's, for the zone history.
func (s *Server) withActor(ctx context.Context, id string) context.Context {
	return zonecopy.WithActor(ctx, zonecopy.Actor{Principal: s.cfg.Principal, RequestID: id})
}

func sourceIP(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

func (s *Server) audit(r *http.Request, id, zone string, status int, reason string, changes []string) {
	api.WriteAudit(s.cfg.Audit, api.AuditRecord{RequestID: id, Principal: s.cfg.Principal, SourceIP: sourceIP(r),
		Method: r.Method, Route: "webhook " + r.URL.Path, Zone: zone, Status: status, Reason: reason, Changes: changes})
}
