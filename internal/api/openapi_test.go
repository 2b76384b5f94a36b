package api

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bindgate/bindgate/internal/auth"
	"github.com/bindgate/bindgate/internal/metrics"
	"github.com/bindgate/bindgate/internal/openapi"
)

// documented returns "METHOD /path" for every operation of the OpenAPI document, in the
// ServeMux pattern form of the route table; docs tells the operations tagged "docs" apart.
func documented(t *testing.T) (all, docs []string) {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openapi.JSON(), &doc); err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.Paths {
		for method, raw := range item {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options", "trace":
			default:
				continue // parameters, summary, …
			}
			var op struct {
				Tags []string `json:"tags"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatal(err)
			}
			p := strings.ToUpper(method) + " " + path
			all = append(all, p)
			if slices.Contains(op.Tags, "docs") {
				docs = append(docs, p)
			}
		}
	}
	slices.Sort(all)
	slices.Sort(docs)
	return all, docs
}

// TestRoutesMatchOpenAPI: every route the router serves is in the OpenAPI document and every
// operation of the document is served; the docs routes exactly when Docs is on.
func TestRoutesMatchOpenAPI(t *testing.T) {
	t.Parallel()
	all, docs := documented(t)
	if len(docs) == 0 {
		t.Fatal("the document has no docs operations")
	}
	for _, on := range []bool{false, true} {
		s, err := New(Config{Zones: &fakeZones{}, Records: &fakeRecords{}, History: &fakeHistory{}, Keys: &fakeKeys{},
			Auth: auth.NewStatic(testToken), Metrics: metrics.New(testVersion), Docs: on, PowerDNS: newPDNS(t, &fakeZones{}, &fakeRecords{})})
		if err != nil {
			t.Fatal(err)
		}
		served := slices.Sorted(slices.Values(s.Routes()))
		want := all
		if !on {
			want = slices.DeleteFunc(slices.Clone(all), func(p string) bool { return slices.Contains(docs, p) })
		}
		if diff := cmp.Diff(want, served); diff != "" {
			t.Errorf("docs %v: documented (-) vs served (+) routes:\n%s", on, diff)
		}
	}
}

// TestDocsRoutes: off by default (404 as any unknown path); on, the document, the page and
// its files without authentication, with the CSP and nosniff; behind the allowlist.
func TestDocsRoutes(t *testing.T) {
	t.Parallel()
	off := newEnv(t)
	for _, p := range []string{"/api/v1/openapi.json", "/api/v1/docs", "/api/v1/docs/swagger-ui.css"} {
		if w := off.do(req{method: "GET", target: p}); w.Code != http.StatusNotFound || w.Body.String() != errJSON("Not found") {
			t.Errorf("docs off: GET %s = %d %s", p, w.Code, w.Body)
		}
	}
	on := newEnv(t, func(c *Config) { c.Docs = true })
	for _, tc := range []struct {
		target, ctype string
		body          []byte
	}{
		{"/api/v1/openapi.json", "application/json", openapi.JSON()},
		{"/api/v1/docs", "text/html; charset=utf-8", openapi.Page()},
		{"/api/v1/docs/swagger-ui.css", "text/css; charset=utf-8", nil},
		{"/api/v1/docs/swagger-ui-bundle.js", "text/javascript; charset=utf-8", nil},
		{"/api/v1/docs/docs.js", "text/javascript; charset=utf-8", nil},
	} {
		w := on.do(req{method: "GET", target: tc.target, auth: "-"})
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != tc.ctype {
			t.Errorf("GET %s = %d %q", tc.target, w.Code, w.Header().Get("Content-Type"))
		}
		if tc.body != nil && w.Body.String() != string(tc.body) {
			t.Errorf("GET %s: body differs", tc.target)
		}
		if w.Header().Get("Content-Security-Policy") != docsCSP || w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: headers %v", tc.target, w.Header())
		}
	}
	if w := on.do(req{method: "GET", target: "/api/v1/docs/index.html", auth: "-"}); w.Code != http.StatusNotFound || w.Body.String() != errJSON("Not found") {
		t.Errorf("unknown asset: %d %s", w.Code, w.Body)
	}
	if w := on.do(req{method: "GET", target: "/api/v1/docs/", auth: "-"}); w.Code != http.StatusNotFound {
		t.Errorf("docs/: %d %s", w.Code, w.Body)
	}
	fenced := newEnv(t, func(c *Config) {
		c.Docs = true
		c.AllowedCIDRs = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	})
	if w := fenced.do(req{method: "GET", target: "/api/v1/docs", auth: "-"}); w.Code != http.StatusForbidden || w.Body.String() != errJSON("Forbidden") {
		t.Errorf("outside the allowlist: %d %s", w.Code, w.Body)
	}
}
