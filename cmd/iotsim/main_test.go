package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/iotsim/iotsim/experiments"
	"github.com/iotsim/iotsim/experiments/output"
)

// iotsim runs the command line in-process and returns its exit code and output.
func iotsim(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"iotsim"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// smallSweep writes small swept over the loss probabilities values (a
// TOML list body, "0.0, 0.2") with two replications, and returns its path.
func smallSweep(t *testing.T, dir, values string) string {
	t.Helper()
	return writeFile(t, dir, "sweep.toml", small+`
[sweep]
replications = 2
[sweep.params]
"links.l.loss.p" = [`+values+`]
`)
}

const small = `name = "small"
duration = "1m"
[links.l]
loss = { model = "bernoulli", p = 0.1 }
[coap_servers.srv]
link = "l"
[devices.d]
count = 5
link = "l"
attach = "srv"
protocol = "udp"
workload = { kind = "periodic", interval = "10s" }
`

func TestRunWritesTablesAndSummary(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "small.toml", small)
	out := filepath.Join(dir, "out")
	// Flags after the file work too.
	code, stdout, stderr := iotsim(t, "run", file, "--out", out, "--workers", "2")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, f := range []string{"runs.parquet", "manifest.json", "messages/run=000000/part-0.parquet",
		"devices/run=000000/part-0.parquet", "connections/run=000000/part-0.parquet"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	if !strings.Contains(stdout, "000000") || !strings.Contains(stdout, "delivered messages/s") {
		t.Errorf("summary missing run line or totals:\n%s", stdout)
	}
	code, stdout, _ = iotsim(t, "report", out)
	if code != 0 || !regexp.MustCompile(`000000\s+0\s+0\s+\d+\s+30\s+30\s+\d+`).MatchString(stdout) {
		t.Errorf("report exit %d:\n%s", code, stdout)
	}
}

func TestRunEmbeddedDefaultQuiet(t *testing.T) {
	out := filepath.Join(t.TempDir(), "q")
	code, stdout, stderr := iotsim(t, "run", "--quiet", "--out", out, "--set", "devices.sensor.count=20")
	if code != 0 || stdout != "" || stderr != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 0 and silence", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "runs.parquet")); err != nil {
		t.Fatal(err)
	}
}

func TestExitCodesAndErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.toml", small)
	bad := writeFile(t, dir, "bad.toml", strings.Replace(strings.Replace(small, "p = 0.1", "p = 1.5", 1), `attach = "srv"`, `attach = "nowhere"`, 1))
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string // regexp
	}{
		{"invalid file reports every problem with position", []string{"validate", bad}, 2,
			`(?s)bad\.toml:4:\d+: links\.l\.loss\.p: .*bad\.toml:\d+:\d+: devices\.d\.attach: .*srv`},
		{"missing file", []string{"run", filepath.Join(dir, "nope.toml")}, 2, `nope\.toml`},
		{"unknown flag", []string{"run", "--bogus", good}, 2, `bogus`},
		{"bad shard", []string{"run", "--shard", "3/2", good}, 2, `--shard`},
		{"bad seed", []string{"run", "--seed", "x", good}, 2, `--seed`},
		{"set path naming nothing", []string{"validate", "--set", "links.nope.queue=3", good}, 2, `links\.nope`},
		{"too many files", []string{"validate", good, good}, 2, `exactly one`},
		{"report of a non-output folder", []string{"report", dir}, 1, `no runs\.parquet`},
		{"unknown command", []string{"frobnicate"}, 2, ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := iotsim(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d; want %d (stderr %q)", code, tc.code, stderr)
			}
			if !regexp.MustCompile(tc.stderr).MatchString(stderr) {
				t.Errorf("stderr %q does not match %q", stderr, tc.stderr)
			}
		})
	}
}

func TestValidateList(t *testing.T) {
	dir := t.TempDir()
	file := smallSweep(t, dir, "0.0, 0.2")
	code, stdout, stderr := iotsim(t, "validate", "--list", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d runs listed; want 4:\n%s", len(lines), stdout)
	}
	want := regexp.MustCompile(`^000003\tpoint=1\trep=1\tseed=\d+\tlinks\.l\.loss\.p=0\.2$`)
	if !want.MatchString(lines[3]) {
		t.Errorf("last line %q", lines[3])
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := iotsim(t, "version")
	if code != 0 || !strings.HasPrefix(stdout, "iotsim ") {
		t.Errorf("version: exit %d, %q", code, stdout)
	}
}

func TestProgressPrinterWaitsASecondThenReports(t *testing.T) {
	var buf bytes.Buffer
	p := progressPrinter(&buf)
	p(experiments.Progress{RunsTotal: 4, Elapsed: 500 * time.Millisecond, Events: 100})
	if buf.Len() != 0 {
		t.Fatalf("printed %q before a second had passed", buf.String())
	}
	p(experiments.Progress{RunsDone: 1, RunsTotal: 4, SimNow: 30e9, SimEnd: 60e9, Events: 4e6, Elapsed: 2 * time.Second})
	got := buf.String()
	for _, want := range []string{"runs 1/4", "sim 30s/1m0s", "2e+06 events/s", "ETA 6s"} {
		if !strings.Contains(got, want) {
			t.Errorf("progress line %q lacks %q", got, want)
		}
	}
}

// TestReportWritesSummaryForShards: shards write no summary.parquet;
// `report` makes it once the shards are in.
func TestReportWritesSummaryForShards(t *testing.T) {
	dir := t.TempDir()
	file := smallSweep(t, dir, "0.1, 0.2")
	out := filepath.Join(dir, "out")
	for _, shard := range []string{"1/2", "2/2"} {
		if code, _, stderr := iotsim(t, "run", "--quiet", "--out", out, "--shard", shard, file); code != 0 {
			t.Fatalf("shard %s: exit %d: %s", shard, code, stderr)
		}
		if _, err := os.Stat(filepath.Join(out, "summary.parquet")); err == nil {
			t.Fatalf("shard %s (or report) wrote summary.parquet", shard)
		}
		if shard == "1/2" {
			// One shard in: the report shows it and says why no summary.
			code, _, stderr := iotsim(t, "report", out)
			if code != 0 || !strings.Contains(stderr, "runs-2of2.parquet") {
				t.Fatalf("report of half a sweep: exit %d, %s", code, stderr)
			}
		}
	}
	code, stdout, stderr := iotsim(t, "report", out)
	if code != 0 || !strings.Contains(stderr, "summary.parquet (from 4 runs)") {
		t.Fatalf("report: exit %d\n%s\n%s", code, stdout, stderr)
	}
	points, err := output.ReadSummary(filepath.Join(out, "summary.parquet"))
	if err != nil || len(points) != 2 || points[0].Replications != 2 {
		t.Fatalf("summary %+v, %v", points, err)
	}
	if _, _, stderr := iotsim(t, "report", out); strings.Contains(stderr, "Wrote") {
		t.Error("report rewrote an up-to-date summary")
	}
}
