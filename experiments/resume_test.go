package experiments

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iotsim/iotsim/experiments/config"
	"github.com/iotsim/iotsim/experiments/output"
)

// resumeExperiment is a small sweep: 3 points × 3 replications = 9 runs.
const resumeExperiment = `
name = "resume"
seed = 5
duration = "1m"
drain = "2s"
[output]
tables = ["runs", "messages", "devices", "connections"]
[links.radio]
loss = { model = "bernoulli", p = 0.1 }
delay = { dist = "lognormal", mean = "30ms", stddev = "20ms" }
[coap_servers.srv]
link = "radio"
[devices.s]
count = 20
link = "radio"
attach = "srv"
protocol = "udp"
workload = { kind = "poisson", rate = "12/min", payload = 40 }
[sweep]
replications = 3
[sweep.params]
"links.radio.loss.p" = [0.0, 0.2, 0.5]
`

// plan loads text with sets and expands it.
func plan(t *testing.T, text string, sets ...string) ([]Run, *config.Experiment) {
	t.Helper()
	exp, src, err := config.Load("test.toml", []byte(text), sets)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	runs, err := Plan(src, exp)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	return runs, exp
}

func opts(dir string, exp *config.Experiment, text string, workers int) Options {
	return Options{Out: dir, Tables: exp.Output.Tables, Workers: workers, Text: []byte(text)}
}

// sameFiles reports every difference between two folders' data files.
func sameFiles(t *testing.T, what string, want, got map[string][]byte) {
	t.Helper()
	for name, data := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("%s: %s missing", what, name)
		} else if !bytes.Equal(data, g) {
			t.Errorf("%s: %s differs", what, name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: unexpected file %s", what, name)
		}
	}
}

// leftovers lists the temporary files under dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	var tmp []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(d.Name(), ".tmp") {
			tmp = append(tmp, path)
		}
		return err
	})
	return tmp
}

func countDone(t *testing.T, dir string) int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, DoneDir, "*.gob"))
	return len(files)
}

// TestInterruptedThenResumedEqualsFresh cancels a sweep after some runs,
// checks what is left, resumes it, and compares the folder with a fresh
// run's byte for byte.
func TestInterruptedThenResumedEqualsFresh(t *testing.T) {
	runs, exp := plan(t, resumeExperiment)
	if len(runs) != 9 {
		t.Fatalf("%d runs; want 9", len(runs))
	}
	fresh := t.TempDir()
	if _, err := Execute(context.Background(), runs, opts(fresh, exp, resumeExperiment, 2)); err != nil {
		t.Fatal(err)
	}
	want := dataFiles(t, fresh)

	for _, tc := range []struct {
		name    string
		workers int
		stopAt  int // cancel once this many runs are done
	}{
		// At most stopAt + workers − 1 runs complete (runs finishing
		// while the cancel happens), fewer than the 9 runs.
		{"workers=1 after 1 run", 1, 1},
		{"workers=2 after 3 runs", 2, 3},
		{"workers=3 after 4 runs", 3, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			o := opts(dir, exp, resumeExperiment, tc.workers)
			o.Progress = func(p Progress) {
				if p.RunsDone >= tc.stopAt {
					cancel()
				}
			}
			_, err := Execute(ctx, runs, o)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Execute after cancel: %v; want context.Canceled", err)
			}
			if tmp := leftovers(t, dir); len(tmp) > 0 {
				t.Errorf("temporary files left: %v", tmp)
			}
			done := countDone(t, dir)
			if done < tc.stopAt || done == len(runs) {
				t.Fatalf("%d runs complete after the interruption; want at least %d and not all", done, tc.stopAt)
			}
			// Whatever is there is complete and final: every file of the
			// interrupted folder equals the fresh one's.
			partial := dataFiles(t, dir)
			for name, data := range partial {
				if !bytes.Equal(data, want[name]) {
					t.Errorf("after interruption %s differs from the fresh run's", name)
				}
			}
			if _, ok := partial["runs.parquet"]; ok {
				t.Error("runs.parquet written by an interrupted sweep")
			}
			// Per-run table files exist exactly for complete runs.
			for _, r := range runs {
				_, errDone := os.Stat(donePath(dir, r.ID))
				_, errMsgs := os.Stat(output.RunPath(dir, output.TableMessages, r.ID))
				if (errDone == nil) != (errMsgs == nil) {
					t.Errorf("run %s: completion record present %v, messages file present %v", r.ID, errDone == nil, errMsgs == nil)
				}
			}

			res, err := Execute(context.Background(), runs, opts(dir, exp, resumeExperiment, tc.workers))
			if err != nil {
				t.Fatalf("resume: %v", err)
			}
			skipped := 0
			for _, r := range res {
				if r.Skipped {
					skipped++
				}
			}
			if skipped != done {
				t.Errorf("resume skipped %d runs; %d were complete", skipped, done)
			}
			sameFiles(t, "resumed vs fresh", want, dataFiles(t, dir))
		})
	}
}

// TestResumeRedoesIncompleteRuns: a run with a missing table file or a
// missing or unreadable completion record is executed again; a run that is
// complete is not (its files are not rewritten).
func TestResumeRedoesIncompleteRuns(t *testing.T) {
	runs, exp := plan(t, resumeExperiment)
	dir := t.TempDir()
	if _, err := Execute(context.Background(), runs, opts(dir, exp, resumeExperiment, 2)); err != nil {
		t.Fatal(err)
	}
	want := dataFiles(t, dir)
	os.Remove(output.RunPath(dir, output.TableDevices, "000001"))
	os.Remove(donePath(dir, "000004"))
	os.WriteFile(donePath(dir, "000007"), []byte("garbage"), 0o644)
	// A complete run's file, made recognisable: it must not be rewritten.
	keep := output.RunPath(dir, output.TableMessages, "000002")
	marked := append(bytes.Clone(want[rel(t, dir, keep)]), "mark"...)
	os.WriteFile(keep, marked, 0o644)

	res, err := Execute(context.Background(), runs, opts(dir, exp, resumeExperiment, 2))
	if err != nil {
		t.Fatal(err)
	}
	var ran []string
	for _, r := range res {
		if !r.Skipped {
			ran = append(ran, r.Info.RunID)
		}
	}
	if got := strings.Join(ran, ","); got != "000001,000004,000007" {
		t.Errorf("executed runs %s; want 000001,000004,000007", got)
	}
	if b, _ := os.ReadFile(keep); !bytes.Equal(b, marked) {
		t.Error("a complete run's file was rewritten on resume")
	}
	os.WriteFile(keep, want[rel(t, dir, keep)], 0o644)
	sameFiles(t, "after redoing incomplete runs", want, dataFiles(t, dir))
}

func rel(t *testing.T, dir, path string) string {
	t.Helper()
	r, err := filepath.Rel(dir, path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestResumeRefusesAnotherPlan: a folder written by another seed, override,
// table set or file is refused before anything is written; the same plan
// (another worker count, another output.dir) is accepted.
func TestResumeRefusesAnotherPlan(t *testing.T) {
	runs, exp := plan(t, resumeExperiment)
	dir := t.TempDir()
	if _, err := Execute(context.Background(), runs, opts(dir, exp, resumeExperiment, 2)); err != nil {
		t.Fatal(err)
	}
	before := dataFiles(t, dir)
	for _, tc := range []struct {
		name   string
		text   string
		sets   []string
		refuse bool
	}{
		{"same plan", resumeExperiment, nil, false},
		{"another output.dir", resumeExperiment, []string{`output.dir="elsewhere"`}, false},
		{"another seed", resumeExperiment, []string{"seed=6"}, true},
		{"another override", resumeExperiment, []string{"devices.s.count=21"}, true},
		{"another table set", resumeExperiment, []string{`output.tables=["runs","messages"]`}, true},
		{"another sweep", strings.Replace(resumeExperiment, "replications = 3", "replications = 4", 1), nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runs, exp := plan(t, tc.text, tc.sets...)
			res, err := Execute(context.Background(), runs, opts(dir, exp, tc.text, 1))
			var mismatch *MismatchError
			if tc.refuse {
				if !errors.As(err, &mismatch) {
					t.Fatalf("Execute = %v; want a *MismatchError", err)
				}
				if !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "different experiment") {
					t.Errorf("message %q does not name the folder and the problem", err)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range res {
					if !r.Skipped {
						t.Errorf("run %s executed again", r.Info.RunID)
					}
				}
			}
			sameFiles(t, "folder after "+tc.name, before, dataFiles(t, dir))
		})
	}
	// An interrupted folder has no manifest yet: its completion records
	// alone name the plan, and another plan is refused by them.
	interrupted := t.TempDir()
	if _, err := Execute(context.Background(), runs, opts(interrupted, exp, resumeExperiment, 1)); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(interrupted, "manifest.json"))
	os.Remove(filepath.Join(interrupted, "runs.parquet"))
	other, otherExp := plan(t, resumeExperiment, "seed=6")
	if _, err := Execute(context.Background(), other, opts(interrupted, otherExp, resumeExperiment, 1)); !errors.As(err, new(*MismatchError)) {
		t.Errorf("interrupted folder of another plan: Execute = %v; want a *MismatchError from its completion records", err)
	}
	// A manifest without a plan (or another plan) is refused as well.
	os.RemoveAll(filepath.Join(dir, DoneDir))
	os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(`{"tool":"iotsim"}`), 0o644)
	if _, err := Execute(context.Background(), runs, opts(dir, exp, resumeExperiment, 1)); !errors.As(err, new(*MismatchError)) {
		t.Errorf("folder with a manifest of no plan: Execute = %v; want a *MismatchError", err)
	}
}

// TestShardsEqualUnsharded: N = 3 shards written into one folder, each with
// a different worker count, give the unsharded folder's per-run files byte
// for byte, and their runs-IofN rows, merged, give runs.parquet's bytes.
func TestShardsEqualUnsharded(t *testing.T) {
	runs, exp := plan(t, resumeExperiment)
	whole := t.TempDir()
	if _, err := Execute(context.Background(), runs, opts(whole, exp, resumeExperiment, 2)); err != nil {
		t.Fatal(err)
	}
	const n = 3
	sharded := t.TempDir()
	hash := PlanHash(runs)
	for i := 1; i <= n; i++ {
		o := opts(sharded, exp, resumeExperiment, i)
		o.PlanHash = hash
		o.SetShard(i, n)
		if _, err := Execute(context.Background(), Shard(runs, i, n), o); err != nil {
			t.Fatalf("shard %d/%d: %v", i, n, err)
		}
	}
	// Shards write no summary; once all are in, the summary of the merged
	// runs (what `iotsim report` writes) equals the unsharded one.
	if _, err := os.Stat(filepath.Join(sharded, "summary.parquet")); err == nil {
		t.Fatal("a shard wrote summary.parquet")
	}
	merged, err := ReadRunsDir(sharded)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteSummaryFile(sharded, merged); err != nil {
		t.Fatal(err)
	}
	want, got := dataFiles(t, whole), dataFiles(t, sharded)
	if len(got) != len(want)-1+n {
		t.Errorf("%d files in the sharded folder; want %d per-run files + %d runs-IofN", len(got), len(want)-1, n)
	}
	for name, data := range want {
		if name == "runs.parquet" {
			continue
		}
		if !bytes.Equal(data, got[name]) {
			t.Errorf("%s differs between sharded and unsharded", name)
		}
	}
	if len(merged) != len(runs) {
		t.Fatalf("%d rows in runs-IofN; want %d", len(merged), len(runs))
	}
	rewritten := filepath.Join(t.TempDir(), "runs.parquet")
	if err := output.WriteRuns(rewritten, merged, runsMeta(runs[0], opts(whole, exp, resumeExperiment, 1))); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(rewritten); !bytes.Equal(b, want["runs.parquet"]) {
		t.Error("the union of runs-IofN rows, written as one table, differs from runs.parquet")
	}
	// The unsharded invocation into the sharded folder finds every run
	// complete and writes runs.parquet with the same bytes.
	res, err := Execute(context.Background(), runs, opts(sharded, exp, resumeExperiment, 2))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if !r.Skipped {
			t.Errorf("run %s executed again after all shards finished", r.Info.RunID)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(sharded, "runs.parquet")); !bytes.Equal(b, want["runs.parquet"]) {
		t.Error("runs.parquet written from the shards' completion records differs")
	}
	// … and merges: the shards' run-level files are gone, the folder is
	// the unsharded one.
	sameFiles(t, "merged vs unsharded", want, dataFiles(t, sharded))
	if m, _ := filepath.Glob(filepath.Join(sharded, "manifest*")); len(m) != 1 || filepath.Base(m[0]) != "manifest.json" {
		t.Errorf("manifests after merging: %v; want manifest.json only", m)
	}
	// A shard run again into the merged folder (a requeued task) skips its
	// runs and writes its runs-IofN again: the folder still has each run
	// once, and its summary can be written.
	o := opts(sharded, exp, resumeExperiment, 1)
	o.PlanHash = hash
	o.SetShard(1, n)
	if _, err := Execute(context.Background(), Shard(runs, 1, n), o); err != nil {
		t.Fatal(err)
	}
	if again, err := ReadRunsDir(sharded); err != nil || len(again) != len(runs) {
		t.Errorf("after a shard re-run into the merged folder: %d runs (%v); want %d", len(again), err, len(runs))
	}
	if _, err := EnsureSummary(sharded, merged); err != nil {
		t.Errorf("EnsureSummary after a shard re-run: %v", err)
	}
}

// TestPlanHash: the hash depends on the plan, not on output.dir.
func TestPlanHash(t *testing.T) {
	base, _ := plan(t, resumeExperiment)
	h := PlanHash(base)
	for _, tc := range []struct {
		sets []string
		same bool
	}{
		{nil, true},
		{[]string{`output.dir="x"`}, true},
		{[]string{"seed=6"}, false},
		{[]string{"drain=\"3s\""}, false},
		{[]string{"devices.s.workload.payload=41"}, false},
	} {
		runs, _ := plan(t, resumeExperiment, tc.sets...)
		if got := PlanHash(runs) == h; got != tc.same {
			t.Errorf("PlanHash with %v equal to the base's = %v; want %v", tc.sets, got, tc.same)
		}
	}
	if PlanHash(Shard(base, 1, 2)) == h {
		t.Error("a shard's runs hash like the whole plan")
	}
}

// TestClusterSweepFile: the sweep shipped for the cluster examples loads and
// expands to the 12 runs the docs and `make slurm-test` count on.
func TestClusterSweepFile(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("cluster", "sweep.toml"))
	if err != nil {
		t.Fatal(err)
	}
	runs, _ := plan(t, string(text))
	if len(runs) != 12 {
		t.Errorf("cluster/sweep.toml: %d runs; want 12", len(runs))
	}
}
