package link

import (
	"math"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/iotsim/iotsim/sim"
)

// DropReason says why Offer dropped a packet.
type DropReason uint8

// Drop reasons.
const (
	NotDropped DropReason = iota // delivered
	DropLoss                     // lost by the loss model (after being serialised)
	DropQueue                    // the queue was full
	DropOutage                   // offered during an outage window
)

var dropNames = [...]string{"", "loss", "queue", "outage"}

// String returns the drop_reason value of the packets table: "" when not
// dropped, else "loss", "queue" or "outage".
func (r DropReason) String() string {
	if int(r) < len(dropNames) {
		return dropNames[r]
	}
	return "unknown"
}

// Direction is one direction of one link instance: its own loss state,
// queue and random streams. It is a value meant to be embedded in per-node
// state; it must not be copied once in use (a copy shares the queue's ring).
// It is not safe for concurrent use.
type Direction struct {
	p     *Params
	loss  sim.Stream // purpose "loss"
	delay sim.Stream // purpose "delay"

	// fin holds the finish times of the packets still in the system (finish
	// > the time of the last Offer), oldest first, as a ring: the live
	// entries are fin[:cap(fin)][head], [head+1], … (mod cap), len(fin) of
	// them. It is nil until a packet first has to be remembered and grows by
	// doubling up to Queue+1 entries.
	fin  []sim.Time
	head uint32
	bad  bool // Gilbert–Elliott state
}

// NewDirection returns the direction named entity (for example
// "sensor-17/up") of a link of class p, with its streams derived from (seed,
// entity, "loss") and (seed, entity, "delay"). A Gilbert–Elliott direction
// starts in the stationary distribution, drawn from its loss stream.
// p is kept, not copied; it must be valid (see Params.Validate).
func NewDirection(p *Params, seed uint64, entity string) Direction {
	d := Direction{
		p:     p,
		loss:  sim.NewStream(seed, entity, "loss"),
		delay: sim.NewStream(seed, entity, "delay"),
	}
	if p.Loss == LossGilbertElliott {
		d.bad = d.loss.Bernoulli(stationaryBad(p))
	}
	return d
}

// Params returns the class of the direction.
func (d *Direction) Params() *Params { return d.p }

// Offer decides the fate of a packet of the given size (bytes on the wire)
// offered to the direction at now. It returns the arrival time at the far end
// and NotDropped, or 0 and the reason of the drop. now must not decrease from
// one call to the next on the same Direction.
//
// See the package documentation for the order of the decisions. Every
// transmitted packet, lost or not, draws its propagation delay, so the k-th
// transmitted packet gets the same delay whatever the loss model. An arrival
// beyond sim.Never (only a Pareto delay of about 292 years could cause one)
// saturates at sim.Never.
func (d *Direction) Offer(now sim.Time, bytes int) (arrive sim.Time, reason DropReason) {
	p := d.p
	if len(p.Outages) > 0 && inOutage(p.Outages, now) {
		return 0, DropOutage
	}
	finish := now
	if p.BitsPerSecond > 0 {
		var ok bool
		if finish, ok = d.enqueue(now, serialisation(bytes, p.BitsPerSecond), p.Queue); !ok {
			return 0, DropQueue
		}
	}
	delay := d.drawDelay()
	if d.lost() {
		return 0, DropLoss
	}
	return finish.Add(delay), NotDropped
}

// Backlog is the number of packets in the system at now: the one being
// serialised plus those waiting. It changes nothing but forgets packets
// finished by now; now must not precede the last Offer.
func (d *Direction) Backlog(now sim.Time) int {
	d.expire(now)
	return len(d.fin)
}

// Serialisation is the time a packet of the given size occupies a link of
// this class: bytes·8/BitsPerSecond rounded to the nanosecond, 0 when the
// bandwidth is unlimited.
func (p *Params) Serialisation(bytes int) time.Duration {
	if p.BitsPerSecond > 0 {
		return serialisation(bytes, p.BitsPerSecond)
	}
	return 0
}

func serialisation(bytes int, bps float64) time.Duration {
	return toDuration(float64(bytes) * 8e9 / bps)
}

// inOutage reports whether t lies in one of the sorted windows ws.
func inOutage(ws []Window, t sim.Time) bool {
	// Find the first window that ends after t.
	lo, hi := 0, len(ws)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ws[m].To <= t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(ws) && ws[lo].From <= t
}

// expire forgets the packets whose transmission has finished by now.
func (d *Direction) expire(now sim.Time) {
	n := len(d.fin)
	if n == 0 {
		return
	}
	buf := d.fin[:cap(d.fin)]
	h := int(d.head)
	for n > 0 && buf[h] <= now {
		n--
		if h++; h == len(buf) {
			h = 0
		}
	}
	if n == 0 {
		h = 0
	}
	d.fin, d.head = d.fin[:n], uint32(h)
}

// enqueue admits a packet that takes ser to transmit, or reports that the
// queue is full. It returns the packet's finish time.
//
// After expire, every remembered packet has finish > now. The oldest has
// started (its predecessor finished at or before now and it had arrived), so
// it is being serialised and the other n−1 are waiting. The new packet must
// wait iff n ≥ 1, which makes n waiting packets: it is dropped iff n > queue.
func (d *Direction) enqueue(now sim.Time, ser time.Duration, queue int) (sim.Time, bool) {
	d.expire(now)
	n := len(d.fin)
	if n > queue {
		return 0, false
	}
	start := now
	if n > 0 {
		start = d.fin[:cap(d.fin)][d.at(n-1)]
	}
	finish := start.Add(ser)
	if finish <= now {
		return finish, true // took no time: nothing to remember
	}
	if n == cap(d.fin) {
		d.grow(queue + 1)
	}
	d.fin = d.fin[:n+1]
	d.fin[:cap(d.fin)][d.at(n)] = finish
	return finish, true
}

// at is the ring index of the i-th remembered packet, i < cap(d.fin).
func (d *Direction) at(i int) int {
	j := int(d.head) + i
	if c := cap(d.fin); j >= c {
		j -= c
	}
	return j
}

// grow doubles the ring (starting at 2 entries), up to limit entries, and
// moves the live entries to its start.
func (d *Direction) grow(limit int) {
	n := len(d.fin)
	c := min(max(2*cap(d.fin), 2), limit)
	buf := make([]sim.Time, n, c)
	old := d.fin[:cap(d.fin)]
	h := int(d.head)
	k := copy(buf, old[h:min(h+n, len(old))])
	copy(buf[k:], old[:n-k])
	d.fin, d.head = buf, 0
}

// lost runs the loss model for one transmitted packet.
func (d *Direction) lost() bool {
	p := d.p
	switch p.Loss {
	case LossBernoulli:
		return d.loss.Bernoulli(p.P)
	case LossGilbertElliott:
		if d.bad {
			if d.loss.Bernoulli(p.PBG) {
				d.bad = false
			}
		} else if d.loss.Bernoulli(p.PGB) {
			d.bad = true
		}
		if d.bad {
			return d.loss.Bernoulli(p.LossBad)
		}
		return d.loss.Bernoulli(p.LossGood)
	}
	return false
}

// maxRedraws bounds the redrawing of negative normal delays. With Mean ≥ 0
// (which Validate requires) a draw is kept with probability ≥ 1/2, so the
// bound is reached with probability ≤ 2^-100; it only stops an invalid
// negative Mean from looping for ever.
const maxRedraws = 100

// drawDelay draws the propagation delay of one packet from the delay stream.
// Degenerate distributions (constant, or a deviation of 0) draw nothing.
func (d *Direction) drawDelay() time.Duration {
	p := d.p
	switch p.Delay {
	case DelayConstant:
		return p.Value
	case DelayNormal:
		if p.Stddev == 0 {
			return max(p.Mean, 0)
		}
		n := distuv.Normal{Mu: float64(p.Mean), Sigma: float64(p.Stddev), Src: &d.delay}
		for range maxRedraws {
			if x := n.Rand(); x >= 0 {
				return toDuration(x)
			}
		}
		return 0
	case DelayLognormal:
		if p.Stddev == 0 {
			return p.Mean
		}
		// LogNormal(μ, σ) = e^μ · LogNormal(0, σ): scaling saves a logarithm.
		scale, sigma := lognormalParams(p.Mean, p.Stddev)
		return toDuration(scale * distuv.LogNormal{Mu: 0, Sigma: sigma, Src: &d.delay}.Rand())
	case DelayPareto:
		return toDuration(distuv.Pareto{Xm: float64(p.Min), Alpha: p.Alpha, Src: &d.delay}.Rand())
	}
	return 0
}

// lognormalParams converts the mean m and deviation s of a lognormal delay
// (in nanoseconds) to the parameters of the underlying normal, which gonum's
// LogNormal takes: σ² = ln(1 + s²/m²) and μ = ln m − σ²/2, returned as
// e^μ = m/√(1 + s²/m²).
func lognormalParams(m, s time.Duration) (scale, sigma float64) {
	cv := float64(s) / float64(m)
	return float64(m) / math.Sqrt(1+cv*cv), math.Sqrt(math.Log1p(cv * cv))
}

// toDuration rounds x nanoseconds to a Duration, saturating at
// math.MaxInt64 (about 292 years) and giving 0 for NaN or negative x, which
// valid Params never yield. Floats below 2⁶³ are at most 2⁶³−1024, so the
// rounded value always fits.
func toDuration(x float64) time.Duration {
	switch {
	case x >= 0x1p63:
		return math.MaxInt64
	case x > 0:
		return time.Duration(math.Round(x))
	}
	return 0
}
