package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iotsim/iotsim/experiments"
)

// sweep is 12 runs of a few hundred milliseconds each (one worker), long
// enough to interrupt in the middle.
const sweep = `name = "sweep"
seed = 9
duration = "10m"
drain = "5s"
[output]
tables = ["runs", "messages", "devices", "connections"]
[links.l]
loss = { model = "bernoulli", p = 0.1 }
delay = { dist = "lognormal", mean = "40ms", stddev = "30ms" }
[coap_servers.srv]
link = "l"
[devices.d]
count = 100
link = "l"
attach = "srv"
protocol = "udp"
workload = { kind = "poisson", rate = "20/min", payload = 40 }
[sweep]
replications = 4
[sweep.params]
"links.l.loss.p" = [0.0, 0.1, 0.3]
`

// folder maps every data file of an output folder (manifests excluded) to
// its bytes, and lists the temporary files left in it.
func folder(t *testing.T, dir string) (map[string][]byte, []string) {
	t.Helper()
	files := map[string][]byte{}
	var tmp []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasSuffix(d.Name(), ".tmp") {
			tmp = append(tmp, path)
		}
		if strings.HasPrefix(d.Name(), "manifest") {
			return nil
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, tmp
}

func compareFolders(t *testing.T, what string, want, got map[string][]byte) {
	t.Helper()
	for name, data := range want {
		if !bytes.Equal(data, got[name]) {
			t.Errorf("%s: %s differs or is missing", what, name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: unexpected %s", what, name)
		}
	}
}

// buildBinary builds iotsim into a temporary folder.
func buildBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool in PATH to build the binary")
	}
	bin := filepath.Join(t.TempDir(), "iotsim")
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestSignalLosesOnlyRunsInProgress sends a real SIGINT (and SIGTERM) to
// the iotsim binary in the middle of a sweep: it exits 1, leaves no
// temporary file, the runs it finished are intact, and running the same
// command again completes the folder with the bytes of an uninterrupted run.
func TestSignalLosesOnlyRunsInProgress(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a sweep")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	file := writeFile(t, dir, "sweep.toml", sweep)
	fresh := filepath.Join(dir, "fresh")
	if code, _, stderr := iotsim(t, "run", file, "--out", fresh, "--workers", "1", "--quiet"); code != 0 {
		t.Fatalf("uninterrupted run: exit %d: %s", code, stderr)
	}
	want, _ := folder(t, fresh)

	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			var stderr bytes.Buffer
			cmd := exec.Command(bin, "run", file, "--out", out, "--workers", "1", "--quiet")
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Signal once two runs are complete.
			deadline := time.Now().Add(60 * time.Second)
			for {
				done, _ := filepath.Glob(filepath.Join(out, experiments.DoneDir, "*.gob"))
				if len(done) >= 2 {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatal("no two runs complete within a minute")
				}
				time.Sleep(5 * time.Millisecond)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			code := cmd.ProcessState.ExitCode()
			if code != 1 || !strings.Contains(stderr.String(), "interrupted") {
				t.Fatalf("after %v: exit %d (%v), stderr %q; want 1 and a note that it was interrupted", sig, code, err, stderr.String())
			}
			got, tmp := folder(t, out)
			if len(tmp) > 0 {
				t.Errorf("temporary files left: %v", tmp)
			}
			done, _ := filepath.Glob(filepath.Join(out, experiments.DoneDir, "*.gob"))
			t.Logf("%v after %d of 12 runs", sig, len(done))
			if len(done) < 2 || len(done) >= 12 {
				t.Fatalf("%d runs complete after the signal; want 2 to 11", len(done))
			}
			// Complete runs are intact: all their files, equal to the
			// uninterrupted run's; nothing else is there.
			for _, d := range done {
				id := strings.TrimSuffix(filepath.Base(d), ".gob")
				for _, table := range []string{"messages", "devices", "connections"} {
					name := filepath.Join(table, "run="+id, "part-0.parquet")
					if !bytes.Equal(got[name], want[name]) {
						t.Errorf("complete run %s: %s differs or is missing", id, name)
					}
				}
			}
			if len(got) != 4*len(done) {
				t.Errorf("%d files for %d complete runs; want 4 per run (3 tables + completion record) and no runs.parquet", len(got), len(done))
			}

			// Resume: the same command completes the folder.
			var stdout bytes.Buffer
			cmd = exec.Command(bin, "run", file, "--out", out, "--workers", "2")
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("resume: %v: %s", err, stderr.String())
			}
			if !strings.Contains(stdout.String(), fmt.Sprintf("Resumed: %d run(s) were already complete", len(done))) {
				t.Errorf("resume summary does not say %d runs were skipped:\n%s", len(done), stdout.String())
			}
			got, _ = folder(t, out)
			compareFolders(t, "interrupted and resumed vs uninterrupted", want, got)
		})
	}
}

// TestResumeRefusesAnotherExperiment: the same folder with another seed or
// another file exits 2 with a clear message and changes nothing.
func TestResumeRefusesAnotherExperiment(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "small.toml", small)
	other := writeFile(t, dir, "other.toml", strings.Replace(small, "count = 5", "count = 6", 1))
	out := filepath.Join(dir, "out")
	if code, _, stderr := iotsim(t, "run", file, "--out", out, "--quiet"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	before, _ := folder(t, out)
	for _, args := range [][]string{
		{"run", file, "--out", out, "--seed", "2"},
		{"run", other, "--out", out},
		{"run", file, "--out", out, "--set", "devices.d.count=7"},
	} {
		code, _, stderr := iotsim(t, args...)
		if code != 2 || !strings.Contains(stderr, "refusing to resume") || !strings.Contains(stderr, out) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message naming the folder", args, code, stderr)
		}
		after, _ := folder(t, out)
		compareFolders(t, fmt.Sprint(args), before, after)
	}
	// The same experiment again: every run is skipped, exit 0.
	code, stdout, stderr := iotsim(t, "run", file, "--out", out)
	if code != 0 || !strings.Contains(stdout, "Resumed: 1 run(s)") {
		t.Errorf("rerun: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestShardsIntoOneFolder: three `--shard I/3` invocations into one folder
// equal the unsharded run, per-run file by file, and `report` reads them.
func TestShardsIntoOneFolder(t *testing.T) {
	dir := t.TempDir()
	text := strings.Replace(sweep, "count = 100", "count = 10", 1)
	file := writeFile(t, dir, "sweep.toml", text)
	whole, sharded := filepath.Join(dir, "whole"), filepath.Join(dir, "sharded")
	if code, _, stderr := iotsim(t, "run", file, "--out", whole, "--quiet"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for i := 1; i <= 3; i++ {
		if code, _, stderr := iotsim(t, "run", file, "--out", sharded, "--quiet", "--shard", fmt.Sprintf("%d/3", i)); code != 0 {
			t.Fatalf("shard %d/3: exit %d: %s", i, code, stderr)
		}
	}
	want, _ := folder(t, whole)
	got, _ := folder(t, sharded)
	for name := range want {
		if !strings.Contains(name, string(filepath.Separator)) { // runs.parquet and other sweep-level files
			delete(want, name)
		}
	}
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("runs-%dof3.parquet", i)
		if _, ok := got[name]; !ok {
			t.Errorf("%s missing", name)
		}
		delete(got, name)
	}
	compareFolders(t, "sharded vs unsharded", want, got)
	_, r1, _ := iotsim(t, "report", whole)
	_, r2, _ := iotsim(t, "report", sharded)
	if r1 != r2 || !strings.Contains(r1, "000011") {
		t.Errorf("report of the sharded folder differs:\n%s\nvs\n%s", r2, r1)
	}
}
