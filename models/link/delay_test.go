package link

import (
	"math"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/iotsim/iotsim/sim"
)

const ms = float64(time.Millisecond)

// moments are the mean, variance and fourth central moment of a delay in
// milliseconds; mu4 is NaN when it is infinite (the variance is then not
// checked, having no usable standard error).
type moments struct{ mean, variance, mu4 float64 }

// fromRaw turns raw moments E[X], E[X²], E[X³], E[X⁴] into central ones.
func fromRaw(r1, r2, r3, r4 float64) moments {
	return moments{
		mean:     r1,
		variance: r2 - r1*r1,
		mu4:      r4 - 4*r1*r3 + 6*r1*r1*r2 - 3*r1*r1*r1*r1,
	}
}

// truncNormal gives the moments of normal(mean, sd) truncated to [0, ∞).
// With Y the standard normal truncated to [a, ∞), a = −mean/sd,
// h = φ(a)/(1−Φ(a)): E[Y⁰] = 1, E[Y] = h, E[Yᵏ] = (k−1)·E[Yᵏ⁻²] + aᵏ⁻¹·h,
// and X = mean + sd·Y.
func truncNormal(mean, sd float64) moments {
	a := -mean / sd
	h := distuv.UnitNormal.Prob(a) / distuv.UnitNormal.Survival(a)
	var y [5]float64
	y[0], y[1] = 1, h
	for k := 2; k <= 4; k++ {
		y[k] = float64(k-1)*y[k-2] + math.Pow(a, float64(k-1))*h
	}
	// Central moments of Y, scaled by sd^k (no cancellation against mean).
	m := fromRaw(y[1], y[2], y[3], y[4])
	return moments{mean: mean + sd*m.mean, variance: sd * sd * m.variance, mu4: math.Pow(sd, 4) * m.mu4}
}

// lognormal gives the moments of the lognormal with the given mean and
// deviation of the result: E[X] = mean, Var X = sd², and with
// σ² = ln(1 + sd²/mean²) the kurtosis is e^{4σ²} + 2e^{3σ²} + 3e^{2σ²} − 3.
func lognormal(mean, sd float64) moments {
	s2 := math.Log1p(sd * sd / (mean * mean))
	kurt := math.Exp(4*s2) + 2*math.Exp(3*s2) + 3*math.Exp(2*s2) - 3
	return moments{mean: mean, variance: sd * sd, mu4: kurt * sd * sd * sd * sd}
}

// pareto gives the moments of Pareto(xm, alpha): E[Xᵏ] = alpha·xmᵏ/(alpha−k)
// for alpha > k; mean = alpha·xm/(alpha−1), variance =
// xm²·alpha/((alpha−1)²(alpha−2)).
func pareto(xm, alpha float64) moments {
	raw := func(k float64) float64 { return alpha * math.Pow(xm, k) / (alpha - k) }
	m := moments{
		mean:     alpha * xm / (alpha - 1),
		variance: xm * xm * alpha / ((alpha - 1) * (alpha - 1) * (alpha - 2)),
		mu4:      math.NaN(),
	}
	if alpha > 4 {
		m.mu4 = fromRaw(raw(1), raw(2), raw(3), raw(4)).mu4
	}
	return m
}

// TestMomentHelpers checks the expected moments against known cases: far
// from 0 the truncated normal is the normal (μ4 = 3σ⁴); at 0 it is the
// half-normal, with mean sd·sqrt(2/π) and variance sd²(1−2/π).
func TestMomentHelpers(t *testing.T) {
	close := func(got, want float64) bool { return math.Abs(got-want) <= 1e-9*math.Max(1, math.Abs(want)) }
	cases := []struct {
		name      string
		got, want moments
	}{
		{"normal far from 0", truncNormal(20, 2), moments{20, 4, 48}},
		{"half-normal", truncNormal(0, 5), moments{5 * math.Sqrt(2/math.Pi), 25 * (1 - 2/math.Pi), math.NaN()}},
		{"pareto α=5", pareto(10, 5), moments{12.5, 100.0 * 5 / (16 * 3), math.NaN()}},
	}
	for _, c := range cases {
		if !close(c.got.mean, c.want.mean) || !close(c.got.variance, c.want.variance) ||
			(!math.IsNaN(c.want.mu4) && !close(c.got.mu4, c.want.mu4)) {
			t.Errorf("%s: moments %+v; want %+v", c.name, c.got, c.want)
		}
	}
}

func TestDelayMoments(t *testing.T) {
	const n = 200_000
	d := func(v float64) time.Duration { return time.Duration(v * ms) }
	cases := []struct {
		name string
		p    Params
		want moments // in milliseconds
	}{
		{"constant", Params{Delay: DelayConstant, Value: d(20)}, moments{20, 0, 0}},
		{"constant zero", Params{}, moments{0, 0, 0}},
		// mean ≫ stddev: truncation at 0 is 10 deviations away.
		{"normal 20±2", Params{Delay: DelayNormal, Mean: d(20), Stddev: d(2)}, moments{20, 4, 3 * 16}},
		// Truncation matters: half a deviation above 0, and exactly at 0
		// (the half-normal, mean sd·sqrt(2/π)).
		{"normal 1±2 truncated", Params{Delay: DelayNormal, Mean: d(1), Stddev: d(2)}, truncNormal(1, 2)},
		{"normal 0±5 half", Params{Delay: DelayNormal, Mean: 0, Stddev: d(5)}, truncNormal(0, 5)},
		{"normal degenerate", Params{Delay: DelayNormal, Mean: d(7), Stddev: 0}, moments{7, 0, 0}},
		{"lognormal 20±10", Params{Delay: DelayLognormal, Mean: d(20), Stddev: d(10)}, lognormal(20, 10)},
		{"lognormal 50±50", Params{Delay: DelayLognormal, Mean: d(50), Stddev: d(50)}, lognormal(50, 50)},
		{"lognormal degenerate", Params{Delay: DelayLognormal, Mean: d(3), Stddev: 0}, moments{3, 0, 0}},
		{"pareto 10ms α=5", Params{Delay: DelayPareto, Min: d(10), Alpha: 5}, pareto(10, 5)},
		{"pareto 2ms α=8", Params{Delay: DelayPareto, Min: d(2), Alpha: 8}, pareto(2, 8)},
		// The spec's example: finite variance, so the mean has a standard
		// error, but an infinite fourth moment, so the variance is not checked.
		{"pareto 10ms α=2.5", Params{Delay: DelayPareto, Min: d(10), Alpha: 2.5}, pareto(10, 2.5)},
	}
	for _, c := range cases {
		dir := NewDirection(&c.p, testSeed, "delay-"+c.name)
		x := make([]float64, n)
		now := msAt(1000)
		low := math.Inf(1)
		for i := range x {
			arrive, r := dir.Offer(now, 100)
			if r != NotDropped {
				t.Fatalf("%s: packet %d dropped for %q", c.name, i, r)
			}
			x[i] = float64(arrive-now) / ms
			low = min(low, x[i])
		}
		mean, variance := stat.MeanVariance(x, nil)
		w := c.want
		if tol := 5 * math.Sqrt(w.variance/n); math.Abs(mean-w.mean) > tol {
			t.Errorf("%s: mean %.6g ms over %d draws; want %.6g ± %.2g", c.name, mean, n, w.mean, tol)
		}
		// The sample variance has variance (μ4 − σ⁴)/n + O(1/n²).
		if !math.IsNaN(w.mu4) {
			if tol := 5 * math.Sqrt((w.mu4-w.variance*w.variance)/n); math.Abs(variance-w.variance) > tol {
				t.Errorf("%s: variance %.6g ms² over %d draws; want %.6g ± %.2g", c.name, variance, n, w.variance, tol)
			}
		}
		if low < 0 {
			t.Errorf("%s: a delay of %v ms is negative", c.name, low)
		}
		if c.p.Delay == DelayPareto && low < float64(c.p.Min)/ms {
			t.Errorf("%s: a delay of %v ms is below the scale %v", c.name, low, c.p.Min)
		}
	}
}

// TestNormalTruncatedNeverNegative uses a mean at 0, where half of the raw
// draws are negative, and checks that they were redrawn, not clamped: a clamp
// would put about half of the delays at exactly 0.
func TestNormalTruncatedNeverNegative(t *testing.T) {
	const n = 100_000
	p := &Params{Delay: DelayNormal, Mean: 0, Stddev: 5 * time.Millisecond}
	d := NewDirection(p, testSeed, "truncated")
	zeros := 0
	for i := range n {
		arrive, _ := d.Offer(0, 100)
		if arrive < 0 {
			t.Fatalf("packet %d: delay %v is negative", i, arrive)
		}
		if arrive == 0 {
			zeros++
		}
	}
	// A delay of 0 needs a draw in [0, 0.5 ns): probability ≈ 0.5/5e6·φ(0)·2.
	if zeros > 5 {
		t.Errorf("%d of %d delays are exactly 0; negative draws look clamped, not redrawn", zeros, n)
	}
}

// TestDelayIndependentOfLoss checks the common random numbers: the delay of
// the k-th transmitted packet is the same whatever the loss model.
func TestDelayIndependentOfLoss(t *testing.T) {
	delay := Params{Delay: DelayLognormal, Mean: 20 * time.Millisecond, Stddev: 10 * time.Millisecond}
	losses := []Params{
		{Loss: LossNone},
		{Loss: LossBernoulli, P: 0.3},
		{Loss: LossGilbertElliott, PGB: 0.1, PBG: 0.3, LossGood: 0.05, LossBad: 0.8},
	}
	const n = 10_000
	ref := make([]arrival, n)
	for li, l := range losses {
		p := delay
		p.Loss, p.P, p.PGB, p.PBG, p.LossGood, p.LossBad = l.Loss, l.P, l.PGB, l.PBG, l.LossGood, l.LossBad
		d := NewDirection(&p, testSeed, "sensor-3/up")
		delivered := 0
		for i := range n {
			a, r := d.Offer(msAt(float64(i)), 100)
			if li == 0 {
				ref[i] = arrival{a, r}
				continue
			}
			if r == NotDropped {
				delivered++
				if a != ref[i].at {
					t.Fatalf("%v: packet %d arrives at %v; with no loss it arrives at %v", l.Loss, i, a, ref[i].at)
				}
			}
		}
		if li > 0 && (delivered == 0 || delivered == n) {
			t.Errorf("%v: %d of %d delivered; the test needs some losses and some deliveries", l.Loss, delivered, n)
		}
	}
}

type arrival struct {
	at     sim.Time
	reason DropReason
}

func TestToDuration(t *testing.T) {
	cases := []struct {
		x    float64
		want time.Duration
	}{
		{0, 0},
		{-1, 0},
		{math.NaN(), 0},
		{1.4, 1},
		{1.5, 2},
		{2.5, 3},
		{math.Nextafter(0x1p63, 0), math.MaxInt64 - 1023},
		{0x1p63, math.MaxInt64},
		{math.Inf(1), math.MaxInt64},
	}
	for _, c := range cases {
		if got := toDuration(c.x); got != c.want {
			t.Errorf("toDuration(%v) = %d; want %d", c.x, got, c.want)
		}
	}
}

// TestHugeDelaySaturates: a Pareto delay with a tiny shape overflows int64
// nanoseconds now and then; the arrival saturates at sim.Never.
func TestHugeDelaySaturates(t *testing.T) {
	p := &Params{Delay: DelayPareto, Min: time.Millisecond, Alpha: 0.05}
	d := NewDirection(p, testSeed, "heavy")
	now := sim.Time(time.Second)
	never := 0
	for i := range 1000 {
		arrive, r := d.Offer(now, 100)
		if r != NotDropped || arrive < now.Add(time.Millisecond) {
			t.Fatalf("packet %d: (%v, %q); want an arrival after %v", i, arrive, r, now.Add(time.Millisecond))
		}
		if arrive == sim.Never {
			never++
		}
	}
	// P(delay ≥ 2⁶³ ns) = (1e6/2⁶³)^0.05 ≈ 0.16.
	if never == 0 || never == 1000 {
		t.Errorf("%d of 1000 arrivals saturated at Never; want some, not all", never)
	}
}
