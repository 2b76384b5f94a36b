package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/bindgate/bindgate/internal/zonename"
)

// scopeKind says how a route's zone scope is found for authorization.
type scopeKind uint8

const (
	scopeZone   scopeKind = iota // the {name} path value
	scopeServer                  // server-wide: needs a scope on "*"
	scopeBody                    // the handler checks the zone named in the body (create)
	scopeList                    // the handler filters what it returns (list)
	scopeAny                     // any authenticated principal (PowerDNS API discovery)
)

// peerAddr is the TCP peer of r, never a forwarded header (docs/contract.md §19 A-1).
func peerAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

var errForbidden = &httpError{status: http.StatusForbidden, msg: "Forbidden"}

// allowlist refuses peers outside the configured prefixes before anything else is done,
// authentication included.
func (s *Server) allowlist(next http.Handler) http.Handler {
	if len(s.allowed) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := peerAddr(r)
		for _, p := range s.allowed {
			if a.IsValid() && p.Contains(a) {
				next.ServeHTTP(w, r)
				return
			}
		}
		noteDenied(r.Context(), "address not allowed")
		s.writeError(w, r, errForbidden)
	})
}

// rateLimit applies the per-peer token bucket before authentication (docs/contract.md §16): 429 with
// Retry-After in whole seconds; every decision is counted.
func (s *Server) rateLimit(next http.Handler) http.Handler {
	if s.limiter == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, retry := s.limiter.Allow(peerAddr(r))
		if !ok {
			s.metrics.RateLimit.WithLabelValues("rejected").Inc()
			noteDenied(r.Context(), "rate limited")
			w.Header().Set("Retry-After", strconv.Itoa(retry))
			s.writeError(w, r, &httpError{status: http.StatusTooManyRequests, msg: "Too many requests"})
			return
		}
		s.metrics.RateLimit.WithLabelValues("allowed").Inc()
		next.ServeHTTP(w, r)
	})
}

// authorize checks the principal's scope for routes whose zone is in the path, or server-wide
// routes, before the handler runs: 403 "Forbidden", the same whether the zone exists or not,
// since no BIND call has been made (no existence oracle). Create and list check in their
// handlers, where the zone is known.
func (s *Server) authorize(kind scopeKind, next http.Handler) http.Handler {
	if s.access == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		write := isWrite(r.Method)
		principal := principalOf(r.Context())
		allowed := true
		switch kind {
		case scopeServer:
			allowed = s.access.AllowServer(principal, write)
		case scopeZone:
			if z, err := zonename.Normalize(r.PathValue("name")); err == nil {
				allowed = s.access.Allow(principal, z, write)
			} // an invalid name is the handler's 400
		}
		if !allowed {
			noteDenied(r.Context(), "out of scope")
			s.writeError(w, r, errForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// allowZone is authorize for handlers that learn the zone from the body.
func (s *Server) allowZone(ctx context.Context, zone string, write bool) error {
	if s.access == nil || s.access.Allow(principalOf(ctx), zone, write) {
		return nil
	}
	noteDenied(ctx, "out of scope")
	return errForbidden
}

// inflight bounds how many authenticated requests work on BIND at once; the rest wait for a
// slot within the request's deadline, then get 503.
func (s *Server) inflight(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.slots <- struct{}{}:
		case <-r.Context().Done():
			s.writeError(w, r, &httpError{status: http.StatusServiceUnavailable, msg: msgUnavailable, cause: r.Context().Err()})
			return
		}
		defer func() { <-s.slots }()
		next.ServeHTTP(w, r)
	})
}

func isWrite(method string) bool { return method != http.MethodGet && method != http.MethodHead }

func principalOf(ctx context.Context) string {
	if i := infoFrom(ctx); i != nil {
		return i.principal
	}
	return ""
}

// noteChange records what a write changes, names and types only, for the audit line.
func noteChange(ctx context.Context, items ...string) {
	if i := infoFrom(ctx); i != nil {
		for _, it := range items {
			if len(i.changes) >= maxAuditChanges {
				i.changesCut = true
				return
			}
			i.changes = append(i.changes, it)
		}
	}
}

const maxAuditChanges = 100

func noteDenied(ctx context.Context, why string) {
	if i := infoFrom(ctx); i != nil {
		i.denied = why
	}
}

// audit writes one line per write and per refused request (401, 403, 429) to the audit sink:
// who (principal, TCP peer), what (method, route, zone, the names and types changed), the
// status and the result. Never a token, a value or a body. Each line is bounded in size
// (maxAuditLine; see auditAttrs).
func (s *Server) audit(next http.Handler) http.Handler {
	if s.auditLog == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		returned := false
		defer func() {
			status := sw.final(returned)
			i := infoFrom(r.Context())
			refused := status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusTooManyRequests
			if i == nil || !isWrite(r.Method) && !refused {
				return
			}
			result := "ok"
			switch {
			case refused:
				result = "denied"
			case status >= 400:
				result = "failed"
			}
			a := newAuditAttrs()
			a.add("request_id", i.id, maxAuditAttr)
			a.add("principal", i.principal, maxAuditAttr)
			a.add("source_ip", peerAddr(r).String(), maxAuditAttr)
			a.add("method", r.Method, maxAuditAttr)
			a.add("route", routeOf(r.Context()), maxAuditAttr)
			a.add("zone", i.zone, maxAuditAttr)
			a.attrs = append(a.attrs, slog.Int("status", status), slog.String("result", result))
			if i.denied != "" {
				a.add("reason", i.denied, maxAuditAttr)
			} else if status == http.StatusUnauthorized {
				a.attrs = append(a.attrs, slog.String("reason", "unauthenticated"))
			}
			if len(i.changes) > 0 {
				ch := strings.Join(i.changes, ", ")
				if i.changesCut {
					ch += ", …"
				}
				a.add("changes", ch, maxAuditChangesAttr)
			}
			if a.truncated {
				a.attrs = append(a.attrs, slog.Bool("truncated", true))
			}
			attrs := a.attrs
			s.auditLog.LogAttrs(context.Background(), slog.LevelInfo, "audit", attrs...)
		}()
		next.ServeHTTP(sw, r)
		returned = true
	})
}
