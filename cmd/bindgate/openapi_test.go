package main

import (
	"bytes"
	"testing"

	"github.com/bindgate/bindgate/internal/openapi"
)

// TestOpenAPICommand: `bindgate openapi` prints the document and exits 0.
func TestOpenAPICommand(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if code := run([]string{"openapi"}, &out, &errb); code != 0 || errb.Len() != 0 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	if !bytes.Equal(out.Bytes(), openapi.JSON()) {
		t.Fatal("stdout is not the OpenAPI document")
	}
}
