package records

import (
	"cmp"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// TestCanonicalKeyOrder checks that canonicalKey's byte order is RFC 4034 §6.1's order, as
// comparing labels from the right gives it.
func TestCanonicalKeyOrder(t *testing.T) {
	names := []string{"example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.", "zABC.a.EXAMPLE.",
		"z.example.", `\001.z.example.`, "*.z.example.", `\200.z.example.`, "ab.example.", "a-b.example.",
		"b.a.example.", "aa.example.", "x.aa.example.", `a\.b.example.`, "example.com."}
	ref := func(a, b string) int {
		la, lb := dns.SplitDomainName(strings.ToLower(a)), dns.SplitDomainName(strings.ToLower(b))
		for i, j := len(la)-1, len(lb)-1; i >= 0 && j >= 0; i, j = i-1, j-1 {
			if c := strings.Compare(la[i], lb[j]); c != 0 {
				return c
			}
		}
		return cmp.Compare(len(la), len(lb))
	}
	for _, a := range names {
		for _, b := range names {
			if got, want := cmp.Compare(canonicalKey(a), canonicalKey(b)), ref(a, b); got != want {
				t.Errorf("%s vs %s: key order %d, label order %d", a, b, got, want)
			}
		}
	}
}
