package link

import (
	"testing"
	"time"

	"github.com/iotsim/iotsim/sim"
)

func BenchmarkOffer(b *testing.B) {
	bernoulli := Params{Loss: LossBernoulli, P: 0.01, Delay: DelayConstant, Value: 20 * time.Millisecond}
	ge := Params{
		Loss: LossGilbertElliott, PGB: 0.01, PBG: 0.25, LossBad: 0.9,
		Delay: DelayLognormal, Mean: 20 * time.Millisecond, Stddev: 10 * time.Millisecond,
	}
	normal := bernoulli
	normal.Delay, normal.Mean, normal.Stddev = DelayNormal, 20*time.Millisecond, 5*time.Millisecond
	pareto := bernoulli
	pareto.Delay, pareto.Min, pareto.Alpha = DelayPareto, 10*time.Millisecond, 2.5
	withBandwidth := func(p Params) Params {
		p.BitsPerSecond, p.Queue = 1e6, 64
		p.Outages = []Window{{sim.Time(time.Hour), sim.Time(2 * time.Hour)}}
		return p
	}
	cases := []struct {
		name string
		p    Params
	}{
		{"bernoulli+constant", bernoulli},
		{"bernoulli+normal", normal},
		{"bernoulli+pareto", pareto},
		{"ge+lognormal", ge},
		{"bernoulli+constant+bandwidth", withBandwidth(bernoulli)},
		{"ge+lognormal+bandwidth", withBandwidth(ge)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			d := NewDirection(&c.p, 1, "bench/up")
			// 125 bytes take 1 ms at 1 Mbit/s; one offer every 0.9 ms
			// keeps a queue that fills slowly and drops a little.
			now := sim.Time(0)
			b.ReportAllocs()
			for b.Loop() {
				now += sim.Time(900 * time.Microsecond)
				d.Offer(now, 125)
			}
		})
	}
}
