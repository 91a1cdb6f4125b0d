package link

import (
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/iotsim/iotsim/sim"
)

// fullParams exercises every step: Gilbert–Elliott loss, lognormal delay,
// finite bandwidth with a short queue, outages.
var fullParams = Params{
	Loss: LossGilbertElliott, PGB: 0.05, PBG: 0.3, LossGood: 0.02, LossBad: 0.7,
	Delay: DelayLognormal, Mean: 20 * time.Millisecond, Stddev: 10 * time.Millisecond,
	BitsPerSecond: 250e3, Queue: 4,
	Outages: []Window{{sim.Time(3 * time.Second), sim.Time(4 * time.Second)}},
}

// trace offers n packets of varying sizes every 2 ms and records the outcome.
func trace(d *Direction, n int) []arrival {
	out := make([]arrival, n)
	for i := range out {
		a, r := d.Offer(sim.Time(i)*sim.Time(2*time.Millisecond), 40+i%80)
		out[i] = arrival{a, r}
	}
	return out
}

func TestDeterminismAndIndependence(t *testing.T) {
	const n = 5000
	p := &fullParams
	mk := func(seed uint64, entity string) []arrival {
		d := NewDirection(p, seed, entity)
		return trace(&d, n)
	}
	base := mk(7, "sensor-17/up")
	if got := mk(7, "sensor-17/up"); !equalTraces(got, base) {
		t.Error("same seed and entity gave different traces")
	}
	for _, c := range []struct {
		seed   uint64
		entity string
	}{{7, "sensor-17/down"}, {7, "sensor-18/up"}, {8, "sensor-17/up"}} {
		got := mk(c.seed, c.entity)
		if lossesOf(got) == lossesOf(base) {
			t.Errorf("seed %d entity %q: the same loss pattern as seed 7 sensor-17/up", c.seed, c.entity)
		}
		if delaysOf(got) == delaysOf(base) {
			t.Errorf("seed %d entity %q: the same delays as seed 7 sensor-17/up", c.seed, c.entity)
		}
	}
	// Every reason occurs, so the comparison above covers every step.
	seen := map[DropReason]bool{}
	for _, a := range base {
		seen[a.reason] = true
	}
	for _, r := range []DropReason{NotDropped, DropLoss, DropQueue, DropOutage} {
		if !seen[r] {
			t.Errorf("no packet of the trace has reason %q", r)
		}
	}
}

// TestDirectionsInterleaved: one direction's draws do not depend on how its
// offers interleave with another's.
func TestDirectionsInterleaved(t *testing.T) {
	const n = 2000
	up, down := NewDirection(&fullParams, 1, "dev/up"), NewDirection(&fullParams, 1, "dev/down")
	alone := trace(&up, n)
	up = NewDirection(&fullParams, 1, "dev/up")
	var mixed []arrival
	for i := range n {
		now := sim.Time(i) * sim.Time(2*time.Millisecond)
		down.Offer(now, 100)
		down.Offer(now, 60)
		a, r := up.Offer(now, 40+i%80)
		mixed = append(mixed, arrival{a, r})
	}
	if !equalTraces(alone, mixed) {
		t.Error("a direction's trace changed when another direction was used in between")
	}
}

func equalTraces(a, b []arrival) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func lossesOf(tr []arrival) string {
	var b strings.Builder
	for _, a := range tr {
		if a.reason == DropLoss {
			b.WriteByte('x')
		} else {
			b.WriteByte('.')
		}
	}
	return b.String()
}

func delaysOf(tr []arrival) string {
	var b strings.Builder
	for _, a := range tr {
		if a.reason == NotDropped {
			b.WriteString(time.Duration(a.at).String())
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// allParams is every loss model × delay distribution, each with and without
// finite bandwidth.
func allParams() map[string]*Params {
	losses := map[string]Params{
		"none":      {},
		"bernoulli": {Loss: LossBernoulli, P: 0.1},
		"ge":        {Loss: LossGilbertElliott, PGB: 0.05, PBG: 0.3, LossGood: 0.02, LossBad: 0.7},
	}
	delays := map[string]Params{
		"constant":  {Delay: DelayConstant, Value: 20 * time.Millisecond},
		"normal":    {Delay: DelayNormal, Mean: time.Millisecond, Stddev: 2 * time.Millisecond},
		"lognormal": {Delay: DelayLognormal, Mean: 20 * time.Millisecond, Stddev: 10 * time.Millisecond},
		"pareto":    {Delay: DelayPareto, Min: 10 * time.Millisecond, Alpha: 2.5},
	}
	out := map[string]*Params{}
	for ln, l := range losses {
		for dn, d := range delays {
			for _, bps := range []float64{0, 1e6} {
				p := l
				p.Delay, p.Value, p.Mean, p.Stddev, p.Min, p.Alpha = d.Delay, d.Value, d.Mean, d.Stddev, d.Min, d.Alpha
				p.BitsPerSecond, p.Queue = bps, 8
				p.Outages = []Window{{sim.Time(time.Hour), sim.Time(2 * time.Hour)}}
				name := ln + "+" + dn
				if bps > 0 {
					name += "+bandwidth"
				}
				out[name] = &p
			}
		}
	}
	return out
}

func TestOfferAllocatesNothing(t *testing.T) {
	for name, p := range allParams() {
		if err := p.Validate(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d := NewDirection(p, testSeed, name)
		// 125 bytes at 1 Mbit/s take 1 ms; offering every 0.7 ms keeps the
		// queue full (with drops) once the ring has grown to its size.
		now := sim.Time(0)
		offer := func() {
			now += sim.Time(700 * time.Microsecond)
			d.Offer(now, 125)
		}
		for range 1000 {
			offer()
		}
		if allocs := testing.AllocsPerRun(2000, offer); allocs != 0 {
			t.Errorf("%s: Offer allocates %v times per call; want 0", name, allocs)
		}
	}
}

func TestDirectionSize(t *testing.T) {
	size := unsafe.Sizeof(Direction{})
	t.Logf("unsafe.Sizeof(Direction{}) = %d bytes", size)
	if size > 80 {
		t.Errorf("Direction is %d bytes; the budget for an idle direction is 80", size)
	}
	d := NewDirection(&fullParams, 1, "idle")
	if d.fin != nil {
		t.Error("a new Direction already holds a queue")
	}
}
