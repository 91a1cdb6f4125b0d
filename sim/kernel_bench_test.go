package sim

import (
	"testing"
	"time"
)

// chain schedules its successor from each event: the cost of one push and
// one pop on a tiny queue, plus dispatch.
type chain struct{ left int }

func (c *chain) HandleEvent(k *Kernel, ev Event) {
	if c.left > 0 {
		c.left--
		k.After(time.Microsecond, c, 0, 0)
	}
}

// BenchmarkChain is figure (a): a chain of events, each scheduling the next.
func BenchmarkChain(b *testing.B) {
	k := NewKernel()
	c := &chain{left: b.N}
	k.Schedule(0, c, 0, 0)
	b.ReportAllocs()
	b.ResetTimer()
	k.Run(Never)
	b.StopTimer()
	b.ReportMetric(float64(k.Events())/b.Elapsed().Seconds(), "events/s")
}

// hold is the classic "hold" model: n timers pending, each rescheduling
// itself at an exponential delay when it fires. It stops the kernel after
// left events.
type hold struct {
	s    Stream
	mean float64
	left int
}

func (h *hold) HandleEvent(k *Kernel, ev Event) {
	k.Schedule(ev.At+Time(h.s.Exp()*h.mean), h, 0, 0)
	h.left--
	if h.left == 0 {
		k.Stop()
	}
}

func benchHold(b *testing.B, pending int) {
	k := NewKernel()
	k.Grow(pending + 1)
	h := &hold{s: NewStream(1, "hold", "delay"), mean: float64(time.Second)}
	for i := 0; i < pending; i++ {
		k.Schedule(Time(h.s.Exp()*h.mean), h, 0, 0)
	}
	// Warm up so the heap has its steady-state shape.
	h.left = pending
	k.Run(Never)
	h.left = b.N
	b.ReportAllocs()
	b.ResetTimer()
	k.Run(Never)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkHold100k and BenchmarkHold1M are figure (b).
func BenchmarkHold100k(b *testing.B) { benchHold(b, 100_000) }
func BenchmarkHold1M(b *testing.B)   { benchHold(b, 1_000_000) }

// BenchmarkPeriodic100k: 100,000 timers, each firing every minute at its
// own phase — the event pattern of a periodic sensor fleet.
func BenchmarkPeriodic100k(b *testing.B) {
	const n = 100_000
	k := NewKernel()
	k.Grow(n + 1)
	p := &periodic{period: Time(time.Minute)}
	s := NewStream(1, "periodic", "phase")
	for i := range n {
		k.Schedule(Time(s.IntN(uint64(p.period))), p, 0, uint64(i))
	}
	k.Run(10 * p.period) // the steady state
	start := k.Events()
	b.ReportAllocs()
	b.ResetTimer()
	k.Run(k.Now() + Time(b.N/n+1)*p.period)
	b.StopTimer()
	b.ReportMetric(float64(k.Events()-start)/b.Elapsed().Seconds(), "events/s")
}
