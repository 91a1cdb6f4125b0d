package sim

// Timer is a one-shot timer that can be re-armed and stopped, for protocol
// timeouts. It holds at most one pending event: re-arming cancels the old one.
type Timer struct {
	id EventID
	at Time
}

// Set arms the timer to fire at time at, replacing any earlier setting.
func (t *Timer) Set(k *Kernel, at Time, h Handler, kind int32, arg uint64) {
	if t.id.Valid() {
		k.Cancel(t.id)
	}
	t.id = k.Schedule(at, h, kind, arg)
	t.at = at
}

// Stop disarms the timer.
func (t *Timer) Stop(k *Kernel) {
	if t.id.Valid() {
		k.Cancel(t.id)
	}
	t.id = EventID{}
}

// Fired marks the timer as no longer armed; call it from the handler when
// the timer's event arrives.
func (t *Timer) Fired() { t.id = EventID{} }

// Armed reports whether the timer is set and has not fired or been stopped.
func (t *Timer) Armed() bool { return t.id.Valid() }

// At is the time the timer is set to fire (meaningful only while Armed).
func (t *Timer) At() Time { return t.at }
