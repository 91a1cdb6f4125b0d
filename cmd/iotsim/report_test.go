package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestReportHTML(t *testing.T) {
	dir := t.TempDir()
	file := smallSweep(t, dir, "0.0, 0.3")
	out := filepath.Join(dir, "out")
	if code, _, stderr := iotsim(t, "run", "--quiet", "--out", out, file); code != 0 {
		t.Fatalf("run: exit %d, stderr %q", code, stderr)
	}
	page := filepath.Join(dir, "report.html")
	code, stdout, stderr := iotsim(t, "report", out, "--html", page)
	if code != 0 {
		t.Fatalf("report: exit %d, stderr %q", code, stderr)
	}
	// The per-run table, then one line per point with CIs, then the page.
	for _, want := range []string{`000003\s+1\s+1\s`, `Per point`, `(?m)^\s+0\s+0\s+2\s+100\.00% ±0\.00%`, `(?m)^\s+1\s+0\.3\s+2\s+\d+\.\d+% ±`, `Wrote .*report\.html`} {
		if !regexp.MustCompile(want).MatchString(stdout) {
			t.Errorf("report output does not match %q:\n%s", want, stdout)
		}
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(html), `<svg class="plot"`); n < 4 {
		t.Errorf("page has %d SVGs; want delivery, CDF, transmissions and energy plots", n)
	}

	code, _, stderr = iotsim(t, "report", "--latency-rows", "0", out)
	if code != 2 || !strings.Contains(stderr, "--latency-rows") {
		t.Errorf("--latency-rows 0: exit %d, stderr %q; want 2 and the flag named", code, stderr)
	}
}
