package zonefile

import (
	"errors"
	"strings"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/rrdata"
	"github.com/bindgate/bindgate/internal/zonename"
)

// ParseRecord turns one record into exactly one RR of a zone-file type (docs/contract.md §5, §12.3),
// with the record's TTL or defTTL, by rrdata.Parse. Errors are *InputError and name the field
// without the record index.
func ParseRecord(zone string, r Record, defTTL uint32) (dns.RR, error) {
	rr, err := rrdata.Parse(zone, rrdata.Record(r), defTTL, rrdata.ZoneFileTypes())
	return rr, fromRRData(err)
}

// fromRRData turns an *rrdata.InputError into this package's *InputError, so that it wraps
// ErrInvalid like every other input error here.
func fromRRData(err error) error {
	if ie, ok := errors.AsType[*rrdata.InputError](err); ok {
		return &InputError{Msg: ie.Msg}
	}
	return err
}

// ownerText is how a validated record name is written in the zone file: as given (docs/contract.md
// §7.2), except that an absolute name written without its trailing dot (docs/contract.md §12.2) gets
// one, since the zone parser would otherwise append the origin, and that a name with non-ASCII
// labels is written as owner, its punycode form.
func ownerText(zone, name, owner string) string {
	switch {
	case strings.ContainsFunc(name, func(c rune) bool { return c > 0x7f }):
		return owner
	case name != "@" && !strings.HasSuffix(name, ".") && zonename.InZone(name, zone):
		return name + "."
	}
	return name
}
