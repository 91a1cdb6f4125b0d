package topologies

import (
	"github.com/iotsim/iotsim/experiments/config"
	"github.com/iotsim/iotsim/models/link"
	"github.com/iotsim/iotsim/sim"
)

// linkParams converts a validated link class into the link model's terms.
func linkParams(c *config.Link) *link.Params {
	p := &link.Params{
		BitsPerSecond: float64(c.Bandwidth),
		Queue:         c.Queue,
	}
	switch c.Loss.Model {
	case config.LossBernoulli:
		p.Loss, p.P = link.LossBernoulli, c.Loss.P
	case config.LossGilbertElliott:
		p.Loss = link.LossGilbertElliott
		p.PGB, p.PBG = c.Loss.PGB, c.Loss.PBG
		p.LossGood, p.LossBad = c.Loss.LossGood, c.Loss.LossBad
	default:
		p.Loss = link.LossNone
	}
	switch c.Delay.Dist {
	case config.DelayNormal:
		p.Delay, p.Mean, p.Stddev = link.DelayNormal, c.Delay.Mean.D(), c.Delay.Stddev.D()
	case config.DelayLognormal:
		p.Delay, p.Mean, p.Stddev = link.DelayLognormal, c.Delay.Mean.D(), c.Delay.Stddev.D()
	case config.DelayPareto:
		p.Delay, p.Min, p.Alpha = link.DelayPareto, c.Delay.Min.D(), c.Delay.Alpha
	default:
		p.Delay, p.Value = link.DelayConstant, c.Delay.Value.D()
	}
	for _, o := range c.Outages {
		from := sim.Time(o.At)
		p.Outages = append(p.Outages, link.Window{From: from, To: from.Add(o.For.D())})
	}
	return p
}
