package openapi

import (
	"bytes"
	"embed"
	"io"
	"path"
	"slices"
)

// document is the OpenAPI document, JSON. Read-only: handed out by copy or written.
//
//go:embed openapi.json
var document []byte

// ui holds the docs page and Swagger UI's files (ui/README.md says where they come from).
//
//go:embed ui/index.html ui/docs.js ui/swagger-ui-bundle.js ui/swagger-ui.css ui/LICENSE
var ui embed.FS

// JSON returns a copy of the OpenAPI document.
func JSON() []byte { return bytes.Clone(document) }

// Write writes the OpenAPI document (JSON) to w; it is what `bindgate openapi` prints.
func Write(w io.Writer) error {
	_, err := w.Write(document)
	return err
}

// Page returns the docs page (Swagger UI pointed at /api/v1/openapi.json).
func Page() []byte { return mustRead("ui/index.html") }

// assetNames are the files the docs page loads, served under /api/v1/docs/{asset}.
func assetNames() []string {
	return []string{"swagger-ui-bundle.js", "swagger-ui.css", "docs.js", "LICENSE"}
}

// AssetNames lists the names Asset serves.
func AssetNames() []string { return assetNames() }

// Asset returns the docs page's file name with its Content-Type; ok is false for any other
// name.
func Asset(name string) (content []byte, contentType string, ok bool) {
	switch path.Ext(name) {
	case ".js":
		contentType = "text/javascript; charset=utf-8"
	case ".css":
		contentType = "text/css; charset=utf-8"
	default:
		contentType = "text/plain; charset=utf-8"
	}
	if !slices.Contains(assetNames(), name) {
		return nil, "", false
	}
	return mustRead("ui/" + name), contentType, true
}

// mustRead reads an embedded file; the go:embed list above guarantees it exists.
func mustRead(name string) []byte {
	b, err := ui.ReadFile(name)
	if err != nil {
		panic("openapi: embedded file missing: " + name)
	}
	return b
}
