package experiments

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/iotsim/iotsim/experiments/output"
)

func TestMeanCI(t *testing.T) {
	for _, tc := range []struct {
		name          string
		xs            []float64
		mean, low, hi float64
	}{
		// t(0.975, 2) = 4.302653 (tables); sd 1, n 3: half-width 2.484138.
		{"three", []float64{1, 2, 3}, 2, 2 - 2.484138, 2 + 2.484138},
		// t(0.975, 1) = 12.706205; sd 0.70711, n 2: half-width 6.353102.
		{"two", []float64{0.9, 1.9}, 1.4, 1.4 - 6.353102, 1.4 + 6.353102},
		{"one", []float64{5}, 5, math.NaN(), math.NaN()},
		{"none", nil, math.NaN(), math.NaN(), math.NaN()},
	} {
		got := meanCI(tc.xs)
		same := func(a, b float64) bool { return (math.IsNaN(a) && math.IsNaN(b)) || math.Abs(a-b) < 1e-5 }
		if !same(got.Mean, tc.mean) || !same(got.Low, tc.low) || !same(got.High, tc.hi) || int(got.N) != len(tc.xs) {
			t.Errorf("%s: %+v; want mean %v [%v, %v]", tc.name, got, tc.mean, tc.low, tc.hi)
		}
	}
}

// TestSummaryFile: a sweep's summary.parquet has one row per point with the
// replications' mean, which matches the runs, and reads back.
func TestSummaryFile(t *testing.T) {
	dir, res := execute(t, sweepExperiment, 2)
	var runs []output.RunInfo
	for _, r := range res {
		runs = append(runs, r.Info)
	}
	if err := WriteSummaryFile(dir, runs); err != nil {
		t.Fatal(err)
	}
	got, err := output.ReadSummary(filepath.Join(dir, "summary.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("%d points; want 4", len(got))
	}
	for _, p := range got {
		var sum float64
		var n int
		for _, r := range runs {
			if r.Point == p.Point {
				sum += r.DeliveryRatio
				n++
			}
		}
		d := p.Metrics[0] // delivery_ratio
		if p.Replications != 2 || d.N != 2 || math.Abs(d.Mean-sum/float64(n)) > 1e-12 || !(d.Low <= d.Mean && d.Mean <= d.High) {
			t.Errorf("point %d: %+v; want mean %v over 2", p.Point, d, sum/float64(n))
		}
		if len(p.Params) != 2 {
			t.Errorf("point %d params %v", p.Point, p.Params)
		}
	}
}
