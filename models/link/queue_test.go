package link

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/iotsim/iotsim/sim"
)

// 125 bytes at 1 Mbit/s take exactly 1 ms.
const (
	satBytes = 125
	satBPS   = 1e6
	satSer   = time.Millisecond
	satDelay = 20 * time.Millisecond
)

func TestSerialisation(t *testing.T) {
	cases := []struct {
		bytes int
		bps   float64
		want  time.Duration
	}{
		{125, 1e6, time.Millisecond},
		{1500, 1e9, 12 * time.Microsecond},
		{1, 3e9, 3 * time.Nanosecond}, // 2.67 ns rounds up
		{1, 6e9, 1 * time.Nanosecond}, // 1.33 ns rounds down
		{64, 250e3, 2048 * time.Microsecond},
		{100, 0, 0}, // unlimited
	}
	for _, c := range cases {
		p := Params{BitsPerSecond: c.bps}
		if got := p.Serialisation(c.bytes); got != c.want {
			t.Errorf("Serialisation(%d bytes at %v bit/s) = %v; want %v", c.bytes, c.bps, got, c.want)
		}
	}
}

// TestSaturatedLink offers back-to-back packets at one instant: the k-th
// accepted (k = 0..q) arrives at (k+1)·serialisation + delay, the rest are
// dropped by the queue; once the queue has drained, packets are accepted
// again.
func TestSaturatedLink(t *testing.T) {
	t0 := sim.Time(time.Second)
	for _, q := range []int{0, 1, 2, 4, 64} {
		t.Run(fmt.Sprintf("queue=%d", q), func(t *testing.T) {
			p := &Params{Delay: DelayConstant, Value: satDelay, BitsPerSecond: satBPS, Queue: q}
			d := NewDirection(p, testSeed, "sat/up")
			burst := func(now sim.Time, offered, accept int, firstStart sim.Time) {
				t.Helper()
				for k := range offered {
					arrive, r := d.Offer(now, satBytes)
					if k < accept {
						want := firstStart.Add(time.Duration(k+1)*satSer + satDelay)
						if r != NotDropped || arrive != want {
							t.Errorf("at %v packet %d: (%v, %q); want (%v, \"\")", now, k, arrive, r, want)
						}
					} else if r != DropQueue {
						t.Errorf("at %v packet %d: (%v, %q); want a queue drop", now, k, arrive, r)
					}
				}
			}
			burst(t0, q+5, q+1, t0)
			// Half-way through packet j's transmission, j packets have left:
			// j places are free, and the first of them starts after the
			// last queued packet.
			lastFinish := t0.Add(time.Duration(q+1) * satSer)
			for j := 1; j <= q; j++ {
				now := t0.Add(time.Duration(j)*satSer + satSer/2)
				burst(now, 1, 1, lastFinish)
				lastFinish = lastFinish.Add(satSer)
				burst(now, 1, 0, 0)
			}
			// Exactly when the last packet finishes, the link is idle.
			if got := d.Backlog(lastFinish - 1); got != 1 {
				t.Errorf("Backlog just before the queue drains = %d; want 1", got)
			}
			burst(lastFinish, q+3, q+1, lastFinish)
		})
	}
}

// TestLostPacketsOccupyTheQueue: a lost packet was serialised, so it keeps
// its place.
func TestLostPacketsOccupyTheQueue(t *testing.T) {
	const q = 3
	p := &Params{Loss: LossBernoulli, P: 1, BitsPerSecond: satBPS, Queue: q}
	d := NewDirection(p, testSeed, "lossy/up")
	var got []DropReason
	for range q + 3 {
		_, r := d.Offer(0, satBytes)
		got = append(got, r)
	}
	want := []DropReason{DropLoss, DropLoss, DropLoss, DropLoss, DropQueue, DropQueue}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("reasons %q; want %q", got, want)
	}
	if n := d.Backlog(0); n != q+1 {
		t.Errorf("Backlog = %d; want %d", n, q+1)
	}
	if n := d.Backlog(sim.Time(q+1) * sim.Time(satSer)); n != 0 {
		t.Errorf("Backlog after draining = %d; want 0", n)
	}
}

func TestUnlimitedBandwidthHasNoQueue(t *testing.T) {
	p := &Params{Delay: DelayConstant, Value: satDelay, Queue: 0}
	d := NewDirection(p, testSeed, "fast/up")
	for k := range 1000 {
		if arrive, r := d.Offer(5, 1500); r != NotDropped || arrive != sim.Time(5).Add(satDelay) {
			t.Fatalf("packet %d: (%v, %q); want (%v, \"\")", k, arrive, r, sim.Time(5).Add(satDelay))
		}
	}
	if d.fin != nil {
		t.Errorf("an unlimited link allocated a queue of %d entries", cap(d.fin))
	}
}

// refQueue is a first-principles FIFO model for comparison: it remembers the
// start and finish of every accepted packet and counts, at each offer, the
// packets that have not started.
type refQueue struct {
	start, finish []sim.Time
	queue         int
}

func (r *refQueue) offer(now sim.Time, ser time.Duration) (sim.Time, bool) {
	start := now
	if n := len(r.finish); n > 0 && r.finish[n-1] > now {
		start = r.finish[n-1]
	}
	// Starts never decrease, so the waiting packets are the last ones.
	waiting := 0
	for i := len(r.start) - 1; i >= 0 && r.start[i] > now; i-- {
		waiting++
	}
	if start > now {
		waiting++ // the new packet would wait too
	}
	if waiting > r.queue {
		return 0, false
	}
	r.start = append(r.start, start)
	r.finish = append(r.finish, start.Add(ser))
	return start.Add(ser), true
}

// TestQueueMatchesReference drives the ring through growth and wrap-around
// with random sizes and gaps and compares every decision with refQueue.
func TestQueueMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, q := range []int{0, 1, 2, 3, 5, 8, 33} {
		p := &Params{BitsPerSecond: 1e6, Queue: q}
		d := NewDirection(p, testSeed, "ref/up")
		ref := refQueue{queue: q}
		now := sim.Time(0)
		drops := 0
		for i := range 20_000 {
			// Gaps average 0.8 ms, the serialisation time of an average
			// packet, with frequent bursts at the same instant.
			if rng.IntN(3) > 0 {
				now += sim.Time(rng.Int64N(int64(2400 * time.Microsecond)))
			}
			bytes := 1 + rng.IntN(200)
			arrive, r := d.Offer(now, bytes)
			want, ok := ref.offer(now, p.Serialisation(bytes))
			switch {
			case ok && (r != NotDropped || arrive != want):
				t.Fatalf("queue %d, packet %d at %v: (%v, %q); want (%v, \"\")", q, i, now, arrive, r, want)
			case !ok && r != DropQueue:
				t.Fatalf("queue %d, packet %d at %v: (%v, %q); want a queue drop", q, i, now, arrive, r)
			}
			if !ok {
				drops++
			}
		}
		if drops == 0 || drops > 15_000 {
			t.Errorf("queue %d: %d drops of 20000; the test wants a loaded, not flooded, queue", q, drops)
		}
		if cap(d.fin) > q+1 {
			t.Errorf("queue %d: ring grew to %d entries; want at most %d", q, cap(d.fin), q+1)
		}
	}
}

func TestOutageWindows(t *testing.T) {
	ws := []Window{{10, 20}, {30, 40}, {40, 45}, {100, 101}}
	p := &Params{Outages: ws, BitsPerSecond: 1e9, Queue: 0, Delay: DelayConstant, Value: 7}
	d := NewDirection(p, testSeed, "out/up")
	for now := sim.Time(0); now < 120; now++ {
		inside := false
		for _, w := range ws {
			inside = inside || (w.From <= now && now < w.To)
		}
		// 1 byte at 1 Gbit/s takes 8 ns: offer only when the link is idle,
		// so that only the outage can drop.
		if now%8 != 0 && !inside {
			continue
		}
		arrive, r := d.Offer(now, 1)
		switch {
		case inside && r != DropOutage:
			t.Errorf("Offer at %d ns (inside an outage) = (%v, %q); want an outage drop", now, arrive, r)
		case !inside && (r != NotDropped || arrive != now+8+7):
			t.Errorf("Offer at %d ns (outside) = (%v, %q); want (%d, \"\")", now, arrive, r, now+8+7)
		}
	}
	for _, c := range []struct {
		t    sim.Time
		want bool
	}{{9, false}, {10, true}, {19, true}, {20, false}, {29, false}, {30, true}, {44, true}, {45, false}, {100, true}, {101, false}} {
		if got := inOutage(ws, c.t); got != c.want {
			t.Errorf("inOutage(%d) = %v; want %v", c.t, got, c.want)
		}
	}
}

// TestOutageChangesNothing: packets dropped by an outage consume no random
// draw and no queue place, so a direction that was offered extra packets
// during outages behaves afterwards exactly as one that was not.
func TestOutageChangesNothing(t *testing.T) {
	p := &Params{
		Loss: LossGilbertElliott, PGB: 0.1, PBG: 0.3, LossGood: 0.05, LossBad: 0.8,
		Delay: DelayLognormal, Mean: 20 * time.Millisecond, Stddev: 10 * time.Millisecond,
		BitsPerSecond: 1e6, Queue: 2,
		Outages: []Window{{msAt(10), msAt(20)}, {msAt(50), msAt(55)}},
	}
	a := NewDirection(p, testSeed, "quiet/up")
	b := NewDirection(p, testSeed, "quiet/up")
	for i := range 100 {
		now := msAt(float64(i))
		for range 5 {
			if p.Outages[0].Contains(now) || p.Outages[1].Contains(now) {
				if _, r := b.Offer(now, 500); r != DropOutage {
					t.Fatalf("at %v: %q; want an outage drop", now, r)
				}
				continue
			}
			ta, ra := a.Offer(now, 500)
			tb, rb := b.Offer(now, 500)
			if ta != tb || ra != rb {
				t.Fatalf("at %v: (%v, %q) and (%v, %q) differ after outage drops", now, ta, ra, tb, rb)
			}
		}
	}
}
