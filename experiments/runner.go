package experiments

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/iotsim/iotsim/experiments/config"
	"github.com/iotsim/iotsim/experiments/output"
	"github.com/iotsim/iotsim/sim"
	"github.com/iotsim/iotsim/topologies"
)

// Version is the program version, recorded in every output.
var Version = "0.1.0-dev"

// Run is one simulation run: a resolved experiment and its seed.
type Run struct {
	Index  int    // position in the plan; run_id is its zero-padded form
	ID     string // "000017"
	Point  int    // sweep point
	Rep    int    // replication
	Seed   int64  // derived seed of this run
	Params []output.Param
	Exp    *config.Experiment
}

// RunID formats a run index as the output contract's run_id.
func RunID(index int) string { return fmt.Sprintf("%06d", index) }

// Options say where and how to execute runs.
type Options struct {
	Out     string   // output folder
	Tables  []string // tables to write
	Workers int      // parallel runs; 0 means the number of CPUs
	// RunsFile and ManifestFile name the run-level files inside Out
	// (defaults runs.parquet and manifest.json; shards use their own names).
	RunsFile, ManifestFile string
	// Progress, if set, is called from the runners' goroutines (serialised)
	// at most every chunk of simulated time with the overall state.
	Progress func(Progress)
	// Source is the experiment text and file name, for the manifest.
	File string
	Text []byte
	Sets []string
	// PlanHash identifies the whole plan (see PlanHash); a shard must be
	// given the hash of the unsharded plan. Default: PlanHash(runs).
	PlanHash string
}

// Progress is a snapshot of an execution in progress.
type Progress struct {
	RunsDone, RunsTotal int
	SimNow, SimEnd      sim.Time // of the most recently reporting run
	Events              uint64   // all runs so far
	Elapsed             time.Duration
}

// Result is one finished run.
type Result struct {
	Info    output.RunInfo
	Wall    time.Duration
	Skipped bool // complete in the folder already (resume): not executed again
}

// Execute runs every run, writes their tables and completion records, then
// runs.parquet and manifest.json. It returns the results in plan order.
// An unsharded execution (no RunsFile or ManifestFile) into the folder of a
// finished sharded sweep executes nothing and merges: it writes runs.parquet
// and manifest.json and removes the shards' runs-IofN.parquet and
// manifest-IofN.json.
//
// Runs already complete in opts.Out (see DoneDir) are not executed again:
// their results come from their completion records, so the folder ends the
// same, byte for byte, as after one uninterrupted execution. A folder that
// holds results of another plan is refused with a *MismatchError before
// anything is written. On cancellation (ctx) runs in progress are abandoned
// without leaving partial files, finished runs stay complete, and the error
// is ctx's.
func Execute(ctx context.Context, runs []Run, opts Options) ([]Result, error) {
	if len(runs) == 0 {
		return nil, errors.New("no runs to execute")
	}
	hash := cmp.Or(opts.PlanHash, PlanHash(runs))
	skipped, err := completedRuns(opts.Out, hash, runs, opts.Tables)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return nil, err
	}
	var pending []int
	results := make([]Result, len(runs))
	for i := range runs {
		if r, ok := skipped[i]; ok {
			results[i] = r
		} else {
			pending = append(pending, i)
		}
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	workers = max(1, min(workers, len(pending)))
	start := time.Now()
	errs := make([]error, len(runs))
	var (
		mu     sync.Mutex
		done   = len(skipped)
		events uint64
	)
	report := func(now, end sim.Time, newEvents uint64, finished bool) {
		if opts.Progress == nil && !finished {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		events += newEvents
		if finished {
			done++
		}
		if opts.Progress != nil {
			opts.Progress(Progress{RunsDone: done, RunsTotal: len(runs), SimNow: now, SimEnd: end, Events: events, Elapsed: time.Since(start)})
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results[i], errs[i] = executeOne(ctx, runs[i], hash, opts, report)
				if errs[i] != nil {
					cancel()
				}
			}
		}()
	}
feed:
	for _, i := range pending {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	infos := make([]output.RunInfo, len(results))
	for i := range results {
		infos[i] = results[i].Info
	}
	if slices.Contains(opts.Tables, "runs") {
		if err := output.WriteRuns(filepath.Join(opts.Out, cmp.Or(opts.RunsFile, "runs.parquet")), infos, runsMeta(runs[0], opts)); err != nil {
			return nil, err
		}
		// A shard sees only its runs: the summary of a sharded sweep is
		// written by `iotsim report` once all shards are in.
		if opts.RunsFile == "" {
			if err := WriteSummaryFile(opts.Out, infos); err != nil {
				return nil, err
			}
		}
	}
	if err := output.WriteManifest(filepath.Join(opts.Out, cmp.Or(opts.ManifestFile, "manifest.json")), manifest(runs, results, hash, opts, time.Since(start))); err != nil {
		return nil, err
	}
	if opts.RunsFile == "" && opts.ManifestFile == "" {
		// runs.parquet now holds every run: the shards' files it merges
		// would only duplicate its rows for readers of runs*.parquet.
		if err := removeShardFiles(opts.Out); err != nil {
			return nil, err
		}
	}
	return results, nil
}

// chunk is how much simulated time a run advances between checks for
// cancellation and progress reports.
const chunk = sim.Time(time.Second)

func executeOne(ctx context.Context, run Run, hash string, opts Options, report func(now, end sim.Time, events uint64, finished bool)) (Result, error) {
	began := time.Now()
	w, err := output.OpenRun(opts.Out, run.ID, opts.Tables, runMeta(run, opts))
	if err != nil {
		return Result{}, fmt.Errorf("run %s: %w", run.ID, err)
	}
	world, err := topologies.Build(run.Exp, topologies.Options{
		Seed:    uint64(run.Seed),
		Sink:    w,
		Packets: slices.Contains(opts.Tables, "packets"),
	})
	if err != nil {
		w.Abort()
		return Result{}, fmt.Errorf("run %s: %w", run.ID, err)
	}
	end := world.End()
	var reported uint64
	for t := sim.Time(0); t < end; {
		if ctx.Err() != nil {
			w.Abort()
			return Result{}, ctx.Err()
		}
		t = min(t+chunk, end)
		world.K.Run(t)
		ev := world.K.Events()
		report(t, end, ev-reported, false)
		reported = ev
	}
	row := world.Finish()
	if err := w.Close(); err != nil {
		return Result{}, fmt.Errorf("run %s: %w", run.ID, err)
	}
	// The completion record goes last: with it the run counts as complete.
	if err := writeDone(opts.Out, hash, run, row); err != nil {
		return Result{}, fmt.Errorf("run %s: completion record: %w", run.ID, err)
	}
	report(end, end, 0, true)
	return Result{Info: runInfo(run, row), Wall: time.Since(began)}, nil
}

// experimentHash identifies the experiment text in outputs.
func experimentHash(text []byte) string {
	h := sha256.Sum256(text)
	return hex.EncodeToString(h[:])
}

// runMeta is the Parquet key-value metadata of one run's files: what makes
// the run replayable, and nothing from the wall clock.
func runMeta(run Run, opts Options) map[string]string {
	return map[string]string{
		"iotsim.version":           Version,
		"iotsim.experiment":        run.Exp.Name,
		"iotsim.experiment_sha256": experimentHash(opts.Text),
		"iotsim.run_id":            run.ID,
		"iotsim.seed":              strconv.FormatInt(run.Seed, 10),
		"iotsim.point":             strconv.Itoa(run.Point),
		"iotsim.rep":               strconv.Itoa(run.Rep),
	}
}

func runsMeta(first Run, opts Options) map[string]string {
	return map[string]string{
		"iotsim.version":           Version,
		"iotsim.experiment":        first.Exp.Name,
		"iotsim.experiment_sha256": experimentHash(opts.Text),
	}
}
