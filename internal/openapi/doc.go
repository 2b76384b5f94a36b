// Package openapi holds bindgate's OpenAPI 3.1 document (openapi.json, the machine-readable
// form of docs/contract.md) and the Swagger UI files the docs routes serve
// (BIND_ENABLE_DOCS=true), all embedded in the binary. The document is kept true by tests:
// internal/api checks route parity with it, test/integration validates every response
// against it and sends its request examples to a real named.
package openapi
