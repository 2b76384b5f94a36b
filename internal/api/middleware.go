package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/bindgate/bindgate/internal/auth"
	"github.com/bindgate/bindgate/internal/zonecopy"
)

// middleware wraps a handler.
type middleware func(http.Handler) http.Handler

// chain applies mw to h, the first one outermost.
func chain(h http.Handler, mw ...middleware) http.Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// handlerFunc is a route handler; a returned error is rendered by writeError.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// adapt is the one adapter from handlerFunc to http.Handler: it counts zone operations and
// renders errors.
func (s *Server) adapt(op string, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if op != "" {
			s.metrics.ZoneOp(op, err)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	})
}

// requestID reuses a well-formed incoming X-Request-Id or makes one, sets it on the response
// and puts it in the context (docs/contract.md §3.5).
func (s *Server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(withInfo(r.Context(), &reqInfo{id: id})))
	})
}

// validRequestID accepts 1-64 characters of [A-Za-z0-9._-] (docs/contract.md §3.5).
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

// newRequestID returns 16 random hex characters.
func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// panicError is a recovered panic; writeError logs its stack with it, once.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return "panic: " + fmt.Sprint(e.value) }

// recoverer turns a panic into a 500 JSON error, logged once with its stack. The metrics and
// logging layers inside it see the unwinding request as a 500.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			err := &panicError{value: p, stack: debug.Stack()}
			if sw.status != 0 {
				// The response has started; all that is left is to log.
				s.log.ErrorContext(r.Context(), "panic after the response started", "err", err.Error(),
					"stack", string(err.stack))
				return
			}
			s.writeError(sw, r, err)
		}()
		next.ServeHTTP(sw, r)
	})
}

// instrument counts every request in bindcar_http_requests_total and observes its duration
// (docs/contract.md §17). path is the route template, "<unmatched>" when no route matched.
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		start, returned := time.Now(), false
		defer func() { // runs on panic too, before recoverer answers 500
			method, route := metricMethod(r.Method), routeOf(r.Context())
			s.metrics.HTTPRequests.WithLabelValues(method, route, strconv.Itoa(sw.final(returned))).Inc()
			s.metrics.HTTPDuration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(sw, r)
		returned = true
	})
}

// metricMethod bounds the method label (docs/contract.md §19 A-4).
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// logRequests writes one line per request: probes (health, ready, metrics) at debug, the rest
// at info. Request id, route and zone come from the context handler.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		start, returned := time.Now(), false
		defer func() {
			level := slog.LevelInfo
			switch routeOf(r.Context()) {
			case "/api/v1/health", "/api/v1/ready", "/metrics":
				level = slog.LevelDebug
			}
			attrs := []slog.Attr{
				slog.String("method", r.Method), slog.Int("status", sw.final(returned)),
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000), slog.String("remote", r.RemoteAddr),
			}
			if i := infoFrom(r.Context()); i != nil && i.principal != "" {
				attrs = append(attrs, slog.String("principal", i.principal))
			}
			s.log.LogAttrs(r.Context(), level, "request", attrs...)
		}()
		next.ServeHTTP(sw, r)
		returned = true
	})
}

// authenticate refuses unauthenticated requests with a bare 401 "Unauthorized"; the reason is
// logged at warn by writeError and counted in bindgate_auth_failures_total (docs/contract.md §15.1,
// §19 A7). An authentication that could not be completed (auth.ErrAuthUnavailable: the
// TokenReview API server unreachable, slow or failing) is a 503 "Service unavailable" instead,
// so clients retry; it is never let through ([fix] docs/contract.md §15.2: bindcar answered 401).
// Tokens are never logged.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.auth.Authenticate(apiKeyRequest(r))
		if errors.Is(err, auth.ErrAuthUnavailable) {
			s.metrics.AuthFailures.WithLabelValues("unavailable").Inc()
			s.writeError(w, r, &httpError{status: http.StatusServiceUnavailable, msg: msgUnavailable, cause: err})
			return
		}
		if err != nil {
			reason := auth.Reason(err)
			if reason == "" {
				reason = "other"
			}
			s.metrics.AuthFailures.WithLabelValues(reason).Inc()
			if !isPDNSPath(r.URL.Path) {
				w.Header().Set("WWW-Authenticate", "Bearer")
			}
			s.writeError(w, r, &httpError{status: http.StatusUnauthorized, msg: "Unauthorized", cause: err})
			return
		}
		ctx := r.Context()
		if i := infoFrom(ctx); i != nil {
			i.principal = p.Name
		}
		// The caller is who a change through this request is attributed to in the zone copy's
		// history (issue 9); the records committer reads it with zonecopy.ActorFrom.
		ctx = zonecopy.WithActor(ctx, zonecopy.Actor{Principal: p.Name, RequestID: requestIDOf(ctx)})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// withTimeout bounds the request's context so a hung BIND gives a 503 in time (docs/contract.md §1).
func (s *Server) withTimeout(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader implements http.ResponseWriter.
func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// final is the status to record. Nothing written means net/http's implicit 200 when the handler
// returned, or the 500 recoverer is about to write when it panicked.
func (w *statusWriter) final(returned bool) int {
	switch {
	case w.status != 0:
		return w.status
	case returned:
		return http.StatusOK
	}
	return http.StatusInternalServerError
}
