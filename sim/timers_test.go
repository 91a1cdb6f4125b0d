package sim

import (
	"testing"
	"time"
)

// timersModel drives a Timers set with random operations and checks every
// firing against the deadlines it set: a timer fires exactly at its latest
// deadline, once, unless moved or cleared before.
type timersModel struct {
	t      *testing.T
	ts     *Timers
	s      Stream
	ids    []TimerID
	want   []Time // the deadline each timer should fire at, 0 for none
	fired  int
	ops    int
	maxOps int
}

const (
	kindDriver int32 = iota
	kindTimer
)

func (m *timersModel) HandleEvent(k *Kernel, ev Event) {
	switch ev.Kind {
	case kindDriver:
		// Operations happen at even nanoseconds and deadlines are odd, so no
		// operation ties with a deadline.
		for range 1 + m.s.IntN(5) {
			m.op(k.Now())
		}
		if m.ops < m.maxOps {
			k.Schedule(k.Now()+Time(2*(1+m.s.IntN(uint64(5*time.Millisecond)))), m, kindDriver, 0)
		}
	case kindTimer:
		j := ev.Arg
		if m.want[j] != ev.At {
			m.t.Fatalf("timer %d fired at %d; its deadline is %d", j, ev.At, m.want[j])
		}
		m.want[j] = 0
		m.fired++
		if m.s.Bernoulli(0.3) { // re-arm from its own handler, as protocols do
			m.set(j, ev.At+Time(1+2*m.s.IntN(uint64(time.Second))))
		}
	}
}

func (m *timersModel) set(j uint64, at Time) {
	m.want[j] = at
	m.ts.Set(m.ids[j], at)
}

func (m *timersModel) op(now Time) {
	m.ops++
	j := m.s.IntN(uint64(len(m.ids)))
	var d uint64
	switch m.s.IntN(6) {
	case 0:
		m.set(j, 0)
		return
	case 1: // within a slot or two
		d = m.s.IntN(uint64(40 * time.Millisecond))
	case 2: // a retransmission timeout
		d = m.s.IntN(uint64(3 * time.Second))
	case 3: // a keepalive
		d = uint64(60*time.Second) + m.s.IntN(uint64(40*time.Second))
	case 4: // past the ring's span
		d = uint64(150*time.Second) + m.s.IntN(uint64(400*time.Second))
	case 5: // a little later than before, often in the same slot
		if m.want[j] != 0 {
			m.set(j, m.want[j]+2)
			return
		}
		d = m.s.IntN(uint64(time.Second))
	}
	m.set(j, now+Time(1+2*(d/2)))
}

func TestTimersFireExactlyTheLatestDeadlines(t *testing.T) {
	for _, width := range []time.Duration{time.Microsecond, 16 * time.Millisecond, time.Second} {
		t.Run(width.String(), func(t *testing.T) {
			k := NewKernel()
			m := &timersModel{t: t, ts: NewTimers(k, width), s: NewStream(3, "timers", width.String()), maxOps: 200_000}
			for j := range 300 {
				m.ids = append(m.ids, m.ts.Add(m, kindTimer, uint64(j)))
			}
			m.want = make([]Time, len(m.ids))
			k.Schedule(0, m, kindDriver, 0)
			k.Run(Never)
			for j, at := range m.want {
				if at != 0 {
					t.Errorf("timer %d never fired at its deadline %d", j, at)
				}
			}
			if m.fired < 10_000 {
				t.Errorf("only %d timers fired: the test exercises too little", m.fired)
			}
			if k.Pending() != 0 {
				t.Errorf("%d events pending after the last timer fired", k.Pending())
			}
		})
	}
}

// counter counts the events it gets.
type counter struct{ n int }

func (c *counter) HandleEvent(*Kernel, Event) { c.n++ }

// TestTimersClearedBeforeTheyComeCostNoEvents: retransmission timeouts
// cleared by their acknowledgement, and keepalive deadlines pushed back
// before they come, never become kernel events: the only events are the
// wheel's ticks, far fewer than the settings.
func TestTimersClearedBeforeTheyComeCostNoEvents(t *testing.T) {
	k := NewKernel()
	ts := NewTimers(k, 16*time.Millisecond)
	c := &counter{}
	const n = 1000
	rto, ka := make([]TimerID, n), make([]TimerID, n)
	for i := range n {
		rto[i], ka[i] = ts.Add(c, 0, uint64(i)), ts.Add(c, 1, uint64(i))
	}
	sets := 0
	s := NewStream(1, "timers", "keepalive")
	for sec := range 300 {
		now := Time(sec) * Time(time.Second)
		k.Run(now)
		for i := range n {
			ts.Set(rto[i], now+Time(200*time.Millisecond)+Time(s.IntN(uint64(time.Second))))
			ts.Set(ka[i], now+Time(90*time.Second)+Time(s.IntN(uint64(time.Second))))
			sets += 2
		}
		k.Run(now + Time(20*time.Millisecond)) // the acknowledgements
		for i := range n {
			ts.Set(rto[i], 0)
		}
	}
	if c.n != 0 {
		t.Errorf("%d cleared or pushed-back timers fired", c.n)
	}
	if ev := int(k.Events()); ev > sets/10 {
		t.Errorf("%d kernel events for %d settings; want ticks only (fewer than %d)", ev, sets, sets/10)
	}
	// Left alone, every keepalive fires at its last deadline.
	k.Run(Never)
	if c.n != n {
		t.Errorf("%d of %d keepalive timers fired after the pushes stopped", c.n, n)
	}
}

// TestTimersPastAndClearedDeadlines: a deadline in the past fires now; one
// set within the current slot and cleared again never fires.
func TestTimersPastAndClearedDeadlines(t *testing.T) {
	k := NewKernel()
	ts := NewTimers(k, time.Millisecond)
	a, b := &counter{}, &counter{}
	id := ts.Add(b, 0, 0)
	ts.Set(id, Time(2*time.Second))
	k.Run(Never)
	ts.Set(id, Time(time.Second))
	k.Run(Never)
	cleared := ts.Add(a, 0, 0)
	ts.Set(cleared, k.Now()+1)
	ts.Set(cleared, 0)
	k.Run(Never)
	if b.n != 2 || a.n != 0 || k.Now() != Time(2*time.Second) {
		t.Errorf("fired %d times, last at %v, cleared one %d times; want 2 at 2s, 0", b.n, k.Now(), a.n)
	}
}

func TestTimersSteadyStateAllocateNothing(t *testing.T) {
	k := NewKernel()
	k.Grow(4096)
	ts := NewTimers(k, 16*time.Millisecond)
	c := &counter{}
	ids := make([]TimerID, 256)
	for i := range ids {
		ids[i] = ts.Add(c, 0, 0)
	}
	step := func() {
		now := k.Now()
		for i, id := range ids {
			ts.Set(id, now+Time(i+1)*Time(time.Millisecond))
		}
		k.Run(now + Time(100*time.Millisecond))
	}
	for range 1500 { // warm up: a turn of the ring (137 s), so every slot list has its size
		step()
	}
	if a := testing.AllocsPerRun(100, step); a != 0 {
		t.Errorf("%v allocations per round; want 0", a)
	}
}

// TestTimersGrow: after Grow(n), adding n timers allocates nothing.
func TestTimersGrow(t *testing.T) {
	ts := NewTimers(NewKernel(), 16*time.Millisecond)
	c := &counter{}
	ts.Grow(2000)
	if a := testing.AllocsPerRun(1, func() { // runs twice: 2000 timers
		for range 1000 {
			ts.Add(c, 0, 0)
		}
	}); a != 0 {
		t.Errorf("%v allocations adding 2000 timers after Grow(2000); want 0", a)
	}
}
