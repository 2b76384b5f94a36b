package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/bindgate/bindgate/internal/records"
)

// decodeJSON reads the request body into dst with the statuses of docs/contract.md §3.1, in this
// order: media type not application/json or application/*+json (parameters allowed) 415; body
// over limit 413; empty, malformed or followed by more data 400; wrong shape (type mismatch,
// negative, fractional or out-of-range number) 422; then, as strictly as bindcar's serde, a
// duplicate key, a key in the wrong case or a string that is not valid UTF-8 400 (strictCheck).
// Unknown fields are ignored and null is absent (docs/contract.md §3.1). Messages start
// "Invalid request: " and never echo the body beyond a field's name.
// fields is the caller's cache of struct types' JSON fields for the strict check; nil keeps none.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, fields *fieldCache, dst any) error {
	if !isJSONMediaType(r.Header.Get("Content-Type")) {
		return &httpError{status: http.StatusUnsupportedMediaType,
			msg: "Invalid request: Content-Type must be application/json"}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return &httpError{status: http.StatusRequestEntityTooLarge,
				msg: fmt.Sprintf("Invalid request: body larger than %d bytes", limit)}
		}
		return &httpError{status: http.StatusBadRequest, msg: "Invalid request: body could not be read", cause: err}
	}
	if a, ok := dst.(*records.AddRequest); ok && decodeAddFast(body, a) {
		return nil
	}
	return decodeBody(body, fields, dst)
}

// decodeBody is decodeJSON after the media type and size checks: body is the whole body.
func decodeBody(body []byte, fields *fieldCache, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(dst); err != nil {
		if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
			return &httpError{status: http.StatusUnprocessableEntity, msg: "Invalid request: " + describeTypeError(te)}
		}
		if errors.Is(err, io.EOF) {
			return &httpError{status: http.StatusBadRequest, msg: "Invalid request: empty body"}
		}
		return &httpError{status: http.StatusBadRequest, msg: "Invalid request: malformed JSON", cause: err}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &httpError{status: http.StatusBadRequest, msg: "Invalid request: trailing data after the JSON value"}
	}
	return strictCheck(body, reflect.TypeOf(dst), fields)
}

// isJSONMediaType accepts application/json and application/*+json, with parameters, any case.
func isJSONMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	sub, ok := strings.CutPrefix(mt, "application/") // ParseMediaType lower-cases
	return ok && (sub == "json" || strings.HasSuffix(sub, "+json") && len(sub) > len("+json"))
}

// describeTypeError names the field and the expected JSON type, without the caller's value.
func describeTypeError(te *json.UnmarshalTypeError) string {
	want := jsonTypeName(te.Type)
	if te.Field == "" {
		return "the body must be " + want
	}
	return fmt.Sprintf("field %s must be %s", te.Field, want)
}

// jsonTypeName says in JSON terms what a Go type accepts.
func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Uint8:
		return "an integer from 0 to 255"
	case reflect.Uint16:
		return "an integer from 0 to 65535"
	case reflect.Uint32:
		return "an integer from 0 to 4294967295"
	case reflect.Uint, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a value of another type"
}
