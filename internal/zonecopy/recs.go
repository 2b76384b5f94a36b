package zonecopy

import (
	"iter"
	"slices"
	"strings"
)

// recs is a zone's records (without the SOA) sorted by key, held in small chunks.
// Like the state that holds it, it is never modified once built: a change copies the outer
// slice of chunks and rebuilds only the chunks it touches. One sorted slice meant copying the
// whole zone on every change (issue 13: with 64 writers on one zone, each batch of ~40 records
// copied all the zone's records; for a zone of tens of thousands that copy dwarfed the batch).
type recs struct {
	chunks [][]item // each sorted, non-empty, at most chunkMax items; in order
	n      int
}

// Chunk sizes: newRecs cuts chunkSize items per chunk; a chunk that grows past chunkMax is cut
// again, and one that shrinks below chunkMin is merged with a neighbour when both fit one chunk.
//
// A change costs about the chunks it touches times chunkSize plus the zone's chunk count (the
// outer slice). Group commit spreads a batch of ~40 records over the whole zone (writers' names
// do not cluster), so nearly every chunk it lands in is a different one: small chunks keep that
// first term small, and 32 keeps the outer slice of a 100,000-record zone at ~75 KB.
const (
	chunkSize = 32
	chunkMax  = 2 * chunkSize
	chunkMin  = chunkSize / 4
)

// newRecs holds sorted (sorted by key and unique, as sortItems returns) in chunks sharing its
// array; the caller must not modify sorted afterwards.
func newRecs(sorted []item) recs {
	r := recs{n: len(sorted)}
	for i := 0; i < len(sorted); i += chunkSize {
		j := min(i+chunkSize, len(sorted))
		r.chunks = append(r.chunks, sorted[i:j:j]) // capacity cut: an append never reaches the next chunk
	}
	return r
}

// Len is the number of records.
func (r recs) Len() int { return r.n }

// all yields the records in order.
func (r recs) all() iter.Seq[item] {
	return func(yield func(item) bool) {
		for _, c := range r.chunks {
			for _, it := range c {
				if !yield(it) {
					return
				}
			}
		}
	}
}

// flat returns the records as one new slice.
func (r recs) flat() []item {
	out := make([]item, 0, r.n)
	for _, c := range r.chunks {
		out = append(out, c...)
	}
	return out
}

// chunkFor is the index of the chunk where key belongs: the last one whose first key is not
// after key (the first chunk for a key before all of them).
func (r recs) chunkFor(key string) int {
	i, _ := slices.BinarySearchFunc(r.chunks, key, func(c []item, k string) int {
		if c[0].key <= k {
			return -1
		}
		return 1
	})
	return max(i-1, 0)
}

// find returns the record with key.
func (r recs) find(key string) (item, bool) {
	if r.n == 0 {
		return item{}, false
	}
	c := r.chunks[r.chunkFor(key)]
	i, ok := slices.BinarySearchFunc(c, key, func(it item, k string) int { return strings.Compare(it.key, k) })
	if !ok {
		return item{}, false
	}
	return c[i], true
}

// span returns the records whose keys start with prefix, in order: part of a chunk when they
// are all in one (the caller must not modify it), else a new slice.
func (r recs) span(prefix string) []item {
	if r.n == 0 {
		return nil
	}
	ci := r.chunkFor(prefix)
	c := r.chunks[ci]
	lo, _ := slices.BinarySearchFunc(c, prefix, func(it item, p string) int { return strings.Compare(it.key, p) })
	hi := lo
	for hi < len(c) && strings.HasPrefix(c[hi].key, prefix) {
		hi++
	}
	if hi < len(c) || ci+1 == len(r.chunks) || !strings.HasPrefix(r.chunks[ci+1][0].key, prefix) {
		return c[lo:hi]
	}
	out := slices.Clone(c[lo:hi]) // the span goes on in the next chunks
	for _, c := range r.chunks[ci+1:] {
		k := 0
		for k < len(c) && strings.HasPrefix(c[k].key, prefix) {
			k++
		}
		out = append(out, c[:k]...)
		if k < len(c) {
			break
		}
	}
	return out
}

// apply is apply (rrset.go) on r: rem and add sorted by key, every removed record present and
// every added one absent, else ErrDiverged. Each chunk the change touches is applied on its
// own; the rest are shared with r.
func (r recs) apply(rem, add []item) (recs, error) {
	byKey := func(a, b item) int { return strings.Compare(a.key, b.key) }
	if len(r.chunks) <= 1 || !slices.IsSortedFunc(rem, byKey) || !slices.IsSortedFunc(add, byKey) {
		out, err := apply(r.flat(), rem, add)
		if err != nil {
			return recs{}, err
		}
		return newRecs(out), nil
	}
	// Each record of the change goes to the chunk where its key belongs (chunkFor), so an
	// addition past a chunk's last record and before the next chunk's first joins the former.
	chunks := slices.Clone(r.chunks)
	n := r.n
	i, j := 0, 0
	for i < len(rem) || j < len(add) {
		key := ""
		switch {
		case j == len(add) || i < len(rem) && rem[i].key < add[j].key:
			key = rem[i].key
		default:
			key = add[j].key
		}
		ci := r.chunkFor(key)
		i2, j2 := i, j
		if ci+1 < len(r.chunks) {
			next := r.chunks[ci+1][0].key
			for i2 < len(rem) && rem[i2].key < next {
				i2++
			}
			for j2 < len(add) && add[j2].key < next {
				j2++
			}
		} else {
			i2, j2 = len(rem), len(add)
		}
		out, err := apply(r.chunks[ci], rem[i:i2], add[j:j2])
		if err != nil {
			return recs{}, err
		}
		n += len(out) - len(r.chunks[ci])
		chunks[ci] = out
		i, j = i2, j2
	}
	return recs{chunks: rechunk(chunks), n: n}, nil
}

// rechunk drops empty chunks, cuts those over chunkMax and merges one under chunkMin with the
// next when they fit one chunk together. Only chunks it cuts or merges are copied.
func rechunk(chunks [][]item) [][]item {
	out := make([][]item, 0, len(chunks)+1)
	for _, c := range chunks {
		switch {
		case len(c) == 0:
			continue
		case len(c) > chunkMax:
			for k := 0; k < len(c); k += chunkSize {
				e := min(k+chunkSize, len(c))
				out = append(out, c[k:e:e])
			}
			continue
		}
		if n := len(out); n > 0 && (len(out[n-1]) < chunkMin || len(c) < chunkMin) && len(out[n-1])+len(c) <= chunkSize {
			out[n-1] = slices.Concat(out[n-1], c) // a new array: both parts may be shared
			continue
		}
		out = append(out, c)
	}
	return out
}
