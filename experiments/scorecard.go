package experiments

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/iotsim/iotsim/experiments/output"
)

// Summarise aggregates runs per sweep point: for each metric of
// output.SummaryMetrics, the mean over the point's replications and its
// 95 % confidence interval (see MeanCI). Points come out in point order.
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
				vals = append(vals, output.MetricValue(r, m))
			}
			ps.Metrics = append(ps.Metrics, MeanCI(vals))
		}
		out = append(out, ps)
	}
	return out
}

// MeanCI is the mean of the non-NaN values of xs (NaN: the metric does not
// apply to that run) and its two-sided 95 % confidence interval from
// Student's t with N−1 degrees of freedom; Low and High are NaN below two
// values. xs is not modified.
func MeanCI(xs []float64) output.MetricSummary {
	nan := math.NaN()
	vals := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			vals = append(vals, x)
		}
	}
	s := output.MetricSummary{Mean: nan, Low: nan, High: nan, N: int32(len(vals))}
	switch len(vals) {
	case 0:
		return s
	case 1:
		s.Mean = vals[0]
		return s
	}
	mean, sd := stat.MeanStdDev(vals, nil)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(len(vals) - 1)}.Quantile(0.975)
	half := t * sd / math.Sqrt(float64(len(vals)))
	s.Mean, s.Low, s.High = mean, mean-half, mean+half
	return s
}

// WriteSummaryFile writes summary.parquet into output folder dir from all
// the folder's runs.
func WriteSummaryFile(dir string, runs []output.RunInfo) error {
	return output.WriteSummary(output.SummaryPath(dir), Summarise(runs))
}

// EnsureSummary writes summary.parquet into output folder dir when it has
// none or one whose figures differ from those of runs (a different set of
// runs, even of the same size), and reports whether it wrote: a sharded
// sweep's shards write no summary, so `iotsim report` makes it once they
// are all in. While shards are missing it writes nothing and says which
// (ErrShardsMissing).
func EnsureSummary(dir string, runs []output.RunInfo) (bool, error) {
	if len(runs) == 0 {
		return false, nil
	}
	missing, err := missingShards(dir)
	if err != nil {
		return false, err
	}
	if len(missing) > 0 {
		return false, fmt.Errorf("%w: %s", ErrShardsMissing, strings.Join(missing, ", "))
	}
	want := Summarise(runs)
	if have, err := output.ReadSummary(output.SummaryPath(dir)); err == nil && sameFigures(have, want) {
		return false, nil
	}
	return true, output.WriteSummary(output.SummaryPath(dir), want)
}

// ErrShardsMissing is EnsureSummary's answer for a sharded sweep some of
// whose shards have not written their runs table yet.
var ErrShardsMissing = errors.New("not every shard's runs table is in the folder")

// missingShards returns the runs tables of a sharded sweep (runs-IofN)
// that dir lacks, judged from those it has; none once the folder has a
// merged runs.parquet.
func missingShards(dir string) ([]string, error) {
	if _, err := os.Stat(filepath.Join(dir, "runs.parquet")); err == nil {
		return nil, nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "runs-*of*.parquet"))
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	total := 0
	for _, f := range files {
		var i, n int
		if _, err := fmt.Sscanf(filepath.Base(f), "runs-%dof%d.parquet", &i, &n); err == nil && n > 0 {
			have[filepath.Base(f)] = true
			total = max(total, n)
		}
	}
	var missing []string
	for i := 1; i <= total && len(have) > 0; i++ {
		if name := shardRunsFile(i, total); !have[name] {
			missing = append(missing, name)
		}
	}
	return missing, nil
}

// sameFigures reports whether two summaries have the same points,
// replication counts and metric figures (NaN equal to NaN). Parameters are
// left out: they follow from the points of one experiment, and values read
// back from Parquet may differ in Go type from the ones written.
func sameFigures(a, b []output.PointSummary) bool {
	if len(a) != len(b) {
		return false
	}
	same := func(x, y float64) bool { return x == y || (math.IsNaN(x) && math.IsNaN(y)) }
	for i := range a {
		p, q := &a[i], &b[i]
		if p.Point != q.Point || p.Replications != q.Replications || len(p.Metrics) != len(q.Metrics) {
			return false
		}
		for j := range p.Metrics {
			m, n := p.Metrics[j], q.Metrics[j]
			if m.N != n.N || !same(m.Mean, n.Mean) || !same(m.Low, n.Low) || !same(m.High, n.High) {
				return false
			}
		}
	}
	return true
}
