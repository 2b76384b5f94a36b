package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/bindgate/bindgate/internal/zones"
)

// publicError is an error whose status and message may be shown to the caller: *zones.Error
// and httpError implement it.
type publicError interface {
	error
	StatusCode() int
	PublicMessage() string
}

// httpError is a refusal by the HTTP layer itself: protocol errors (CONTRACT §3.1), 401, bad
// zone names, unknown routes. cause, when set, is for the log only.
type httpError struct {
	status int
	msg    string
	cause  error
}

func (e *httpError) Error() string {
	if e.cause != nil {
		return e.msg + ": " + e.cause.Error()
	}
	return e.msg
}

func (e *httpError) Unwrap() error { return e.cause }

// StatusCode implements publicError.
func (e *httpError) StatusCode() int { return e.status }

// PublicMessage implements publicError.
func (e *httpError) PublicMessage() string { return e.msg }

// The fixed 5xx messages of CONTRACT §3.3.
const (
	msgInternal    = "Internal server error"
	msgUnavailable = "Service unavailable"
)

// errorBody is the one error shape of CONTRACT §3.3, for every non-2xx response.
type errorBody struct {
	Error     string `json:"error"`
	Details   any    `json:"details"` // always null
	RequestID string `json:"requestId"`
}

// classify maps err to a status and a public message:
//   - an error with StatusCode() and PublicMessage() keeps both (also for 5xx such as zones'
//     typed 503 "Zone not loaded: {z}", whose message is safe by construction);
//   - zones.ErrUnavailable and context.DeadlineExceeded are 503 "Service unavailable";
//   - anything else is 500 "Internal server error".
func classify(err error) (int, string) {
	if pe, ok := errors.AsType[publicError](err); ok {
		status, msg := pe.StatusCode(), pe.PublicMessage()
		if status >= 400 && status <= 599 && msg != "" {
			return status, msg
		}
	}
	if errors.Is(err, zones.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return http.StatusServiceUnavailable, msgUnavailable
	}
	return http.StatusInternalServerError, msgInternal
}

// writeError is the one place that maps an error to a response and logs it. 5xx: the full
// error is logged once at error level, with request id, route and zone from the context; the
// body has only the fixed message (CONTRACT §19 A-3). 401: the reason at warn (A7). Other
// 4xx: info. Request bodies are never logged.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := classify(err)
	ctx := r.Context()
	attrs := []slog.Attr{slog.String("method", r.Method), slog.Int("status", status), slog.String("err", err.Error())}
	switch {
	case status >= 500:
		if pe, ok := errors.AsType[*panicError](err); ok {
			attrs = append(attrs, slog.String("stack", string(pe.stack)))
		}
		s.log.LogAttrs(ctx, slog.LevelError, "request failed", attrs...)
	case status == http.StatusUnauthorized:
		s.log.LogAttrs(ctx, slog.LevelWarn, "authentication refused", attrs...)
	default:
		s.log.LogAttrs(ctx, slog.LevelInfo, "request refused", attrs...)
	}
	writeJSON(w, status, errorBody{Error: msg, RequestID: requestIDOf(ctx)})
}

// writeJSON writes v as the JSON body with status. HTML characters are not escaped, so rndc
// text such as "<" reaches clients as bindcar (serde_json) sent it.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // only our own response types get here; they always encode
		status = http.StatusInternalServerError
		buf.Reset()
		_ = enc.Encode(errorBody{Error: msgInternal})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
