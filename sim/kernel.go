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
	slot uint32
	gen  uint32 // 0 never names a live event
}

// Valid reports whether id was returned by Schedule (it may have fired since).
func (id EventID) Valid() bool { return id.gen != 0 }

const (
	// An entry's key holds the insertion sequence in its high bits and the
	// slot in its low bits, so comparing keys compares sequences.
	slotBits = 28 // up to 268 M pending events
	slotMask = 1<<slotBits - 1
	maxSeq   = 1<<(64-slotBits) - 1
)

// Kernel is a discrete-event scheduler. It is not safe for concurrent use: a
// run is single-threaded by design.
//
// Each scheduled event holds a slot until its queue entry is popped (fired
// or discarded): gens[slot] is odd while the event is pending and is bumped
// to even when it fires or is cancelled, so an EventID (slot, odd gen) stops
// matching once its event is over, and Cancel costs O(1). gens is 4 bytes a
// slot, so the check made for every popped entry mostly hits the cache; the
// entry itself carries the handler, kind and argument.
type Kernel struct {
	now      Time
	seq      uint64
	events   uint64
	q        queue
	gens     []uint32
	free     []uint32 // slots not in use; cap(free) ≥ len(gens)
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
// size avoids growing the queue during the run.
func (k *Kernel) Grow(n int) {
	if n > cap(k.gens) {
		k.gens = slices.Grow(k.gens, n-len(k.gens))
		k.free = slices.Grow(k.free, n-len(k.free))
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
		if len(k.gens) > slotMask {
			panic("sim: more than 268 million queued events")
		}
		slot = uint32(len(k.gens))
		k.gens = append(k.gens, 0)
		if cap(k.free) < len(k.gens) {
			// Keep room for every slot so that freeing one never allocates.
			k.free = slices.Grow(k.free, cap(k.gens))
		}
	}
	g := k.gens[slot] + 1 // odd: pending
	k.gens[slot] = g
	if k.seq == maxSeq {
		k.renumber()
	}
	k.seq++
	hk := uint64(k.handlers.ref(h))<<32 | uint64(uint32(kind))
	k.q.push(entry{at: at, key: k.seq<<slotBits | uint64(slot), arg: arg, hk: hk})
	k.live++
	return EventID{slot: slot, gen: g}
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
	if id.gen&1 == 0 || int(id.slot) >= len(k.gens) || k.gens[id.slot] != id.gen {
		return false
	}
	k.gens[id.slot]++ // even: over
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
		e := k.q.peek()
		if e == nil || e.at > until {
			break
		}
		ev := *e
		slot := uint32(ev.key & slotMask)
		g := k.gens[slot] // load before popping so that a miss overlaps it
		h := k.handlers.unref(ev.handler())
		k.q.pop()
		k.free = append(k.free, slot)
		if g&1 == 0 { // cancelled
			k.dead--
			continue
		}
		k.gens[slot] = g + 1
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
		e := k.q.peek()
		if e == nil {
			return Never
		}
		slot := uint32(e.key & slotMask)
		if k.gens[slot]&1 == 1 {
			return e.at
		}
		k.handlers.unref(e.handler())
		k.q.pop()
		k.free = append(k.free, slot)
		k.dead--
	}
}

// purge drops the entries of cancelled events from the queue.
func (k *Kernel) purge() {
	k.q.filter(func(e *entry) bool {
		slot := uint32(e.key & slotMask)
		if k.gens[slot]&1 == 1 {
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
	seqs := make([]uint64, 0, k.q.len())
	k.q.filter(func(e *entry) bool {
		seqs = append(seqs, e.key>>slotBits)
		return true
	})
	slices.Sort(seqs)
	k.q.filter(func(e *entry) bool {
		r, _ := slices.BinarySearch(seqs, e.key>>slotBits)
		e.key = uint64(r+1)<<slotBits | e.key&slotMask
		return true
	})
	k.seq = uint64(len(seqs))
}
