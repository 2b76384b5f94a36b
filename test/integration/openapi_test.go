package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/bindgate/bindgate/internal/openapi"
)

// contract is the OpenAPI document every response of the suite is checked against (issue 11):
// loaded once, read-only afterwards.
type contract struct {
	doc    *openapi3.T
	router routers.Router
	// mu serialises the checks: writer goroutines share doc, and kin-openapi does not promise
	// that validating against one document from several goroutines is race-free.
	mu sync.Mutex
}

// loadContract parses and validates the embedded document and builds its router.
var loadContract = sync.OnceValues(func() (*contract, error) {
	// The non-JSON bodies the API answers (text/dns export, the docs page and its files) are
	// checked as strings, as kin-openapi checks text/plain; its decoder registry is global.
	for _, ct := range []string{"text/dns", "text/html", "text/css", "text/javascript"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
	}
	doc, err := openapi3.NewLoader().LoadFromData(openapi.JSON())
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &contract{doc: doc, router: router}, nil
})

// checkResponse validates one answer against the document: its status must be documented for
// the operation and its body must match that status's schema. Requests outside the document
// (the hostile-input tests' unknown paths and methods, answered 404 or 405) have no operation
// to check against: only their body is checked, against the one error shape; a request
// outside the document that answered anything else is skipped.
func checkResponse(req *http.Request, status int, header http.Header, raw []byte) error {
	c, err := loadContract()
	if err != nil {
		return fmt.Errorf("OpenAPI document: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		if errors.Is(err, routers.ErrPathNotFound) || errors.Is(err, routers.ErrMethodNotAllowed) {
			if status < 400 || !strings.HasPrefix(header.Get("Content-Type"), "application/json") {
				return nil // outside the document, not an error answer: nothing to check it against
			}
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				return fmt.Errorf("error body is not JSON: %w", err)
			}
			return c.doc.Components.Schemas["Error"].Value.VisitJSON(v, openapi3.EnableJSONSchema2020())
		}
		return fmt.Errorf("route lookup: %w", err)
	}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(raw)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
}
