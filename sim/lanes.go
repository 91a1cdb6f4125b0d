package sim

import "slices"

// Most events of a network model are scheduled a constant delay ahead: a
// packet on a link with a fixed propagation delay, a periodic reading one
// interval after the last, a cache entry one lifetime after it was made.
// Events scheduled with one delay come in time order, so they need no
// sorting: a FIFO lane per such delay takes them at O(1) a push and a pop,
// in sequence through memory, and leaves the ladder queue the events that
// need it. The kernel finds the delays itself: a delay seen often enough
// (lanePromote times in a sample of one schedule in eight, while it holds
// its slot of a small table) gets a lane, up to maxLanes.
//
// Each lane holds its entries in (time, key) order — the times do not
// decrease and the keys grow — so the earliest event is the least of the
// lanes' heads and the ladder's, and events fire in exactly the order they
// would without lanes. The kernel keeps the non-empty lanes sorted by their
// heads (Kernel.byHead): a pop usually moves one lane back a place or two,
// where comparing every lane's head at every pop cost more than the lanes
// saved.

const (
	// laneMinPending is the number of pending events below which new ones
	// go to the ladder queue (near, a small heap) without looking for a lane.
	laneMinPending = 512
	maxLanes       = 8
	lanePromote    = 64
	candSlots      = 16
)

// lane is a FIFO ring of entries scheduled with one delay. Their times
// never decrease (now + delay, and now never does) and their keys grow, so
// the ring is in (time, key) order by construction.
type lane struct {
	delay Time
	buf   []entry // len is a power of two
	head  int
	n     int
}

func (l *lane) front() *entry { return &l.buf[l.head] }

func (l *lane) push(e entry) {
	if l.n == len(l.buf) {
		l.grow()
	}
	l.buf[(l.head+l.n)&(len(l.buf)-1)] = e
	l.n++
}

func (l *lane) pop() {
	l.head = (l.head + 1) & (len(l.buf) - 1)
	l.n--
}

// grow doubles the ring, moving the entries to its start in order.
func (l *lane) grow() {
	buf := make([]entry, max(64, 2*len(l.buf)))
	for i := range l.n {
		buf[i] = l.buf[(l.head+i)&(len(l.buf)-1)]
	}
	l.buf, l.head = buf, 0
}

// filter keeps the entries keep accepts, in order (see queue.filter).
func (l *lane) filter(keep func(*entry) bool) {
	j := 0
	for i := range l.n {
		e := l.buf[(l.head+i)&(len(l.buf)-1)]
		if keep(&e) {
			l.buf[(l.head+j)&(len(l.buf)-1)] = e
			j++
		}
	}
	l.n = j
}

// candidate counts recent uses of a delay that has no lane yet.
type candidate struct {
	delay Time
	count int32
}

// laneFor returns the index of the lane for events delay ahead, creating
// one if the delay has become common, or -1.
func (k *Kernel) laneFor(delay Time) int {
	for i := range k.lanes {
		if k.lanes[i].delay == delay {
			return i
		}
	}
	// Counting one schedule in eight finds the common delays as well and
	// costs a model with random delays next to nothing. The sample is
	// scrambled, so that a delay used at every other schedule is not
	// always left out.
	if (k.seq*0x9E3779B97F4A7C15)>>61 != 0 {
		return -1
	}
	// A slot keeps its delay while that is used more often than the
	// others hashed to it (which only wear its count down), so random
	// delays in between do not stop a common one from getting a lane.
	// (Fibonacci hashing spreads delays that are round numbers.)
	c := &k.cand[(uint64(delay)*0x9E3779B97F4A7C15)>>60]
	if c.delay != delay {
		if c.count > 0 {
			c.count--
		} else {
			*c = candidate{delay: delay, count: 1}
		}
		return -1
	}
	c.count++
	if c.count < lanePromote {
		return -1
	}
	c.count = 0
	if len(k.lanes) < maxLanes {
		k.lanes = append(k.lanes, lane{delay: delay})
		return len(k.lanes) - 1
	}
	for i := range k.lanes {
		if l := &k.lanes[i]; l.n == 0 { // an idle lane moves to the busier delay
			l.delay = delay
			return i
		}
	}
	return -1
}

// pushLane appends e to lane i.
func (k *Kernel) pushLane(i int, e entry) {
	l := &k.lanes[i]
	l.push(e)
	if l.n == 1 {
		// Newly non-empty: insert it among the others by its head.
		j := len(k.byHead)
		k.byHead = append(k.byHead, int8(i))
		for j > 0 && less(&e, k.lanes[k.byHead[j-1]].front()) {
			k.byHead[j] = k.byHead[j-1]
			j--
		}
		k.byHead[j] = int8(i)
	}
}

// popLane removes the head of the lane with the earliest head, byHead[0],
// and moves that lane to its new place in byHead.
func (k *Kernel) popLane() {
	i := k.byHead[0]
	l := &k.lanes[i]
	l.pop()
	if l.n == 0 {
		k.byHead = k.byHead[:copy(k.byHead, k.byHead[1:])]
		return
	}
	h := l.front()
	j := 0
	for j+1 < len(k.byHead) && less(k.lanes[k.byHead[j+1]].front(), h) {
		k.byHead[j] = k.byHead[j+1]
		j++
	}
	k.byHead[j] = i
}

// sortLanes rebuilds byHead from scratch.
func (k *Kernel) sortLanes() {
	k.byHead = k.byHead[:0]
	for i := range k.lanes {
		if k.lanes[i].n > 0 {
			k.byHead = append(k.byHead, int8(i))
		}
	}
	slices.SortFunc(k.byHead, func(a, b int8) int {
		if less(k.lanes[a].front(), k.lanes[b].front()) {
			return -1
		}
		return 1
	})
}

// front returns the earliest queued entry, or nil, and whether it is a
// lane's (else the ladder queue's).
func (k *Kernel) front() (*entry, bool) {
	e := k.q.peek()
	if len(k.byHead) > 0 {
		if h := k.lanes[k.byHead[0]].front(); e == nil || less(h, e) {
			return h, true
		}
	}
	return e, false
}

// popFront removes the entry front returned.
func (k *Kernel) popFront(fromLane bool) {
	if fromLane {
		k.popLane()
		return
	}
	k.q.pop()
}

// queued is the number of entries in the queue and the lanes, including
// cancelled ones.
func (k *Kernel) queued() int {
	n := k.q.len()
	for i := range k.lanes {
		n += k.lanes[i].n
	}
	return n
}

// filter applies keep to every queued entry, in the queue and the lanes.
func (k *Kernel) filter(keep func(*entry) bool) {
	k.q.filter(keep)
	for i := range k.lanes {
		k.lanes[i].filter(keep)
	}
	k.sortLanes()
}
