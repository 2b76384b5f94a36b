package openapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/bindgate/bindgate/internal/openapi"
)

// load parses doc with kin-openapi and validates it as OpenAPI 3.1 (examples included).
func load(t *testing.T, doc []byte) *openapi3.T {
	t.Helper()
	d := parse(t, doc)
	if err := d.Validate(context.Background()); err != nil {
		t.Fatalf("the document is not valid OpenAPI 3.1: %v", err)
	}
	return d
}

// parse parses doc with kin-openapi.
func parse(t *testing.T, doc []byte) *openapi3.T {
	t.Helper()
	d, err := openapi3.NewLoader().LoadFromData(doc)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return d
}

func TestDocumentIsValidOpenAPI31(t *testing.T) {
	t.Parallel()
	d := load(t, openapi.JSON())
	if !d.IsOpenAPI31OrLater() || !strings.HasPrefix(d.OpenAPI, "3.1.") {
		t.Fatalf("openapi = %q, want 3.1.x", d.OpenAPI)
	}

	// The structure against the official OAS 3.1 schema (kin-openapi checks the Schema
	// Objects, this the rest).
	raw, err := os.ReadFile("testdata/oas-3.1-schema.json")
	if err != nil {
		t.Fatal(err)
	}
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("oas-3.1-schema.json", schemaDoc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("oas-3.1-schema.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(openapi.JSON()))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("the document does not match the OAS 3.1 schema: %v", err)
	}
}

func TestWriteIsTheDocument(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := openapi.Write(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), openapi.JSON()) || !json.Valid(b.Bytes()) {
		t.Fatal("Write does not write the JSON document")
	}
}

func TestAssets(t *testing.T) {
	t.Parallel()
	for _, name := range openapi.AssetNames() {
		b, ct, ok := openapi.Asset(name)
		if !ok || len(b) == 0 || ct == "" {
			t.Errorf("Asset(%q) = %d bytes, %q, %v", name, len(b), ct, ok)
		}
	}
	for _, name := range []string{"index.html", "../openapi.json", "swagger-ui.js", ""} {
		if _, _, ok := openapi.Asset(name); ok {
			t.Errorf("Asset(%q) served", name)
		}
	}
	page := string(openapi.Page())
	for _, want := range []string{"/api/v1/docs/swagger-ui-bundle.js", "/api/v1/docs/swagger-ui.css", "/api/v1/docs/docs.js"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not load %s", want)
		}
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, "http") {
		t.Error("the page has an inline script or an outside URL")
	}
	js, _, _ := openapi.Asset("docs.js")
	if !strings.Contains(string(js), `url: "/api/v1/openapi.json"`) {
		t.Error("docs.js does not point Swagger UI at /api/v1/openapi.json")
	}
}

// TestDriftIsCaught renames a field in a copy of the document and checks that the response
// validation the integration suite does refuses a real answer of the handlers: a field
// renamed on either side (document or json tag) fails.
func TestDriftIsCaught(t *testing.T) {
	t.Parallel()
	const answer = `{"name":"example.test","zoneType":"primary","serial":2025010101}`
	tests := []struct {
		name    string
		edit    func(string) string
		wantErr bool
	}{
		{"as is", func(s string) string { return s }, false},
		{"zoneType renamed in the document", func(s string) string {
			return strings.Replace(s, `"zoneType": {`, `"zoneKind": {`, 1) // ZoneInfo's property
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := string(openapi.JSON())
			// ZoneInfo is the first schema with a zoneType property after CreateZoneRequest's;
			// edit inside ZoneInfo only.
			i := strings.Index(src, `"ZoneInfo": {`)
			if i < 0 {
				t.Fatal("no ZoneInfo schema")
			}
			// parse, not load: the renamed property also fails the document's own example,
			// which Validate reports; the point here is the check of a live answer.
			doc := parse(t, []byte(src[:i]+tc.edit(src[i:])))
			err := validate(t, doc, "GET", "/api/v1/zones/example.test", 200, "application/json", answer)
			if (err != nil) != tc.wantErr {
				t.Fatalf("validation error = %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

// validate checks one response against doc, as test/integration does for every answer.
func validate(t *testing.T, doc *openapi3.T, method, path string, status int, ctype, body string) error {
	t.Helper()
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(method, path, nil)
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("no route for %s %s: %v", method, path, err)
	}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 http.Header{"Content-Type": {ctype}},
		Body:                   io.NopCloser(strings.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	})
}
