package dnsclienttest

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// Zone is a dns.Handler that serves one zone from memory like an authoritative server:
// queries (ANY included), AXFR (every message signed, RFC 8945 §5.3.1), IXFR from a journal of
// its changes (RFC 1995) and RFC 2136 UPDATEs,
// which it checks and applies as RFC 2136 §3 says. It records every message it receives, so a
// test asserts on what was sent, and a script (Script) can answer any message otherwise:
// REFUSED, NOTAUTH with BADSIG, SERVFAIL, a dropped connection, or a concurrent change made
// just before the message is processed. Its methods are safe for concurrent use.
type Zone struct {
	origin string // absolute, lower case
	// PerMessage is the number of RRs per AXFR message; 0 sends the whole zone in one.
	PerMessage int

	mu      sync.Mutex
	rrs     []dns.RR // the SOA first
	msgs    []*dns.Msg
	script  func(*dns.Msg) Answer
	journal []step // every change since NewZone or ForgetJournal, oldest first
}

// step is one journalled change, served by IXFR (RFC 1995).
type step struct {
	from, to *dns.SOA
	rem, add []dns.RR
}

// Answer is a scripted reply. The zero Answer processes the message normally.
type Answer struct {
	Rcode     int    // non-zero: answer this rcode and change nothing
	TSIGError uint16 // non-zero: the reply's TSIG carries this error (and no MAC)
	Unsigned  bool   // the reply carries no TSIG
	Drop      bool   // close the connection without a reply
}

// NewZone returns a zone named origin holding records (master-file lines, names absolute);
// the first must be the SOA.
func NewZone(t testing.TB, origin string, records ...string) *Zone {
	t.Helper()
	z := &Zone{origin: dns.CanonicalName(origin)}
	for _, s := range records {
		rr, err := dns.NewRR(s)
		if err != nil {
			t.Fatalf("dnsclienttest: %q: %v", s, err)
		}
		z.rrs = append(z.rrs, rr)
	}
	if len(z.rrs) == 0 || z.rrs[0].Header().Rrtype != dns.TypeSOA {
		t.Fatal("dnsclienttest: a zone starts with its SOA")
	}
	return z
}

// Script makes f choose the answer to every message from now on (nil: process normally). f
// runs outside the zone's lock, so it may call Add or Remove to simulate another writer.
func (z *Zone) Script(f func(r *dns.Msg) Answer) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.script = f
}

// Messages returns copies of every message received so far, in order.
func (z *Zone) Messages() []*dns.Msg {
	z.mu.Lock()
	defer z.mu.Unlock()
	return slices.Clone(z.msgs)
}

// Updates returns copies of the UPDATE messages received so far, in order.
func (z *Zone) Updates() []*dns.Msg {
	var out []*dns.Msg
	for _, m := range z.Messages() {
		if m.Opcode == dns.OpcodeUpdate {
			out = append(out, m)
		}
	}
	return out
}

// Serial is the SOA serial now.
func (z *Zone) Serial() uint32 {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.rrs[0].(*dns.SOA).Serial
}

// Records returns the zone's data as sorted one-line master-file records.
func (z *Zone) Records() []string {
	z.mu.Lock()
	defer z.mu.Unlock()
	out := make([]string, len(z.rrs))
	for i, rr := range z.rrs {
		out[i] = Line(rr)
	}
	slices.Sort(out)
	return out
}

// Add adds records (master-file lines) and bumps the serial, as another writer would.
func (z *Zone) Add(t testing.TB, records ...string) {
	t.Helper()
	z.mu.Lock()
	defer z.mu.Unlock()
	before := z.snapshot()
	for _, s := range records {
		rr, err := dns.NewRR(s)
		if err != nil {
			t.Fatalf("dnsclienttest: %q: %v", s, err)
		}
		z.rrs = append(z.rrs, rr)
	}
	z.bump(before, nil)
}

// Reload replaces the zone's data with records (master-file lines, the SOA first) without
// journalling a change, as named loads an edited zone file: the serial is the new SOA's, the
// same as before when the file's editor did not raise it.
func (z *Zone) Reload(t testing.TB, records ...string) {
	t.Helper()
	n := NewZone(t, z.origin, records...)
	z.mu.Lock()
	defer z.mu.Unlock()
	z.rrs = n.rrs
}

// ForgetJournal drops the change history, so the next IXFR from an older serial is answered
// AXFR-style, as named does when its journal no longer reaches back that far.
func (z *Zone) ForgetJournal() {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.journal = nil
}

// snapshot copies the zone's records (z.mu held).
func (z *Zone) snapshot() []dns.RR {
	out := make([]dns.RR, len(z.rrs))
	for i, rr := range z.rrs {
		out[i] = dns.Copy(rr)
	}
	return out
}

// bump moves the serial (to soa's, an SOA the update set, else up by one) and journals the
// change from before (z.mu held).
func (z *Zone) bump(before []dns.RR, soa *dns.SOA) {
	z.rrs[0] = dns.Copy(z.rrs[0])
	if soa != nil {
		z.rrs[0].(*dns.SOA).Serial = soa.Serial
	} else {
		z.rrs[0].(*dns.SOA).Serial++
	}
	st := step{from: before[0].(*dns.SOA), to: dns.Copy(z.rrs[0]).(*dns.SOA)}
	has := func(list []dns.RR, rr dns.RR) bool {
		return slices.ContainsFunc(list, func(o dns.RR) bool { return Line(o) == Line(rr) })
	}
	for _, rr := range before[1:] {
		if !has(z.rrs[1:], rr) {
			st.rem = append(st.rem, rr)
		}
	}
	for _, rr := range z.rrs[1:] {
		if !has(before[1:], rr) {
			st.add = append(st.add, dns.Copy(rr))
		}
	}
	z.journal = append(z.journal, st)
}

// Line is rr on one line with single spaces, for comparisons. A record of class ANY or NONE
// received without data (an RFC 2136 prerequisite or RRset deletion) is its header only:
// miekg/dns would print the zero value of the type's data.
func Line(rr dns.RR) string {
	h := rr.Header()
	text := rr.String()
	if (h.Class == dns.ClassANY || h.Class == dns.ClassNONE) && h.Rdlength == 0 {
		text = h.String()
	}
	return strings.Join(strings.Fields(text), " ")
}

// ServeDNS implements dns.Handler.
func (z *Zone) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	z.mu.Lock()
	z.msgs = append(z.msgs, r.Copy())
	script := z.script
	z.mu.Unlock()
	if w.TsigStatus() != nil { // RFC 8945 §5.2.2: NOTAUTH, TSIG error BADSIG, no MAC
		Reply(w, r, dns.RcodeNotAuth, SignTSIGErr, dns.RcodeBadSig)
		return
	}
	var a Answer
	if script != nil {
		a = script(r)
	}
	signing := SignOK
	switch {
	case a.Drop:
		_ = w.Close()
		return
	case a.Unsigned:
		signing = SignNone
	case a.TSIGError != 0:
		signing = SignTSIGErr
	}
	if a.Rcode != 0 || len(r.Question) != 1 {
		rc := a.Rcode
		if rc == 0 {
			rc = dns.RcodeFormatError
		}
		Reply(w, r, rc, signing, a.TSIGError)
		return
	}
	if r.Opcode == dns.OpcodeUpdate {
		Reply(w, r, z.update(r), signing, a.TSIGError)
		return
	}
	if r.Question[0].Qtype == dns.TypeAXFR {
		z.transfer(w, r, nil)
		return
	}
	if r.Question[0].Qtype == dns.TypeIXFR {
		z.ixfr(w, r)
		return
	}
	m := z.query(r)
	Sign(m, r, signing, a.TSIGError)
	_ = w.WriteMsg(m)
}

// query answers r from the zone.
func (z *Zone) query(r *dns.Msg) *dns.Msg {
	q := r.Question[0]
	m := new(dns.Msg)
	m.SetReply(r)
	if !dns.IsSubDomain(z.origin, dns.CanonicalName(q.Name)) {
		m.Rcode = dns.RcodeRefused
		return m
	}
	m.Authoritative = true
	z.mu.Lock()
	defer z.mu.Unlock()
	found := false
	for _, rr := range z.rrs {
		h := rr.Header()
		if strings.EqualFold(h.Name, q.Name) {
			found = true
			if q.Qtype == dns.TypeANY || h.Rrtype == q.Qtype {
				m.Answer = append(m.Answer, dns.Copy(rr))
			}
		}
	}
	if !found {
		m.Rcode = dns.RcodeNameError
	}
	if len(m.Answer) == 0 {
		m.Ns = []dns.RR{dns.Copy(z.rrs[0])}
	}
	return m
}

// ixfr serves IXFR (RFC 1995 §4): a lone SOA when the client is up to date, the journalled
// differences when they reach back to the client's serial, else the whole zone AXFR-style.
func (z *Zone) ixfr(w dns.ResponseWriter, r *dns.Msg) {
	if !strings.EqualFold(r.Question[0].Name, z.origin) || len(r.Ns) != 1 {
		Reply(w, r, dns.RcodeNotAuth, SignOK, 0)
		return
	}
	have, ok := r.Ns[0].(*dns.SOA)
	if !ok {
		Reply(w, r, dns.RcodeFormatError, SignOK, 0)
		return
	}
	z.mu.Lock()
	cur := dns.Copy(z.rrs[0])
	if have.Serial == cur.(*dns.SOA).Serial {
		z.mu.Unlock()
		z.transfer(w, r, []dns.RR{cur})
		return
	}
	start := slices.IndexFunc(z.journal, func(s step) bool { return s.from.Serial == have.Serial })
	if start < 0 {
		z.mu.Unlock()
		z.transfer(w, r, nil)
		return
	}
	all := []dns.RR{cur}
	for _, s := range z.journal[start:] {
		all = append(all, dns.Copy(s.from))
		all = append(all, s.rem...)
		all = append(all, dns.Copy(s.to))
		all = append(all, s.add...)
	}
	all = append(all, dns.Copy(cur))
	z.mu.Unlock()
	z.transfer(w, r, all)
}

// transfer serves AXFR: the SOA, the data, the SOA again (RFC 5936 §2.2); or, when all is
// set, exactly those records (an IXFR answer).
func (z *Zone) transfer(w dns.ResponseWriter, r *dns.Msg, all []dns.RR) {
	if !strings.EqualFold(r.Question[0].Name, z.origin) {
		Reply(w, r, dns.RcodeNotAuth, SignOK, 0)
		return
	}
	if all == nil {
		z.mu.Lock()
		all = make([]dns.RR, 0, len(z.rrs)+1)
		for _, rr := range z.rrs {
			all = append(all, dns.Copy(rr))
		}
		all = append(all, dns.Copy(z.rrs[0]))
		z.mu.Unlock()
	}
	per := z.PerMessage
	if per <= 0 {
		per = len(all)
	}
	ch := make(chan *dns.Envelope)
	done := make(chan error, 1)
	go func() { done <- new(dns.Transfer).Out(w, r, ch) }()
	for i := 0; i < len(all); i += per {
		ch <- &dns.Envelope{RR: all[i:min(i+per, len(all))]}
	}
	close(ch)
	<-done
}

// update checks and applies an UPDATE (RFC 2136 §3) and returns the rcode to answer.
func (z *Zone) update(r *dns.Msg) int {
	if !strings.EqualFold(r.Question[0].Name, z.origin) || r.Question[0].Qtype != dns.TypeSOA {
		return dns.RcodeNotAuth
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	for _, rr := range append(slices.Clone(r.Answer), r.Ns...) {
		if !dns.IsSubDomain(z.origin, dns.CanonicalName(rr.Header().Name)) {
			return dns.RcodeNotZone // §3.2.1, §3.4.1.3
		}
	}
	if rc := z.prerequisites(r.Answer); rc != dns.RcodeSuccess {
		return rc
	}
	changed := false
	before := z.snapshot()
	var soa *dns.SOA // an SOA the update sets (named keeps it when its serial is greater)
	for _, u := range r.Ns {
		if s, ok := u.(*dns.SOA); ok && u.Header().Class == dns.ClassINET {
			if cur := z.rrs[0].(*dns.SOA); s.Serial != cur.Serial && s.Serial-cur.Serial < 1<<31 {
				soa = s
			}
			continue
		}
		changed = z.apply(u) || changed
	}
	if changed || soa != nil {
		z.bump(before, soa) // §3.6
	}
	return dns.RcodeSuccess
}

// prerequisites checks the prerequisite section (RFC 2136 §3.2; z.mu held).
func (z *Zone) prerequisites(pre []dns.RR) int {
	valueSets := map[[2]string][]dns.RR{} // §3.2.3: value-dependent RRsets, compared whole
	for _, p := range pre {
		h := p.Header()
		switch {
		case h.Class == dns.ClassANY && h.Rrtype == dns.TypeANY:
			if !z.inUse(h.Name) {
				return dns.RcodeNameError
			}
		case h.Class == dns.ClassANY:
			if len(z.rrset(h.Name, h.Rrtype)) == 0 {
				return dns.RcodeNXRrset
			}
		case h.Class == dns.ClassNONE && h.Rrtype == dns.TypeANY:
			if z.inUse(h.Name) {
				return dns.RcodeYXDomain
			}
		case h.Class == dns.ClassNONE:
			if len(z.rrset(h.Name, h.Rrtype)) > 0 {
				return dns.RcodeYXRrset
			}
		case h.Class == dns.ClassINET:
			k := [2]string{dns.CanonicalName(h.Name), dns.TypeToString[h.Rrtype]}
			valueSets[k] = append(valueSets[k], p)
		default:
			return dns.RcodeFormatError
		}
	}
	for _, want := range valueSets {
		h := want[0].Header()
		have := z.rrset(h.Name, h.Rrtype)
		if len(have) != len(want) || slices.ContainsFunc(want, func(w dns.RR) bool { return !containsData(have, w) }) {
			return dns.RcodeNXRrset
		}
	}
	return dns.RcodeSuccess
}

// apply makes one change of the update section (RFC 2136 §3.4.2; z.mu held) and reports
// whether the zone changed. Like named, it ignores a CNAME added beside other data and other
// data added beside a CNAME, and never deletes the apex SOA or NS RRsets.
func (z *Zone) apply(u dns.RR) bool {
	h := u.Header()
	apex := strings.EqualFold(h.Name, z.origin)
	protected := func(rr dns.RR) bool {
		t := rr.Header().Rrtype
		return apex && (t == dns.TypeSOA || t == dns.TypeNS)
	}
	switch h.Class {
	case dns.ClassINET:
		if h.Rrtype == dns.TypeSOA {
			return false
		}
		for _, rr := range z.rrs {
			if strings.EqualFold(rr.Header().Name, h.Name) && (rr.Header().Rrtype == dns.TypeCNAME) != (h.Rrtype == dns.TypeCNAME) {
				return false
			}
		}
		if containsData(z.rrset(h.Name, h.Rrtype), u) {
			return false
		}
		z.rrs = append(z.rrs, dns.Copy(u))
		return true
	case dns.ClassANY:
		return z.remove(func(rr dns.RR) bool {
			return strings.EqualFold(rr.Header().Name, h.Name) && (h.Rrtype == dns.TypeANY || rr.Header().Rrtype == h.Rrtype) && !protected(rr)
		})
	case dns.ClassNONE:
		if h.Rrtype == dns.TypeSOA || apex && h.Rrtype == dns.TypeNS && len(z.rrset(h.Name, dns.TypeNS)) == 1 {
			return false
		}
		return z.remove(func(rr dns.RR) bool { return sameData(rr, u) })
	}
	return false
}

func (z *Zone) remove(match func(dns.RR) bool) bool {
	n := len(z.rrs)
	z.rrs = slices.DeleteFunc(z.rrs, match)
	return len(z.rrs) != n
}

// inUse reports whether name owns any record (z.mu held).
func (z *Zone) inUse(name string) bool {
	return slices.ContainsFunc(z.rrs, func(rr dns.RR) bool { return strings.EqualFold(rr.Header().Name, name) })
}

// rrset returns the records at name of type t (z.mu held).
func (z *Zone) rrset(name string, t uint16) []dns.RR {
	var out []dns.RR
	for _, rr := range z.rrs {
		if strings.EqualFold(rr.Header().Name, name) && rr.Header().Rrtype == t {
			out = append(out, rr)
		}
	}
	return out
}

// sameData compares owner, type and data, not class or TTL.
func sameData(a, b dns.RR) bool {
	a, b = dns.Copy(a), dns.Copy(b)
	for _, h := range []*dns.RR_Header{a.Header(), b.Header()} {
		h.Class, h.Ttl = dns.ClassINET, 0
	}
	return dns.IsDuplicate(a, b)
}

func containsData(list []dns.RR, rr dns.RR) bool {
	return slices.ContainsFunc(list, func(o dns.RR) bool { return sameData(o, rr) })
}
