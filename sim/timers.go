package sim

import (
	"math/bits"
	"slices"
	"time"
)

// TimerID names a timer of a Timers set. The zero value names none.
type TimerID uint32

// Timers is a set of protocol timers for timeouts that are set once and
// nearly always cleared before they come — a CoAP retransmission timeout
// that its ACK clears. Putting each setting in the kernel's queue and
// cancelling it costs a push, and later a pop of the cancelled entry;
// Timers costs a note appended to a wheel slot and one look at it when the
// slot's tick comes (a deadline within the current slot is scheduled at
// once, and an earlier note than the pending tick moves the tick). A timer
// that moves at every packet (TCP's retransmission timer, a keepalive
// deadline) is cheaper as a sim.Timer, which moves without any work:
// measured, the wheel was 15–25 % slower for those.
//
// A timer's state is a small record in a dense array: its deadline, and the
// deadline and generation of its note in a wheel whose slots are a power of
// two nanoseconds wide. Setting a timer earlier than its note (or when it
// has none) notes (timer, generation) in the slot covering the new
// deadline; setting it later, or clearing it, only changes the deadline.
// The wheel ticks, with one
// kernel event, at the start of each slot that has notes; for each note
// still current it schedules a kernel event at the exact deadline if that
// is in the slot, files the note again if the deadline moved later, or
// drops it if the timer was cleared. A deadline in the current slot is
// scheduled at once. So a timer fires at exactly its deadline, as with
// Kernel.Schedule, and only timers about to expire become kernel events.
//
// Timers fire by calling their handler with the kind and argument given to
// Add. Which timers fire and when does not depend on the slot width; only
// the order among events at the same instant does (by when they were
// scheduled, as always).
type Timers struct {
	k       *Kernel
	shift   uint
	st      []timerState // by TimerID
	ev      []EventID
	dst     []timerDst
	slots   [][]timerNote // a ring: slot s is slots[s%timerSlots]
	nonzero []uint64      // bit i: slots[i] has notes
	notes   int
	cur     uint64 // the slot of the last tick
	next    uint64 // the slot of the pending tick, if ticking
	tick    EventID
	ticking bool
}

type timerState struct {
	at     Time   // the deadline; 0 when clear
	noteAt Time   // the deadline of its current note; 0 for none
	gen    uint32 // changes with each note; odd while its kernel event is pending
}

type timerDst struct {
	h    Handler
	kind int32
	arg  uint64
}

// timerNote says that timer id, at generation gen, may be due in this slot.
type timerNote struct {
	id  TimerID
	gen uint32
}

const (
	timerTick int32 = iota
	timerFire
)

// timerSlots is the number of slots in the ring. With 16 ms slots it spans
// 137 s, past common keepalive deadlines, so that their notes come round
// once.
const timerSlots = 8192

// NewTimers returns an empty timer set on k whose wheel slots are width
// wide, rounded up to a power of two nanoseconds.
func NewTimers(k *Kernel, width time.Duration) *Timers {
	return &Timers{
		k:       k,
		shift:   uint(bits.Len64(uint64(max(width, 1)) - 1)),
		st:      make([]timerState, 1), // TimerID 0 is none
		ev:      make([]EventID, 1),
		dst:     make([]timerDst, 1),
		slots:   make([][]timerNote, timerSlots),
		nonzero: make([]uint64, timerSlots/64),
	}
}

// Add creates a timer, not set, that calls h with kind and arg when it fires.
func (t *Timers) Add(h Handler, kind int32, arg uint64) TimerID {
	if h == nil {
		panic("sim: Timers.Add with a nil Handler")
	}
	id := TimerID(len(t.st))
	t.st = append(t.st, timerState{})
	t.ev = append(t.ev, EventID{})
	t.dst = append(t.dst, timerDst{h: h, kind: kind, arg: arg})
	return id
}

// Grow reserves room for n more timers, so that a model that knows how
// many it will Add does not copy the table as it grows.
func (t *Timers) Grow(n int) {
	t.st = slices.Grow(t.st, n)
	t.ev = slices.Grow(t.ev, n)
	t.dst = slices.Grow(t.dst, n)
}

// Set makes timer id fire at at, replacing its earlier setting; at = 0
// clears it. A time in the past fires now.
func (t *Timers) Set(id TimerID, at Time) {
	st := &t.st[id]
	if st.gen&1 != 0 {
		t.k.Cancel(t.ev[id]) // its event for the earlier setting
		st.gen++
	}
	if at != 0 {
		at = max(at, t.k.now)
	}
	st.at = at
	if at == 0 || (st.noteAt != 0 && at >= st.noteAt) {
		return // cleared, or its note comes first and will see the new deadline
	}
	t.file(id, st)
}

// file notes timer id's deadline in its slot, or schedules it if the slot
// has come.
func (t *Timers) file(id TimerID, st *timerState) {
	st.gen += 2 // earlier notes are stale
	s := uint64(st.at) >> t.shift
	// Ticks skip slots without notes, so the current slot may be past the
	// last tick's.
	if s <= max(t.cur, uint64(t.k.now)>>t.shift) {
		st.noteAt = 0
		t.schedule(id, st)
		return
	}
	st.noteAt = st.at
	i := s % timerSlots
	t.slots[i] = append(t.slots[i], timerNote{id: id, gen: st.gen})
	t.nonzero[i/64] |= 1 << (i % 64)
	t.notes++
	if !t.ticking || s < t.next {
		t.tickAt(s)
	}
}

// schedule makes timer id's deadline a kernel event.
func (t *Timers) schedule(id TimerID, st *timerState) {
	st.gen |= 1
	t.ev[id] = t.k.Schedule(st.at, t, timerFire, uint64(id)<<32|uint64(st.gen))
}

// tickAt arranges the next tick for slot s, replacing a later one.
func (t *Timers) tickAt(s uint64) {
	if t.ticking {
		t.k.Cancel(t.tick)
	}
	t.ticking, t.next = true, s
	t.tick = t.k.Schedule(Time(s<<t.shift), t, timerTick, s)
}

// HandleEvent runs the wheel's ticks and fires the timers.
func (t *Timers) HandleEvent(k *Kernel, ev Event) {
	if ev.Kind == timerFire {
		id, g := TimerID(ev.Arg>>32), uint32(ev.Arg)
		st := &t.st[id]
		if st.gen != g {
			return // unreachable: Set cancels the event of a setting it replaces
		}
		st.gen++
		st.at = 0
		d := &t.dst[id]
		d.h.HandleEvent(k, Event{At: ev.At, Kind: d.kind, Arg: d.arg})
		return
	}
	s := ev.Arg
	t.cur, t.ticking = s, false
	i := s % timerSlots
	notes := t.slots[i]
	kept := notes[:0]
	for _, n := range notes {
		st := &t.st[n.id]
		switch {
		case st.gen != n.gen:
			// Filed again since: stale.
		case uint64(st.noteAt)>>t.shift > s:
			kept = append(kept, n) // due in a later turn of the ring
			continue
		case st.at == 0:
			st.noteAt = 0 // cleared
		default:
			// Due in this slot, or moved later: file again (which
			// schedules it if it is due now).
			t.notes--
			t.slots[i] = kept // file may append to this very slot
			t.file(n.id, st)
			kept = t.slots[i]
			continue
		}
		t.notes--
	}
	t.slots[i] = kept
	if len(kept) == 0 {
		t.nonzero[i/64] &^= 1 << (i % 64)
	}
	if t.notes > 0 {
		t.tickAt(s + t.nextSlot(i))
	}
}

// nextSlot is the distance from ring index i to the next index with notes
// (1 to timerSlots; timerSlots means i itself, one turn on).
func (t *Timers) nextSlot(i uint64) uint64 {
	for d := uint64(1); d <= timerSlots; {
		j := (i + d) % timerSlots
		if word := t.nonzero[j/64] >> (j % 64); word != 0 {
			return d + uint64(bits.TrailingZeros64(word))
		}
		d += 64 - j%64
	}
	return timerSlots
}
