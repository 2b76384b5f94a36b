package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/pdnsapi"
)

// pdnsRoutes are the PowerDNS-compatible routes of issue 12 (package pdnsapi), in this route
// table so that everything bindcar's routes go through applies to them too.
func (s *Server) pdnsRoutes() []route {
	if s.pdns == nil {
		return nil
	}
	hooks := pdnsapi.Hooks{
		AllowZone: s.allowZone,
		CanRead: func(ctx context.Context, z string) bool {
			return s.access == nil || s.access.Allow(principalOf(ctx), z, false)
		},
		Note:    func(ctx context.Context, c string) { noteChange(ctx, c) },
		SetZone: setZone,
		MaxBody: s.maxBody,
	}
	var out []route
	for _, rt := range s.pdns.Routes(hooks) {
		sc := scopeZone
		switch rt.Scope {
		case pdnsapi.ScopeAny:
			sc = scopeAny
		case pdnsapi.ScopeBody:
			sc = scopeBody
		case pdnsapi.ScopeList:
			sc = scopeList
		}
		out = append(out, route{pattern: rt.Pattern, scope: sc, op: rt.Op, h: handlerFunc(rt.Handler)})
	}
	return out
}

// isPDNSPath reports whether path is under the PowerDNS API: its errors, 401 and 403 included,
// are PowerDNS's body, and X-API-Key authenticates it.
func isPDNSPath(path string) bool {
	return path == "/api" || path == "/api/v1/servers" || strings.HasPrefix(path, "/api/v1/servers/")
}

// pdnsStatus is the status of err on the PowerDNS routes: classify's, except that invalid data
// (bindgate's 400 for a record, a name or a change no zone allows) is PowerDNS's 422; a body
// that is not JSON stays 400, as PowerDNS answers it.
func pdnsStatus(err error, status int) int {
	if errors.Is(err, pdnsapi.ErrMalformed) {
		return http.StatusBadRequest
	}
	if status == http.StatusBadRequest && errs.KindOf(err) == errs.Invalid {
		return http.StatusUnprocessableEntity
	}
	return status
}

// apiKeyRequest is r with its X-API-Key, on the PowerDNS routes, as the bearer token the
// Authenticator checks (shared secret, tokens file, TokenReview alike); without the header,
// Authorization: Bearer is checked as on every route.
func apiKeyRequest(r *http.Request) *http.Request {
	key := strings.TrimSpace(r.Header.Get("X-API-Key"))
	if key == "" || !isPDNSPath(r.URL.Path) {
		return r
	}
	ar := r.Clone(r.Context())
	ar.Header.Set("Authorization", "Bearer "+key)
	return ar
}
