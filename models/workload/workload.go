package workload

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/iotsim/iotsim/sim"
)

// Kind selects a traffic model.
type Kind uint8

// The traffic models; the zero Kind sends nothing.
const (
	None      Kind = iota // sends nothing (the default)
	Periodic              // one send per Interval, each delayed by U[0, Jitter)
	Poisson               // exponential gaps with mean 1/Rate
	Threshold             // a check every Check, each firing with probability P
)

var kindNames = [...]string{None: "none", Periodic: "periodic", Poisson: "poisson", Threshold: "threshold"}

// String returns the name used in experiment files ("periodic").
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// ParseKind returns the Kind named as in experiment files. The error lists
// the valid names.
func ParseKind(s string) (Kind, error) {
	for k, name := range kindNames {
		if s == name {
			return Kind(k), nil
		}
	}
	return None, fmt.Errorf("unknown workload kind %q (want none, periodic, poisson or threshold)", s)
}

// Params describe one group's workload. They are shared by every Source of
// the group (a Source keeps a pointer to them) and must not change while any
// Source uses them. Fields that the Kind does not use are ignored.
type Params struct {
	Kind     Kind
	Interval time.Duration // periodic: slot k is at start + k·Interval
	Jitter   time.Duration // periodic: each send is delayed by U[0, Jitter) from its slot; 0 ≤ Jitter ≤ Interval
	Rate     float64       // poisson: mean sends per second
	Check    time.Duration // threshold: check k (k ≥ 1) is at start + k·Check
	P        float64       // threshold: probability that one check fires, in [0, 1]
	Payload  int           // bytes of application payload per send
}

// Validate reports the first parameter of p's Kind that is out of range,
// naming it as in experiment files. A Source built on invalid Params sends
// nothing.
func (p *Params) Validate() error {
	if p.Payload < 0 {
		return fmt.Errorf("payload = %d: must be ≥ 0", p.Payload)
	}
	switch p.Kind {
	case None:
		return nil
	case Periodic:
		if p.Interval <= 0 {
			return fmt.Errorf("interval = %v: must be > 0", p.Interval)
		}
		if p.Jitter < 0 || p.Jitter > p.Interval {
			return fmt.Errorf("jitter = %v: must be in [0, interval = %v] so that sends stay in order", p.Jitter, p.Interval)
		}
	case Poisson:
		if !(p.Rate > 0) || math.IsInf(p.Rate, 1) {
			return fmt.Errorf("rate = %v/s: must be a positive finite number of sends per second", p.Rate)
		}
	case Threshold:
		if p.Check <= 0 {
			return fmt.Errorf("check = %v: must be > 0", p.Check)
		}
		if !(p.P >= 0 && p.P <= 1) {
			return fmt.Errorf("p = %v: must be in [0, 1]", p.P)
		}
	default:
		return errors.New("unknown workload kind " + p.Kind.String())
	}
	return nil
}

// valid is Validate without building an error (NewSource runs per device).
func (p *Params) valid() bool {
	if p.Payload < 0 {
		return false
	}
	switch p.Kind {
	case None:
		return true
	case Periodic:
		return p.Interval > 0 && p.Jitter >= 0 && p.Jitter <= p.Interval
	case Poisson:
		return p.Rate > 0 && !math.IsInf(p.Rate, 1)
	case Threshold:
		return p.Check > 0 && p.P >= 0 && p.P <= 1
	}
	return false
}

// Source generates one device's send times in non-decreasing order (strictly
// increasing except for Poisson gaps that round to 0 ns), drawing from the
// device's own stream. The zero Source sends nothing.
//
// A Source is 40 bytes: the shared Params, the stream, the start and one
// counter. It is not safe for concurrent use (a run is single-threaded).
type Source struct {
	p      *Params // nil once exhausted, for None, or for invalid Params
	stream sim.Stream
	start  sim.Time
	// n is the state of the Kind: periodic, the index of the next slot;
	// poisson, the time of the last send (start before the first);
	// threshold, the index of the last check that fired (0 before the first).
	n int64
}

// NewSource returns the Source of one device whose workload starts at start.
// The Source takes the stream over: the caller should not draw from its own
// copy again (give the Source a stream of its own purpose, or draw the
// device's StartTime from the stream first and then hand it over).
func NewSource(p *Params, stream sim.Stream, start sim.Time) Source {
	s := Source{p: p, stream: stream, start: start}
	if p == nil || p.Kind == None || !p.valid() {
		s.p = nil
	}
	if s.p != nil && p.Kind == Poisson {
		s.n = int64(start)
	}
	return s
}

// Next returns the next send time. ok is false when there is none: for
// Kind None, for invalid Params, for a threshold P of 0, or once the next
// time would reach sim.Never; after that Next keeps returning false.
// Next allocates nothing.
func (s *Source) Next() (at sim.Time, ok bool) {
	p := s.p
	if p == nil {
		return 0, false
	}
	switch p.Kind {
	case Periodic:
		at, ok = s.nextPeriodic(p)
	case Poisson:
		at, ok = s.nextPoisson(p)
	case Threshold:
		at, ok = s.nextThreshold(p)
	}
	if !ok {
		s.p = nil
	}
	return at, ok
}

// grid returns start + k·step, or false if that is at or after sim.Never
// (or k < 0).
func grid(start sim.Time, k int64, step time.Duration) (sim.Time, bool) {
	room := int64(sim.Never - start)
	if k < 0 || room <= 0 || k > room/int64(step) {
		return 0, false
	}
	t := start + sim.Time(k*int64(step))
	return t, t < sim.Never
}

func (s *Source) nextPeriodic(p *Params) (sim.Time, bool) {
	t, ok := grid(s.start, s.n, p.Interval)
	if !ok {
		return 0, false
	}
	s.n++
	if p.Jitter > 0 {
		// Exactly uniform over the Jitter nanoseconds of [slot, slot+Jitter).
		t = t.Add(time.Duration(s.stream.IntN(uint64(p.Jitter))))
	}
	return t, t < sim.Never
}

func (s *Source) nextPoisson(p *Params) (sim.Time, bool) {
	last := sim.Time(s.n)
	gap := math.Round(s.stream.Exp() * 1e9 / p.Rate) // nanoseconds
	// The float comparison rejects huge and NaN gaps; the integer one the
	// few that float rounding lets through.
	if !(gap < float64(sim.Never-last)) || sim.Time(gap) >= sim.Never-last {
		return 0, false
	}
	t := last + sim.Time(gap)
	s.n = int64(t)
	return t, t < sim.Never
}

func (s *Source) nextThreshold(p *Params) (sim.Time, bool) {
	if p.P <= 0 {
		return 0, false
	}
	// k = checks until the next firing one, Geometric(P) on {1, 2, ...}.
	// With U uniform on (0, 1], ⌊ln U / ln(1−P)⌋ ≥ g exactly when
	// U ≤ (1−P)^g, which has probability (1−P)^g: the number of failures
	// before the first success. One draw replaces one per check.
	k := 1.0
	if p.P < 1 {
		u := 1 - s.stream.Float64()
		k += math.Floor(math.Log(u) / math.Log1p(-p.P))
	}
	if !(k < float64(math.MaxInt64-s.n)) {
		return 0, false
	}
	c := s.n + int64(k)
	t, ok := grid(s.start, c, p.Check)
	if !ok {
		return 0, false
	}
	s.n = c
	return t, true
}

// StartTime returns when a device comes online: start + U[0, ramp), drawn
// with one draw from the device's stream and exact to the nanosecond. With
// ramp ≤ 0 it returns start exactly and draws nothing. The result saturates
// at sim.Never.
func StartTime(start, ramp time.Duration, stream *sim.Stream) sim.Time {
	t := sim.Time(start)
	if ramp <= 0 {
		return t
	}
	return t.Add(time.Duration(stream.IntN(uint64(ramp))))
}
