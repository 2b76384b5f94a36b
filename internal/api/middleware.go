package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

type ctxKey int

const infoKey ctxKey = 0

// reqInfo travels in the context from the outer middleware to the route handler and back:
// the handler records the route template, which the metrics and log lines read afterwards
// (r.Pattern is set on the request the mux sees, not on the outer one).
type reqInfo struct {
	id    string
	route string
}

func requestID(ctx context.Context) string {
	if i, ok := ctx.Value(infoKey).(*reqInfo); ok {
		return i.id
	}
	return ""
}

func routeOf(ctx context.Context) string {
	if i, ok := ctx.Value(infoKey).(*reqInfo); ok && i.route != "" {
		return i.route
	}
	return "<unmatched>"
}

// validRequestID accepts 1-64 characters of [A-Za-z0-9._-] (CONTRACT §3.5).
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusWriter remembers the status code.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// outer is the chain every request goes through: request id, recover, metrics, logging
// (STYLE.md order); authentication and the request timeout are applied per route.
func (s *Server) outer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := &reqInfo{id: r.Header.Get("X-Request-Id")}
		if !validRequestID(info.id) {
			info.id = newRequestID()
		}
		w.Header().Set("X-Request-Id", info.id)
		r = r.WithContext(context.WithValue(r.Context(), infoKey, info))
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic", "request_id", info.id, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if sw.status == 0 {
					s.writeError(sw, r, fmt.Errorf("panic: %v", p))
				}
			}
			d := time.Since(start)
			route, method := routeOf(r.Context()), metricMethod(r.Method)
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			s.metrics.HTTPRequests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
			s.metrics.HTTPDuration.WithLabelValues(method, route).Observe(d.Seconds())
			s.log.Debug("request", "request_id", info.id, "method", r.Method, "route", route, "status", status,
				"duration_ms", float64(d.Microseconds())/1000, "remote", r.RemoteAddr)
		}()
		next.ServeHTTP(sw, r)
	})
}

// metricMethod bounds the method label (CONTRACT §19 A-4).
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// handlerFunc is a route handler; a returned error is rendered by writeError.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route registers pattern; authenticated routes check the bearer token first.
func (s *Server) route(pattern string, authenticated bool, h handlerFunc) {
	template := pattern
	if _, p, ok := strings.Cut(pattern, " "); ok {
		template = p
	}
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if i, ok := r.Context().Value(infoKey).(*reqInfo); ok {
			i.route = template
		}
		if authenticated {
			if _, err := s.auth.Authenticate(r); err != nil {
				s.metrics.AuthFailures.WithLabelValues(authReason(err)).Inc()
				s.writeError(w, r, newError(http.StatusUnauthorized, "Unauthorized", err))
				return
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
		defer cancel()
		r = r.WithContext(ctx)
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// unmatched answers 404 or 405 (with Allow) in the JSON error shape instead of the mux's text.
func (s *Server) unmatched(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := s.mux.Handler(r)
		if pattern != "" {
			next.ServeHTTP(w, r)
			return
		}
		probe := &headerProbe{h: http.Header{}}
		h.ServeHTTP(probe, r)
		if probe.code == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", probe.h.Get("Allow"))
			s.writeError(w, r, newError(http.StatusMethodNotAllowed, "Method not allowed", nil))
			return
		}
		s.writeError(w, r, newError(http.StatusNotFound, "Not found", nil))
	})
}

// headerProbe records what the mux's own 404/405 handler would answer, without writing it.
type headerProbe struct {
	h    http.Header
	code int
}

func (p *headerProbe) Header() http.Header         { return p.h }
func (p *headerProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *headerProbe) WriteHeader(code int)        { p.code = code }
