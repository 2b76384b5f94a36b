package zonefile

import (
	"errors"
	"strings"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/rrdata"
	"github.com/bindgate/bindgate/internal/zonename"
)

// Types are the record types a zone-create request may carry (CONTRACT §5), upper case.
func Types() []string { return rrdata.ZoneFileTypes() }

// OwnerName resolves a record name in zone (normalised) to an absolute, lower-case owner
// name by rrdata.OwnerASCII's rules (CONTRACT §12.2): names go into the zone file as
// written, so they must be ASCII ([fix] §18.18: owners match on label boundaries).
func OwnerName(zone, name string) (string, error) {
	o, err := rrdata.OwnerASCII(zone, name)
	return o, fromRRData(err)
}

// ownerText is how a validated record name is written in the zone file: as given, except that
// an absolute name written without its trailing dot (CONTRACT §12.2) gets one, since the zone
// parser would otherwise append the origin.
func ownerText(zone, name string) string {
	if name != "@" && !strings.HasSuffix(name, ".") && zonename.InZone(name, zone) {
		return name + "."
	}
	return name
}

// ParseRecord turns one record of a zone-create request into exactly one RR of its type
// (CONTRACT §5, §12.3), with the record's TTL or defTTL, by rrdata.Parse's rules restricted
// to the zone-file types; its owner must be ASCII (OwnerName). Errors are *InputError and
// name the field without the record index.
func ParseRecord(zone string, r Record, defTTL uint32) (dns.RR, error) {
	if _, err := OwnerName(zone, r.Name); err != nil {
		return nil, err
	}
	rr, err := rrdata.Parse(zone, rrdata.Record{Name: r.Name, Type: r.Type, Value: r.Value, TTL: r.TTL, Priority: r.Priority},
		defTTL, rrdata.ZoneFileTypes())
	return rr, fromRRData(err)
}

// fromRRData turns an rrdata validation error into this package's InputError.
func fromRRData(err error) error {
	if ie, ok := errors.AsType[*rrdata.InputError](err); ok {
		return &InputError{Msg: ie.Msg}
	}
	return err
}
