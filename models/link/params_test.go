package link

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	ok := []struct {
		name string
		p    Params
	}{
		{"zero value", Params{}},
		{"bernoulli", Params{Loss: LossBernoulli, P: 0.01}},
		{"bernoulli bounds", Params{Loss: LossBernoulli, P: 1}},
		{"gilbert-elliott", Params{Loss: LossGilbertElliott, PGB: 0.01, PBG: 0.25, LossBad: 0.9}},
		{"normal", Params{Delay: DelayNormal, Mean: 20 * time.Millisecond, Stddev: 5 * time.Millisecond}},
		{"normal at zero", Params{Delay: DelayNormal, Stddev: time.Millisecond}},
		{"lognormal", Params{Delay: DelayLognormal, Mean: 20 * time.Millisecond, Stddev: 10 * time.Millisecond}},
		{"pareto", Params{Delay: DelayPareto, Min: 10 * time.Millisecond, Alpha: 2.5}},
		{"bandwidth and queue", Params{BitsPerSecond: 1e6, Queue: 64}},
		{"outages touching", Params{Outages: []Window{{0, 10}, {10, 20}, {30, 31}}}},
		{"unused fields ignored", Params{P: 7, Alpha: -1}},
	}
	for _, c := range ok {
		if err := c.p.Validate(); err != nil {
			t.Errorf("%s: Validate() = %v; want nil", c.name, err)
		}
	}

	bad := []struct {
		name string
		p    Params
		want string // substring of the error
	}{
		{"p above 1", Params{Loss: LossBernoulli, P: 1.5}, "p = 1.5"},
		{"p negative", Params{Loss: LossBernoulli, P: -0.1}, "p = -0.1"},
		{"p NaN", Params{Loss: LossBernoulli, P: math.NaN()}, "p = NaN"},
		{"p_gb", Params{Loss: LossGilbertElliott, PGB: 2}, "p_gb"},
		{"p_bg", Params{Loss: LossGilbertElliott, PBG: -1}, "p_bg"},
		{"loss_good", Params{Loss: LossGilbertElliott, LossGood: 1.01}, "loss_good"},
		{"loss_bad", Params{Loss: LossGilbertElliott, LossBad: math.Inf(1)}, "loss_bad"},
		{"unknown loss", Params{Loss: 9}, "unknown loss model"},
		{"constant negative", Params{Value: -1}, "constant delay"},
		{"normal mean negative", Params{Delay: DelayNormal, Mean: -1, Stddev: 1}, "normal delay mean"},
		{"normal stddev negative", Params{Delay: DelayNormal, Mean: 1, Stddev: -1}, "normal delay stddev"},
		{"lognormal mean zero", Params{Delay: DelayLognormal, Stddev: 1}, "lognormal delay mean"},
		{"lognormal stddev negative", Params{Delay: DelayLognormal, Mean: 1, Stddev: -1}, "lognormal delay stddev"},
		{"pareto min zero", Params{Delay: DelayPareto, Alpha: 2}, "pareto delay min"},
		{"pareto alpha zero", Params{Delay: DelayPareto, Min: 1}, "pareto delay alpha"},
		{"pareto alpha NaN", Params{Delay: DelayPareto, Min: 1, Alpha: math.NaN()}, "pareto delay alpha"},
		{"pareto alpha Inf", Params{Delay: DelayPareto, Min: 1, Alpha: math.Inf(1)}, "pareto delay alpha"},
		{"unknown delay", Params{Delay: 9}, "unknown delay distribution"},
		{"bandwidth negative", Params{BitsPerSecond: -1}, "bandwidth"},
		{"bandwidth NaN", Params{BitsPerSecond: math.NaN()}, "bandwidth"},
		{"queue negative", Params{Queue: -1}, "queue -1"},
		{"outage before start", Params{Outages: []Window{{-1, 10}}}, "before the run"},
		{"outage empty", Params{Outages: []Window{{10, 10}}}, "is empty"},
		{"outages overlap", Params{Outages: []Window{{0, 10}, {5, 20}}}, "overlaps"},
		{"outages unsorted", Params{Outages: []Window{{20, 30}, {0, 10}}}, "overlaps or precedes"},
	}
	for _, c := range bad {
		err := c.p.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Validate() = %v; want an error containing %q", c.name, err, c.want)
		}
	}
}

func TestStationaryLoss(t *testing.T) {
	cases := []struct {
		name string
		p    Params
		want float64
	}{
		{"none", Params{Loss: LossNone, P: 0.5}, 0},
		{"bernoulli", Params{Loss: LossBernoulli, P: 0.03}, 0.03},
		// πB = 0.01/0.26, loss = πB·0.9
		{"gilbert-elliott", Params{Loss: LossGilbertElliott, PGB: 0.01, PBG: 0.25, LossBad: 0.9}, 0.9 * 0.01 / 0.26},
		// πB = 0.2/0.8 = 0.25: 0.25·0.6 + 0.75·0.1
		{"ge lossy good", Params{Loss: LossGilbertElliott, PGB: 0.2, PBG: 0.6, LossGood: 0.1, LossBad: 0.6}, 0.225},
		{"ge frozen good", Params{Loss: LossGilbertElliott, LossGood: 0.05, LossBad: 1}, 0.05},
		{"ge absorbing bad", Params{Loss: LossGilbertElliott, PGB: 0.1, LossGood: 0.05, LossBad: 0.7}, 0.7},
	}
	for _, c := range cases {
		if got := StationaryLoss(&c.p); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("%s: StationaryLoss = %v; want %v", c.name, got, c.want)
		}
	}
}

func TestStrings(t *testing.T) {
	cases := []struct{ got, want string }{
		{LossNone.String(), "none"},
		{LossBernoulli.String(), "bernoulli"},
		{LossGilbertElliott.String(), "gilbert-elliott"},
		{LossModel(7).String(), "LossModel(7)"},
		{DelayConstant.String(), "constant"},
		{DelayNormal.String(), "normal"},
		{DelayLognormal.String(), "lognormal"},
		{DelayPareto.String(), "pareto"},
		{DelayDist(7).String(), "DelayDist(7)"},
		{NotDropped.String(), ""},
		{DropLoss.String(), "loss"},
		{DropQueue.String(), "queue"},
		{DropOutage.String(), "outage"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("String() = %q; want %q", c.got, c.want)
		}
	}
}
