package sim

import (
	"slices"
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
	slot  uint32
	stamp uint32 // 0 never names an event
}

// Valid reports whether id was returned by Schedule (it may have fired since).
func (id EventID) Valid() bool { return id.stamp != 0 }

const (
	// An entry's key holds the insertion sequence in its high bits and the
	// slot in its low bits, so comparing keys compares sequences.
	slotBits = 28 // up to 268 M queued events
	slotMask = 1<<slotBits - 1
	maxSeq   = 1<<(64-slotBits) - 1
)

// Kernel is a discrete-event scheduler. It is not safe for concurrent use: a
// run is single-threaded by design.
//
// Each scheduled event holds a slot until its queue entry is popped, when
// it fires or, if it was cancelled, is discarded. A bit per slot says
// whether its event is pending; popping an entry tests and clears it, and
// the bitmap (1 bit an event) stays in cache where a table of per-event
// records would not. stamps[slot] is the stamp of the slot's latest event,
// which an EventID must match, so an ID stops working once its event is
// over; it is only written when scheduling and read when cancelling, so it
// costs no cache miss on the way. Stamps count Schedule calls modulo 2³²
// (skipping 0): an old ID could only match again if its slot were reused
// exactly a multiple of 2³² calls later.
type Kernel struct {
	now      Time
	seq      uint64
	events   uint64
	q        queue
	lanes    []lane // FIFO lanes for common delays; see lanes.go
	byHead   []int8 // the non-empty lanes, earliest head first
	cand     [candSlots]candidate
	stamp    uint32
	stamps   []uint32
	pending  []uint64 // bit slot%64 of word slot/64: the slot's event is pending
	free     []uint32 // slots not in use; cap(free) ≥ len(stamps)
	live     int      // pending events
	dead     int      // cancelled events whose entries are still queued
	stopped  bool
	handlers handlerTable
}

// purgeMin is the number of cancelled entries below which they are left to
// be discarded when they reach the front of the queue.
const purgeMin = 1024

// NewKernel returns an empty kernel at time 0.
func NewKernel() *Kernel {
	k := &Kernel{}
	k.q.init()
	k.handlers.init()
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
// size avoids growing the queue during the run. (FIFO lanes, made for
// delays found common during the run, grow by doubling as they fill.)
func (k *Kernel) Grow(n int) {
	if n > cap(k.stamps) {
		k.stamps = slices.Grow(k.stamps, n-len(k.stamps))
		k.free = slices.Grow(k.free, n-len(k.free))
		k.pending = slices.Grow(k.pending, (n+63)/64-len(k.pending))
	}
	k.q.grow(n)
}

// Schedule arranges for h to receive an event of the given kind and argument
// at time at. A time in the past is treated as now. h must not be nil.
func (k *Kernel) Schedule(at Time, h Handler, kind int32, arg uint64) EventID {
	if h == nil {
		panic("sim: Schedule with a nil Handler")
	}
	if at < k.now {
		at = k.now
	}
	var slot uint32
	if n := len(k.free); n > 0 {
		slot = k.free[n-1]
		k.free = k.free[:n-1]
	} else {
		slot = k.newSlot()
	}
	k.stamp++
	if k.stamp == 0 {
		k.stamp = 1
	}
	k.stamps[slot] = k.stamp
	k.pending[slot/64] |= 1 << (slot % 64)
	if k.seq == maxSeq {
		k.renumber()
	}
	k.seq++
	hk := uint64(k.handlers.ref(h))<<32 | uint64(uint32(kind))
	e := entry{at: at, key: k.seq<<slotBits | uint64(slot), arg: arg, hk: hk}
	// A small queue is a small heap, cheaper than lanes.
	if k.live < laneMinPending {
		k.q.push(e)
	} else if i := k.laneFor(at - k.now); i >= 0 {
		k.pushLane(i, e)
	} else {
		k.q.push(e)
	}
	k.live++
	return EventID{slot: slot, stamp: k.stamp}
}

func (k *Kernel) newSlot() uint32 {
	if len(k.stamps) > slotMask {
		panic("sim: more than 268 million queued events")
	}
	slot := uint32(len(k.stamps))
	k.stamps = append(k.stamps, 0)
	if slot%64 == 0 {
		k.pending = append(k.pending, 0)
	}
	if cap(k.free) < len(k.stamps) {
		// Keep room for every slot so that freeing one never allocates.
		k.free = slices.Grow(k.free, cap(k.stamps))
	}
	return slot
}

// isPending reports whether slot's event is pending.
func (k *Kernel) isPending(slot uint32) bool {
	return k.pending[slot/64]&(1<<(slot%64)) != 0
}

// takePending clears slot's pending bit and reports whether it was set.
func (k *Kernel) takePending(slot uint32) bool {
	w := &k.pending[slot/64]
	bit := uint64(1) << (slot % 64)
	was := *w&bit != 0
	*w &^= bit
	return was
}

// After schedules an event d after now.
func (k *Kernel) After(d time.Duration, h Handler, kind int32, arg uint64) EventID {
	return k.Schedule(k.now.Add(d), h, kind, arg)
}

// Cancel stops a pending event from firing and reports whether it was still
// pending. It costs O(1): the queue entry is discarded when it reaches the
// front, or when cancelled entries outnumber pending ones (so that re-armed
// timers cannot fill memory).
func (k *Kernel) Cancel(id EventID) bool {
	if id.stamp == 0 || int(id.slot) >= len(k.stamps) || k.stamps[id.slot] != id.stamp || !k.takePending(id.slot) {
		return false
	}
	k.live--
	k.dead++
	if k.dead >= purgeMin && k.dead > k.live {
		k.purge()
	}
	return true
}

// Stop makes Run return after the event being handled.
func (k *Kernel) Stop() { k.stopped = true }

// Run fires events in (time, sequence) order until the next event is later
// than until, the queue is empty, or Stop is called. Afterwards Now() is
// until, unless until is Never or Stop was called.
func (k *Kernel) Run(until Time) {
	k.stopped = false
	for !k.stopped {
		// k.front and k.popFront, by hand: this loop is the kernel's hot path.
		e, fromLane := k.q.peek(), false
		if len(k.byHead) > 0 {
			if h := k.lanes[k.byHead[0]].front(); e == nil || less(h, e) {
				e, fromLane = h, true
			}
		}
		if e == nil || e.at > until {
			break
		}
		ev := *e
		slot := uint32(ev.key & slotMask)
		h := k.handlers.unref(ev.handler())
		if fromLane {
			k.popLane()
		} else {
			k.q.pop()
		}
		k.free = append(k.free, slot)
		if !k.takePending(slot) { // cancelled
			k.dead--
			continue
		}
		k.live--
		k.now = ev.at
		k.events++
		h.HandleEvent(k, Event{At: ev.at, Kind: ev.kind(), Arg: ev.arg})
	}
	if !k.stopped && until != Never && k.now < until {
		k.now = until
	}
}

// NextAt is the time of the earliest pending event, or Never.
func (k *Kernel) NextAt() Time {
	for {
		e, from := k.front()
		if e == nil {
			return Never
		}
		slot := uint32(e.key & slotMask)
		if k.isPending(slot) {
			return e.at
		}
		k.handlers.unref(e.handler())
		k.popFront(from)
		k.free = append(k.free, slot)
		k.dead--
	}
}

// purge drops the entries of cancelled events from the queue.
func (k *Kernel) purge() {
	k.filter(func(e *entry) bool {
		slot := uint32(e.key & slotMask)
		if k.isPending(slot) {
			return true
		}
		k.free = append(k.free, slot)
		k.handlers.unref(e.handler())
		return false
	})
	k.dead = 0
}

// renumber maps the insertion sequences of all queued entries onto 1…n,
// keeping their order, when the sequence space is exhausted (after 6.9e10
// events). The map is monotone, so every tie and the heap order of near
// are preserved wherever the entries are.
func (k *Kernel) renumber() {
	seqs := make([]uint64, 0, k.queued())
	k.filter(func(e *entry) bool {
		seqs = append(seqs, e.key>>slotBits)
		return true
	})
	slices.Sort(seqs)
	k.filter(func(e *entry) bool {
		r, _ := slices.BinarySearch(seqs, e.key>>slotBits)
		e.key = uint64(r+1)<<slotBits | e.key&slotMask
		return true
	})
	k.seq = uint64(len(seqs))
}
