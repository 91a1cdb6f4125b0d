package experiments

import (
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/iotsim/iotsim/experiments/output"
)

func TestMeanCI(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name   string
		xs     []float64
		n      int32
		mean   float64
		halfCI float64 // NaN: no interval
	}{
		{"empty", nil, 0, nan, nan},
		{"all NaN", []float64{nan, nan}, 0, nan, nan},
		{"one value gives no interval", []float64{0.7}, 1, 0.7, nan},
		// t(0.975, 2) = 4.302652729911275 (tables); sd = 1.
		{"three", []float64{1, 2, 3}, 3, 2, 4.302652729911275 / math.Sqrt(3)},
		// t(0.975, 1) = 12.706204736174698; sd = √2.
		{"NaN skipped", []float64{1, nan, 3}, 2, 2, 12.706204736174698 * math.Sqrt(2) / math.Sqrt(2)},
		{"no spread", []float64{5, 5, 5, 5}, 4, 5, 0},
	} {
		s := MeanCI(tc.xs)
		half := (s.High - s.Low) / 2
		same := func(a, b float64) bool {
			return (math.IsNaN(a) && math.IsNaN(b)) || math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b))
		}
		if s.N != tc.n || !same(s.Mean, tc.mean) || !same(half, tc.halfCI) {
			t.Errorf("%s: MeanCI(%v) = {N %d, mean %g, half %g}; want {%d, %g, %g}", tc.name, tc.xs, s.N, s.Mean, half, tc.n, tc.mean, tc.halfCI)
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

// TestEnsureSummary: an up-to-date summary is left alone; one made from a
// different set of runs of the same size is rewritten (a count of runs
// cannot tell them apart).
func TestEnsureSummary(t *testing.T) {
	dir, res := execute(t, sweepExperiment, 2)
	var runs []output.RunInfo
	for _, r := range res {
		runs = append(runs, r.Info)
	}
	other := slices.Clone(runs)
	other[0].DeliveryRatio /= 2 // another replication in its place
	for i, step := range []struct {
		runs  []output.RunInfo
		wrote bool
	}{
		{runs, false},  // written by the run itself, up to date
		{other, true},  // same count, other figures
		{other, false}, // up to date again
		{runs, true},
	} {
		wrote, err := EnsureSummary(dir, step.runs)
		if err != nil || wrote != step.wrote {
			t.Fatalf("step %d: wrote %v (%v); want %v", i, wrote, err, step.wrote)
		}
		got, err := output.ReadSummary(filepath.Join(dir, "summary.parquet"))
		if err != nil || !sameFigures(got, Summarise(step.runs)) {
			t.Fatalf("step %d: summary does not match its runs (%v)", i, err)
		}
	}
}
