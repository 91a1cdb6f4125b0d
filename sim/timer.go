package sim

// Timer is a protocol's single timer that moves often — a retransmission
// timeout re-armed at every segment, a keepalive deadline pushed back by
// every packet — at the cost of few kernel events. It holds at most one
// event. Setting it later than that event only records the new time; the
// event, when it comes early, schedules itself again (Fire). Setting it
// earlier replaces the event, and clearing it (time 0) cancels the event,
// so that the kernel drops the entry without calling back into the owner,
// whose state would be a cache miss by then.
//
// A Timer set at almost every packet saves a schedule/cancel pair per
// packet. For timeouts set once and nearly always cleared, Timers (a
// wheel) costs less; for timers that move at every packet it measured
// slower (BENCHMARKS.md).
type Timer struct {
	want  Time // the time asked for, 0 for none
	sched Time // the time of the pending event, 0 for none
	id    EventID
}

// Set makes the timer due at at (0 clears it). When it is due, h receives
// an event of the given kind and argument, on which it must call Fire.
func (t *Timer) Set(k *Kernel, at Time, h Handler, kind int32, arg uint64) {
	t.want = at
	switch {
	case at == 0:
		if t.sched != 0 {
			k.Cancel(t.id)
			t.sched = 0
		}
		return
	case t.sched != 0 && t.sched <= at:
		return // the pending event comes first and will re-arm
	case t.sched != 0:
		k.Cancel(t.id)
	}
	t.sched = at
	t.id = k.Schedule(at, h, kind, arg)
}

// Fire handles the timer's event, which must carry the kind and argument
// given to Set, at now. It reports whether the timer is due; if it was
// moved later, it schedules the event again and reports false.
func (t *Timer) Fire(k *Kernel, now Time, h Handler, kind int32, arg uint64) bool {
	t.sched = 0
	switch {
	case t.want == 0:
		return false
	case t.want > now:
		t.sched = t.want
		t.id = k.Schedule(t.want, h, kind, arg)
		return false
	}
	t.want = 0
	return true
}

// Stop clears the timer, as Set with time 0.
func (t *Timer) Stop(k *Kernel) { t.Set(k, 0, nil, 0, 0) }

// At is the time the timer is due, 0 if it is not set.
func (t *Timer) At() Time { return t.want }
