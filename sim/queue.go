package sim

import (
	"math/bits"
	"slices"
)

// The event queue is a ladder queue (after Tang, Goh and Thng, 2005) whose
// bottom is a small heap. A plain heap over a million pending events spends
// most of each pop on cache misses while sifting through many megabytes; the
// ladder sorts events a little at a time and touches memory mostly in
// sequence:
//
//   - near is a 4-ary min-heap holding every entry earlier than nearEnd.
//     While the queue is small near is all there is (nearEnd is farEnd) and
//     the queue is a plain heap.
//   - When near grows past nearLimit, its entries are spread over a rung: an
//     array of equal-width time buckets, the last of which also takes
//     everything later. Each bucket is an unsorted list; appending to one
//     is O(1). When near runs dry, the next non-empty bucket of the deepest
//     rung moves into it, or, if the bucket is too big for that, is spread
//     over a deeper, finer rung of its own.
//
// The parts partition time: near < rungs[depth-1] < … < rungs[0], and within
// a rung bucket i < bucket i+1. Only near orders entries, by (at, key), and
// key orders by insertion sequence, so events fire in exactly (time,
// sequence) order however the entries were distributed: buckets only decide
// how much sorting happens at once. A distribution the buckets cannot split
// (many events at one instant) ends up in near, which then is as fast as a
// plain heap of that size, and never wrong.
//
// Buckets are chains of fixed-size chunks from one pool, so memory follows
// the number of queued entries, not the largest size each bucket ever had.

// entry is one queued event, 32 bytes without pointers. Its payload is
// inline so that firing it needs no lookup in a table indexed by slot, which
// at a million pending events would be a cache miss per event. It has four
// word-sized fields so that the compiler keeps a copy in registers.
type entry struct {
	at  Time
	key uint64 // insertion sequence << slotBits | slot
	arg uint64
	hk  uint64 // handler index << 32 | uint32(kind)
}

func (e *entry) handler() uint32 { return uint32(e.hk >> 32) }
func (e *entry) kind() int32     { return int32(uint32(e.hk)) }

func less(a, b *entry) bool {
	return a.at < b.at || (a.at == b.at && a.key < b.key)
}

const (
	// farEnd is a time bound past every event. Times are handled as
	// uint64 inside the queue so that it does not overflow.
	farEnd = uint64(Never) + 1
	// nearMax is the size of near that makes it spill into a rung.
	nearMax = 4096
	// A bucket of up to leafMax entries goes into near as it is; a larger
	// one is spread over a rung of its own with about leafTarget entries
	// a bucket.
	leafMax    = 64
	leafTarget = 16
	// maxBuckets bounds a rung's buckets (32 bytes each). Few buckets keep
	// the ones being appended to in cache; a bigger bucket costs one more
	// rung, which is a sequential pass.
	maxBuckets = 4096
	// maxRungs bounds the ladder's depth; at the limit buckets go to near
	// whatever their size.
	maxRungs = 8
	// chunkLen is the number of entries in a bucket chunk (1 KiB).
	chunkLen = 32
)

// A bucket is a list of chunks taken from the queue's chunk pool, filled in
// order: n entries, the last chunk holding n mod chunkLen of them (or a
// full chunk). It keeps the bounds of its entries' times, which shape the
// rung it may be spread over.
type bucket struct {
	head, tail int32
	n          int32
	tmin, tmax uint64 // valid if n > 0
}

type chunk [chunkLen]entry

// A rung divides [start, end) into nb buckets of width 1<<shift, except
// that the last bucket extends to end. Buckets before cur have been moved
// out.
type rung struct {
	start, end uint64
	shift      uint
	cur, nb    int
	buckets    []bucket
}

// index is the bucket of r that holds time t (start ≤ t < end).
func (r *rung) index(t uint64) int {
	return int(min((t-r.start)>>r.shift, uint64(r.nb-1)))
}

// queue orders entries by (at, key).
type queue struct {
	near      []entry
	nearEnd   uint64 // every entry with at < nearEnd is in near
	nearLimit int    // the size of near that triggers spillNear
	rungs     [maxRungs]rung
	depth     int // rungs in use: rungs[:depth], the deepest earliest
	n         int // entries queued, including cancelled ones

	chunks     []chunk
	chunkNext  []int32 // the chunk after each chunk of a bucket
	freeChunks []int32 // cap(freeChunks) ≥ len(chunks)
}

func (q *queue) init() {
	q.nearEnd = farEnd
	q.nearLimit = nearMax
}

func (q *queue) len() int { return q.n }

// push adds e to the part of the queue that covers its time.
func (q *queue) push(e entry) {
	q.n++
	if uint64(e.at) < q.nearEnd {
		q.pushNear(e)
		if len(q.near) > q.nearLimit {
			q.spillNear()
		}
		return
	}
	q.pushRung(e)
}

// pushRung appends e to the bucket that covers its time. Deeper rungs
// cover earlier times, and rungs[0] extends to farEnd. Since at ≥ nearEnd,
// the bucket is at or after the current one of the rung.
func (q *queue) pushRung(e entry) {
	t := uint64(e.at)
	for d := q.depth - 1; d >= 0; d-- {
		r := &q.rungs[d]
		if t < r.end {
			q.appendBucket(&r.buckets[r.index(t)], &e)
			return
		}
	}
	panic("sim: queue rungs do not cover time") // unreachable: rungs[0].end == farEnd
}

// peek returns the earliest entry, or nil if the queue is empty. It may
// move entries between parts of the queue, never changing their order.
func (q *queue) peek() *entry {
	if len(q.near) == 0 && !q.refill() {
		return nil
	}
	return &q.near[0]
}

// pop removes the entry peek returned.
func (q *queue) pop() {
	q.n--
	if len(q.near) == 1 {
		q.near = q.near[:0]
		q.nearLimit = nearMax // forget a failed spillNear
		return
	}
	q.popNear()
}

// refill moves the next non-empty bucket into the empty near heap, spreading
// buckets too big for that over deeper rungs. It reports false if nothing is
// queued.
func (q *queue) refill() bool {
	for q.depth > 0 {
		r := &q.rungs[q.depth-1]
		for r.cur < r.nb && r.buckets[r.cur].n == 0 {
			r.cur++
		}
		if r.cur == r.nb {
			q.nearEnd = r.end
			q.depth--
			continue
		}
		i := r.cur
		r.cur++
		b := r.buckets[i]
		r.buckets[i] = bucket{}
		hi := r.end
		if r.cur < r.nb {
			hi = r.start + uint64(r.cur)<<r.shift
		} else {
			// The rung's last bucket: the rung is done, and a rung opened
			// for the bucket takes its place instead of going one deeper.
			// Otherwise a steady stream of events into the last bucket
			// would deepen the ladder once per rung's span until maxRungs,
			// leaving every later bucket to the heap whatever its size.
			q.depth--
		}
		if b.n <= leafMax || b.tmin == b.tmax || q.depth == maxRungs {
			// Small, or one instant that only the heap can order, or no
			// rung left: near takes the bucket's whole range.
			q.nearEnd = hi
			q.drainBucket(b, nil)
			heapify(q.near)
			q.nearLimit = max(nearMax, 2*len(q.near))
			return true
		}
		// Nothing is queued before tmin, so near may take over up to there.
		q.nearEnd = b.tmin
		q.drainBucket(b, q.openRung(b.tmin, hi, b.tmax, int(b.n)))
	}
	return false // nothing queued: near is empty and there is no rung
}

// spillNear moves a near heap that insertions made big into a rung of its
// own, so that it is sorted bucket by bucket like everything else.
func (q *queue) spillNear() {
	tmin, tmax := uint64(q.near[0].at), uint64(0)
	if q.depth < maxRungs {
		for i := range q.near {
			tmax = max(tmax, uint64(q.near[i].at))
		}
	}
	if tmax <= tmin {
		// One instant, or no rung left: wait until near has doubled
		// before trying again, so that the scan costs O(1) a push.
		q.nearLimit = 2 * len(q.near)
		return
	}
	r := q.openRung(tmin, q.nearEnd, tmax, len(q.near))
	q.nearEnd = tmin
	for i := range q.near {
		q.appendBucket(&r.buckets[r.index(uint64(q.near[i].at))], &q.near[i])
	}
	q.near = q.near[:0]
	q.nearLimit = nearMax
}

// openRung pushes a rung covering [start, end) for n entries whose times
// lie in [start, tmax] (start < tmax < end), aiming at leafTarget entries a
// bucket.
func (q *queue) openRung(start, end, tmax uint64, n int) *rung {
	r := &q.rungs[q.depth]
	q.depth++
	nb := uint64(min(max(n/leafTarget, 2), maxBuckets))
	// The width is a power of two so that finding a bucket is a shift.
	w := (tmax - start + nb) / nb // ⌈(tmax−start+1)/nb⌉
	shift := uint(bits.Len64(w - 1))
	// At most nb buckets cover [start, tmax]; one more takes the rest of
	// the range, for later insertions.
	r.start, r.end, r.shift, r.cur = start, end, shift, 0
	r.nb = int(min((end-start-1)>>shift+1, nb+1))
	if len(r.buckets) < r.nb {
		r.buckets = make([]bucket, max(r.nb, maxBuckets+1))
	}
	return r
}

// appendBucket adds e at the end of b.
func (q *queue) appendBucket(b *bucket, e *entry) {
	t := uint64(e.at)
	i := b.n & (chunkLen - 1)
	if i == 0 {
		c := q.newChunk()
		if b.n == 0 {
			b.head = c
			b.tmin, b.tmax = t, t
		} else {
			q.chunkNext[b.tail] = c
		}
		b.tail = c
	}
	q.chunks[b.tail][i] = *e
	b.n++
	b.tmin = min(b.tmin, t)
	b.tmax = max(b.tmax, t)
}

// drainBucket moves b's entries into near (r == nil) or into the buckets
// of r, and returns its chunks to the pool.
func (q *queue) drainBucket(b bucket, r *rung) {
	c := b.head
	for left := int(b.n); left > 0; left -= chunkLen {
		es := q.chunks[c][:min(left, chunkLen)]
		if r == nil {
			q.near = append(q.near, es...)
		} else {
			for j := range es {
				q.appendBucket(&r.buckets[r.index(uint64(es[j].at))], &es[j])
			}
		}
		q.freeChunks = append(q.freeChunks, c)
		c = q.chunkNext[c]
	}
}

func (q *queue) newChunk() int32 {
	if n := len(q.freeChunks); n > 0 {
		c := q.freeChunks[n-1]
		q.freeChunks = q.freeChunks[:n-1]
		return c
	}
	q.chunks = append(q.chunks, chunk{})
	q.chunkNext = append(q.chunkNext, 0)
	if cap(q.freeChunks) < len(q.chunks) {
		q.freeChunks = slices.Grow(q.freeChunks, cap(q.chunks))
	}
	return int32(len(q.chunks) - 1)
}

// grow reserves room for n entries: near, and chunks for the rungs.
func (q *queue) grow(n int) {
	// near holds up to twice nearMax entries before it spills into a rung.
	if m := min(n, 2*nearMax+1); m > cap(q.near) {
		q.near = slices.Grow(q.near, m-len(q.near))
	}
	if c := (n + chunkLen - 1) / chunkLen; c > cap(q.chunks) {
		q.chunks = slices.Grow(q.chunks, c-len(q.chunks))
		q.chunkNext = slices.Grow(q.chunkNext, c-len(q.chunkNext))
		q.freeChunks = slices.Grow(q.freeChunks, c-len(q.freeChunks))
	}
}

// pushNear and popNear implement the 4-ary min-heap: half the depth of a
// binary heap.
func (q *queue) pushNear(e entry) {
	q.near = append(q.near, e)
	h := q.near
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) >> 2
		if !less(&e, &h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
}

// popNear removes near[0] and fills the hole with the last entry. It walks
// the hole down to a leaf along the smaller children and then sifts the
// last entry up from there (Floyd's method): it usually belongs near the
// bottom, so this saves most comparisons with it.
func (q *queue) popNear() {
	n := len(q.near) - 1
	last := q.near[n]
	h := q.near[:n]
	q.near = h
	i := 0
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for j := c + 1; j < min(c+4, n); j++ {
			if less(&h[j], &h[m]) {
				m = j
			}
		}
		h[i] = h[m]
		i = m
	}
	for i > 0 {
		p := (i - 1) >> 2
		if !less(&last, &h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = last
}

// heapify orders h as a 4-ary heap.
func heapify(h []entry) {
	n := len(h)
	if n < 2 {
		return
	}
	for i := (n - 2) / 4; i >= 0; i-- {
		e := h[i]
		j := i
		for {
			c := 4*j + 1
			if c >= n {
				break
			}
			m := c
			for k := c + 1; k < min(c+4, n); k++ {
				if less(&h[k], &h[m]) {
					m = k
				}
			}
			if !less(&h[m], &e) {
				break
			}
			h[j] = h[m]
			j = m
		}
		h[j] = e
	}
}

// filter calls keep for every queued entry, in no particular order, and
// removes those for which it returns false. keep may change an entry's key
// only in a way that preserves the order of all keys. It is for rare
// whole-queue operations: dropping cancelled entries, renumbering.
func (q *queue) filter(keep func(*entry) bool) {
	j := 0
	for i := range q.near {
		if keep(&q.near[i]) {
			q.near[j] = q.near[i]
			j++
		}
	}
	q.near = q.near[:j]
	heapify(q.near)
	q.n = j
	for d := range q.depth {
		r := &q.rungs[d]
		for i := r.cur; i < r.nb; i++ {
			q.filterBucket(&r.buckets[i], keep)
			q.n += int(r.buckets[i].n)
		}
	}
}

// filterBucket compacts b to the entries keep accepts, freeing the chunks it
// no longer needs. b's time bounds stay bounds, if perhaps not tight ones.
func (q *queue) filterBucket(b *bucket, keep func(*entry) bool) {
	if b.n == 0 {
		return
	}
	// Write the kept entries over the same chain; the write position w
	// never passes the read position.
	wc, w := b.head, int32(0)
	rc := b.head
	for left := int(b.n); left > 0; left -= chunkLen {
		for i := range min(left, chunkLen) {
			e := &q.chunks[rc][i]
			if !keep(e) {
				continue
			}
			if w > 0 && w&(chunkLen-1) == 0 {
				wc = q.chunkNext[wc]
			}
			q.chunks[wc][w&(chunkLen-1)] = *e
			w++
		}
		rc = q.chunkNext[rc]
	}
	// Free the chunks after the last one written to.
	used := (int(w) + chunkLen - 1) / chunkLen
	c := b.head
	for i := range (int(b.n) + chunkLen - 1) / chunkLen {
		if i >= used {
			q.freeChunks = append(q.freeChunks, c)
		}
		c = q.chunkNext[c]
	}
	if w == 0 {
		*b = bucket{}
		return
	}
	b.tail, b.n = wc, w
}
