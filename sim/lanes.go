package sim

// Most events of a network model are scheduled a constant delay ahead: a
// packet on a link with a fixed propagation delay, a periodic reading one
// interval after the last, a cache entry one lifetime after it was made.
// Events scheduled with one delay come in time order, so they need no
// sorting: a FIFO lane per such delay takes them at O(1) a push and a pop,
// in sequence through memory, and leaves the ladder queue the events that
// need it. The kernel finds the delays itself: a delay seen often enough
// (lanePromote times while it holds its slot of a small table) gets a lane,
// up to maxLanes.
//
// Each lane holds its entries in (time, key) order — the times do not
// decrease and the keys grow — so the earliest event is the least of the
// lanes' heads and the ladder's, and events fire in exactly the order they
// would without lanes.

const (
	maxLanes    = 8
	lanePromote = 64
	candSlots   = 16
)

// lane is a FIFO ring of entries scheduled with one delay.
type lane struct {
	delay Time
	last  Time    // time of the last entry pushed
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
	l.last = e.at
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

// laneFor returns the lane for events delay ahead, creating one if the delay
// has become common, or nil.
func (k *Kernel) laneFor(delay Time) *lane {
	for i := range k.lanes {
		if k.lanes[i].delay == delay {
			return &k.lanes[i]
		}
	}
	// Fibonacci hashing spreads delays that are round numbers.
	// A slot keeps its delay while that is used more often than the
	// others hashed to it (which only wear its count down), so random
	// delays in between do not stop a common one from getting a lane.
	c := &k.cand[(uint64(delay)*0x9E3779B97F4A7C15)>>60]
	if c.delay != delay {
		if c.count > 0 {
			c.count--
		} else {
			*c = candidate{delay: delay, count: 1}
		}
		return nil
	}
	c.count++
	if c.count < lanePromote {
		return nil
	}
	c.count = 0
	if len(k.lanes) < maxLanes {
		k.lanes = append(k.lanes, lane{delay: delay})
		return &k.lanes[len(k.lanes)-1]
	}
	for i := range k.lanes {
		if l := &k.lanes[i]; l.n == 0 { // an idle lane moves to the busier delay
			l.delay, l.last = delay, 0
			return l
		}
	}
	return nil
}

// front returns the earliest queued entry, and the lane holding it (-1 for
// the ladder queue), or nil.
func (k *Kernel) front() (*entry, int) {
	e, from := k.q.peek(), -1
	for i := range k.lanes {
		l := &k.lanes[i]
		if l.n > 0 && (e == nil || less(l.front(), e)) {
			e, from = l.front(), i
		}
	}
	return e, from
}

// popFront removes the entry front returned from the lane or queue it came from.
func (k *Kernel) popFront(from int) {
	if from < 0 {
		k.q.pop()
		return
	}
	k.lanes[from].pop()
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
}
