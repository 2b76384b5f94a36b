package zonecopy

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// formatVersion is the "v" of every change record and the version on a snapshot's first line.
const formatVersion = 1

// frameHeader is a log record's length (4 bytes) and CRC-32C of the payload (4 bytes), both
// big-endian.
const frameHeader = 8

// maxRecord bounds a record's payload; a larger length field is damage, not data.
const maxRecord = 1 << 30

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// record is a change record's JSON payload. RRs are in presentation format, absolute names.
type record struct {
	V       int       `json:"v"`
	Seq     uint64    `json:"seq"`
	From    uint32    `json:"from"`
	To      uint32    `json:"to"`
	At      time.Time `json:"at"`
	Actors  []Actor   `json:"actors,omitempty"`
	SOA     string    `json:"soa"`
	Removed []string  `json:"removed,omitempty"`
	Added   []string  `json:"added,omitempty"`
	// Local marks a change applied ahead of named (Tx): if it is a log's last record at Open,
	// named may never have applied it (a crash between Write and Commit), so it is checked.
	Local bool `json:"local,omitempty"`
}

// entry is a retained change as the store keeps it in memory: its summary, its SOA and its
// record as framed on disk (decoded again on demand, and copied as is by compaction).
type entry struct {
	seq   uint64
	sum   Summary
	soa   *dns.SOA
	frame []byte
}

// frame encodes one change as a log record.
func frame(seq uint64, c Change, soa *dns.SOA, rem, add []item, local bool) ([]byte, error) {
	r := record{V: formatVersion, Seq: seq, From: c.From, To: c.To, At: c.At.UTC(), Actors: c.Actors, SOA: soa.String(), Local: local}
	for _, it := range rem {
		r.Removed = append(r.Removed, it.text())
	}
	for _, it := range add {
		r.Added = append(r.Added, it.text())
	}
	p, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, frameHeader+len(p))
	b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(p, castagnoli))
	return append(b, p...), nil
}

// errCorrupt marks damage inside a file (as opposed to a torn tail).
var errCorrupt = errors.New("corrupt")

// scanFrames splits a log into its records. It stops at a torn tail and returns the offset
// where the valid records end. A torn tail is what a crash during a write leaves: a record
// that does not check and after which no valid record starts (a damaged record followed by a
// valid one is corruption, and an error, whatever its length field says).
func scanFrames(b []byte) (frames [][]byte, end int, err error) {
	off := 0
	for off < len(b) {
		if n, ok := validFrame(b[off:]); ok {
			frames = append(frames, b[off:off+n])
			off += n
			continue
		}
		if validAfter(b, off) {
			return frames, off, fmt.Errorf("%w record at byte %d", errCorrupt, off)
		}
		return frames, off, nil
	}
	return frames, off, nil
}

// validFrame reports whether b starts with a whole record whose CRC checks, and its length.
func validFrame(b []byte) (int, bool) {
	if len(b) < frameHeader {
		return 0, false
	}
	n := int(binary.BigEndian.Uint32(b))
	if n == 0 || n > maxRecord || frameHeader+n > len(b) {
		return 0, false
	}
	return frameHeader + n, crc32.Checksum(b[frameHeader:frameHeader+n], castagnoli) == binary.BigEndian.Uint32(b[4:])
}

// payloadStart is how every record's JSON payload begins; it finds candidate records when
// looking past a damaged one.
var payloadStart = []byte(`{"v":1,"seq":`)

// validAfter reports whether a valid record starts anywhere after offset off.
func validAfter(b []byte, off int) bool {
	for p := off + 1; p < len(b); {
		i := bytes.Index(b[p:], payloadStart)
		if i < 0 {
			return false
		}
		start := p + i - frameHeader
		if start > off {
			if _, ok := validFrame(b[start:]); ok {
				return true
			}
		}
		p += i + 1
	}
	return false
}

// decode parses a frame's payload (its CRC already checked).
func decode(zone string, fr []byte) (record, Change, error) {
	var r record
	d := json.NewDecoder(bytes.NewReader(fr[frameHeader:]))
	d.DisallowUnknownFields()
	if err := d.Decode(&r); err != nil {
		return r, Change{}, fmt.Errorf("%w record: %v", errCorrupt, err)
	}
	if r.V != formatVersion {
		return r, Change{}, fmt.Errorf("%w record: format version %d, not %d", errCorrupt, r.V, formatVersion)
	}
	c := Change{From: r.From, To: r.To, At: r.At, Actors: r.Actors}
	rr, err := dns.NewRR(r.SOA)
	if err != nil {
		return r, c, fmt.Errorf("%w record: SOA: %v", errCorrupt, err)
	}
	soa, err := soaOf(zone, rr)
	if err != nil || soa.Serial != r.To {
		return r, c, fmt.Errorf("%w record: SOA is not the zone's at serial %d", errCorrupt, r.To)
	}
	c.SOA = soa
	for _, l := range []struct {
		in  []string
		out *[]dns.RR
	}{{r.Removed, &c.Removed}, {r.Added, &c.Added}} {
		for _, s := range l.in {
			rr, err := dns.NewRR(s)
			if err != nil || rr == nil {
				return r, c, fmt.Errorf("%w record: bad RR: %v", errCorrupt, err)
			}
			*l.out = append(*l.out, rr)
		}
	}
	return r, c, nil
}

// snapMagic starts a snapshot's header line.
const snapMagic = ";bindgate-zonecopy-snapshot"

// encodeSnapshot renders st in zone-file presentation format after a header line that carries
// what the zone file cannot: the zone, the change sequence number folded into the snapshot,
// the time of the state's last change and a CRC-32C of the body.
func encodeSnapshot(zone string, seq uint64, changed time.Time, st state) []byte {
	var body bytes.Buffer
	body.WriteString(st.soa.String())
	body.WriteByte('\n')
	for it := range st.rrs.all() {
		body.WriteString(it.text())
		body.WriteByte('\n')
	}
	h := fmt.Sprintf("%s v=%d zone=%s serial=%d seq=%d changed=%s crc32c=%08x\n", snapMagic, formatVersion,
		zone, st.soa.Serial, seq, changed.UTC().Format(time.RFC3339Nano), crc32.Checksum(body.Bytes(), castagnoli))
	return append([]byte(h), body.Bytes()...)
}

// decodeSnapshot parses a snapshot. Its errors never repeat the file's content.
func decodeSnapshot(zone string, b []byte) (seq uint64, changed time.Time, st state, err error) {
	bad := func(why string) error { return fmt.Errorf("%w snapshot: %s", errCorrupt, why) }
	line, body, ok := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if !ok || len(f) != 7 || f[0] != snapMagic {
		return 0, changed, st, bad("no header line")
	}
	kv := map[string]string{}
	for _, s := range f[1:] {
		k, v, _ := strings.Cut(s, "=")
		kv[k] = v
	}
	if kv["v"] != strconv.Itoa(formatVersion) {
		return 0, changed, st, bad("unknown format version " + kv["v"])
	}
	if kv["zone"] != zone {
		return 0, changed, st, bad("for another zone")
	}
	serial, err1 := strconv.ParseUint(kv["serial"], 10, 32)
	seq, err2 := strconv.ParseUint(kv["seq"], 10, 64)
	changed, err3 := time.Parse(time.RFC3339Nano, kv["changed"])
	sum, err4 := strconv.ParseUint(kv["crc32c"], 16, 32)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return 0, changed, st, bad("bad header field")
	}
	if crc32.Checksum(body, castagnoli) != uint32(sum) {
		return 0, changed, st, bad("checksum mismatch")
	}
	zp := dns.NewZoneParser(bytes.NewReader(body), zone+".", "snapshot")
	var its []item
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		if st.soa == nil {
			if st.soa, err = soaOf(zone, rr); err != nil || st.soa.Serial != uint32(serial) {
				return 0, changed, st, bad("does not start with the zone's SOA at its serial")
			}
			continue
		}
		if inZone(zone, rr) != nil || rr.Header().Rrtype == dns.TypeSOA {
			return 0, changed, st, bad("holds a record that does not belong")
		}
		its = append(its, canonical(rr))
	}
	if err := zp.Err(); err != nil {
		return 0, changed, st, bad("not a zone file: " + firstLine(err.Error()))
	}
	if st.soa == nil {
		return 0, changed, st, bad("no SOA")
	}
	st.rrs = newRecs(sortItems(its))
	return seq, changed, st, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}
