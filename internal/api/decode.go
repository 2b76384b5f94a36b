package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// decodeJSON reads a request body into dst with the statuses of CONTRACT §3.1: not JSON 415,
// too large 413, malformed or trailing data 400, wrong shape 422. Unknown fields are ignored.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, dst any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !(mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return newError(http.StatusUnsupportedMediaType, "Invalid request: Content-Type must be application/json", err)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return newError(http.StatusRequestEntityTooLarge, fmt.Sprintf("Invalid request: body larger than %d bytes", limit), nil)
		}
		return newError(http.StatusBadRequest, "Invalid request: body could not be read", err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(dst); err != nil {
		if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
			field := te.Field
			if field == "" {
				field = "body"
			}
			return newError(http.StatusUnprocessableEntity,
				fmt.Sprintf("Invalid request: %s: expected %s, got %s", field, te.Type, te.Value), nil)
		}
		if errors.Is(err, io.EOF) {
			return newError(http.StatusBadRequest, "Invalid request: empty body", nil)
		}
		return newError(http.StatusBadRequest, "Invalid request: malformed JSON", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return newError(http.StatusBadRequest, "Invalid request: trailing data after the JSON value", nil)
	}
	return nil
}
