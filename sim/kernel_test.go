package sim

import (
	"container/heap"
	"fmt"
	"math"
	"slices"
	"sort"
	"testing"
	"time"
)

// recorder is a Handler that logs what it receives and may stop the kernel.
type recorder struct {
	name  string
	fired []fired
	stop  bool // call Stop from every event
}

type fired struct {
	by   string
	at   Time
	kind int32
	arg  uint64
}

func (r *recorder) HandleEvent(k *Kernel, ev Event) {
	if ev.At != k.Now() {
		panic(fmt.Sprintf("event at %v handled at Now() = %v", ev.At, k.Now()))
	}
	r.fired = append(r.fired, fired{r.name, ev.At, ev.Kind, ev.Arg})
	if r.stop {
		k.Stop()
	}
}

// sharedLog lets several handlers append to one log, to check the order of
// events across handlers.
type sharedLog struct {
	name string
	log  *[]fired
	stop bool
}

func (s *sharedLog) HandleEvent(k *Kernel, ev Event) {
	*s.log = append(*s.log, fired{s.name, ev.At, ev.Kind, ev.Arg})
	if s.stop {
		k.Stop()
	}
}

// A timeDist draws the time of a new event given the current time; times
// before now are allowed (the kernel clamps them).
type timeDist struct {
	name string
	draw func(s *Stream, now Time) Time
}

// timeDists stress the queue: ties, skew, far outliers, single instants,
// huge spans and times at Never.
var timeDists = []timeDist{
	{"ties", func(s *Stream, now Time) Time { return now + Time(s.IntN(4)) }},
	{"uniform", func(s *Stream, now Time) Time { return now + Time(s.IntN(1_000_000)) }},
	{"exp", func(s *Stream, now Time) Time { return now + Time(s.Exp()*1e9) }},
	{"bimodal", func(s *Stream, now Time) Time {
		if s.Bernoulli(0.9) {
			return now + Time(s.IntN(1000))
		}
		return now + 60e9 + Time(s.IntN(1e9))
	}},
	{"grid", func(s *Stream, now Time) Time { return now/1000*1000 + 1000*Time(s.IntN(100)) }},
	{"instant", func(s *Stream, now Time) Time { return max(now, 5e9) }},
	{"wide", func(s *Stream, now Time) Time { return now.Add(time.Duration(1) << s.IntN(63)) }},
	{"never", func(s *Stream, now Time) Time {
		switch s.IntN(4) {
		case 0:
			return Never
		case 1:
			return Never - Time(s.IntN(3))
		}
		return now + Time(s.IntN(100))
	}},
	{"past", func(s *Stream, now Time) Time { return now - 50 + Time(s.IntN(100)) }},
	// Constant delays (which get FIFO lanes) mixed with random ones.
	{"lanes", func(s *Stream, now Time) Time {
		switch s.IntN(5) {
		case 0:
			return now + 10e6
		case 1:
			return now + 60e9
		case 2:
			return now
		case 3:
			return now + Time(1+s.IntN(8))*1e9
		}
		return now + Time(s.IntN(3e9))
	}},
}

// TestOrderStatic schedules thousands of events up front, cancels some and
// checks that the rest fire in the order of a stable sort by time.
func TestOrderStatic(t *testing.T) {
	for _, n := range []int{1, 10, 100, 5000, 30000} {
		for _, d := range timeDists {
			t.Run(fmt.Sprintf("%s/%d", d.name, n), func(t *testing.T) {
				s := NewStream(uint64(n), "static", d.name)
				k := NewKernel()
				var log []fired
				hs := []*sharedLog{{name: "a", log: &log}, {name: "b", log: &log}, {name: "c", log: &log}}
				type sched struct {
					at        Time
					arg       uint64
					by        string
					cancelled bool
				}
				want := make([]sched, n)
				ids := make([]EventID, n)
				for i := range want {
					at := max(d.draw(&s, 0), 0)
					h := hs[s.IntN(3)]
					want[i] = sched{at: at, arg: uint64(i), by: h.name}
					ids[i] = k.Schedule(at, h, int32(i%5), uint64(i))
				}
				live := n
				for i := range want {
					if s.Bernoulli(0.2) {
						if !k.Cancel(ids[i]) {
							t.Fatalf("Cancel(pending %d) = false", i)
						}
						want[i].cancelled = true
						live--
					}
				}
				if k.Pending() != live {
					t.Fatalf("Pending() = %d; want %d", k.Pending(), live)
				}
				sort.SliceStable(want, func(a, b int) bool { return want[a].at < want[b].at })
				k.Run(Never)
				var got []sched
				for _, f := range log {
					if f.kind != int32(f.arg%5) {
						t.Fatalf("event %d has kind %d", f.arg, f.kind)
					}
					got = append(got, sched{at: f.at, arg: f.arg, by: f.by})
				}
				want = slices.DeleteFunc(want, func(x sched) bool { return x.cancelled })
				if !slices.Equal(got, want) {
					t.Fatalf("fired %d events, want %d; first difference at %d", len(got), len(want), firstDiff(got, want))
				}
				if k.Pending() != 0 || k.Events() != uint64(live) {
					t.Errorf("after Run: Pending() = %d, Events() = %d; want 0, %d", k.Pending(), k.Events(), live)
				}
				if live > 0 && k.Now() != want[len(want)-1].at {
					t.Errorf("Now() = %v; want %v", k.Now(), want[len(want)-1].at)
				}
			})
		}
	}
}

func firstDiff[T comparable](a, b []T) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// refQueue is the reference for TestOrderDynamic: container/heap ordered by
// (time, sequence), with cancelled events removed from the heap directly.
type refQueue struct {
	now  Time
	seq  int
	evs  refHeap
	byID map[int]*refEvent
}

type refEvent struct {
	at       Time
	seq, tag int
	index    int
}

type refHeap []*refEvent

func (h refHeap) Len() int { return len(h) }
func (h refHeap) Less(i, j int) bool {
	return h[i].at < h[j].at || (h[i].at == h[j].at && h[i].seq < h[j].seq)
}
func (h refHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *refHeap) Push(x any) { e := x.(*refEvent); e.index = len(*h); *h = append(*h, e) }
func (h *refHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

func (r *refQueue) schedule(at Time, tag int) {
	r.seq++
	e := &refEvent{at: max(at, r.now), seq: r.seq, tag: tag}
	heap.Push(&r.evs, e)
	r.byID[tag] = e
}

func (r *refQueue) cancel(tag int) bool {
	e, ok := r.byID[tag]
	if !ok {
		return false
	}
	heap.Remove(&r.evs, e.index)
	delete(r.byID, tag)
	return true
}

func (r *refQueue) next() (tag int, ok bool) {
	if len(r.evs) == 0 {
		return 0, false
	}
	e := heap.Pop(&r.evs).(*refEvent)
	delete(r.byID, e.tag)
	r.now = e.at
	return e.tag, true
}

// TestOrderDynamic interleaves scheduling, cancelling and firing, as a
// model does, and compares every fired event with the reference queue.
func TestOrderDynamic(t *testing.T) {
	sizes := []struct {
		pending int
		churn   bool // cancel recently scheduled events at a high rate
	}{{3, false}, {300, false}, {6000, false}, {6000, true}}
	for _, d := range timeDists {
		for _, size := range sizes {
			pending := size.pending
			t.Run(fmt.Sprintf("%s/%d/churn=%v", d.name, pending, size.churn), func(t *testing.T) {
				s := NewStream(uint64(pending), "dynamic", d.name)
				k := NewKernel()
				ref := &refQueue{byID: map[int]*refEvent{}}
				hs := []*recorder{{name: "a", stop: true}, {name: "b", stop: true}}
				var ids []EventID
				steps := 40_000
				if pending > 1000 {
					steps = 60_000
				}
				for step := range steps {
					// Keep about `pending` events queued, in bursts.
					adds := int(s.IntN(3))
					if k.Pending() < pending {
						adds += int(s.IntN(uint64(pending/10 + 2)))
					}
					for range adds {
						tag := len(ids)
						at := d.draw(&s, k.Now())
						ids = append(ids, k.Schedule(at, hs[tag%2], int32(tag), uint64(tag)))
						ref.schedule(at, tag)
					}
					cancels := 0
					if s.Bernoulli(0.3) {
						cancels = 1
					}
					if size.churn {
						cancels = int(s.IntN(4))
					}
					for range cancels {
						if len(ids) == 0 {
							break
						}
						tag := int(s.IntN(uint64(len(ids))))
						if size.churn {
							tag = len(ids) - 1 - int(s.IntN(uint64(min(len(ids), 2*pending))))
						}
						if got, want := k.Cancel(ids[tag]), ref.cancel(tag); got != want {
							t.Fatalf("step %d: Cancel(event %d) = %v; want %v", step, tag, got, want)
						}
					}
					if k.Pending() != len(ref.evs) {
						t.Fatalf("step %d: Pending() = %d; want %d", step, k.Pending(), len(ref.evs))
					}
					wantAt := Never // NextAt, through the ladder and the lanes
					if len(ref.evs) > 0 {
						wantAt = ref.evs[0].at
					}
					if got := k.NextAt(); got != wantAt {
						t.Fatalf("step %d: NextAt() = %v; want %v", step, got, wantAt)
					}
					n0, n1 := len(hs[0].fired), len(hs[1].fired)
					k.Run(Never) // the handler stops after one event
					wantTag, ok := ref.next()
					var got []fired
					got = append(got, hs[0].fired[n0:]...)
					got = append(got, hs[1].fired[n1:]...)
					switch {
					case !ok && len(got) == 0:
						continue
					case len(got) != 1 || !ok:
						t.Fatalf("step %d: fired %v; want event %d (pending %v)", step, got, wantTag, ok)
					case got[0].arg != uint64(wantTag) || got[0].at != ref.now || got[0].by != hs[wantTag%2].name:
						t.Fatalf("step %d: fired %+v; want event %d at %v", step, got[0], wantTag, ref.now)
					case k.Now() != ref.now:
						t.Fatalf("step %d: Now() = %v; want %v", step, k.Now(), ref.now)
					}
				}
				// Drain the rest in one go.
				hs[0].stop, hs[1].stop = false, false
				n0, n1 := len(hs[0].fired), len(hs[1].fired)
				k.Run(Never)
				var got []int
				for _, f := range append(hs[0].fired[n0:], hs[1].fired[n1:]...) {
					got = append(got, int(f.arg))
				}
				var want []int
				for {
					tag, ok := ref.next()
					if !ok {
						break
					}
					want = append(want, tag)
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("drain fired %d events; want %d", len(got), len(want))
				}
				if d.name == "lanes" && pending > 1000 && len(k.lanes) < 3 {
					t.Errorf("%d lanes; want the constant delays to have lanes", len(k.lanes))
				}
				if k.Pending() != 0 || k.queued() != 0 {
					t.Errorf("after drain: Pending() = %d, queued %d", k.Pending(), k.queued())
				}
			})
		}
	}
}

// TestBurstBelowHorizon makes near grow far past nearMax by inserting many
// events earlier than events already queued, the case that spills near
// into a rung.
func TestBurstBelowHorizon(t *testing.T) {
	k := NewKernel()
	var log []fired
	h := &sharedLog{name: "h", log: &log}
	s := NewStream(1, "burst", "time")
	type ev struct {
		at  Time
		arg uint64
	}
	var want []ev
	add := func(at Time) {
		want = append(want, ev{at, uint64(len(want))})
		k.Schedule(at, h, 0, uint64(len(want)-1))
	}
	for range 10 {
		add(1e9 + Time(s.IntN(10)))
	}
	for round := range 5 {
		for range 3 * nearMax {
			add(Time(round)*1000 + Time(s.IntN(1e6)))
		}
		for range nearMax {
			add(7e8) // one instant
		}
	}
	sort.SliceStable(want, func(a, b int) bool { return want[a].at < want[b].at })
	k.Run(Never)
	if len(log) != len(want) {
		t.Fatalf("fired %d events; want %d", len(log), len(want))
	}
	for i, f := range log {
		if f.at != want[i].at || f.arg != want[i].arg {
			t.Fatalf("event %d: fired %d at %v; want %d at %v", i, f.arg, f.at, want[i].arg, want[i].at)
		}
	}
}

// periodic is a fleet of timers that each fire every period at their own
// phase, as periodic sensors do.
type periodic struct {
	period  Time
	jitter  *Stream // if set, each period is longer by up to 1 µs
	maxNear int     // the largest near heap seen when an event fires
	maxRung int     // the deepest ladder seen
	maxQ    int     // the most entries seen in the ladder queue
}

func (p *periodic) HandleEvent(k *Kernel, ev Event) {
	p.maxNear = max(p.maxNear, len(k.q.near))
	p.maxRung = max(p.maxRung, k.q.depth)
	p.maxQ = max(p.maxQ, k.q.len())
	next := ev.At + p.period
	if p.jitter != nil {
		next += Time(p.jitter.IntN(1000))
	}
	k.Schedule(next, p, 0, ev.Arg)
}

// TestPeriodicKeepsHeapSmall: events re-scheduled one period ahead all land
// in a rung's last bucket. Each time that bucket is reached it must become
// a rung in place of the finished one; if the ladder instead deepened once
// per period, it would hit maxRungs after a few periods and hand every
// later period, whole, to the heap (this happened: 100,000 sensors had a
// heap of ~90,000 entries and the queue cost twice as much).
func TestPeriodicKeepsHeapSmall(t *testing.T) {
	const n, periods = 20_000, 30
	k := NewKernel()
	// The jitter keeps every delay distinct, so that no FIFO lane takes
	// the events and the ladder has to hold them.
	jitter := NewStream(1, "periodic", "jitter")
	p := &periodic{period: Time(time.Minute), jitter: &jitter}
	s := NewStream(1, "periodic", "phase")
	for i := range n {
		k.Schedule(Time(s.IntN(uint64(p.period))), p, 0, uint64(i))
	}
	k.Run(periods * p.period)
	if len(k.lanes) != 0 || p.maxQ < n/2 {
		t.Fatalf("%d lanes, at most %d entries in the ladder: the test does not exercise the ladder", len(k.lanes), p.maxQ)
	}
	if got := k.Events(); got < (periods-2)*n {
		t.Fatalf("fired %d events; want at least %d", got, (periods-1)*n)
	}
	if p.maxRung >= maxRungs || p.maxNear > 2*nearMax {
		t.Errorf("ladder depth reached %d (limit %d), near heap %d entries (spill at %d)", p.maxRung, maxRungs, p.maxNear, nearMax)
	}
}

func TestCancel(t *testing.T) {
	h := &recorder{name: "h"}
	tests := []struct {
		name string
		run  func(k *Kernel) (got, want bool)
	}{
		{"pending", func(k *Kernel) (bool, bool) {
			id := k.Schedule(10, h, 0, 0)
			return k.Cancel(id), true
		}},
		{"twice", func(k *Kernel) (bool, bool) {
			id := k.Schedule(10, h, 0, 0)
			k.Cancel(id)
			return k.Cancel(id), false
		}},
		{"after fire", func(k *Kernel) (bool, bool) {
			id := k.Schedule(10, h, 0, 0)
			k.Run(Never)
			return k.Cancel(id), false
		}},
		{"zero id", func(k *Kernel) (bool, bool) {
			return k.Cancel(EventID{}), false
		}},
		{"stale id of a reused slot", func(k *Kernel) (bool, bool) {
			id := k.Schedule(10, h, 0, 0)
			k.Run(Never)
			k.Schedule(20, h, 0, 0) // takes the same slot
			return k.Cancel(id), false
		}},
		{"foreign id", func(k *Kernel) (bool, bool) {
			other := NewKernel()
			for range 10 {
				other.Schedule(1, h, 0, 0)
			}
			return k.Cancel(other.Schedule(1, h, 0, 0)), false
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := tt.run(NewKernel()); got != want {
				t.Errorf("Cancel = %v; want %v", got, want)
			}
		})
	}
}

func TestCancelledNeverFires(t *testing.T) {
	k := NewKernel()
	h := &recorder{name: "h"}
	a := k.Schedule(10, h, 0, 1)
	k.Schedule(10, h, 0, 2)
	c := k.Schedule(20, h, 0, 3)
	if !a.Valid() || (EventID{}).Valid() {
		t.Fatal("Valid: want true for a scheduled id, false for the zero id")
	}
	if k.Pending() != 3 {
		t.Fatalf("Pending() = %d; want 3", k.Pending())
	}
	k.Cancel(a)
	k.Cancel(c)
	if k.Pending() != 1 {
		t.Fatalf("Pending() after two cancels = %d; want 1", k.Pending())
	}
	if got := k.NextAt(); got != 10 {
		t.Errorf("NextAt() = %v; want 10", got)
	}
	k.Run(Never)
	if len(h.fired) != 1 || h.fired[0].arg != 2 {
		t.Errorf("fired %v; want only event 2", h.fired)
	}
	if k.Pending() != 0 || k.Events() != 1 {
		t.Errorf("Pending() = %d, Events() = %d; want 0, 1", k.Pending(), k.Events())
	}
	if got := k.NextAt(); got != Never {
		t.Errorf("NextAt() on an empty queue = %v; want Never", got)
	}
}

func TestNextAtSkipsCancelled(t *testing.T) {
	k := NewKernel()
	h := &recorder{name: "h"}
	a := k.Schedule(5, h, 0, 0)
	k.Schedule(7, h, 0, 0)
	k.Cancel(a)
	if got := k.NextAt(); got != 7 {
		t.Errorf("NextAt() = %v; want 7", got)
	}
	if k.Pending() != 1 {
		t.Errorf("Pending() = %d; want 1", k.Pending())
	}
}

func TestRunUntil(t *testing.T) {
	k := NewKernel()
	h := &recorder{name: "h"}
	for _, at := range []Time{10, 20, 20, 30} {
		k.Schedule(at, h, 0, uint64(at))
	}
	steps := []struct {
		until   Time
		fired   int
		now     Time
		pending int
	}{
		{5, 0, 5, 4},
		{20, 3, 20, 1}, // until is inclusive
		{25, 3, 25, 1},
		{25, 3, 25, 1},
		{Never, 4, 30, 0}, // Never leaves Now at the last event
		{100, 4, 100, 0},  // an empty queue still advances to until
		{50, 4, 100, 0},   // time never goes back
	}
	for _, st := range steps {
		k.Run(st.until)
		if len(h.fired) != st.fired || k.Now() != st.now || k.Pending() != st.pending {
			t.Errorf("Run(%v): fired %d, Now() = %v, Pending() = %d; want %d, %v, %d",
				st.until, len(h.fired), k.Now(), k.Pending(), st.fired, st.now, st.pending)
		}
	}
}

// stopper stops the kernel on its n-th event.
type stopper struct {
	n, seen int
}

func (s *stopper) HandleEvent(k *Kernel, ev Event) {
	s.seen++
	if s.seen == s.n {
		k.Stop()
	}
}

func TestStop(t *testing.T) {
	k := NewKernel()
	s := &stopper{n: 3}
	for i := range 6 {
		k.Schedule(Time(10*(i+1)), s, 0, 0)
	}
	k.Run(1000)
	if s.seen != 3 || k.Now() != 30 || k.Pending() != 3 {
		t.Fatalf("after Stop: seen %d, Now() = %v, Pending() = %d; want 3, 30, 3", s.seen, k.Now(), k.Pending())
	}
	k.Run(1000) // Stop does not stick
	if s.seen != 6 || k.Now() != 1000 {
		t.Errorf("second Run: seen %d, Now() = %v; want 6, 1000", s.seen, k.Now())
	}
}

func TestPastIsClampedToNow(t *testing.T) {
	k := NewKernel()
	var log []fired
	h := &sharedLog{name: "h", log: &log}
	k.Run(100)
	k.Schedule(100, h, 0, 1)
	k.Schedule(50, h, 0, 2) // treated as 100, after event 1
	k.Schedule(-5, h, 0, 3)
	k.After(-time.Second, h, 0, 4)
	k.Run(Never)
	want := []fired{{"h", 100, 0, 1}, {"h", 100, 0, 2}, {"h", 100, 0, 3}, {"h", 100, 0, 4}}
	if !slices.Equal(log, want) {
		t.Errorf("fired %v; want %v", log, want)
	}
}

func TestAfter(t *testing.T) {
	k := NewKernel()
	h := &recorder{name: "h"}
	k.Run(Time(time.Second))
	k.After(time.Millisecond, h, 7, 9)
	k.After(time.Duration(Never), h, 8, 0) // saturates at Never
	k.Run(Never)
	want := []fired{{"h", Time(time.Second + time.Millisecond), 7, 9}, {"h", Never, 8, 0}}
	if !slices.Equal(h.fired, want) {
		t.Errorf("fired %v; want %v", h.fired, want)
	}
}

// TestStampWrap checks event IDs across the wrap of the 32-bit stamp.
func TestStampWrap(t *testing.T) {
	k := NewKernel()
	h := &recorder{name: "h"}
	k.stamp = math.MaxUint32 - 2
	var ids []EventID
	for i := range 6 {
		ids = append(ids, k.Schedule(Time(i), h, 0, uint64(i)))
	}
	for i, id := range ids {
		if !id.Valid() {
			t.Fatalf("id %d (stamp %d) is not valid", i, id.stamp)
		}
	}
	if !k.Cancel(ids[3]) || k.Cancel(ids[3]) || !k.Cancel(ids[4]) {
		t.Error("Cancel across the stamp wrap: want true, false, true")
	}
	k.Run(Never)
	if len(h.fired) != 4 {
		t.Errorf("fired %v; want 4 events", h.fired)
	}
}

func TestGrow(t *testing.T) {
	k := NewKernel()
	h := &recorder{name: "h"}
	k.Schedule(0, h, 0, 0) // the handler is interned once
	k.Run(Never)
	k.Grow(10_000)
	if c := cap(k.stamps); c < 10_000 {
		t.Fatalf("Grow(10000): room for %d events", c)
	}
	// Scheduling into the reserved room allocates nothing for the kernel
	// (the recorder's log is grown up front). AllocsPerRun calls the
	// function twice: 4000 events in all, all in near (no rung yet).
	h.fired = make([]fired, 0, 4000)
	if a := testing.AllocsPerRun(1, func() {
		for i := range 2000 {
			k.Schedule(Time(i), h, 0, 0)
		}
	}); a != 0 {
		t.Errorf("%v allocations scheduling 2000 events after Grow(10000); want 0", a)
	}
	k.Grow(100) // smaller than what is there: no effect
	if c := cap(k.stamps); c < 10_000 {
		t.Errorf("Grow(100) shrank the room to %d", c)
	}
	k.Run(Never)
	if len(h.fired) != 4000 {
		t.Errorf("fired %d events; want 4000", len(h.fired))
	}
}

func TestSchedulePanicsOnNilHandler(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Schedule(nil handler) did not panic")
		}
	}()
	NewKernel().Schedule(0, nil, 0, 0)
}

// timerOwner counts the times its Timer came due.
type timerOwner struct {
	timer Timer
	fires int
}

func (o *timerOwner) HandleEvent(k *Kernel, ev Event) {
	if o.timer.Fire(k, ev.At, o, ev.Kind, ev.Arg) {
		o.fires++
	}
}

func TestTimer(t *testing.T) {
	k := NewKernel()
	o := &timerOwner{}
	tm := &o.timer
	if tm.At() != 0 {
		t.Fatal("zero Timer is set")
	}
	tm.Set(k, 10, o, 0, 0)
	tm.Set(k, 20, o, 0, 0) // later: recorded, no second event
	if tm.At() != 20 || k.Pending() != 1 {
		t.Fatalf("moved later: At() = %v, Pending() = %d; want 20, 1", tm.At(), k.Pending())
	}
	k.Run(15) // the early event re-arms itself
	if o.fires != 0 || k.Pending() != 1 {
		t.Fatalf("after the early event: fires %d, Pending() = %d; want 0, 1", o.fires, k.Pending())
	}
	k.Run(25)
	if o.fires != 1 || tm.At() != 0 || k.Now() != 25 {
		t.Fatalf("timer at 20: fires %d, At() = %v; want 1, 0", o.fires, tm.At())
	}
	tm.Set(k, 40, o, 0, 0)
	tm.Set(k, 30, o, 0, 0) // earlier: the event moves
	k.Run(35)
	if o.fires != 2 || k.Pending() != 0 {
		t.Fatalf("moved earlier: fires %d, Pending() = %d; want 2, 0", o.fires, k.Pending())
	}
	tm.Set(k, 50, o, 0, 0)
	tm.Stop(k) // cleared: the event is cancelled, not left to come early
	if tm.At() != 0 || k.Pending() != 0 {
		t.Errorf("after Stop: At() = %v, Pending() = %d; want 0, 0", tm.At(), k.Pending())
	}
	tm.Stop(k) // stopping a stopped timer is harmless
	k.Run(Never)
	if o.fires != 2 || k.Events() != 3 {
		t.Errorf("stopped timer: fires %d, events %d; want 2 and 3 (10, 20, 30)", o.fires, k.Events())
	}
	tm.Set(k, 60, o, 0, 0) // set again after Stop
	k.Run(Never)
	if o.fires != 3 || k.Now() != 60 {
		t.Errorf("set after Stop: fires %d, Now() = %v; want 3, 60", o.fires, k.Now())
	}
}

// rearmer cancels and re-schedules its event at every setting, the pattern
// that leaves cancelled entries in the queue.
type rearmer struct {
	id    EventID
	fires int
}

func (r *rearmer) set(k *Kernel, at Time, arg uint64) {
	k.Cancel(r.id)
	r.id = k.Schedule(at, r, 0, arg)
}

func (r *rearmer) HandleEvent(k *Kernel, ev Event) { r.fires++ }

// TestPurgeBoundsLanes re-arms keepalive-like timers, each at now plus one
// constant delay, so that they sit in a FIFO lane: the cancelled entries
// must not pile up there either.
func TestPurgeBoundsLanes(t *testing.T) {
	const n = 2000
	k := NewKernel()
	rs := make([]rearmer, n)
	for round := range 500 {
		for i := range rs {
			rs[i].set(k, k.Now()+Time(time.Minute), uint64(i))
		}
		if q := k.queued(); q > 2*n+purgeMin+1 {
			t.Fatalf("round %d: %d queue entries for %d pending events", round, q, k.Pending())
		}
		k.Run(k.Now() + Time(time.Second)) // time passes; nothing is due
	}
	if len(k.lanes) == 0 {
		t.Fatal("no lane formed: the test exercises the ladder only")
	}
	k.Run(Never)
	for i := range rs {
		if rs[i].fires != 1 {
			t.Fatalf("timer %d fired %d times; want 1", i, rs[i].fires)
		}
	}
}

// TestPurgeBoundsMemory re-arms many timers over and over without letting
// them fire: the cancelled entries must not pile up in the queue.
func TestPurgeBoundsMemory(t *testing.T) {
	for _, n := range []int{100, 20_000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			k := NewKernel()
			s := NewStream(uint64(n), "purge", "time")
			rs := make([]rearmer, n)
			rounds := 2_000_000 / n
			last := make([]Time, n)
			for round := range rounds {
				for i := range rs {
					// Later and later, in an order that mixes buckets.
					last[i] = Time(1e6 + round*n + int(s.IntN(uint64(n))))
					rs[i].set(k, last[i], uint64(i))
				}
				if q := k.queued(); q > 2*n+purgeMin+1 {
					t.Fatalf("round %d: %d queue entries for %d pending events", round, q, k.Pending())
				}
				if round == rounds/2 {
					// Fire some, so that buckets are being drained too.
					k.Run(Time(1e6 + round*n))
					for i := range rs {
						rs[i].fires = 0
					}
				}
			}
			if k.Pending() != n {
				t.Fatalf("Pending() = %d; want %d", k.Pending(), n)
			}
			k.Run(Never)
			for i := range rs {
				if rs[i].fires != 1 {
					t.Fatalf("timer %d fired %d times; want 1", i, rs[i].fires)
				}
			}
			if k.Now() != slices.Max(last) {
				t.Errorf("Now() = %v; want %v", k.Now(), slices.Max(last))
			}
		})
	}
}

// TestRenumber forces the insertion sequence to run out while events are
// queued in every part of the queue, and checks that ties keep their order.
// Slots are reused in a scrambled order first, so that an order that fell
// back on slots instead of sequences would show.
func TestRenumber(t *testing.T) {
	for _, queued := range []int{0, 10, 20000} {
		t.Run(fmt.Sprint(queued), func(t *testing.T) {
			k := NewKernel()
			var log []fired
			h := &sharedLog{name: "h", log: &log}
			s := NewStream(1, "renumber", "time")
			type ev struct {
				at  Time
				arg uint64
			}
			var want []ev
			next := uint64(0)
			add := func(at Time) {
				want = append(want, ev{max(at, k.Now()), next})
				k.Schedule(at, h, 0, next)
				next++
			}
			grid := func() Time { return Time(1+s.IntN(50)) * 1000 }
			// Fire events in random order of their slots, to scramble
			// the free list.
			for range 3000 {
				k.Schedule(Time(s.IntN(1000)), h, 0, math.MaxUint64)
			}
			k.Run(1000)
			log = log[:0]
			for i := range queued {
				if i%2 == 0 {
					add(k.Now() + 7000) // one constant delay: a FIFO lane
				} else {
					add(grid())
				}
			}
			if queued > laneMinPending && len(k.lanes) == 0 {
				t.Fatal("no lane holds entries: renumbering across lanes is not exercised")
			}
			k.seq = maxSeq - 500
			for range 1000 { // renumbers half way
				add(grid())
			}
			if k.seq > uint64(queued+1000) {
				t.Errorf("seq = %d after renumbering; want at most %d", k.seq, queued+1000)
			}
			// Every queued entry, in the ladder or a lane, was renumbered
			// below the kernel's sequence.
			k.filter(func(e *entry) bool {
				if e.key>>slotBits > k.seq {
					t.Fatalf("an entry keeps sequence %d > %d after renumbering", e.key>>slotBits, k.seq)
				}
				return true
			})
			// Fire some, then add more ties.
			h.stop = true
			k.Run(Never)
			h.stop = false
			sort.SliceStable(want, func(a, b int) bool { return want[a].at < want[b].at })
			if log[0].arg != want[0].arg {
				t.Fatalf("first event: fired %d; want %d", log[0].arg, want[0].arg)
			}
			want = want[1:]
			log = log[:0]
			k.seq = maxSeq - 10
			for range 100 {
				add(grid())
			}
			sort.SliceStable(want, func(a, b int) bool { return want[a].at < want[b].at })
			k.Run(Never)
			if len(log) != len(want) {
				t.Fatalf("fired %d events; want %d", len(log), len(want))
			}
			for i, f := range log {
				if f.at != want[i].at || f.arg != want[i].arg {
					t.Fatalf("event %d: fired %d at %v; want %d at %v", i, f.arg, f.at, want[i].arg, want[i].at)
				}
			}
		})
	}
}

// TestHandlerTable checks interning: equal handlers share a record, records
// of abandoned handlers are reused, and handlers that cannot be hashed
// still work.
func TestHandlerTable(t *testing.T) {
	t.Run("abandoned handlers are dropped", func(t *testing.T) {
		k := NewKernel()
		keep := make([]*recorder, 100)
		for i := range keep {
			keep[i] = &recorder{name: "keep"}
			k.Schedule(Never, keep[i], 0, uint64(i))
		}
		for i := range 100_000 {
			k.Schedule(k.Now(), &recorder{}, 0, 0) // a new handler each time
			k.Run(Time(i))
		}
		if n := len(k.handlers.recs); n > 4*handlerSweepMin {
			t.Errorf("handler table has %d records for %d live handlers", n, len(keep))
		}
		for i, h := range keep { // still interned after the sweeps
			k.Schedule(Never, h, 0, uint64(i))
		}
		for _, h := range keep {
			if i, ok := k.handlers.index[h]; !ok || k.handlers.recs[i].refs != 2 {
				t.Fatalf("kept handler not interned with its two queued events")
			}
		}
		k.Run(Never)
		for i, h := range keep {
			if len(h.fired) != 2 || h.fired[0].arg != uint64(i) {
				t.Fatalf("kept handler %d fired %v", i, h.fired)
			}
		}
	})
	t.Run("unhashable handler", func(t *testing.T) {
		k := NewKernel()
		var got []uint64
		for i := range 3 * handlerSweepMin {
			k.Schedule(Time(i), funcHandler(func(k *Kernel, ev Event) { got = append(got, ev.Arg) }), 0, uint64(i))
		}
		k.Run(Never)
		if len(got) != 3*handlerSweepMin || got[10] != 10 {
			t.Fatalf("func handlers fired %d events", len(got))
		}
		k.Schedule(k.Now(), &recorder{}, 0, 0) // a sweep may follow
		if n := len(k.handlers.recs); n > 4*handlerSweepMin {
			t.Errorf("handler table has %d records", n)
		}
	})
	t.Run("equal values", func(t *testing.T) {
		k := NewKernel()
		k.Schedule(1, valueHandler{id: 7}, 0, 0)
		k.Schedule(2, valueHandler{id: 7}, 0, 0)
		k.Schedule(3, valueHandler{id: 8}, 0, 0)
		if n := len(k.handlers.recs); n != 3 { // record 0 plus two
			t.Errorf("%d records for two distinct handler values; want 3", n)
		}
		k.Run(Never)
	})
}

type funcHandler func(k *Kernel, ev Event)

func (f funcHandler) HandleEvent(k *Kernel, ev Event) { f(k, ev) }

type valueHandler struct{ id int }

func (valueHandler) HandleEvent(*Kernel, Event) {}

// TestSteadyStateAllocatesNothing runs the benchmark models past warm-up
// and checks that scheduling and firing allocate nothing.
func TestSteadyStateAllocatesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	t.Run("chain", func(t *testing.T) {
		k := NewKernel()
		c := &chain{}
		k.Schedule(0, c, 0, 0)
		c.left = 1000
		k.Run(Never)
		allocs := testing.AllocsPerRun(5, func() {
			c.left = 10_000
			k.Schedule(k.Now(), c, 0, 0)
			k.Run(Never)
		})
		if allocs != 0 {
			t.Errorf("chain: %v allocations per run", allocs)
		}
	})
	for _, pending := range []int{10, 10_000, 200_000} {
		t.Run(fmt.Sprintf("hold %d", pending), func(t *testing.T) {
			k := NewKernel()
			h := &hold{s: NewStream(1, "hold", "delay"), mean: float64(time.Second)}
			for range pending {
				k.Schedule(Time(h.s.Exp()*h.mean), h, 0, 0)
			}
			// Several times through the whole queue, so that every part
			// has reached its working size.
			h.left = 20 * pending
			k.Run(Never)
			allocs := testing.AllocsPerRun(3, func() {
				h.left = 2 * pending
				k.Run(Never)
			})
			if allocs != 0 {
				t.Errorf("%v allocations per run", allocs)
			}
		})
	}
}
