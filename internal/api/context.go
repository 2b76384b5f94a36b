package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
)

// reqInfo is the request-scoped state the middleware shares. The request-id middleware puts a
// pointer to it in the context; inner layers fill it in (the route after mux dispatch, the
// zone once validated, the principal after auth) and outer layers read it afterwards, because
// r.Pattern is only set on the request the mux hands to the route handler, not on the request
// the outer middleware holds. All writes happen on the request's goroutine before the reads.
type reqInfo struct {
	id        string
	route     string // route template without the method; "" until a route matched
	zone      string // normalised zone name, once known
	principal string
	// For the audit line: what a write changed (names and types), and why a request was
	// refused before its handler.
	changes    []string
	changesCut bool
	denied     string
}

type ctxKey struct{}

func withInfo(ctx context.Context, i *reqInfo) context.Context {
	return context.WithValue(ctx, ctxKey{}, i)
}

func infoFrom(ctx context.Context) *reqInfo {
	i, _ := ctx.Value(ctxKey{}).(*reqInfo)
	return i
}

// requestIDOf returns the request id, or "" outside the middleware chain.
func requestIDOf(ctx context.Context) string {
	if i := infoFrom(ctx); i != nil {
		return i.id
	}
	return ""
}

// unmatched is the metric path label of a request no route matched (docs/contract.md §17, §19 A-4).
const unmatched = "<unmatched>"

// routeOf returns the route template for metrics and logs, or "<unmatched>".
func routeOf(ctx context.Context) string {
	if i := infoFrom(ctx); i != nil && i.route != "" {
		return i.route
	}
	return unmatched
}

// recordRoute stores the matched route template, r.Pattern without its method (docs/contract.md §17).
func recordRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if i := infoFrom(r.Context()); i != nil {
			tmpl := r.Pattern
			if _, p, ok := strings.Cut(tmpl, " "); ok {
				tmpl = p
			}
			i.route = tmpl
		}
		next.ServeHTTP(w, r)
	})
}

// setZone records the normalised zone name for log lines.
func setZone(ctx context.Context, zone string) {
	if i := infoFrom(ctx); i != nil {
		i.zone = zone
	}
}

// contextHandler adds the request's id, route and zone to every record logged with a request
// context, so that callers need not repeat them: the middleware that learns an attribute is the
// one place that adds it, and no log line of a request can lack it.
type contextHandler struct{ slog.Handler }

// Handle implements slog.Handler.
func (h contextHandler) Handle(ctx context.Context, rec slog.Record) error {
	if i := infoFrom(ctx); i != nil {
		rec = rec.Clone()
		rec.AddAttrs(slog.String("request_id", i.id), slog.String("route", routeOf(ctx)))
		if i.zone != "" {
			rec.AddAttrs(slog.String("zone", i.zone))
		}
	}
	return h.Handler.Handle(ctx, rec)
}

// WithAttrs implements slog.Handler.
func (h contextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(as)}
}

// WithGroup implements slog.Handler.
func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}
