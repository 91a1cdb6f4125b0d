package experiments

import (
	"fmt"

	"github.com/iotsim/iotsim/experiments/config"
	"github.com/iotsim/iotsim/experiments/output"
	"github.com/iotsim/iotsim/sim"
)

// RunSeed derives the seed of one run from the experiment seed, the sweep
// point and the replication. It is non-negative so it reads well as int64.
func RunSeed(seed int64, point, rep int) int64 {
	return int64(sim.DeriveSeed(uint64(seed), uint64(point), uint64(rep)) >> 1)
}

// Plan expands a loaded experiment into its runs: one per sweep point and
// replication (one run when there is no [sweep]). Points enumerate the
// parameter paths in sorted order; in grid mode the last path varies
// fastest. Each point's experiment is resolved and validated on its own,
// so a sweep value that makes the file invalid is reported.
func Plan(src *config.Source, exp *config.Experiment) ([]Run, error) {
	if exp.Sweep == nil || len(exp.Sweep.Params) == 0 {
		reps := 1
		if exp.Sweep != nil && exp.Sweep.Replications > 0 {
			reps = exp.Sweep.Replications
		}
		runs := make([]Run, reps)
		for r := range runs {
			runs[r] = Run{Index: r, ID: RunID(r), Rep: r, Seed: RunSeed(exp.Seed, 0, r), Exp: exp}
		}
		return runs, nil
	}
	sw := exp.Sweep
	paths := config.SortedKeys(sw.Params)
	points := expand(paths, sw.Params, sw.Mode)
	var runs []Run
	for pi, values := range points {
		s := src.Clone()
		params := make([]output.Param, len(paths))
		for j, path := range paths {
			if err := s.SetValue(path, values[j]); err != nil {
				return nil, fmt.Errorf("sweep point %d: %w", pi, err)
			}
			params[j] = output.Param{Path: path, Value: values[j]}
		}
		pe, err := s.Resolve()
		if err != nil {
			return nil, fmt.Errorf("sweep point %d (%s): %w", pi, describe(params), err)
		}
		for r := 0; r < sw.Replications; r++ {
			i := len(runs)
			runs = append(runs, Run{Index: i, ID: RunID(i), Point: pi, Rep: r,
				Seed: RunSeed(exp.Seed, pi, r), Params: params, Exp: pe})
		}
	}
	return runs, nil
}

// expand lists the parameter values of every point.
func expand(paths []string, params map[string][]any, mode string) [][]any {
	if mode == "zip" {
		n := len(params[paths[0]])
		points := make([][]any, n)
		for i := range points {
			for _, p := range paths {
				points[i] = append(points[i], params[p][i])
			}
		}
		return points
	}
	points := [][]any{{}}
	for _, p := range paths {
		var next [][]any
		for _, prefix := range points {
			for _, v := range params[p] {
				next = append(next, append(append([]any{}, prefix...), v))
			}
		}
		points = next
	}
	return points
}

func describe(params []output.Param) string {
	s := ""
	for i, p := range params {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s=%v", p.Path, p.Value)
	}
	return s
}

// Shard keeps the runs whose index ≡ i−1 (mod n), 1 ≤ i ≤ n.
func Shard(runs []Run, i, n int) []Run {
	var kept []Run
	for _, r := range runs {
		if r.Index%n == i-1 {
			kept = append(kept, r)
		}
	}
	return kept
}

// SetShard makes o write shard i of n: its runs table and manifest under
// the shard's own names (runs-IofN.parquet, manifest-IofN.json), so n
// invocations can share one folder.
func (o *Options) SetShard(i, n int) {
	o.RunsFile = shardRunsFile(i, n)
	o.ManifestFile = fmt.Sprintf("manifest-%dof%d.json", i, n)
}

// shardRunsFile is the name of shard i of n's runs table.
func shardRunsFile(i, n int) string { return fmt.Sprintf("runs-%dof%d.parquet", i, n) }
