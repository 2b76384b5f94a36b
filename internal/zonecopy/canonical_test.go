package zonecopy

import (
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// oldNameKey is the name part of canonical's key as it was first written (dns.SplitDomainName,
// reversed, joined): appendNameKey must give exactly it, or stored copies would sort
// differently after an upgrade.
func oldNameKey(name string) string {
	labels := dns.SplitDomainName(name)
	slices.Reverse(labels)
	return strings.Join(labels, "\x01")
}

func TestAppendNameKey(t *testing.T) {
	t.Parallel()
	long := strings.TrimSuffix(strings.Repeat("a.", 127), ".") + "." // 127 labels, 254 bytes
	names := []string{
		".", "test.", "example.test.", "a.b.c.example.test.", "*.example.test.",
		`a\.b.example.test.`, `\046.example.test.`, `a\\.example.test.`, `x\\\..example.test.`,
		`_srv._tcp.example.test.`, "xn--bcher-kva.example.test.", long,
	}
	for _, n := range names {
		if got, want := string(appendNameKey(nil, n)), oldNameKey(n); got != want {
			t.Errorf("appendNameKey(%q) = %q, want %q", n, got, want)
		}
		if got, want := nameKey(n), oldNameKey(n)+"\x00"; got != want {
			t.Errorf("nameKey(%q) = %q, want %q", n, got, want)
		}
	}
	// canonical: the key is the name key, the type and the text, for records of several types.
	for _, text := range []string{
		"WWW.Example.TEST. 300 IN A 192.0.2.1", `a\.b.example.test. 60 IN TXT "x y"`,
		"example.test. 3600 IN MX 10 Mail.Example.Test.", "*.example.test. 300 IN AAAA 2001:db8::1",
	} {
		it := canonical(rr(t, text))
		h := it.rr.Header()
		want := oldNameKey(h.Name) + string([]byte{0, byte(h.Rrtype >> 8), byte(h.Rrtype)}) + it.rr.String()
		if it.key != want || it.text() != it.rr.String() {
			t.Errorf("canonical(%q): key %q, want %q", text, it.key, want)
		}
	}
}
