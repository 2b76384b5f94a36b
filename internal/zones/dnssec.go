package zones

import (
	"strconv"
	"strings"
	"time"
)

// parseDNSSECStatus reads `rndc dnssec -status <zone>` (bin/named/server.c, lib/dns/keymgr.c
// dns_keymgr_status) into docs/contract.md §8.3's object, or nil when nothing parseable is there.
// Lines read: "dnssec-policy:", "key: <tag> (<alg>), <role>", "published:", "key signing:",
// "zone signing:", "Next rollover scheduled on <time>", "Key has been removed from the zone",
// "- goal:", "- dnskey:", "- ds:", "- zone rrsig:", "- key rrsig:"; others are ignored.
func parseDNSSECStatus(text string) *DNSSECStatus {
	st := &DNSSECStatus{Keys: []DNSSECKey{}}
	var k *DNSSECKey
	found := false
	for raw := range strings.Lines(text) {
		line := strings.TrimSpace(raw)
		switch {
		case strings.HasPrefix(line, "dnssec-policy:"):
			st.Policy = strings.TrimSpace(strings.TrimPrefix(line, "dnssec-policy:"))
			found = true
		case strings.HasPrefix(line, "key:"):
			st.Keys = append(st.Keys, DNSSECKey{})
			k = &st.Keys[len(st.Keys)-1]
			parseKeyLine(k, strings.TrimSpace(strings.TrimPrefix(line, "key:")))
			found = true
		case k == nil:
		case strings.HasPrefix(line, "published:"):
			k.Published, k.PublishedSince = yesSince(strings.TrimPrefix(line, "published:"))
		case strings.HasPrefix(line, "key signing:"):
			k.KeySigning, k.KeySigningSince = yesSince(strings.TrimPrefix(line, "key signing:"))
		case strings.HasPrefix(line, "zone signing:"):
			k.ZoneSigning, k.ZoneSigningSince = yesSince(strings.TrimPrefix(line, "zone signing:"))
		case strings.HasPrefix(line, "Next rollover scheduled on"):
			k.NextRollover = bindTime(strings.TrimPrefix(line, "Next rollover scheduled on"))
		case strings.HasPrefix(line, "Key has been removed from the zone"):
			k.Removed = true
		case strings.HasPrefix(line, "- goal:"):
			k.Goal = field(line, "- goal:")
		case strings.HasPrefix(line, "- dnskey:"):
			k.DNSKEYState = field(line, "- dnskey:")
		case strings.HasPrefix(line, "- ds:"):
			k.DSState = field(line, "- ds:")
		case strings.HasPrefix(line, "- zone rrsig:"):
			k.ZoneRRSIGState = field(line, "- zone rrsig:")
		case strings.HasPrefix(line, "- key rrsig:"):
			k.KeyRRSIGState = field(line, "- key rrsig:")
		}
	}
	if !found {
		return nil
	}
	for _, key := range st.Keys {
		if key.DNSKEYState == "rumoured" || key.DNSKEYState == "omnipresent" {
			st.Signed = true
		}
	}
	return st
}

// parseKeyLine reads "33306 (ECDSAP256SHA256), CSK".
func parseKeyLine(k *DNSSECKey, s string) {
	tag, rest, _ := strings.Cut(s, " ")
	if n, err := strconv.ParseUint(tag, 10, 16); err == nil {
		k.Tag = uint16(n)
	}
	if i, j := strings.Index(rest, "("), strings.Index(rest, ")"); i >= 0 && j > i {
		k.Algorithm = rest[i+1 : j]
		rest = rest[j+1:]
	}
	k.Role = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), ","))
}

// yesSince reads "yes - since Sun Sep 27 22:07:06 2026" or "no".
func yesSince(s string) (bool, string) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "yes") {
		return false, ""
	}
	_, t, ok := strings.Cut(s, "since")
	if !ok {
		return true, ""
	}
	return true, bindTime(t)
}

// bindTime turns BIND's ctime text into YYYY-MM-DDTHH:MM:SS (server clock); raw text if it
// does not parse (docs/contract.md §8.3).
func bindTime(s string) string {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.ANSIC, "Mon Jan 2 15:04:05 2006", "Mon Jan _2 15:04:05 MST 2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("2006-01-02T15:04:05")
		}
	}
	return s
}

func field(line, prefix string) string { return strings.TrimSpace(strings.TrimPrefix(line, prefix)) }
