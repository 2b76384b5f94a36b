package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/bindgate/bindgate/internal/zones"
)

// publicError is an error whose status and message may be shown to the caller. zones.Error and
// httpError implement it.
type publicError interface {
	error
	StatusCode() int
	PublicMessage() string
}

// httpError is an HTTP-layer refusal: protocol errors, 401, unknown routes.
type httpError struct {
	status int
	msg    string
	cause  error // for the log
}

func (e *httpError) Error() string {
	if e.cause != nil {
		return e.msg + ": " + e.cause.Error()
	}
	return e.msg
}
func (e *httpError) Unwrap() error         { return e.cause }
func (e *httpError) StatusCode() int       { return e.status }
func (e *httpError) PublicMessage() string { return e.msg }

func newError(status int, msg string, cause error) *httpError {
	return &httpError{status: status, msg: msg, cause: cause}
}

// errorBody is the one error shape of CONTRACT §3.3.
type errorBody struct {
	Error     string `json:"error"`
	Details   any    `json:"details"`
	RequestID string `json:"requestId"`
}

// writeError is the one place that maps an error to a status and body, and logs it: 5xx once
// at error level with the full cause and the request id, never in the body (CONTRACT §19 A-3).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := http.StatusInternalServerError, "Internal server error"
	var pe publicError
	switch {
	case errors.As(err, &pe):
		status, msg = pe.StatusCode(), pe.PublicMessage()
	case errors.Is(err, zones.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		status, msg = http.StatusServiceUnavailable, "Service unavailable"
	}
	id := requestID(r.Context())
	attrs := []any{"request_id", id, "method", r.Method, "route", routeOf(r.Context()), "status", status}
	if z := r.PathValue("name"); z != "" {
		attrs = append(attrs, "zone", z)
	}
	switch {
	case status >= 500:
		s.log.Error("request failed", append(attrs, "err", err.Error())...)
	case status == http.StatusUnauthorized:
		s.log.Warn("authentication refused", append(attrs, "reason", err.Error())...)
	default:
		s.log.Info("request refused", append(attrs, "err", msg)...)
	}
	writeJSON(w, status, errorBody{Error: msg, Details: nil, RequestID: id})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		slog.Debug("write response", "err", err)
	}
}
