package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/iotsim/iotsim/experiments"
	"github.com/iotsim/iotsim/experiments/config"
	"github.com/iotsim/iotsim/experiments/output"
	"github.com/parquet-go/parquet-go"
)

// Metric is one per-run number the report aggregates per point. Key is its
// column in runs.parquet.
type Metric struct {
	Key     string
	Label   string
	Percent bool // a ratio shown as a percentage
}

// The metrics, by index into Metrics and Run.Values.
const (
	MDelivery = iota
	MInOrder
	MLatencyP50
	MLatencyP95
	MLatencyP99
	MEnergyPerDelivered
	MTransmissionsPerMsg
	MVisibilityP50
	MVisibilityP95
	MReorderRestorable
	MRecovery
	numMetrics
)

// Metrics describes every metric. Each is read by its column name, so a
// runs table without it (an older folder) reads with the metric "n/a".
var Metrics = [numMetrics]Metric{
	MDelivery:            {"delivery_ratio", "delivery", true},
	MInOrder:             {"in_order_ratio", "in order", true},
	MLatencyP50:          {"latency_p50_ms", "p50 ms", false},
	MLatencyP95:          {"latency_p95_ms", "p95 ms", false},
	MLatencyP99:          {"latency_p99_ms", "p99 ms", false},
	MEnergyPerDelivered:  {"energy_per_delivered_mj", "mJ/deliv", false},
	MTransmissionsPerMsg: {"transmissions_per_msg", "tx/msg", false},
	MVisibilityP50:       {"visibility_p50_ms", "visib. p50 ms", false},
	MVisibilityP95:       {"visibility_p95_ms", "visib. p95 ms", false},
	MReorderRestorable:   {"reorder_restorable_ratio", "restorable", true},
	MRecovery:            {"recovery_ratio", "recovery", true},
}

// Scorecard lists the five requirements' columns (source document 000), in
// table order.
var Scorecard = []int{MVisibilityP50, MVisibilityP95, MDelivery, MInOrder, MReorderRestorable, MRecovery}

// Options bound what Load reads.
type Options struct {
	// MaxLatencyRows is the most message rows whose latency is kept per
	// run (every k-th row, k = ceil(rows / MaxLatencyRows)); 0 means
	// DefaultMaxLatencyRows, negative reads no latencies at all.
	MaxLatencyRows int
}

const (
	// DefaultMaxLatencyRows bounds the latency values held while one run's
	// messages file is read (8 bytes each).
	DefaultMaxLatencyRows = 20000
	// cdfPointsPerRun is how many order statistics of a run's latencies
	// are kept for the CDFs once the run is read (16 bytes each).
	cdfPointsPerRun = 256
)

// Report is an output folder read and aggregated.
type Report struct {
	Dir         string
	Name        string
	Description string
	Version     string // iotsim version that wrote the folder ("" if unknown)
	Seed        int64
	HasSeed     bool // the manifest gave the experiment seed
	Params      []Param
	Runs        []Run
	Points      []Point

	// Present says which metrics the folder has a runs column for.
	Present [numMetrics]bool
	// Latencies says whether any messages file was read; Sampled counts
	// runs whose latencies were thinned by MaxLatencyRows.
	Latencies bool
	Sampled   int
	MaxRows   int
}

// Param is one swept parameter and its distinct values in plan order.
type Param struct {
	Path   string
	Values []any
	kind   axisKind
}

// Run is one run: its row of the runs table and its metric values (NaN when
// absent or not applicable).
type Run struct {
	output.RunInfo
	Values    [numMetrics]float64
	latencies []weighted
}

// Point is one sweep point and its statistics over replications.
type Point struct {
	Index  int32
	Params []output.Param
	Runs   []int // indices into Report.Runs
	Stats  [numMetrics]Stat
}

// Load reads the output folder dir: its runs table(s) (runs.parquet or the
// runs-IofN.parquet files of a sharded sweep), its manifest if there is one,
// and the latency and transmissions columns of each run's messages file if
// the messages table was written.
func Load(dir string, opts Options) (*Report, error) {
	infos, err := experiments.ReadRunsDir(dir)
	if err != nil {
		return nil, err
	}
	r := &Report{Dir: dir, MaxRows: opts.MaxLatencyRows}
	if r.MaxRows == 0 {
		r.MaxRows = DefaultMaxLatencyRows
	}
	r.readManifest(dir)
	if r.Name == "" && len(infos) > 0 {
		r.Name = infos[0].Experiment
	}
	present, err := presentColumns(dir)
	if err != nil {
		return nil, err
	}
	for m := range numMetrics {
		r.Present[m] = present[Metrics[m].Key]
	}
	r.Runs = make([]Run, len(infos))
	for i, info := range infos {
		run := &r.Runs[i]
		run.RunInfo = info
		v := &run.Values
		for m := range numMetrics {
			v[m] = output.MetricValue(&run.RunInfo, Metrics[m].Key) // NaN when absent
		}
		if r.MaxRows < 0 {
			continue
		}
		path := output.RunPath(dir, output.TableMessages, info.RunID)
		if _, err := os.Stat(path); err != nil {
			continue // messages table not written
		}
		lat, sampled, err := readMessages(path, r.MaxRows)
		if err != nil {
			return nil, err
		}
		r.Latencies = true
		run.latencies = lat
		if sampled {
			r.Sampled++
		}
	}
	r.group()
	return r, nil
}

// readManifest fills the header from manifest.json, or the first shard's
// manifest; a folder without one still reports.
func (r *Report) readManifest(dir string) {
	files, _ := filepath.Glob(filepath.Join(dir, "manifest*.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var m struct {
			Version    string `json:"version"`
			Experiment struct {
				Name        string       `json:"name"`
				Description string       `json:"description"`
				Seed        *json.Number `json:"seed"`
			} `json:"experiment"`
		}
		if json.Unmarshal(b, &m) != nil {
			continue
		}
		r.Version = m.Version
		r.Name = m.Experiment.Name
		r.Description = m.Experiment.Description
		if m.Experiment.Seed != nil {
			if s, err := m.Experiment.Seed.Int64(); err == nil {
				r.Seed, r.HasSeed = s, true
			}
		}
		return
	}
}

// group builds the points and the swept parameters from the runs.
func (r *Report) group() {
	byPoint := map[int32]int{}
	for i := range r.Runs {
		run := &r.Runs[i]
		pi, ok := byPoint[run.Point]
		if !ok {
			pi = len(r.Points)
			byPoint[run.Point] = pi
			r.Points = append(r.Points, Point{Index: run.Point, Params: run.Params})
		}
		r.Points[pi].Runs = append(r.Points[pi].Runs, i)
	}
	xs := make([]float64, 0, 16)
	for pi := range r.Points {
		p := &r.Points[pi]
		for m := range numMetrics {
			xs = xs[:0]
			for _, ri := range p.Runs {
				xs = append(xs, r.Runs[ri].Values[m])
			}
			p.Stats[m] = MeanCI(xs)
		}
	}
	if len(r.Points) == 0 {
		return
	}
	for j, first := range r.Points[0].Params {
		param := Param{Path: first.Path}
		for _, p := range r.Points {
			if j >= len(p.Params) {
				continue
			}
			v := p.Params[j].Value
			if !containsValue(param.Values, v) {
				param.Values = append(param.Values, v)
			}
		}
		param.kind = kindOf(param.Values)
		r.Params = append(r.Params, param)
	}
}

func containsValue(vs []any, v any) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

// presentColumns returns the columns that some runs table in dir has: a
// metric without one is "n/a" (an older folder), not a measured NaN.
func presentColumns(dir string) (map[string]bool, error) {
	files, err := filepath.Glob(filepath.Join(dir, "runs*.parquet"))
	if err != nil {
		return nil, err
	}
	present := map[string]bool{}
	for _, f := range files {
		names, err := output.RunsColumns(f)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		for _, n := range names {
			present[n] = true
		}
	}
	return present, nil
}

// readMessages streams the latency_ms column of one run's messages file.
// Only every k-th row's latency is kept, so at most maxRows values are
// held; the kept sample is then reduced to cdfPointsPerRun order statistics
// weighted by the run's delivered count.
func readMessages(path string, maxRows int) (lat []weighted, sampled bool, err error) {
	err = withParquet(path, func(pf *parquet.File) error {
		rows := pf.NumRows()
		stride := int64(1)
		if maxRows > 0 && rows > int64(maxRows) {
			stride = (rows + int64(maxRows) - 1) / int64(maxRows)
			sampled = true
		}
		if col, ok := pf.Schema().Lookup("latency_ms"); ok {
			var sample []float64
			var delivered float64
			err := readColumn(pf, col.ColumnIndex, func(row int64, v parquet.Value) {
				if v.IsNull() {
					return
				}
				delivered++
				if x := floatOf(v); row%stride == 0 && !math.IsNaN(x) && !math.IsInf(x, 0) {
					sample = append(sample, x)
				}
			})
			if err != nil {
				return err
			}
			lat = reduceSample(sample, delivered, cdfPointsPerRun)
		}
		return nil
	})
	if err != nil {
		err = fmt.Errorf("report: %s: %w", path, err)
	}
	return
}

func withParquet(path string, fn func(*parquet.File) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return err
	}
	return fn(pf)
}

// readColumn calls fn with every value of one top-level, non-repeated column
// and its row number, a page at a time. Byte-array values alias the page:
// fn must copy what it keeps.
func readColumn(pf *parquet.File, col int, fn func(row int64, v parquet.Value)) error {
	var row int64
	buf := make([]parquet.Value, 512)
	for _, rg := range pf.RowGroups() {
		chunks := rg.ColumnChunks()
		if col < 0 || col >= len(chunks) {
			return fmt.Errorf("no column %d", col)
		}
		pages := chunks[col].Pages()
		for {
			page, err := pages.ReadPage()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				pages.Close()
				return err
			}
			vr := page.Values()
			for {
				n, err := vr.ReadValues(buf)
				for _, v := range buf[:n] {
					fn(row, v)
					row++
				}
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					parquet.Release(page)
					pages.Close()
					return err
				}
			}
			parquet.Release(page)
		}
		if err := pages.Close(); err != nil {
			return err
		}
	}
	return nil
}

// floatOf is a numeric value as float64; NULL and non-numbers are NaN.
func floatOf(v parquet.Value) float64 {
	if v.IsNull() {
		return math.NaN()
	}
	switch v.Kind() {
	case parquet.Double:
		return v.Double()
	case parquet.Float:
		return float64(v.Float())
	case parquet.Int32:
		return float64(v.Int32())
	case parquet.Int64:
		return float64(v.Int64())
	case parquet.Boolean:
		if v.Boolean() {
			return 1
		}
		return 0
	}
	return math.NaN()
}

// axisKind is how a swept parameter's values are placed on an x axis.
type axisKind int

const (
	axisCategory axisKind = iota // strings, bools, mixed: evenly spaced, labelled
	axisNumber                   // ints and floats: their value
	axisDuration                 // duration strings ("30ms"): milliseconds
)

func kindOf(vs []any) axisKind {
	num, dur := true, true
	for _, v := range vs {
		switch x := v.(type) {
		case int64, float64:
			dur = false
		case string:
			num = false
			if _, err := config.ParseDuration(x); err != nil {
				dur = false
			}
		default:
			num, dur = false, false
		}
	}
	switch {
	case len(vs) == 0:
		return axisCategory
	case num:
		return axisNumber
	case dur:
		return axisDuration
	}
	return axisCategory
}

// x is where value v of p goes on an x axis.
func (p *Param) x(v any) float64 {
	switch p.kind {
	case axisNumber:
		switch n := v.(type) {
		case int64:
			return float64(n)
		case float64:
			return n
		}
	case axisDuration:
		if s, ok := v.(string); ok {
			// The file's own units, "d" included, not time.ParseDuration's.
			if d, err := config.ParseDuration(s); err == nil {
				return float64(d.D()) / float64(time.Millisecond)
			}
		}
	}
	for i, x := range p.Values {
		if x == v {
			return float64(i)
		}
	}
	return math.NaN()
}

// axisLabel is the x-axis title of p.
func (p *Param) axisLabel() string {
	if p.kind == axisDuration {
		return p.Path + " (ms)"
	}
	return p.Path
}

// formatValue prints a parameter value as in the experiment file.
func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}
