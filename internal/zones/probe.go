package zones

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bindgate/bindgate/internal/dnsclient"
)

// Prober asks named over DNS, not over its control channel, for a zone's apex SOA serial;
// *dnsclient.Client implements it. Its errors are dnsclient errors: ErrNotZone when named does not serve
// the zone (REFUSED, NOTAUTH, or no SOA at the name), ErrServFail when named has the zone
// configured but no data for it.
type Prober interface {
	Serial(ctx context.Context, zone string) (uint32, error)
}

// ProbeWorkers is how many SOA queries a listing or a reconcile has in flight at once. The
// DNS client should keep as many idle connections, so that a pass reuses them instead of
// dialling one per query.
const ProbeWorkers = 64

// serving is what one SOA query says about a zone.
type serving uint8

const (
	served    serving = iota // answers its SOA
	notLoaded                // SERVFAIL: configured, but no data (a secondary before its first transfer, a primary whose file failed)
	notServed                // REFUSED, NOTAUTH or no SOA: named does not have the zone
)

// probe asks named for the SOA of every zone, ProbeWorkers at a time: named's control channel
// slows down with every message it receives (see package rndc), its DNS listener does not. An
// error stops the pass: named unreachable, timing out, or refusing bindgate's TSIG key.
func (s *Service) probe(ctx context.Context, zs []string) ([]serving, error) {
	out := make([]serving, len(zs))
	idx := make([]int, len(zs))
	for i := range idx {
		idx[i] = i
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	err := parallel(idx, ProbeWorkers, func(i int) error {
		if ctx.Err() != nil {
			return nil // an earlier zone failed; parallel keeps the first error
		}
		serial, err := s.dns.Serial(ctx, zs[i])
		switch {
		case err == nil:
			out[i] = served
			s.noteSerial(zs[i], serial)
		case errors.Is(err, dnsclient.ErrServFail):
			out[i] = notLoaded
		case errors.Is(err, dnsclient.ErrNotZone), errors.Is(err, dnsclient.ErrRefused), errors.Is(err, dnsclient.ErrNotAuth):
			out[i] = notServed
		default:
			cancel()
			return probeErr(zs[i], err)
		}
		s.noteProbe(zs[i], out[i])
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// probeErr wraps a failed SOA query like bindErr wraps rndc failures: named down, slow or
// rejecting the key is ErrUnavailable (503), anything else is internal.
func probeErr(zone string, err error) error {
	if dnsclient.Transient(err) || errors.Is(err, dnsclient.ErrTSIG) || errors.Is(err, dnsclient.ErrClosed) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("%w: SOA query %s: %w", ErrUnavailable, zone, err)
	}
	return fmt.Errorf("SOA query %s: %w", zone, err)
}

// listFresh is how long a listing trusts what the last SOA query of a zone said (issue 13: a
// listing at 10,000 zones was 10,000 queries, 0.8-2.4 s). Within it a zone deleted behind
// bindgate's back (rndc by hand) may still be listed; bindgate's own creates and deletes, and a
// restart of named, update the record at once.
const listFresh = 30 * time.Second

func (s *Service) noteProbe(z string, st serving) {
	s.seenMu.Lock()
	h := s.heard[z]
	h.state, h.probedAt = st, s.now().UnixNano()
	s.heard[z] = h
	s.seenMu.Unlock()
}

// forgetProbe drops zone z's recorded probe (it was just added to named: ask again).
func (s *Service) forgetProbe(z string) {
	s.seenMu.Lock()
	if h, ok := s.heard[z]; ok {
		h.probedAt = 0
		s.setHeard(z, h)
	}
	s.seenMu.Unlock()
}

// forgetProbes drops every recorded probe (named restarted: what it serves must be asked again).
func (s *Service) forgetProbes() {
	s.seenMu.Lock()
	for z, h := range s.heard {
		h.probedAt = 0
		s.setHeard(z, h)
	}
	s.seenMu.Unlock()
}

// setHeard stores h as z's, or drops z's entry when h holds nothing (s.seenMu held).
func (s *Service) setHeard(z string, h heard) {
	if h.forgotten() {
		delete(s.heard, z)
		return
	}
	s.heard[z] = h
}

// probeFresh is probe answering from a recent SOA query of the zone (listFresh) where there is
// one, asking named only for the rest.
func (s *Service) probeFresh(ctx context.Context, zs []string) ([]serving, error) {
	out := make([]serving, len(zs))
	var ask []string
	var at []int
	now := s.now()
	s.seenMu.Lock()
	for i, z := range zs {
		if st, ok := s.heard[z].fresh(now); ok {
			out[i] = st
			continue
		}
		ask = append(ask, z)
		at = append(at, i)
	}
	s.seenMu.Unlock()
	if len(ask) == 0 {
		return out, nil
	}
	got, err := s.probe(ctx, ask)
	if err != nil {
		return nil, err
	}
	for j, i := range at {
		out[i] = got[j]
	}
	return out, nil
}
