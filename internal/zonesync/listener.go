package zonesync

import (
	"crypto/hmac"
	"encoding/hex"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/zonename"
)

// listen binds addr over UDP and TCP (the same port) and prepares the servers; Start serves.
func (s *Syncer) listen(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("zonesync: NOTIFY address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("zonesync: NOTIFY address %q is not a loopback address", addr)
	}
	// With port 0 (tests) UDP picks a port and TCP takes the same one, which another TCP
	// socket may already hold: try a few ports.
	_, port, _ := net.SplitHostPort(addr)
	for attempt := 0; ; attempt++ {
		s.udp, err = net.ListenPacket("udp", addr)
		if err != nil {
			return fmt.Errorf("zonesync: NOTIFY listener: %w", err)
		}
		s.tcp, err = net.Listen("tcp", s.udp.LocalAddr().String())
		if err == nil {
			break
		}
		_ = s.udp.Close()
		if port != "0" || attempt == 9 {
			return fmt.Errorf("zonesync: NOTIFY listener: %w", err)
		}
	}
	p := provider{s.cfg.Key}
	h := dns.HandlerFunc(s.serveNotify)
	s.srvs = []*dns.Server{
		{PacketConn: s.udp, Handler: h, TsigProvider: p, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second},
		{Listener: s.tcp, Handler: h, TsigProvider: p, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second,
			IdleTimeout: func() time.Duration { return 5 * time.Second }},
	}
	return nil
}

// serveNotify answers a NOTIFY (RFC 1996 §3.7: a reply with the same id, opcode and
// question) and queues its zone. Only a NOTIFY signed with bindgate's key for a zone bindgate
// manages is accepted: unsigned ones and ones for other zones are REFUSED, a bad signature is
// NOTAUTH (RFC 8945 §5.2; unsigned, since we cannot sign with a key we do not share).
func (s *Syncer) serveNotify(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	t := r.IsTsig()
	switch {
	case r.Opcode != dns.OpcodeNotify:
		m.Rcode = dns.RcodeNotImplemented
		t = nil
	case t == nil:
		m.Rcode = dns.RcodeRefused
	case w.TsigStatus() != nil:
		m.Rcode = dns.RcodeNotAuth
		t = nil
	case len(r.Question) != 1 || r.Question[0].Qtype != dns.TypeSOA:
		m.Rcode = dns.RcodeFormatError
	default:
		zone, err := zonename.Normalize(r.Question[0].Name)
		if err != nil || !s.cfg.Managed(zone) {
			m.Rcode = dns.RcodeRefused
			break
		}
		serial, hinted := announced(r, zone)
		s.enqueue(zone, serial, hinted)
	}
	if t != nil {
		m.SetTsig(t.Hdr.Name, t.Algorithm, 300, time.Now().Unix())
	}
	_ = w.WriteMsg(m)
}

// announced returns the serial in a NOTIFY's answer section (RFC 1996 §3.7: the SOA the
// primary now serves, which named includes), if it carries the zone's SOA.
func announced(r *dns.Msg, zone string) (uint32, bool) {
	for _, rr := range r.Answer {
		if soa, ok := rr.(*dns.SOA); ok {
			if z, err := zonename.Normalize(soa.Hdr.Name); err == nil && z == zone {
				return soa.Serial, true
			}
		}
	}
	return 0, false
}

// provider is the dns.TsigProvider of the listener: bindgate's current key, nothing else.
type provider struct{ key func() bindkey.Key }

// check returns the key when t names it and its algorithm.
func (p provider) check(t *dns.TSIG) (bindkey.Key, error) {
	k := p.key()
	if k.Name == "" || !strings.EqualFold(dns.Fqdn(t.Hdr.Name), dns.Fqdn(k.Name)) {
		return bindkey.Key{}, dns.ErrSecret
	}
	if !strings.EqualFold(dns.CanonicalName(t.Algorithm), k.Algorithm.TSIGName()) {
		return bindkey.Key{}, dns.ErrKeyAlg
	}
	return k, nil
}

// Generate implements dns.TsigProvider.
func (p provider) Generate(msg []byte, t *dns.TSIG) ([]byte, error) {
	k, err := p.check(t)
	if err != nil {
		return nil, err
	}
	return k.MAC(msg), nil
}

// Verify implements dns.TsigProvider, in constant time.
func (p provider) Verify(msg []byte, t *dns.TSIG) error {
	k, err := p.check(t)
	if err != nil {
		return err
	}
	mac, err := hex.DecodeString(t.MAC)
	if err != nil || !hmac.Equal(k.MAC(msg), mac) {
		return dns.ErrSig
	}
	return nil
}
