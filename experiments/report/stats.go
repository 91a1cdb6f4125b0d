package report

import (
	"cmp"
	"slices"

	"github.com/iotsim/iotsim/experiments"
)

// Stat is a mean over replications with its 95 % confidence interval.
type Stat struct {
	N      int     // replications with a value (NaN values are not counted)
	Mean   float64 // NaN when N is 0
	Lo, Hi float64 // CI bounds; NaN when N < 2 (one replication gives no interval)
}

// HalfWidth is half the width of the interval, NaN when there is none.
func (s Stat) HalfWidth() float64 { return (s.Hi - s.Lo) / 2 }

// MeanCI is experiments.MeanCI as a Stat.
func MeanCI(xs []float64) Stat {
	m := experiments.MeanCI(xs)
	return Stat{N: int(m.N), Mean: m.Mean, Lo: m.Low, Hi: m.High}
}

// weighted is one value of an empirical distribution with the share of the
// population it stands for.
type weighted struct {
	v, w float64
}

// reduceSample sorts sample and keeps at most m evenly spaced order
// statistics, each standing for total/kept of the population: a run's
// latency distribution in a few KiB, whatever its message count.
func reduceSample(sample []float64, total float64, m int) []weighted {
	if len(sample) == 0 || total <= 0 || m < 1 {
		return nil
	}
	slices.Sort(sample)
	k := min(m, len(sample))
	out := make([]weighted, k)
	for i := range out {
		j := i
		if k > 1 {
			j = i * (len(sample) - 1) / (k - 1)
		}
		out[i] = weighted{sample[j], total / float64(k)}
	}
	return out
}

// cdf merges the weighted samples of several runs into one empirical CDF:
// xs ascending, ys the fraction of the population at or below each x.
func cdf(parts ...[]weighted) (xs, ys []float64) {
	var all []weighted
	for _, p := range parts {
		all = append(all, p...)
	}
	if len(all) == 0 {
		return nil, nil
	}
	slices.SortStableFunc(all, func(a, b weighted) int { return cmp.Compare(a.v, b.v) })
	var total float64
	for _, p := range all {
		total += p.w
	}
	var acc float64
	for i, p := range all {
		acc += p.w
		if i+1 < len(all) && all[i+1].v == p.v {
			continue // one step per distinct value
		}
		xs = append(xs, p.v)
		ys = append(ys, acc/total)
	}
	return xs, ys
}
