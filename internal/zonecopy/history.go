package zonecopy

import (
	"fmt"
	"slices"

	"github.com/miekg/dns"
)

// History lists zone's retained changes newest first, at most limit of them (limit <= 0: all).
// It starts with the change that ended at serial before (0 or the current serial: the newest);
// to page on, pass the From of the last summary returned. A before that is the oldest retained
// serial gives an empty list; any other serial not retained gives ErrNotFound.
func (s *Store) History(zone string, before uint32, limit int) ([]Summary, error) {
	if err := s.Loaded(zone); err != nil {
		return nil, err
	}
	v, ok := s.view(zone)
	if !ok {
		return nil, fmt.Errorf("%w: no copy of zone %s", ErrNotFound, zone)
	}
	start := len(v.hist) - 1
	if before != 0 && before != v.cur.soa.Serial {
		start = v.find(before)
		if start == -2 {
			return nil, fmt.Errorf("%w: serial %d of zone %s is not retained", ErrNotFound, before, zone)
		}
	}
	out := []Summary{}
	for i := start; i >= 0 && (limit <= 0 || len(out) < limit); i-- {
		sum := v.hist[i].sum
		sum.Actors = slices.Clone(sum.Actors)
		out = append(out, sum)
	}
	return out, nil
}

// Change returns the retained change that ended at serial to (the newest one, should a serial
// repeat), or ErrNotFound.
func (s *Store) Change(zone string, to uint32) (Change, error) {
	if err := s.Loaded(zone); err != nil {
		return Change{}, err
	}
	v, ok := s.view(zone)
	if !ok {
		return Change{}, fmt.Errorf("%w: no copy of zone %s", ErrNotFound, zone)
	}
	i := v.find(to)
	if i < 0 {
		return Change{}, fmt.Errorf("%w: no retained change of zone %s ends at serial %d", ErrNotFound, zone, to)
	}
	_, c, err := decode(zone, v.hist[i].frame)
	if err != nil {
		return Change{}, fmt.Errorf("zonecopy: zone %s: %w", zone, err)
	}
	return c, nil
}

// StateAt returns zone as it was at a retained serial, the SOA first: the current records with
// the inverse of every later change applied. It is what a rollback to serial restores.
func (s *Store) StateAt(zone string, serial uint32) ([]dns.RR, error) {
	if err := s.Loaded(zone); err != nil {
		return nil, err
	}
	v, ok := s.view(zone)
	if !ok {
		return nil, fmt.Errorf("%w: no copy of zone %s", ErrNotFound, zone)
	}
	i := len(v.hist) - 1
	if serial != v.cur.soa.Serial {
		if i = v.find(serial); i == -2 {
			return nil, fmt.Errorf("%w: serial %d of zone %s is not retained", ErrNotFound, serial, zone)
		}
	}
	st, err := rewind(zone, v, i)
	if err != nil {
		return nil, err
	}
	return st.records(), nil
}

// find returns the index of the newest retained change that ended at serial, -1 if serial is
// the oldest retained state (the From of the oldest change), -2 if it is not retained. Serials
// are compared for equality only (RFC 1982 arithmetic defines no order across a wrap).
func (v view) find(serial uint32) int {
	for i := len(v.hist) - 1; i >= 0; i-- {
		if v.hist[i].sum.To == serial {
			return i
		}
	}
	if len(v.hist) > 0 && v.hist[0].sum.From == serial {
		return -1
	}
	return -2
}

// rewind returns the state right after v.hist[idx] (idx -1: before the oldest change) by
// applying the inverse of every later change to the current state.
func rewind(zone string, v view, idx int) (state, error) {
	st := v.cur
	for i := len(v.hist) - 1; i > idx; i-- {
		_, c, err := decode(zone, v.hist[i].frame)
		if err != nil {
			return state{}, fmt.Errorf("zonecopy: zone %s: %w", zone, err)
		}
		rem, err := items(zone, c.Added)
		if err != nil {
			return state{}, err
		}
		add, err := items(zone, c.Removed)
		if err != nil {
			return state{}, err
		}
		if st.rrs, err = st.rrs.apply(rem, add); err != nil {
			return state{}, fmt.Errorf("zonecopy: zone %s: undo change to serial %d: %w", zone, c.To, err)
		}
		st.soa = v.baseSOA
		if i > 0 {
			st.soa = v.hist[i-1].soa
		}
	}
	return st, nil
}
