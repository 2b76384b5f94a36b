package api

import (
	"net/http"

	"github.com/bindgate/bindgate/internal/openapi"
)

// docsCSP is the Content-Security-Policy of the docs responses: the page, Swagger UI and the
// document come from this server only; "Try it out" calls this API (connect-src); Swagger UI
// shows data: images. No inline script or style and no eval: Swagger UI 5 sets its styles
// through the DOM, which style-src does not restrict (checked in headless Chromium with
// scripts/docs-check.mjs: no violation reported).
const docsCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// docsRoutes are the OpenAPI document and its Swagger UI (BIND_ENABLE_DOCS=true; issue 11):
// no authentication, as in bindcar (they hold no secret), but behind the address allowlist.
func (s *Server) docsRoutes() []route {
	if !s.docs {
		return nil
	}
	return []route{
		{pattern: "GET /api/v1/openapi.json", public: true, listed: true, h: serveDocs(openapi.JSON(), "application/json")},
		{pattern: "GET /api/v1/docs", public: true, listed: true, h: serveDocs(openapi.Page(), "text/html; charset=utf-8")},
		{pattern: "GET /api/v1/docs/{asset}", public: true, listed: true, h: serveAsset},
	}
}

// serveDocs answers body with contentType and the docs headers.
func serveDocs(body []byte, contentType string) handlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) error {
		writeDocs(w, body, contentType)
		return nil
	}
}

// serveAsset is GET /api/v1/docs/{asset}: one of Swagger UI's files, else 404.
func serveAsset(w http.ResponseWriter, r *http.Request) error {
	body, ct, ok := openapi.Asset(r.PathValue("asset"))
	if !ok {
		return &httpError{status: http.StatusNotFound, msg: "Not found"}
	}
	writeDocs(w, body, ct)
	return nil
}

func writeDocs(w http.ResponseWriter, body []byte, contentType string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Security-Policy", docsCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
