package experiments

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/iotsim/iotsim/experiments/output"
)

// Summarise aggregates runs per sweep point: for each metric of
// output.SummaryMetrics, the mean over the point's replications and its
// 95 % confidence interval (Student's t with n−1 degrees of freedom). NaN
// values (a metric that does not apply to a run) are left out; an interval
// needs two values. Points come out in point order.
func Summarise(runs []output.RunInfo) []output.PointSummary {
	byPoint := map[int32][]*output.RunInfo{}
	var points []int32
	for i := range runs {
		r := &runs[i]
		if _, ok := byPoint[r.Point]; !ok {
			points = append(points, r.Point)
		}
		byPoint[r.Point] = append(byPoint[r.Point], r)
	}
	sort.Slice(points, func(i, j int) bool { return points[i] < points[j] })
	out := make([]output.PointSummary, 0, len(points))
	for _, pt := range points {
		rs := byPoint[pt]
		ps := output.PointSummary{Point: pt, Params: rs[0].Params, Replications: int32(len(rs))}
		vals := make([]float64, 0, len(rs))
		for _, m := range output.SummaryMetrics {
			vals = vals[:0]
			for _, r := range rs {
				if v := output.MetricValue(r, m); !math.IsNaN(v) {
					vals = append(vals, v)
				}
			}
			ps.Metrics = append(ps.Metrics, meanCI(vals))
		}
		out = append(out, ps)
	}
	return out
}

// meanCI is the mean of xs and its 95 % Student's t confidence interval.
func meanCI(xs []float64) output.MetricSummary {
	nan := math.NaN()
	s := output.MetricSummary{Mean: nan, Low: nan, High: nan, N: int32(len(xs))}
	switch len(xs) {
	case 0:
		return s
	case 1:
		s.Mean = xs[0]
		return s
	}
	mean, sd := stat.MeanStdDev(xs, nil)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(len(xs) - 1)}.Quantile(0.975)
	half := t * sd / math.Sqrt(float64(len(xs)))
	s.Mean, s.Low, s.High = mean, mean-half, mean+half
	return s
}

// WriteSummaryFile writes summary.parquet into output folder dir from all
// the folder's runs.
func WriteSummaryFile(dir string, runs []output.RunInfo) error {
	return output.WriteSummary(output.SummaryPath(dir), Summarise(runs))
}
