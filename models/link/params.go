package link

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/iotsim/iotsim/sim"
)

// LossModel selects how packets are lost.
type LossModel uint8

// Loss models.
const (
	LossNone           LossModel = iota // no loss
	LossBernoulli                       // each packet lost independently with probability P
	LossGilbertElliott                  // two-state Markov chain, see Params
)

var lossNames = [...]string{"none", "bernoulli", "gilbert-elliott"}

// String returns the name used in experiment files ("gilbert-elliott").
func (m LossModel) String() string {
	if int(m) < len(lossNames) {
		return lossNames[m]
	}
	return fmt.Sprintf("LossModel(%d)", uint8(m))
}

// DelayDist selects the distribution of the propagation delay.
type DelayDist uint8

// Delay distributions.
const (
	DelayConstant  DelayDist = iota // always Value
	DelayNormal                     // normal(Mean, Stddev) truncated at 0: negative draws are redrawn
	DelayLognormal                  // lognormal whose result has mean Mean and deviation Stddev
	DelayPareto                     // Pareto with scale Min and shape Alpha
)

var delayNames = [...]string{"constant", "normal", "lognormal", "pareto"}

// String returns the name used in experiment files ("lognormal").
func (d DelayDist) String() string {
	if int(d) < len(delayNames) {
		return delayNames[d]
	}
	return fmt.Sprintf("DelayDist(%d)", uint8(d))
}

// Window is a span of simulated time [From, To).
type Window struct {
	From, To sim.Time
}

// Contains reports whether t lies in [From, To).
func (w Window) Contains(t sim.Time) bool { return w.From <= t && t < w.To }

// Params describes one link class. All instances of the class, and both
// directions of each, share one Params; it must not change once Directions
// use it. Fields that the selected model or distribution does not use are
// ignored.
type Params struct {
	Loss LossModel
	P    float64 // LossBernoulli: loss probability

	// LossGilbertElliott: the state moves once per packet, good→bad with
	// probability PGB and bad→good with PBG; the packet is then lost with
	// probability LossGood or LossBad of the new state. A Direction starts in
	// the stationary distribution (bad with probability PGB/(PGB+PBG); good
	// when both are 0), so every packet, the first included, is lost with
	// probability StationaryLoss.
	PGB, PBG          float64
	LossGood, LossBad float64

	Delay DelayDist
	Value time.Duration // DelayConstant

	// DelayNormal: the normal distribution with this mean and deviation,
	// truncated at 0 (negative draws are redrawn, so the delay's mean is above
	// Mean when Mean is within a few Stddev of 0). DelayLognormal: the mean
	// and deviation of the delay itself, not of its logarithm.
	Mean, Stddev time.Duration

	Min   time.Duration // DelayPareto: scale xm, the smallest delay
	Alpha float64       // DelayPareto: shape; the mean is finite for Alpha > 1, the variance for Alpha > 2

	BitsPerSecond float64 // serialisation rate; 0 means unlimited (no serialisation, no queue)
	Queue         int     // packets that may wait per direction, not counting the one being sent

	Outages []Window // sorted, non-overlapping; packets offered inside are dropped
}

// maxQueue keeps Queue+1 ring indices within uint32.
const maxQueue = math.MaxInt32 - 1

// Validate checks p. The experiments layer reports user errors itself, with
// file positions; this is a safety net against a faulty conversion.
func (p *Params) Validate() error {
	var errs []error
	prob := func(name string, v float64) {
		if !(v >= 0 && v <= 1) { // also rejects NaN
			errs = append(errs, fmt.Errorf("link: %s = %v, want a probability in [0, 1]", name, v))
		}
	}
	switch p.Loss {
	case LossNone:
	case LossBernoulli:
		prob("p", p.P)
	case LossGilbertElliott:
		prob("p_gb", p.PGB)
		prob("p_bg", p.PBG)
		prob("loss_good", p.LossGood)
		prob("loss_bad", p.LossBad)
	default:
		errs = append(errs, fmt.Errorf("link: unknown loss model %v", p.Loss))
	}

	switch p.Delay {
	case DelayConstant:
		if p.Value < 0 {
			errs = append(errs, fmt.Errorf("link: constant delay %v is negative", p.Value))
		}
	case DelayNormal:
		// A mean ≥ 0 keeps at least half of the draws, so redrawing the
		// negative ones ends quickly.
		if p.Mean < 0 {
			errs = append(errs, fmt.Errorf("link: normal delay mean %v is negative", p.Mean))
		}
		if p.Stddev < 0 {
			errs = append(errs, fmt.Errorf("link: normal delay stddev %v is negative", p.Stddev))
		}
	case DelayLognormal:
		if p.Mean <= 0 {
			errs = append(errs, fmt.Errorf("link: lognormal delay mean %v, want > 0", p.Mean))
		}
		if p.Stddev < 0 {
			errs = append(errs, fmt.Errorf("link: lognormal delay stddev %v is negative", p.Stddev))
		}
	case DelayPareto:
		if p.Min <= 0 {
			errs = append(errs, fmt.Errorf("link: pareto delay min %v, want > 0", p.Min))
		}
		if !(p.Alpha > 0) || math.IsInf(p.Alpha, 1) {
			errs = append(errs, fmt.Errorf("link: pareto delay alpha %v, want a finite number > 0", p.Alpha))
		}
	default:
		errs = append(errs, fmt.Errorf("link: unknown delay distribution %v", p.Delay))
	}

	if !(p.BitsPerSecond >= 0) || math.IsInf(p.BitsPerSecond, 1) {
		errs = append(errs, fmt.Errorf("link: bandwidth %v bit/s, want a finite number ≥ 0 (0 = unlimited)", p.BitsPerSecond))
	}
	if p.Queue < 0 || p.Queue > maxQueue {
		errs = append(errs, fmt.Errorf("link: queue %d, want 0 to %d", p.Queue, maxQueue))
	}

	for i, w := range p.Outages {
		switch {
		case w.From < 0:
			errs = append(errs, fmt.Errorf("link: outage %d starts at %v, before the run", i, w.From))
		case w.To <= w.From:
			errs = append(errs, fmt.Errorf("link: outage %d [%v, %v) is empty", i, w.From, w.To))
		case i > 0 && w.From < p.Outages[i-1].To:
			errs = append(errs, fmt.Errorf("link: outage %d [%v, %v) overlaps or precedes outage %d [%v, %v)",
				i, w.From, w.To, i-1, p.Outages[i-1].From, p.Outages[i-1].To))
		}
	}
	return errors.Join(errs...)
}

// StationaryLoss is the long-run fraction of transmitted packets that are
// lost (packets dropped by outages or the queue are not counted). For
// Gilbert–Elliott it is πB·LossBad + πG·LossGood with πB = PGB/(PGB+PBG) and
// πG = 1−πB; when PGB and PBG are both 0 the chain stays good and it is
// LossGood.
func StationaryLoss(p *Params) float64 {
	switch p.Loss {
	case LossBernoulli:
		return p.P
	case LossGilbertElliott:
		pb := stationaryBad(p)
		return pb*p.LossBad + (1-pb)*p.LossGood
	}
	return 0
}

// stationaryBad is πB, the stationary probability of the bad state.
func stationaryBad(p *Params) float64 {
	if p.PGB+p.PBG == 0 {
		return 0
	}
	return p.PGB / (p.PGB + p.PBG)
}
