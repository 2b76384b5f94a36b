package dnsclient

import (
	"crypto/hmac"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/bindkey"
)

// fudge is the TSIG time fudge of our requests, RFC 8945 §10's recommended 300 s.
const fudge = 300

// signer is the dns.TsigProvider for one exchange: it signs and verifies with one key only, and
// remembers the MAC of the request it signed (the request MAC a reply's MAC covers). It is
// used by one goroutine at a time. Its key redacts itself when formatted.
type signer struct {
	key    bindkey.Key
	name   string // owner name: the key name, lower case, fully qualified
	reqMAC []byte // the MAC Generate made last
}

func newSigner(key bindkey.Key) *signer {
	return &signer{key: key, name: dns.Fqdn(strings.ToLower(key.Name))}
}

// sign appends a fresh TSIG stub to m; miekg/dns fills in the MAC when the message is written.
func (s *signer) sign(m *dns.Msg) {
	m.SetTsig(s.name, s.key.Algorithm.TSIGName(), fudge, time.Now().Unix())
}

// check refuses a TSIG record made with another key or algorithm.
func (s *signer) check(t *dns.TSIG) error {
	if !strings.EqualFold(t.Hdr.Name, s.name) {
		return dns.ErrSecret
	}
	if !strings.EqualFold(dns.CanonicalName(t.Algorithm), s.key.Algorithm.TSIGName()) {
		return dns.ErrKeyAlg
	}
	return nil
}

// Generate implements dns.TsigProvider.
func (s *signer) Generate(msg []byte, t *dns.TSIG) ([]byte, error) {
	if err := s.check(t); err != nil {
		return nil, err
	}
	mac := s.key.MAC(msg)
	s.reqMAC = mac
	return mac, nil
}

// Verify implements dns.TsigProvider, in constant time.
func (s *signer) Verify(msg []byte, t *dns.TSIG) error {
	if err := s.check(t); err != nil {
		return err
	}
	mac, err := hex.DecodeString(t.MAC)
	if err != nil || !hmac.Equal(s.key.MAC(msg), mac) {
		return dns.ErrSig
	}
	return nil
}

// verifyRaw verifies the TSIG of msg, a complete reply in wire format, against the request
// this signer signed (RFC 8945 §4.3). It exists for NOTAUTH replies: miekg/dns refuses to
// verify any message with that rcode (stripTsig returns ErrAuth), yet named signs a NOTAUTH
// that is not about TSIG (an update for a zone it does not serve) like any other reply.
func (s *signer) verifyRaw(msg []byte, now time.Time) error {
	if len(msg) < 12 {
		return dns.ErrShortRead
	}
	qd := int(binary.BigEndian.Uint16(msg[4:]))
	rrs := int(binary.BigEndian.Uint16(msg[6:])) + int(binary.BigEndian.Uint16(msg[8:]))
	ar := int(binary.BigEndian.Uint16(msg[10:]))
	if ar == 0 {
		return dns.ErrNoSig
	}
	off := 12
	var err error
	for range qd {
		if _, off, err = dns.UnpackDomainName(msg, off); err != nil {
			return err
		}
		if off += 4; off > len(msg) { // QTYPE, QCLASS
			return dns.ErrShortRead
		}
	}
	for range rrs + ar - 1 {
		if _, off, err = dns.UnpackRR(msg, off); err != nil {
			return err
		}
	}
	tsigOff := off
	rr, end, err := dns.UnpackRR(msg, off)
	if err != nil {
		return err
	}
	t, ok := rr.(*dns.TSIG)
	if !ok || end != len(msg) {
		return dns.ErrNoSig
	}
	if err := s.check(t); err != nil {
		return err
	}
	mac, err := hex.DecodeString(t.MAC)
	if err != nil {
		return dns.ErrSig
	}
	other, err := hex.DecodeString(t.OtherData)
	if err != nil {
		return dns.ErrSig
	}

	// Digest components (RFC 8945 §4.3.3): request MAC, the message without its TSIG (ARCOUNT
	// one less, ID the original ID), then the TSIG variables in canonical form. Without a
	// request MAC (never the case for a reply to our signed request) nothing is prepended, as
	// in miekg/dns.
	var buf []byte
	if len(s.reqMAC) > 0 {
		buf = binary.BigEndian.AppendUint16(buf, uint16(len(s.reqMAC)))
		buf = append(buf, s.reqMAC...)
	}
	stripped := len(buf)
	buf = append(buf, msg[:tsigOff]...)
	binary.BigEndian.PutUint16(buf[stripped:], t.OrigId)
	binary.BigEndian.PutUint16(buf[stripped+10:], uint16(ar-1))
	if buf, err = appendName(buf, t.Hdr.Name); err != nil {
		return err
	}
	buf = binary.BigEndian.AppendUint16(buf, dns.ClassANY)
	buf = binary.BigEndian.AppendUint32(buf, 0) // TTL
	if buf, err = appendName(buf, t.Algorithm); err != nil {
		return err
	}
	buf = append(buf, byte(t.TimeSigned>>40), byte(t.TimeSigned>>32), byte(t.TimeSigned>>24),
		byte(t.TimeSigned>>16), byte(t.TimeSigned>>8), byte(t.TimeSigned))
	buf = binary.BigEndian.AppendUint16(buf, t.Fudge)
	buf = binary.BigEndian.AppendUint16(buf, t.Error)
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(other)))
	buf = append(buf, other...)
	if !hmac.Equal(s.key.MAC(buf), mac) {
		return dns.ErrSig
	}
	// Time is checked after the MAC, as in miekg/dns (CVE-2017-3142/3143).
	signed := time.Unix(int64(t.TimeSigned), 0)
	if d := now.Sub(signed).Abs(); d > time.Duration(t.Fudge)*time.Second {
		return dns.ErrTime
	}
	return nil
}

// appendName appends name in canonical wire form: lower case, uncompressed.
func appendName(buf []byte, name string) ([]byte, error) {
	b := make([]byte, 256)
	n, err := dns.PackDomainName(dns.CanonicalName(name), b, 0, nil, false)
	if err != nil {
		return buf, err
	}
	return append(buf, b[:n]...), nil
}
