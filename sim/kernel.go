package sim

import (
	"sort"
	"time"
)

// Handler receives the events it scheduled. Handlers are long-lived values
// (a link, a device, a protocol adapter); the kind and argument say what the
// event is about, so no closure is allocated per event.
type Handler interface {
	HandleEvent(k *Kernel, ev Event)
}

// Event is what a Handler receives when an event fires.
type Event struct {
	At   Time   // the time it fires (equal to k.Now())
	Kind int32  // handler-defined
	Arg  uint64 // handler-defined
}

// EventID names a scheduled event so that it can be cancelled. The zero
// value names no event.
type EventID struct {
	slot uint32
	gen  uint32 // 0 never names a live event
}

// Valid reports whether id was returned by Schedule (it may have fired since).
func (id EventID) Valid() bool { return id.gen != 0 }

// entry is one element of the 4-ary heap: 16 bytes, so the four children of
// a node share one 64-byte cache line. key holds the insertion sequence in
// its high bits and the slot of the payload in its low bits; comparing keys
// therefore compares sequences.
type entry struct {
	at  Time
	key uint64
}

const (
	slotBits = 28 // up to 268 M pending events
	slotMask = 1<<slotBits - 1
	maxSeq   = 1<<(64-slotBits) - 1
	// heapPad entries precede heap[0] in its backing array so that the
	// children of node i (4i+1 … 4i+4) start on a multiple of 4 entries.
	heapPad = 3
)

// slotData is the payload of a pending event. A nil handler marks a free or
// cancelled slot.
type slotData struct {
	h    Handler
	arg  uint64
	kind int32
	gen  uint32
}

// Kernel is a discrete-event scheduler. It is not safe for concurrent use: a
// run is single-threaded by design.
type Kernel struct {
	now     Time
	seq     uint64
	events  uint64
	heap    []entry // a window of phys starting at phys[heapPad]
	phys    []entry
	slots   []slotData
	free    []uint32
	live    int
	stopped bool
}

// NewKernel returns an empty kernel at time 0.
func NewKernel() *Kernel {
	k := &Kernel{}
	k.Grow(64)
	return k
}

// Now is the current simulated time.
func (k *Kernel) Now() Time { return k.now }

// Events is the number of events fired so far (cancelled ones excluded).
func (k *Kernel) Events() uint64 { return k.events }

// Pending is the number of scheduled events that are neither fired nor cancelled.
func (k *Kernel) Pending() int { return k.live }

// Grow reserves room for n queued events, so that a model that knows its
// size avoids growing the queue during the run.
func (k *Kernel) Grow(n int) {
	if cap(k.heap) < n {
		// Large allocations are page aligned, so phys[0] — and with it every
		// group of four children — is cache-line aligned.
		phys := make([]entry, heapPad+n)
		copy(phys[heapPad:], k.heap)
		k.phys = phys
		k.heap = phys[heapPad : heapPad+len(k.heap)]
	}
	if cap(k.slots) < n {
		s := make([]slotData, len(k.slots), n)
		copy(s, k.slots)
		k.slots = s
	}
}

// Schedule arranges for h to receive an event of the given kind and argument
// at time at. A time in the past is treated as now. h must not be nil.
func (k *Kernel) Schedule(at Time, h Handler, kind int32, arg uint64) EventID {
	if at < k.now {
		at = k.now
	}
	var slot uint32
	if n := len(k.free); n > 0 {
		slot = k.free[n-1]
		k.free = k.free[:n-1]
	} else {
		if len(k.slots) > slotMask {
			panic("sim: more than 268 million pending events")
		}
		slot = uint32(len(k.slots))
		k.slots = append(k.slots, slotData{})
	}
	s := &k.slots[slot]
	s.gen++
	if s.gen == 0 {
		s.gen = 1
	}
	s.h, s.kind, s.arg = h, kind, arg
	if k.seq == maxSeq {
		k.renumber()
	}
	k.seq++
	k.push(entry{at: at, key: k.seq<<slotBits | uint64(slot)})
	k.live++
	return EventID{slot: slot, gen: s.gen}
}

// After schedules an event d after now.
func (k *Kernel) After(d time.Duration, h Handler, kind int32, arg uint64) EventID {
	return k.Schedule(k.now.Add(d), h, kind, arg)
}

// Cancel stops a pending event from firing and reports whether it was still
// pending. It costs O(1): the heap entry is discarded when it reaches the top.
func (k *Kernel) Cancel(id EventID) bool {
	if id.gen == 0 || int(id.slot) >= len(k.slots) {
		return false
	}
	s := &k.slots[id.slot]
	if s.gen != id.gen || s.h == nil {
		return false
	}
	s.h = nil
	k.live--
	return true
}

// Stop makes Run return after the event being handled.
func (k *Kernel) Stop() { k.stopped = true }

// Run fires events in (time, sequence) order until the next event is later
// than until, the queue is empty, or Stop is called. Afterwards Now() is
// until, unless until is Never or Stop was called.
func (k *Kernel) Run(until Time) {
	k.stopped = false
	for len(k.heap) > 0 && !k.stopped {
		top := k.heap[0]
		if top.at > until {
			break
		}
		// Load the payload before sifting so that its cache miss overlaps
		// with the heap's.
		slot := uint32(top.key & slotMask)
		s := &k.slots[slot]
		h, kind, arg := s.h, s.kind, s.arg
		s.h = nil
		k.pop()
		k.free = append(k.free, slot)
		if h == nil { // cancelled
			continue
		}
		k.live--
		k.now = top.at
		k.events++
		h.HandleEvent(k, Event{At: top.at, Kind: kind, Arg: arg})
	}
	if !k.stopped && until != Never && k.now < until {
		k.now = until
	}
}

// NextAt is the time of the earliest pending event, or Never.
func (k *Kernel) NextAt() Time {
	for len(k.heap) > 0 {
		top := k.heap[0]
		slot := uint32(top.key & slotMask)
		if k.slots[slot].h != nil {
			return top.at
		}
		k.pop()
		k.free = append(k.free, slot)
	}
	return Never
}

func less(a, b entry) bool {
	return a.at < b.at || (a.at == b.at && a.key < b.key)
}

// push and pop implement a 4-ary min-heap: half the depth of a binary heap,
// with each node's children in one cache line.
func (k *Kernel) push(e entry) {
	if len(k.heap) == cap(k.heap) {
		k.Grow(2 * cap(k.heap))
	}
	h := k.heap[:len(k.heap)+1]
	k.heap = h
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) >> 2
		if !less(e, h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
}

// pop removes heap[0]. It walks the hole down to a leaf along the smaller
// children and then sifts the former last entry up from there (Floyd's
// method): the last entry usually belongs near the bottom, so this saves
// most comparisons against it.
func (k *Kernel) pop() {
	h := k.heap
	n := len(h) - 1
	last := h[n]
	h = h[:n]
	k.heap = h
	if n == 0 {
		return
	}
	i := 0
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		if c+3 < n {
			if less(h[c+1], h[m]) {
				m = c + 1
			}
			if less(h[c+2], h[m]) {
				m = c + 2
			}
			if less(h[c+3], h[m]) {
				m = c + 3
			}
		} else {
			for j := c + 1; j < n; j++ {
				if less(h[j], h[m]) {
					m = j
				}
			}
		}
		h[i] = h[m]
		i = m
	}
	for i > 0 {
		p := (i - 1) >> 2
		if !less(last, h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = last
}

// renumber reassigns insertion sequences 1…n in the current order when the
// sequence space is exhausted (after 6.9e10 events), preserving every tie.
func (k *Kernel) renumber() {
	h := k.heap
	sort.Slice(h, func(a, b int) bool { return less(h[a], h[b]) })
	for i := range h {
		h[i].key = uint64(i+1)<<slotBits | h[i].key&slotMask
	}
	// A sorted array is a valid heap.
	k.seq = uint64(len(h))
}
