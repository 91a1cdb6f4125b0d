package report

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/iotsim/iotsim/experiments"
	"github.com/iotsim/iotsim/experiments/config"
	"github.com/parquet-go/parquet-go"
)

func same(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b))
}

func TestCDFMixesRunsByWeight(t *testing.T) {
	// Run a delivered 3 messages at 10 ms; run b 1 message at 20 ms.
	a := reduceSample([]float64{10, 10, 10}, 3, 256)
	b := reduceSample([]float64{20}, 1, 256)
	xs, ys := cdf(a, b)
	if len(xs) != 2 || xs[0] != 10 || xs[1] != 20 || !same(ys[0], 0.75) || ys[1] != 1 {
		t.Errorf("cdf = %v, %v; want [10 20], [0.75 1]", xs, ys)
	}
	// Reduction keeps the extremes and the total weight.
	sample := make([]float64, 1000)
	for i := range sample {
		sample[len(sample)-1-i] = float64(i)
	}
	r := reduceSample(sample, 5000, 10)
	var w float64
	for _, p := range r {
		w += p.w
	}
	if len(r) != 10 || r[0].v != 0 || r[9].v != 999 || !same(w, 5000) {
		t.Errorf("reduceSample: %d points from %g to %g, weight %g; want 10 from 0 to 999, weight 5000", len(r), r[0].v, r[len(r)-1].v, w)
	}
}

// sweep is a 2×2 grid (a numeric and a string parameter) × 2 replications
// of a small UDP fleet.
const sweep = `
name = "report-test"
description = "UDP sensors over a lossy link"
seed = 7
duration = "1m"
drain = "2s"
[output]
tables = ["runs", "messages", "devices"]
[links.radio]
loss = { model = "bernoulli", p = 0.1 }
delay = { dist = "lognormal", mean = "20ms", stddev = "15ms" }
[links.core]
delay = { dist = "constant", value = "2ms" }
[coap_servers.srv]
link = "core"
[devices.a]
count = 8
link = "radio"
attach = "srv"
protocol = "udp"
workload = { kind = "periodic", interval = "2s", jitter = "1s", payload = 40 }
[sweep]
mode = "grid"
replications = 2
[sweep.params]
"links.radio.loss.p" = [0.05, 0.4]
"devices.a.profile" = ["esp32-wifi", "nrf52840-ble"]
`

func runSweep(t *testing.T) string {
	t.Helper()
	exp, src, err := config.Load("sweep.toml", []byte(sweep), nil)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := experiments.Plan(src, exp)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_, err = experiments.Execute(context.Background(), runs, experiments.Options{Out: dir, Tables: exp.Output.Tables, Workers: 2, Text: []byte(sweep)})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestReportOfSweep(t *testing.T) {
	dir := runSweep(t)
	r, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "report-test" || r.Description == "" || !r.HasSeed || r.Seed != 7 {
		t.Errorf("header: name %q, description %q, seed %d (%v)", r.Name, r.Description, r.Seed, r.HasSeed)
	}
	if len(r.Runs) != 8 || len(r.Points) != 4 || len(r.Params) != 2 {
		t.Fatalf("%d runs, %d points, %d params; want 8, 4, 2", len(r.Runs), len(r.Points), len(r.Params))
	}
	for _, p := range r.Points {
		if len(p.Runs) != 2 {
			t.Errorf("point %d has %d runs; want 2", p.Index, len(p.Runs))
		}
		d := p.Stats[MDelivery]
		if d.N != 2 || !(d.Lo <= d.Mean && d.Mean <= d.Hi) || d.Mean <= 0 || d.Mean > 1 {
			t.Errorf("point %d delivery %+v: want 2 replications, a mean in (0, 1] inside its CI", p.Index, d)
		}
		if tx := p.Stats[MTransmissionsPerMsg]; tx.N != 2 || tx.Mean < 1 {
			t.Errorf("point %d transmissions per message %+v: want ≥ 1 from 2 runs", p.Index, tx)
		}
	}
	// More loss, less delivery: the plot must be able to show that.
	// Points: profile varies slowest (paths sorted), so 0 and 1 differ in loss.
	if lo, hi := r.Points[0].Stats[MDelivery].Mean, r.Points[1].Stats[MDelivery].Mean; !(hi < lo) {
		t.Errorf("delivery at loss 0.4 = %g, at 0.05 = %g; want lower", hi, lo)
	}
	if !r.Latencies || r.Sampled != 0 {
		t.Errorf("latencies read %v, sampled runs %d; want read, none sampled", r.Latencies, r.Sampled)
	}

	var page bytes.Buffer
	if err := r.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	// 2 swept parameters × 3 metric sections + 2 CDF plots (one per
	// profile; lines per loss).
	if n := strings.Count(html, `<svg class="plot"`); n != 8 {
		t.Errorf("page has %d SVGs; want 8", n)
	}
	for _, want := range []string{"<h1>report-test</h1>", "UDP sensors over a lossy link", "<code>links.radio.loss.p</code> = 0.05, 0.4",
		`id="scorecard"`, "visibility_p50_ms", "recovery_ratio", "<th>delivery_ratio</th>", "nrf52840-ble"} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if m := regexp.MustCompile(`(?i)<(script|link|img)\b|https?://(?:[^w]|w[^w]|ww[^w])`).FindString(html); m != "" {
		t.Errorf("page refers to something outside itself: %q", m)
	}
	// Scorecard and summary: a header row and one row per point each.
	if n := strings.Count(html, "<tr>"); n != 2*(1+4) {
		t.Errorf("page has %d table rows; want 10", n)
	}

	var table bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(table.String()), "\n")
	if len(lines) != 5 || !strings.Contains(lines[0], "p95 ms") || !strings.Contains(lines[0], "mJ/deliv") || !strings.Contains(lines[1], "±") {
		t.Errorf("table:\n%s\nwant a header with latency and energy and 4 point lines with CIs", table.String())
	}

	file := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(file, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	checkInChromium(t, file, 8)
}

// TestMissingScorecardColumns reads a runs table written before the
// scorecard columns existed, with one of them (recovery_ratio) present.
func TestMissingScorecardColumns(t *testing.T) {
	type oldRun struct {
		RunID         string  `parquet:"run_id"`
		Experiment    string  `parquet:"experiment"`
		Seed          int64   `parquet:"seed"`
		Point         int32   `parquet:"point"`
		Rep           int32   `parquet:"rep"`
		Loss          float64 `parquet:"param.links.l.loss.p"`
		DeliveryRatio float64 `parquet:"delivery_ratio"`
		RecoveryRatio float64 `parquet:"recovery_ratio"`
	}
	rows := []oldRun{
		{"000000", "old", 1, 0, 0, 0.1, 0.9, 0.5},
		{"000001", "old", 2, 0, 1, 0.1, 0.8, 0.7},
		{"000002", "old", 3, 1, 0, 0.3, 0.6, math.NaN()},
		{"000003", "old", 4, 1, 1, 0.3, 0.5, math.NaN()},
	}
	dir := t.TempDir()
	if err := parquet.WriteFile(filepath.Join(dir, "runs.parquet"), rows); err != nil {
		t.Fatal(err)
	}
	r, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []int{MVisibilityP50, MVisibilityP95, MReorderRestorable} {
		if r.Present[m] {
			t.Errorf("%s present; want missing", Metrics[m].Key)
		}
	}
	if !r.Present[MRecovery] || r.Present[MTransmissionsPerMsg] || r.Latencies {
		t.Errorf("present: recovery %v, tx/msg %v, latencies %v; want true, false, false", r.Present[MRecovery], r.Present[MTransmissionsPerMsg], r.Latencies)
	}
	rec := r.Points[0].Stats[MRecovery]
	if rec.N != 2 || !same(rec.Mean, 0.6) || !same(rec.HalfWidth(), 12.706204736174698*math.Sqrt(0.02)/math.Sqrt(2)) {
		t.Errorf("recovery of point 0 = %+v; want mean 0.6 with the t(1) interval", rec)
	}
	if s := r.Points[1].Stats[MRecovery]; s.N != 0 {
		t.Errorf("recovery of point 1 (all NaN) = %+v; want no value", s)
	}
	var page bytes.Buffer
	if err := r.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	for _, want := range []string{"<code>visibility_p50_ms</code>", "60.00% ±", `<td class="na">n/a</td>`, "the messages table was not written"} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(html, `<svg class="plot"`); n != 1 {
		t.Errorf("page has %d SVGs; want 1 (delivery vs loss)", n)
	}
}

// TestOddFolders: a runs table with no rows, and one run with NaN and
// infinite values, report without error (and without panicking).
func TestOddFolders(t *testing.T) {
	type row struct {
		RunID         string  `parquet:"run_id"`
		Point         int32   `parquet:"point"`
		Loss          float64 `parquet:"param.links.l.loss.p"`
		DeliveryRatio float64 `parquet:"delivery_ratio"`
		Energy        float64 `parquet:"energy_per_delivered_mj"`
	}
	inf := math.Inf(1)
	for _, tc := range []struct {
		name string
		rows []row
	}{
		{"no runs", nil},
		{"NaN and Inf", []row{{"000000", 0, 0.1, math.NaN(), inf}, {"000001", 1, 0.2, 0.5, inf}, {"000002", 2, 0.3, 0.4, 1}}},
	} {
		dir := t.TempDir()
		if err := parquet.WriteFile(filepath.Join(dir, "runs.parquet"), tc.rows); err != nil {
			t.Fatal(err)
		}
		r, err := Load(dir, Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var page, table bytes.Buffer
		if err := r.WriteHTML(&page); err != nil {
			t.Errorf("%s: WriteHTML: %v", tc.name, err)
		}
		if err := r.WriteTable(&table); err != nil {
			t.Errorf("%s: WriteTable: %v", tc.name, err)
		}
		if !strings.Contains(page.String(), "</html>") {
			t.Errorf("%s: page incomplete", tc.name)
		}
	}
	if _, err := Load(t.TempDir(), Options{}); err == nil {
		t.Error("Load of an empty folder: no error")
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "runs.parquet"), []byte("not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad, Options{}); err == nil {
		t.Error("Load of a corrupt runs.parquet: no error")
	}
}

func TestLatencyRowsAreBounded(t *testing.T) {
	dir := runSweep(t)
	r, err := Load(dir, Options{MaxLatencyRows: 7})
	if err != nil {
		t.Fatal(err)
	}
	if r.Sampled != len(r.Runs) {
		t.Errorf("%d of %d runs sampled; want all", r.Sampled, len(r.Runs))
	}
	for _, run := range r.Runs {
		if n := len(run.latencies); n == 0 || n > 7 {
			t.Errorf("run %s kept %d latencies; want 1..7", run.RunID, n)
		}
	}
}

// checkInChromium opens the page in headless Chromium: the DOM it parsed
// must hold the plots as SVG elements, and a screenshot must show them
// (coloured pixels: the plot lines, not only black text on white).
func checkInChromium(t *testing.T, file string, svgs int) {
	t.Helper()
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		if os.Getenv("IOTSIM_INTEROP") == "1" {
			t.Fatal("chromium not found (apt-get install chromium)")
		}
		t.Skip("chromium not installed; set IOTSIM_INTEROP=1 to fail instead")
	}
	tmp := t.TempDir()
	chromium := func(args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--disable-dev-shm-usage", "--user-data-dir=" + filepath.Join(tmp, "profile")}
		cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
		}
		return stdout.Bytes()
	}
	url := "file://" + file
	dom := string(chromium("--dump-dom", url))
	if n := strings.Count(dom, `<svg class="plot"`); n != svgs {
		t.Errorf("Chromium's DOM has %d <svg> elements; want %d", n, svgs)
	}
	if !strings.Contains(dom, "<path") || !strings.Contains(dom, `id="scorecard"`) {
		t.Error("Chromium's DOM lacks the plots' paths or the scorecard")
	}
	shot := filepath.Join(tmp, "page.png")
	chromium("--screenshot="+shot, "--window-size=1200,2400", "--hide-scrollbars", url)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if n := colouredPixels(img); n < 2000 {
		t.Errorf("screenshot has %d coloured pixels; want the plots' lines (≥ 2000)", n)
	}
}

// colouredPixels counts pixels whose channels differ markedly: neither
// white, black nor grey.
func colouredPixels(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			hi, lo := max(r, g, bl), min(r, g, bl)
			if hi-lo > 0x4000 {
				n++
			}
		}
	}
	return n
}

// TestDurationAxisTakesTheFilesUnits: swept durations are placed on a time
// axis in the experiment file's units, days included.
func TestDurationAxisTakesTheFilesUnits(t *testing.T) {
	vals := []any{"12h", "1d", "2d"}
	if k := kindOf(vals); k != axisDuration {
		t.Fatalf("kindOf(%v) = %v; want a duration axis", vals, k)
	}
	p := &Param{Values: vals, kind: axisDuration}
	for i, want := range []float64{12 * 3600e3, 24 * 3600e3, 48 * 3600e3} {
		if got := p.x(vals[i]); got != want {
			t.Errorf("x(%v) = %v ms; want %v", vals[i], got, want)
		}
	}
}
