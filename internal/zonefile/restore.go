package zonefile

import (
	"strings"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/quote"
)

// FromRecords renders a zone file from a zone's records as a copy holds them (the SOA first,
// absolute owner names) with the SOA serial set to serial, to restore a zone named lost (issue
// 9 item 4). The text is read back before it is returned, as Render's is, so named loads
// exactly these records.
func FromRecords(zone string, rrs []dns.RR, serial uint32) ([]byte, error) {
	origin := dns.Fqdn(zone)
	if len(rrs) == 0 || rrs[0].Header().Rrtype != dns.TypeSOA {
		return nil, invalidf("the copy of %s does not start with its SOA record", quote.Short(zone))
	}
	want := make([]dns.RR, len(rrs))
	var b strings.Builder
	b.WriteString("; restored by bindgate from its copy of the zone\n")
	for i, rr := range rrs {
		rr = dns.Copy(rr)
		if i == 0 {
			rr.(*dns.SOA).Serial = serial
		}
		want[i] = rr
		b.WriteString(rr.String())
		b.WriteByte('\n')
	}
	text := b.String()
	if err := readBack(text, origin, want); err != nil {
		return nil, err
	}
	return []byte(text), nil
}

// Serial returns the SOA serial of a zone file bindgate wrote (its first record).
func Serial(zone string, data []byte) (uint32, bool) {
	zp := dns.NewZoneParser(strings.NewReader(string(data)), dns.Fqdn(zone), "")
	zp.SetIncludeAllowed(false)
	rr, ok := zp.Next()
	if !ok {
		return 0, false
	}
	soa, ok := rr.(*dns.SOA)
	if !ok {
		return 0, false
	}
	return soa.Serial, true
}

// WithSerial returns a zone file bindgate wrote with its SOA serial replaced.
func WithSerial(zone string, data []byte, serial uint32) ([]byte, error) {
	zp := dns.NewZoneParser(strings.NewReader(string(data)), dns.Fqdn(zone), "")
	zp.SetIncludeAllowed(false)
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		return nil, invalidf("the zone file does not parse: %s", quote.Short(err.Error()))
	}
	return FromRecords(zone, rrs, serial)
}
