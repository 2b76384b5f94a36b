package bindkey

import (
	"encoding/base64"
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

// testSecret is the base64 secret every fixture uses; no error may ever contain it.
const testSecret = "c2VjcmV0LW1hdGVyaWFsLW5ldmVyLWluLWVycm9ycy0xMjM0NQ=="

// keyStmt returns a key statement for name with testSecret.
func keyStmt(name string) string {
	return `key "` + name + `" { algorithm hmac-sha256; secret "` + testSecret + `"; };`
}

// mapLoader serves files from memory.
func mapLoader(files map[string]string) loader {
	return func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, fmt.Errorf("read %s: %w", p, fs.ErrNotExist)
	}
}

// assertNoSecret fails when err's text holds the secret, raw or decoded, or any other
// sensitive string given.
func assertNoSecret(t *testing.T, err error, extra ...string) {
	t.Helper()
	if err == nil {
		return
	}
	raw, _ := base64.StdEncoding.DecodeString(testSecret)
	msg := err.Error()
	for _, s := range append([]string{testSecret, string(raw), fmt.Sprintf("%x", raw)}, extra...) {
		if s != "" && strings.Contains(msg, s) {
			t.Errorf("error text leaks a secret: %v", err)
		}
	}
}
