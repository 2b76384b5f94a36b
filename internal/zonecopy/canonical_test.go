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

// TestItemDataKey: itemDataKey, read off an item's text, is dataKey of its record, for every
// kind of record an update carries (owners in any case, escapes, TTLs, classes, data compared
// case-insensitively or not).
func TestItemDataKey(t *testing.T) {
	t.Parallel()
	for _, text := range []string{
		"WWW.Example.TEST. 300 IN A 192.0.2.1",
		"www.example.test. 0 IN AAAA 2001:db8::1",
		`a\.b.example.test. 60 IN TXT "x y" "Z\"w\t"`,
		"sub\\009tab.example.test. 60 IN TXT \"tab in the owner\"",
		"example.test. 3600 IN MX 10 Mail.Example.Test.",
		"example.test. 3600 IN NS NS1.Example.Test.",
		"alias.example.test. 300 IN CNAME Target.Example.Test.",
		"_sip._tcp.example.test. 300 IN SRV 10 20 5060 SIP.Example.Test.",
		"example.test. 300 IN CAA 0 issue \"LetsEncrypt.org\"",
		"4.2.0.192.in-addr.example.test. 300 IN PTR Host.Example.Test.",
		"d.example.test. 300 IN DNAME Other.Test.",
		"*.example.test. 86400 IN TXT \"wildcard\"",
		"x.example.test. 300 CH TXT \"chaos\"",
		"x.example.test. 300 NONE A 192.0.2.9",
		"x.example.test. 300 IN SSHFP 1 1 DEADBEEF",
		"x.example.test. 300 IN TLSA 3 1 1 ABCDEF",
		"x.example.test. 300 IN HINFO \"PC\" \"Linux\"",
	} {
		r, err := dns.NewRR(text)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if got, want := itemDataKey(canonical(r)), dataKey(r); got != want {
			t.Errorf("%s: itemDataKey %q, dataKey %q", text, got, want)
		}
	}
	// A delete of an RRset (class ANY, no data), as an update carries it.
	del := &dns.ANY{Hdr: dns.RR_Header{Name: "X.example.test.", Rrtype: dns.TypeA, Class: dns.ClassANY}}
	if got, want := itemDataKey(canonical(del)), dataKey(del); got != want {
		t.Errorf("RRset delete: itemDataKey %q, dataKey %q", got, want)
	}
}
