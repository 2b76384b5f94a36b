package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/pdnsapi"
)

// httpError is a refusal by the HTTP layer itself: protocol errors (docs/contract.md §3.1), 401, bad
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

// The fixed 5xx messages of docs/contract.md §3.3.
const (
	msgInternal    = "Internal server error"
	msgUnavailable = "Service unavailable"
	// msgInsufficientStorage is the 507 of a full disk or quota with no more specific message.
	msgInsufficientStorage = "Insufficient storage"
)

// errorBody is the one error shape of docs/contract.md §3.3, for every non-2xx response.
type errorBody struct {
	Error     string `json:"error"`
	Details   any    `json:"details"` // always null
	RequestID string `json:"requestId"`
}

// kindStatus is the one mapping from an error kind to an HTTP status (docs/contract.md §3.4); a kind
// missing here (Internal, or one added later) is 500.
var kindStatus = [...]int{
	errs.Invalid:             http.StatusBadRequest,
	errs.Unprocessable:       http.StatusUnprocessableEntity,
	errs.NotFound:            http.StatusNotFound,
	errs.Conflict:            http.StatusConflict,
	errs.PreconditionFailed:  http.StatusPreconditionFailed,
	errs.TooLarge:            http.StatusRequestEntityTooLarge,
	errs.Unauthenticated:     http.StatusUnauthorized,
	errs.Forbidden:           http.StatusForbidden,
	errs.Unavailable:         http.StatusServiceUnavailable,
	errs.InsufficientStorage: http.StatusInsufficientStorage,
}

// statusOf returns k's status from kindStatus.
func statusOf(k errs.Kind) int {
	if k >= 0 && int(k) < len(kindStatus) && kindStatus[k] != 0 {
		return kindStatus[k]
	}
	return http.StatusInternalServerError
}

// classify maps err to a status and a public message:
//   - the HTTP layer's own *httpError keeps its status and message;
//   - an *errs.Error gets its kind's status and keeps its public message (also for 5xx such as
//     the typed 503 "Zone not loaded: {z}", whose message is safe by construction); without a
//     message, 5xx kinds get the fixed texts of docs/contract.md §3.3 and 4xx kinds the status text;
//   - a full disk or quota in the chain (errs.StorageFull) of an error of no specific kind is
//     507 "Insufficient storage";
//   - context.DeadlineExceeded is 503 "Service unavailable";
//   - anything else is 500 "Internal server error".
func classify(err error) (int, string) {
	if he, ok := errors.AsType[*httpError](err); ok && he.status >= 400 && he.status <= 599 && he.msg != "" {
		return he.status, he.msg
	}
	if errs.KindOfStorage(err) == errs.InsufficientStorage {
		// A full disk or quota anywhere in the chain (a zone file, registry or copy write
		// that failed with ENOSPC or EDQUOT) is 507, whichever path it came through.
		if e, ok := errors.AsType[*errs.Error](err); ok && e.Kind == errs.InsufficientStorage && e.Msg != "" {
			return http.StatusInsufficientStorage, e.Msg
		}
		return http.StatusInsufficientStorage, msgInsufficientStorage
	}
	if e, ok := errors.AsType[*errs.Error](err); ok {
		status := statusOf(e.Kind)
		if e.Msg != "" {
			return status, e.Msg
		}
		switch {
		case status == http.StatusServiceUnavailable:
			return status, msgUnavailable
		case status >= 500:
			return status, msgInternal
		}
		return status, http.StatusText(status)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return http.StatusServiceUnavailable, msgUnavailable
	}
	return http.StatusInternalServerError, msgInternal
}

// writeError is the one place that maps an error to a response and logs it. 5xx: the full
// error is logged once at error level, with request id, route and zone from the context; the
// body has only the fixed message (docs/contract.md §19 A-3). 401: the reason at warn (A7). Other
// 4xx: info. Request bodies are never logged.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := classify(err)
	pdns := isPDNSPath(r.URL.Path)
	if pdns {
		status = pdnsStatus(err, status)
	}
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
	if pdns { // PowerDNS's error body (issue 12)
		pdnsapi.WriteJSON(w, status, pdnsapi.ErrorBody{Error: msg})
		return
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
