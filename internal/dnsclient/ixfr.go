package dnsclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/miekg/dns"
)

// Delta is one serial step of an incremental transfer (RFC 1995 §4): the records deleted
// and added between serial From and serial To, SOA records excluded. SOA is the zone's SOA at
// To.
type Delta struct {
	From, To       uint32
	SOA            *dns.SOA
	Removed, Added []dns.RR
}

// IXFRResult is named's answer to an IXFR. Exactly one of three cases holds:
//
//   - Full != nil: named answered AXFR-style (RFC 1995 §4: its journal does not reach back
//     to the serial asked for, or the differences would be larger than the zone,
//     max-ixfr-ratio); Full is the whole zone, the SOA first, without the closing SOA.
//   - len(Deltas) > 0: the differences, oldest first; the first starts at the serial asked
//     for and the last ends at Serial.
//   - neither: named holds nothing newer than the serial asked for (a lone SOA, §4). Serial
//     is then named's serial, which differs from the one asked for when named's zone went
//     back (a zone re-created with a lower serial).
type IXFRResult struct {
	Serial uint32
	Full   []dns.RR
	Deltas []Delta
}

// IXFR asks named for zone's changes since serial (RFC 1995) by TSIG-signed IXFR over a new
// TCP connection (never UDP: the answer is usually larger than a datagram, §2). The whole
// transfer is bounded like Transfer's. Errors are as Transfer's (Op "ixfr"); an answer that
// does not follow RFC 1995's layout is ErrProtocol.
func (c *Client) IXFR(ctx context.Context, zone string, serial uint32) (res IXFRResult, err error) {
	defer c.observe(opIXFR, time.Now(), &err)
	zone = dns.Fqdn(zone)
	q := new(dns.Msg)
	// The SOA in the authority section carries the serial we hold; named reads only the serial
	// (§3), so the other fields are placeholders.
	q.SetIxfr(zone, serial, ".", ".")
	rrs, err := c.xfr(ctx, opIXFR, zone, q)
	if err != nil {
		return IXFRResult{}, err
	}
	res, perr := parseIXFR(serial, rrs)
	if perr != nil {
		return IXFRResult{}, &Error{Op: opIXFR, Zone: zone, Key: c.cfg.Key().Name, Rcode: -1, Kind: ErrProtocol, Err: perr}
	}
	return res, nil
}

// parseIXFR reads an IXFR answer's records (RFC 1995 §4), asked from serial `from`.
func parseIXFR(from uint32, rrs []dns.RR) (IXFRResult, error) {
	if len(rrs) == 0 {
		return IXFRResult{}, errors.New("empty IXFR answer")
	}
	last, ok := rrs[0].(*dns.SOA)
	if !ok {
		return IXFRResult{}, errors.New("IXFR answer does not start with the SOA")
	}
	res := IXFRResult{Serial: last.Serial}
	if len(rrs) == 1 {
		return res, nil // up to date
	}
	second, isSOA := rrs[1].(*dns.SOA)
	if !isSOA || len(rrs) == 2 && second.Serial == last.Serial {
		// AXFR-style: SOA, the data, SOA (a zone of its SOA alone is SOA, SOA).
		end := len(rrs)
		if s, ok := rrs[end-1].(*dns.SOA); ok && s.Serial == last.Serial && end > 1 {
			end--
		} else {
			return IXFRResult{}, errors.New("AXFR-style IXFR answer does not end with the SOA")
		}
		res.Full = rrs[:end]
		return res, nil
	}
	if second.Serial != from {
		return IXFRResult{}, fmt.Errorf("IXFR answer starts at serial %d, not at %d as asked", second.Serial, from)
	}
	// Incremental: (SOA old, deleted…, SOA new, added…)+, then the closing SOA.
	i := 1
	for {
		if i == len(rrs)-1 {
			closing, ok := rrs[i].(*dns.SOA)
			if !ok || closing.Serial != last.Serial {
				return IXFRResult{}, errors.New("IXFR answer does not end with the current SOA")
			}
			break
		}
		old, ok := rrs[i].(*dns.SOA)
		if !ok {
			return IXFRResult{}, errors.New("IXFR difference sequence does not start with an SOA")
		}
		d := Delta{From: old.Serial}
		i++
		for i < len(rrs) && rrs[i].Header().Rrtype != dns.TypeSOA {
			d.Removed = append(d.Removed, rrs[i])
			i++
		}
		if i >= len(rrs) {
			return IXFRResult{}, errors.New("IXFR difference sequence has no new SOA")
		}
		d.SOA = rrs[i].(*dns.SOA)
		d.To = d.SOA.Serial
		i++
		for i < len(rrs) && rrs[i].Header().Rrtype != dns.TypeSOA {
			d.Added = append(d.Added, rrs[i])
			i++
		}
		if i >= len(rrs) {
			return IXFRResult{}, errors.New("IXFR answer has no closing SOA")
		}
		if n := len(res.Deltas); n > 0 && res.Deltas[n-1].To != d.From {
			return IXFRResult{}, fmt.Errorf("IXFR differences do not chain: %d then %d", res.Deltas[n-1].To, d.From)
		}
		res.Deltas = append(res.Deltas, d)
	}
	if res.Deltas[len(res.Deltas)-1].To != last.Serial {
		return IXFRResult{}, errors.New("IXFR differences do not end at the current serial")
	}
	return res, nil
}
