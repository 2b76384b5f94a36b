package pdnsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/records"
	"github.com/bindgate/bindgate/internal/zonename"
	"github.com/bindgate/bindgate/internal/zones"
)

// ZoneService is what this API needs from the zone service; *zones.Service implements it.
type ZoneService interface {
	Create(ctx context.Context, req zones.CreateRequest) (zones.Result, error)
	Delete(ctx context.Context, zone string) (zones.Result, error)
	Status(ctx context.Context, zone string) (zones.Status, error)
	Act(ctx context.Context, zone string, a zones.Action) (zones.Result, error)
	List(ctx context.Context) ([]string, error)
	Facts(ctx context.Context, zone string) (zones.Facts, error)
}

// RecordService is what this API needs from the records service; *records.Service implements it.
type RecordService interface {
	RRsets(ctx context.Context, zone, name, typ string) (records.ZoneData, error)
	Patch(ctx context.Context, zone string, req records.PatchRequest, ifMatch *uint32) (records.PatchResult, error)
}

// Config wires an API. Zones and Records are required.
type Config struct {
	Zones   ZoneService
	Records RecordService
	// UpdateKey returns the TSIG key name bindgate signs updates with: zones created here get
	// allow-update for it, so their records can be written through either API.
	UpdateKey func() string
	// Version is reported in the server object.
	Version string
	// Serial, if set, is the serial of a zone's copy (zonecopy.Store.Serial, current within
	// seconds of any change); the zone list reports it instead of querying every zone.
	Serial func(zone string) (uint32, bool)
}

// API serves the PowerDNS-compatible routes. Create it with New.
type API struct{ cfg Config }

// New returns an API for cfg.
func New(cfg Config) (*API, error) {
	if cfg.Zones == nil || cfg.Records == nil {
		return nil, errors.New("pdnsapi: Config.Zones and Config.Records are required")
	}
	if cfg.UpdateKey == nil {
		cfg.UpdateKey = func() string { return "" }
	}
	return &API{cfg: cfg}, nil
}

// Scope says how api.Server authorizes a route, as its own scope kinds do.
type Scope uint8

const (
	ScopeZone Scope = iota // the {name} path value
	ScopeAny               // any authenticated principal: API discovery, no zone data
	ScopeBody              // the handler checks the zone of the body (create)
	ScopeList              // the handler filters what it returns (list)
)

// Route is one route for api.Server's route table.
type Route struct {
	Pattern string
	Scope   Scope
	Op      string // the zone-operations metric label; "" = not counted
	Handler func(w http.ResponseWriter, r *http.Request) error
}

// Hooks are what the handlers need from the server they run in.
type Hooks struct {
	// AllowZone returns nil when the caller may read (write false) or change zone, else the
	// 403 to return (and notes the refusal for the audit line).
	AllowZone func(ctx context.Context, zone string, write bool) error
	// CanRead reports whether the caller may read zone (the listing's filter).
	CanRead func(ctx context.Context, zone string) bool
	// Note records a change, names and types only, for the audit line.
	Note func(ctx context.Context, change string)
	// SetZone records the normalised zone of the request for log and audit lines.
	SetZone func(ctx context.Context, zone string)
	// MaxBody limits request bodies.
	MaxBody int64
}

// Base is the path prefix of the zone routes; ServerID the only server id there is.
const (
	ServerID = "localhost"
	Base     = "/api/v1/servers/" + ServerID
)

// Routes returns the route table of this API.
func (a *API) Routes(h Hooks) []Route {
	x := &handlers{API: a, h: h}
	return []Route{
		{Pattern: "GET /api", Scope: ScopeAny, Handler: x.apiVersions},
		{Pattern: "GET /api/v1/servers", Scope: ScopeAny, Handler: x.servers},
		{Pattern: "GET " + Base, Scope: ScopeAny, Handler: x.server},
		{Pattern: "GET " + Base + "/zones", Scope: ScopeList, Handler: x.listZones},
		{Pattern: "POST " + Base + "/zones", Scope: ScopeBody, Op: "pdns_create", Handler: x.createZone},
		{Pattern: "GET " + Base + "/zones/{name}", Handler: x.getZone},
		{Pattern: "PATCH " + Base + "/zones/{name}", Op: "pdns_patch", Handler: x.patchZone},
		{Pattern: "DELETE " + Base + "/zones/{name}", Op: "pdns_delete", Handler: x.deleteZone},
		{Pattern: "PUT " + Base + "/zones/{name}/notify", Op: "notify", Handler: x.notify},
		{Pattern: "GET " + Base + "/zones/{name}/cryptokeys", Handler: x.cryptokeys},
	}
}

type handlers struct {
	*API
	h Hooks
}

func (x *handlers) apiVersions(w http.ResponseWriter, r *http.Request) error {
	WriteJSON(w, http.StatusOK, []APIVersion{{URL: "/api/v1", Version: 1}})
	return nil
}

func (x *handlers) serverObject() Server {
	return Server{Type: "Server", ID: ServerID, DaemonType: "authoritative", Version: "bindgate " + x.cfg.Version,
		URL: Base, ConfigURL: Base + "/config{/config_setting}", ZonesURL: Base + "/zones{/zone}"}
}

func (x *handlers) servers(w http.ResponseWriter, r *http.Request) error {
	WriteJSON(w, http.StatusOK, []Server{x.serverObject()})
	return nil
}

func (x *handlers) server(w http.ResponseWriter, r *http.Request) error {
	WriteJSON(w, http.StatusOK, x.serverObject())
	return nil
}

// zoneName reads the {name} path value: with or without the trailing dot.
func (x *handlers) zoneName(r *http.Request) (string, error) {
	z, err := zonename.Normalize(r.PathValue("name"))
	if err != nil {
		return "", zones.InvalidName(err)
	}
	x.h.SetZone(r.Context(), z)
	return z, nil
}

// kind is PowerDNS's name of a BIND zone type.
func kind(typ string) string {
	switch typ {
	case "primary", "master":
		return "Master"
	case "secondary", "slave":
		return "Slave"
	}
	return "Native"
}

func zoneObject(z string, f zones.Facts) Zone {
	id := z + "."
	return Zone{ID: id, Name: id, Type: "Zone", URL: Base + "/zones/" + id, Kind: kind(f.Type),
		Masters: []string{}, DNSSEC: f.Signed()}
}

// listZones is GET …/zones[?zone=name]: the zones the caller may read. A listed zone's serial
// is its copy's (Config.Serial), 0 for a zone without one (a secondary not transferred yet);
// GET the zone for named's own.
func (x *handlers) listZones(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var list []string
	if q := r.URL.Query().Get("zone"); q != "" {
		z, err := zonename.Normalize(q)
		if err != nil {
			return zones.InvalidName(err)
		}
		list = []string{z}
	} else {
		var err error
		if list, err = x.cfg.Zones.List(ctx); err != nil {
			return err
		}
	}
	out := []Zone{}
	for _, z := range slices.Sorted(slices.Values(list)) {
		if !x.h.CanRead(ctx, z) {
			continue
		}
		f, err := x.cfg.Zones.Facts(ctx, z)
		switch {
		case errs.Is(err, errs.NotFound):
			continue // deleted meanwhile, or (?zone=) not there: PowerDNS answers []
		case err != nil:
			return err
		}
		zo := zoneObject(z, f)
		if x.cfg.Serial != nil {
			if serial, ok := x.cfg.Serial(z); ok {
				zo.Serial, zo.EditedSerial = serial, serial
			}
		}
		out = append(out, zo)
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

// readZone is the zone object of z with its RRsets (rrsets false: without).
func (x *handlers) readZone(ctx context.Context, z string, rrsets bool) (Zone, error) {
	f, err := x.cfg.Zones.Facts(ctx, z)
	if err != nil {
		return Zone{}, err
	}
	zo := zoneObject(z, f)
	data, err := x.cfg.Records.RRsets(ctx, z, "", "")
	if err != nil {
		return Zone{}, err
	}
	zo.Serial, zo.EditedSerial = data.Serial, data.Serial
	if rrsets {
		zo.RRsets = make([]RRset, 0, len(data.RRsets))
		for _, s := range data.RRsets {
			out := RRset{Name: s.Name, Type: s.Type, TTL: s.TTL, Records: make([]Record, len(s.Records)), Comments: []Comment{}}
			for i, c := range s.Records {
				out.Records[i] = Record{Content: c}
			}
			zo.RRsets = append(zo.RRsets, out)
		}
	}
	return zo, nil
}

// getZone is GET …/zones/{name}[?rrsets=false].
func (x *handlers) getZone(w http.ResponseWriter, r *http.Request) error {
	z, err := x.zoneName(r)
	if err != nil {
		return err
	}
	zo, err := x.readZone(r.Context(), z, r.URL.Query().Get("rrsets") != "false")
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, zo)
	return nil
}

// patchZone is PATCH …/zones/{name}: the RRset changes as one atomic update → 204.
func (x *handlers) patchZone(w http.ResponseWriter, r *http.Request) error {
	z, err := x.zoneName(r)
	if err != nil {
		return err
	}
	var req PatchRequest
	if err := x.decode(w, r, &req); err != nil {
		return err
	}
	pr, err := toPatch(req.RRsets)
	if err != nil {
		return err
	}
	if len(pr.RRsets) == 0 { // PowerDNS: nothing to do is a success, for a zone that exists
		if _, err := x.cfg.Zones.Facts(r.Context(), z); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	for _, c := range pr.RRsets {
		x.h.Note(r.Context(), *c.ChangeType+" "+*c.Name+" "+*c.Type)
	}
	if _, err := x.cfg.Records.Patch(r.Context(), z, pr, nil); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// toPatch maps PowerDNS RRset changes onto the records engine's: REPLACE with no records is a
// DELETE; a DELETE's records and TTL are ignored; disabled records are refused (BIND has no
// such thing).
func toPatch(in []RRsetChange) (records.PatchRequest, error) {
	out := records.PatchRequest{RRsets: make([]records.RRsetChange, 0, len(in))}
	for i, c := range in {
		if c.Name == nil || c.Type == nil || c.ChangeType == nil {
			return records.PatchRequest{}, errs.New(errs.Unprocessable, "rrsets[%d]: name, type and changetype are required", i)
		}
		ct := strings.ToUpper(*c.ChangeType)
		rc := records.RRsetChange{Name: c.Name, Type: c.Type, ChangeType: &ct}
		switch ct {
		case records.ChangeReplace:
			if len(c.Records) == 0 {
				del := records.ChangeDelete
				rc.ChangeType = &del
				break
			}
			rc.TTL = c.TTL
			for j, rec := range c.Records {
				if rec.Content == nil {
					return records.PatchRequest{}, errs.New(errs.Unprocessable, "rrsets[%d].records[%d]: content is required", i, j)
				}
				if rec.Disabled {
					return records.PatchRequest{}, errs.New(errs.Unprocessable, "rrsets[%d].records[%d]: disabled records are not supported (BIND serves every record it holds)", i, j)
				}
				rc.Records = append(rc.Records, *rec.Content)
			}
		case records.ChangeDelete:
		default:
			return records.PatchRequest{}, errs.New(errs.Unprocessable, "rrsets[%d]: changetype must be REPLACE or DELETE", i)
		}
		out.RRsets = append(out.RRsets, rc)
	}
	return out, nil
}

// createZone is POST …/zones: a primary (kind Native or Master) through the same path as
// POST /api/v1/zones, then its rrsets as one update; or a secondary (kind Slave) of masters.
func (x *handlers) createZone(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var req CreateRequest
	if err := x.decode(w, r, &req); err != nil {
		return err
	}
	if req.Name == nil {
		return errs.New(errs.Unprocessable, "name is required")
	}
	z, err := zonename.Normalize(*req.Name)
	if err != nil {
		return zones.InvalidName(err)
	}
	x.h.SetZone(ctx, z)
	if err := x.h.AllowZone(ctx, z, true); err != nil {
		return err
	}
	k := "Native"
	if req.Kind != nil {
		k = *req.Kind
	}
	var cr zones.CreateRequest
	var pr records.PatchRequest
	switch strings.ToLower(k) {
	case "native", "master":
		if cr, pr, err = x.primary(z, req); err != nil {
			return err
		}
	case "slave":
		if len(req.Masters) == 0 {
			return errs.New(errs.Unprocessable, "a Slave zone needs masters")
		}
		typ := "secondary"
		cr = zones.CreateRequest{ZoneName: &z, ZoneType: &typ, ZoneConfig: &zones.ZoneConfig{Primaries: req.Masters}}
	default:
		return errs.New(errs.Unprocessable, "kind %q is not supported: use Native, Master or Slave", k)
	}
	x.h.Note(ctx, "create zone "+z+" "+*cr.ZoneType)
	if _, err := x.cfg.Zones.Create(ctx, cr); err != nil {
		return err
	}
	if len(pr.RRsets) > 0 {
		for _, c := range pr.RRsets {
			x.h.Note(ctx, *c.ChangeType+" "+*c.Name+" "+*c.Type)
		}
		if _, err := x.cfg.Records.Patch(ctx, z, pr, nil); err != nil {
			// Validated before the create, so not expected: undo the create, all or nothing.
			if _, derr := x.cfg.Zones.Delete(context.WithoutCancel(ctx), z); derr != nil {
				err = errors.Join(err, derr)
			}
			return err
		}
	}
	zo, err := x.readZone(ctx, z, true)
	if err != nil { // created; the answer is the object without its data
		zo = zoneObject(z, zones.Facts{Type: *cr.ZoneType})
	}
	WriteJSON(w, http.StatusCreated, zo)
	return nil
}

// defaultTTL is the TTL of the SOA and NS a create writes.
const defaultTTL uint32 = 3600

// primary builds the create request of a primary and the update that loads its rrsets, both
// validated before anything is created. The apex NS come from nameservers (or, without them,
// from the rrsets); in-zone name servers get their glue from the rrsets' A/AAAA records, as
// BIND refuses to load a zone whose in-zone name server has no address. An apex SOA in the
// rrsets is ignored: the SOA is BIND's.
func (x *handlers) primary(z string, req CreateRequest) (zones.CreateRequest, records.PatchRequest, error) {
	apex := z + "."
	var changes []RRsetChange
	for _, c := range req.RRsets {
		if c.Type != nil && strings.EqualFold(*c.Type, "SOA") && c.Name != nil && strings.EqualFold(absName(*c.Name, apex), apex) {
			continue
		}
		rep := records.ChangeReplace
		c.ChangeType = &rep // a create's rrsets have no changetype
		changes = append(changes, c)
	}
	pr, err := toPatch(changes)
	if err != nil {
		return zones.CreateRequest{}, records.PatchRequest{}, err
	}
	ns := req.Nameservers
	if len(ns) == 0 {
		for _, c := range pr.RRsets {
			if strings.EqualFold(*c.Type, "NS") && absName(*c.Name, apex) == apex {
				ns = c.Records
			}
		}
	}
	if len(ns) == 0 {
		return zones.CreateRequest{}, records.PatchRequest{}, errs.New(errs.Unprocessable, "nameservers is required (or an NS RRset at the apex in rrsets)")
	}
	if len(pr.RRsets) > 0 {
		if err := records.Validate(z, pr); err != nil {
			return zones.CreateRequest{}, records.PatchRequest{}, err
		}
	}
	glue := map[string]string{}
	for _, c := range pr.RRsets {
		t := strings.ToUpper(*c.Type)
		if (t == "A" || t == "AAAA") && len(c.Records) > 0 {
			name := absName(*c.Name, apex)
			for _, n := range ns {
				if strings.EqualFold(absName(n, apex), name) {
					glue[n] = c.Records[0]
				}
			}
		}
	}
	ttl := defaultTTL
	primaryNS, mbox := ns[0], "hostmaster."+apex
	typ := "primary"
	cr := zones.CreateRequest{ZoneName: &z, ZoneType: &typ, ZoneConfig: &zones.ZoneConfig{
		TTL: &ttl, SOA: &zones.SOARecord{PrimaryNS: &primaryNS, AdminEmail: &mbox},
		NameServers: ns, NameServerIPs: glue,
	}}
	if key := x.cfg.UpdateKey(); key != "" {
		cr.UpdateKeyName = &key
	}
	return cr, pr, nil
}

// absName makes name absolute in the zone of apex, lower case.
func absName(name, apex string) string {
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, "."):
		return n
	case n == "@" || n == "":
		return apex
	}
	return n + "." + apex
}

// deleteZone is DELETE …/zones/{name} → 204.
func (x *handlers) deleteZone(w http.ResponseWriter, r *http.Request) error {
	z, err := x.zoneName(r)
	if err != nil {
		return err
	}
	x.h.Note(r.Context(), "delete zone "+z)
	if _, err := x.cfg.Zones.Delete(r.Context(), z); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// notify is PUT …/zones/{name}/notify: NOTIFY to the zone's secondaries.
func (x *handlers) notify(w http.ResponseWriter, r *http.Request) error {
	z, err := x.zoneName(r)
	if err != nil {
		return err
	}
	if _, err := x.cfg.Zones.Act(r.Context(), z, zones.ActionNotify); err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, map[string]string{"result": "Notification queued"})
	return nil
}

// cryptokeys is GET …/zones/{name}/cryptokeys: [] for an unsigned zone, else the keys of
// `rndc dnssec -status` (no key material: BIND keeps it).
func (x *handlers) cryptokeys(w http.ResponseWriter, r *http.Request) error {
	z, err := x.zoneName(r)
	if err != nil {
		return err
	}
	f, err := x.cfg.Zones.Facts(r.Context(), z)
	if err != nil {
		return err
	}
	out := []Cryptokey{}
	if f.Signed() {
		st, err := x.cfg.Zones.Status(r.Context(), z)
		if err != nil {
			return err
		}
		if st.DNSSEC != nil {
			for _, k := range st.DNSSEC.Keys {
				if k.Removed {
					continue
				}
				out = append(out, Cryptokey{Type: "Cryptokey", ID: int(k.Tag), KeyType: strings.ToLower(k.Role),
					Active: k.ZoneSigning || k.KeySigning, Published: k.Published, Algorithm: k.Algorithm})
			}
		}
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

// ErrMalformed is the cause of a body that is not JSON at all (or could not be read):
// PowerDNS answers it 400 Bad Request, where data of the wrong shape or type is 422.
var ErrMalformed = errors.New("pdnsapi: malformed request body")

// decode reads a JSON body leniently, as PowerDNS does: any media type, unknown fields
// ignored; a body that is not JSON is 400 (ErrMalformed), a field of the wrong type 422.
func (x *handlers) decode(w http.ResponseWriter, r *http.Request, dst any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, x.h.MaxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return errs.New(errs.TooLarge, "body larger than %d bytes", x.h.MaxBody)
		}
		return errs.Wrap(errs.Invalid, fmt.Errorf("%w: %w", ErrMalformed, err), "body could not be read")
	}
	if err := json.Unmarshal(body, dst); err != nil {
		if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok && te.Field != "" {
			return errs.New(errs.Unprocessable, "field %s has the wrong type", te.Field)
		}
		return errs.Wrap(errs.Invalid, fmt.Errorf("%w: %w", ErrMalformed, err), "could not parse the JSON body")
	}
	return nil
}

// WriteJSON writes v with status and Content-Type exactly application/json, HTML unescaped.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // only this package's own types get here
		status = http.StatusInternalServerError
		buf.Reset()
		_ = enc.Encode(ErrorBody{Error: "Internal server error"})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
