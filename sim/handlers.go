package sim

// Queue entries name their handler by a uint32 index into a table of
// interned handlers instead of holding the Handler interface. That keeps
// entries free of pointers: moving them costs no GC write barriers and the
// garbage collector never scans the queue. Firing an event reads the table,
// which is small when handlers are few (a group, a link) and hot when the
// firing handler reschedules itself.
//
// Interning is O(1) and allocation-free in steady state: Schedule compares h
// with the handler that last fired and the few last looked up, and only then
// consults a map (a model with a handful of busy handlers — a network, a
// group, a protocol adapter — alternating between them would otherwise pay
// a map lookup for most events). Each record counts the
// queued entries naming it, and records that name none are dropped whenever
// the number of records in use has doubled since the last sweep, so
// handlers created and abandoned during a run (per connection, say) are not
// kept alive.
//
// Handlers are matched with ==, so equal handler values share a record —
// harmless, since equal values behave alike. A handler whose dynamic type
// cannot be hashed (a func, or a struct holding a slice) gets a record of
// its own for each event instead.

// handlerRec is one entry of the handler table; a free record has h == nil.
type handlerRec struct {
	h        Handler
	refs     int32 // queued entries naming this record
	interned bool  // in the index; otherwise used for one entry only
}

// handlerSweepMin is the number of records in use below which the table is
// never swept.
const handlerSweepMin = 1024

// handlerTable interns handlers. Record 0 is never used, so that index 0
// can stand for "none" in fired and looked.
type handlerTable struct {
	recs    []handlerRec
	index   map[Handler]uint32
	free    []uint32
	sweepAt int                    // records in use that trigger the next sweep
	fired   uint32                 // the interned handler that fired last, or 0
	looked  [recentHandlers]uint32 // handlers last found or added by lookup, or 0
	next    uint32                 // the entry of looked to replace next
}

// recentHandlers is the number of recently looked-up handlers ref tries
// before the map.
const recentHandlers = 4

func (t *handlerTable) init() {
	t.recs = []handlerRec{{}} // record 0: none
	t.index = make(map[Handler]uint32)
	t.sweepAt = handlerSweepMin
}

// ref returns the index of h's record and counts one more entry naming it.
func (t *handlerTable) ref(h Handler) uint32 {
	i := t.fired
	if t.recs[i].h != h {
		i = t.recent(h)
	}
	t.recs[i].refs++
	return i
}

// recent returns h's record if it is among the recently looked-up ones,
// else looks it up.
func (t *handlerTable) recent(h Handler) uint32 {
	for _, i := range t.looked {
		if t.recs[i].h == h {
			return i
		}
	}
	return t.lookup(h)
}

// remember makes record i one of the recently looked-up ones.
func (t *handlerTable) remember(i uint32) {
	t.looked[t.next] = i
	t.next = (t.next + 1) % recentHandlers
}

// unref counts one entry fewer naming record i and returns its handler.
func (t *handlerTable) unref(i uint32) Handler {
	r := &t.recs[i]
	r.refs--
	if r.interned {
		t.fired = i
	}
	return r.h
}

// lookup finds or adds h's record.
func (t *handlerTable) lookup(h Handler) uint32 {
	i, found, hashable := mapLookup(t.index, h)
	if found {
		t.remember(i)
		return i
	}
	if len(t.recs)-len(t.free) >= t.sweepAt {
		t.sweep()
	}
	if n := len(t.free); n > 0 {
		i = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		i = uint32(len(t.recs))
		t.recs = append(t.recs, handlerRec{})
	}
	t.recs[i] = handlerRec{h: h, interned: hashable}
	if hashable {
		t.index[h] = i
		t.remember(i)
	}
	return i
}

// mapLookup is m[h], reporting instead of panicking when h's dynamic type
// cannot be hashed. Only the slow path of ref reaches it.
func mapLookup(m map[Handler]uint32, h Handler) (i uint32, found, hashable bool) {
	defer func() {
		if recover() != nil {
			hashable = false
		}
	}()
	i, found = m[h]
	return i, found, true
}

// sweep frees the records that no queued entry names and rebuilds the
// index from the others. It runs when the records in use have doubled, so
// its cost is O(1) per record added.
func (t *handlerTable) sweep() {
	clear(t.index)
	for i := 1; i < len(t.recs); i++ {
		r := &t.recs[i]
		switch {
		case r.h == nil:
		case r.refs == 0:
			*r = handlerRec{}
			t.free = append(t.free, uint32(i))
		case r.interned:
			t.index[r.h] = uint32(i)
		}
	}
	t.sweepAt = max(handlerSweepMin, 2*(len(t.recs)-len(t.free)))
	t.fired, t.looked = 0, [recentHandlers]uint32{}
}
