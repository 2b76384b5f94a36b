package api

import (
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/bindgate/bindgate/internal/zonename"
	"github.com/bindgate/bindgate/internal/zones"
)

// zonesPrefix is the path prefix of the {name} routes.
const zonesPrefix = "/api/v1/zones/"

// dispatch hands matched requests to the mux and answers everything else itself in the JSON
// error shape (docs/contract.md §2, §3.3): 404 "Not found" for an unknown path, 405 "Method not
// allowed" with the mux's Allow header for a known path with another method. The mux never
// redirects here: a path it would clean ("..", ".", "//") is refused instead, as 400 when its
// zone segment is not a valid name, else 404, because a 307 to another route would reach a
// different resource than the one the client named.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	if ep := r.URL.EscapedPath(); r.Method != http.MethodConnect && cleanPath(ep) != ep {
		s.writeError(w, r, nonCanonical(ep))
		return
	}
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r) // sets r.Pattern and the path values
		return
	}
	// Ask the mux's own fallback what it would answer, without letting it write.
	probe := &probeWriter{header: http.Header{}}
	h.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		s.writeError(w, r, &httpError{status: http.StatusMethodNotAllowed, msg: "Method not allowed"})
		return
	}
	s.writeError(w, r, &httpError{status: http.StatusNotFound, msg: "Not found"})
}

// nonCanonical explains why an escaped path with dot or empty segments is refused.
func nonCanonical(escaped string) error {
	if rest, ok := strings.CutPrefix(escaped, zonesPrefix); ok {
		seg, _, _ := strings.Cut(rest, "/")
		if name, err := url.PathUnescape(seg); err == nil {
			if _, err := zonename.Normalize(name); err != nil {
				return invalidZoneName(err)
			}
		}
	}
	return &httpError{status: http.StatusNotFound, msg: "Not found"}
}

// cleanPath is net/http's canonical form of a path: rooted, no dot or empty segments, a
// trailing slash kept.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// probeWriter records what a handler would answer and discards the body.
type probeWriter struct {
	header http.Header
	status int
}

func (p *probeWriter) Header() http.Header         { return p.header }
func (p *probeWriter) Write(b []byte) (int, error) { return len(b), nil }
func (p *probeWriter) WriteHeader(code int)        { p.status = code }

// zoneName validates and normalises the {name} path value, first thing on every zone route
// (docs/contract.md §4), and records it for log lines.
func zoneName(r *http.Request) (string, error) {
	z, err := zonename.Normalize(r.PathValue("name"))
	if err != nil {
		return "", invalidZoneName(err)
	}
	setZone(r.Context(), z)
	return z, nil
}

// invalidZoneName is the 400 for a name zonename refuses: "Invalid request: Invalid zone name:
// <reason>", the same words the zone service uses.
func invalidZoneName(err error) error { return zones.InvalidName(err) }
