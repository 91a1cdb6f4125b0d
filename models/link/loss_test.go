package link

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/iotsim/iotsim/sim"
)

const testSeed = 20240601

// offerMany offers n packets 1 ms apart on an unlimited link and returns
// which were lost.
func offerMany(t *testing.T, d *Direction, n int) []bool {
	t.Helper()
	lost := make([]bool, n)
	for i := range lost {
		_, r := d.Offer(msAt(float64(i)), 100)
		switch r {
		case NotDropped:
		case DropLoss:
			lost[i] = true
		default:
			t.Fatalf("packet %d dropped for %q; want only loss", i, r)
		}
	}
	return lost
}

func fraction(b []bool) float64 {
	k := 0
	for _, x := range b {
		if x {
			k++
		}
	}
	return float64(k) / float64(len(b))
}

func TestBernoulliLossRatio(t *testing.T) {
	const n = 200_000
	for _, p := range []float64{0, 0.001, 0.01, 0.1, 0.5, 0.9, 1} {
		params := &Params{Loss: LossBernoulli, P: p}
		d := NewDirection(params, testSeed, fmt.Sprintf("bern-%v/up", p))
		got := fraction(offerMany(t, &d, n))
		// Independent trials: the standard error is sqrt(p(1−p)/n); it is 0
		// for p = 0 and p = 1, where the ratio must be exact.
		tol := 5 * math.Sqrt(p*(1-p)/n)
		if math.Abs(got-p) > tol {
			t.Errorf("p = %v: loss ratio %v over %d packets; want %v ± %.2g", p, got, n, p, tol)
		}
	}
}

// geCases are Gilbert–Elliott parameter sets: the spec's example, long
// bursts (strong autocorrelation), λ = 1−PGB−PBG < 0 (alternating), λ = 0
// (independent states) and a lossy good state.
var geCases = []Params{
	{Loss: LossGilbertElliott, PGB: 0.01, PBG: 0.25, LossGood: 0, LossBad: 0.9},
	{Loss: LossGilbertElliott, PGB: 0.002, PBG: 0.02, LossGood: 0, LossBad: 1},
	{Loss: LossGilbertElliott, PGB: 0.3, PBG: 0.9, LossGood: 0.1, LossBad: 0.5},
	{Loss: LossGilbertElliott, PGB: 0.5, PBG: 0.5, LossGood: 0, LossBad: 1},
	{Loss: LossGilbertElliott, PGB: 0.05, PBG: 0.5, LossGood: 0.01, LossBad: 0.6},
}

func geName(p *Params) string {
	return fmt.Sprintf("p_gb=%v,p_bg=%v,good=%v,bad=%v", p.PGB, p.PBG, p.LossGood, p.LossBad)
}

func TestGilbertElliottStationaryLoss(t *testing.T) {
	const n = 1_000_000
	for i := range geCases {
		p := &geCases[i]
		d := NewDirection(p, testSeed, "ge-"+geName(p))
		got := fraction(offerMany(t, &d, n))

		// The loss indicators X_t are correlated through the state. With
		// the chain started stationary, Cov(X_0, X_k) = c·λ^k for k ≥ 1,
		// where c = (LossBad−LossGood)²·πB·πG and λ = 1−PGB−PBG, so the
		// variance of the mean of n indicators is, to O(1/n²),
		// (p̄(1−p̄) + 2c·λ/(1−λ)) / n.
		want := StationaryLoss(p)
		pb := p.PGB / (p.PGB + p.PBG)
		lambda := 1 - p.PGB - p.PBG
		c := (p.LossBad - p.LossGood) * (p.LossBad - p.LossGood) * pb * (1 - pb)
		se := math.Sqrt((want*(1-want) + 2*c*lambda/(1-lambda)) / n)
		if tol := 5 * se; math.Abs(got-want) > tol {
			t.Errorf("%s: loss ratio %v over %d packets; want πB·loss_bad+πG·loss_good = %v ± %.2g",
				geName(p), got, n, want, tol)
		}
	}
}

// runs returns the mean length of the maximal runs of true in b that are
// complete (neither touching the start nor the end of b), and their number.
func runs(b []bool) (mean float64, count int) {
	total, length := 0, 0
	started := false // a run that touches the start is not counted
	for _, x := range b {
		switch {
		case x:
			length++
		case length > 0:
			if started {
				total += length
				count++
			}
			length = 0
			started = true
		default:
			started = true
		}
	}
	if count == 0 {
		return 0, 0
	}
	return float64(total) / float64(count), count
}

func TestGilbertElliottBurstLength(t *testing.T) {
	const n = 1_000_000
	for i := range geCases {
		p := &geCases[i]
		// Bad-state runs, read from the direction's state after each packet.
		d := NewDirection(p, testSeed, "burst-"+geName(p))
		bad := make([]bool, n)
		for k := range bad {
			d.Offer(msAt(float64(k)), 100)
			bad[k] = d.bad
		}
		checkRuns(t, geName(p)+" bad-state runs", bad, p.PBG)

		// Loss runs, seen from outside, when the bad state always loses and
		// the good state never does: they are the bad-state runs.
		q := *p
		q.LossGood, q.LossBad = 0, 1
		e := NewDirection(&q, testSeed, "loss-burst-"+geName(p))
		checkRuns(t, geName(&q)+" loss runs", offerMany(t, &e, n), p.PBG)
	}
}

// checkRuns checks that the complete runs of true in b have mean length
// 1/pbg: they are independent geometric lengths on {1, 2, …} with mean
// 1/pbg and variance (1−pbg)/pbg².
func checkRuns(t *testing.T, name string, b []bool, pbg float64) {
	t.Helper()
	got, count := runs(b)
	if count < 100 {
		t.Fatalf("%s: only %d complete runs; the test needs more packets", name, count)
	}
	want := 1 / pbg
	tol := 5 * math.Sqrt((1-pbg)/(pbg*pbg)/float64(count))
	if math.Abs(got-want) > tol {
		t.Errorf("%s: mean run %v over %d runs; want 1/p_bg = %v ± %.2g", name, got, count, want, tol)
	}
}

// TestGilbertElliottStartsStationary checks the first packet of many
// directions: it is lost with the stationary probability (1/3 here), not
// with the probability of a chain started good (0.01).
func TestGilbertElliottStartsStationary(t *testing.T) {
	const n = 20_000
	p := &Params{Loss: LossGilbertElliott, PGB: 0.01, PBG: 0.02, LossGood: 0, LossBad: 1}
	lost := 0
	for i := range n {
		d := NewDirection(p, testSeed, fmt.Sprintf("sensor-%d/up", i))
		if _, r := d.Offer(0, 100); r == DropLoss {
			lost++
		}
	}
	got, want := float64(lost)/n, StationaryLoss(p)
	if tol := 5 * math.Sqrt(want*(1-want)/n); math.Abs(got-want) > tol {
		t.Errorf("first-packet loss over %d directions = %v; want %v ± %.2g", n, got, want, tol)
	}
}

// msAt is the simulated time ms milliseconds after the start.
func msAt(ms float64) sim.Time { return sim.Time(ms * float64(time.Millisecond)) }
