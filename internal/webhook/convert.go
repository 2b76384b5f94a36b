package webhook

import (
	"strings"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/rrdata"
)

// ExternalDNS writes names without the trailing dot, in endpoint names and in targets
// (CNAME "target.example.com"); bindgate's values are master-file syntax, where a name
// without the dot would be relative to the zone. These functions translate one target each
// way so that what GET /records answers is exactly what ExternalDNS sent: otherwise its next
// run sees a difference and changes the record again (the flip-flop of issue 12).

// nameLast are the types whose value ends in a domain name (the whole value for CNAME, NS,
// PTR and DNAME; the exchange, target or replacement for MX, SRV and NAPTR).
var nameLast = map[string]bool{"CNAME": true, "NS": true, "PTR": true, "DNAME": true, "MX": true, "SRV": true, "NAPTR": true}

// toValue turns an ExternalDNS target into a master-file value. A TXT target that is not
// already quoted (ExternalDNS's ownership records are: "\"heritage=external-dns,…\"") becomes
// one quoted text, split into 255-byte character-strings (RFC 1035 §3.3.14).
func toValue(typ, target string) string {
	switch {
	case typ == "TXT":
		if len(target) >= 2 && strings.HasPrefix(target, `"`) && strings.HasSuffix(target, `"`) {
			return target
		}
		return quoteTXT(target)
	case nameLast[typ]:
		i := strings.LastIndexByte(target, ' ') + 1
		if last := target[i:]; last != "" && !strings.HasSuffix(last, ".") {
			return target + "."
		}
	}
	return target
}

// fromValue is toValue's inverse for a value bindgate read: the final name loses its dot
// (the root "." stays as it is).
func fromValue(typ, value string) string {
	if nameLast[typ] {
		i := strings.LastIndexByte(value, ' ') + 1
		if last := value[i:]; len(last) > 1 && strings.HasSuffix(last, ".") {
			return value[:len(value)-1]
		}
	}
	return value
}

// quoteTXT quotes s as TXT character-strings of at most 255 bytes each, escaping '"' and '\'.
func quoteTXT(s string) string {
	var b strings.Builder
	for first := true; first || s != ""; first = false {
		n := min(len(s), 255)
		if !first {
			b.WriteByte(' ')
		}
		b.WriteByte('"')
		for i := 0; i < n; i++ {
			if s[i] == '"' || s[i] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(s[i])
		}
		b.WriteByte('"')
		s = s[n:]
	}
	return b.String()
}

// canonical is the target GET /records will answer for target once stored: the value as
// bindgate renders it (TXT escapes, IPv6 compressed, names in the case given). A target that
// does not parse is returned unchanged, and POST /records reports it.
func canonical(typ, target string) string {
	rr, err := dns.NewRR(". 0 IN " + typ + " " + toValue(typ, target))
	if err != nil || rr == nil || dns.TypeToString[rr.Header().Rrtype] != typ {
		return target
	}
	return fromValue(typ, rrdata.Value(rr))
}

// endpointName is an ExternalDNS name: lower case, no trailing dot.
func endpointName(name string) string { return strings.ToLower(strings.TrimSuffix(name, ".")) }
