package output

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// PointSummary is one row of summary.parquet: one sweep point, its swept
// parameters, how many replications it has and, per metric, the mean and
// the 95 % confidence interval over them.
type PointSummary struct {
	Point        int32
	Params       []Param
	Replications int32
	Metrics      []MetricSummary // in SummaryMetrics order
}

// MetricSummary is the mean and 95 % confidence interval of one metric
// over the replications of a point; N is how many replications had a
// value (NaN values are left out). Low and High are NaN when N < 2.
type MetricSummary struct {
	Mean, Low, High float64
	N               int32
}

// SummaryMetrics are the runs-table columns summarised per point, in
// column order.
var SummaryMetrics = []string{
	"delivery_ratio", "in_order_ratio", "reorder_restorable_ratio", "recovery_ratio",
	"visibility_p50_ms", "visibility_p95_ms",
	"latency_p50_ms", "latency_p95_ms", "latency_p99_ms",
	"transmissions_per_msg", "energy_per_delivered_mj",
}

// MetricValue returns the value of float64 runs-table column name for r
// (NaN for a name that is not one), read through the runs table's own column
// definitions so the two cannot disagree.
func MetricValue(r *RunInfo, name string) float64 {
	for i := range runsTail {
		if c := &runsTail[i]; c.name == name && c.node == doubleNode {
			return c.value(r).Double()
		}
	}
	return math.NaN()
}

// WriteSummary writes summary.parquet: columns point, param.<path>…,
// replications, then <metric>_mean, <metric>_ci_low, <metric>_ci_high and
// <metric>_n for each of SummaryMetrics. It writes through a temporary file
// renamed when complete.
func WriteSummary(path string, points []PointSummary) error {
	infos := make([]RunInfo, len(points))
	for i, p := range points {
		infos[i] = RunInfo{Params: p.Params}
	}
	params, err := paramColumns(infos)
	if err != nil {
		return err
	}
	fields := parquet.Group{}
	var order []string
	add := func(name string, node parquet.Node) {
		fields[name] = node
		order = append(order, name)
	}
	add("point", int32Node)
	for _, c := range params {
		add(c.name, c.node)
	}
	add("replications", int32Node)
	for _, m := range SummaryMetrics {
		add(m+"_mean", doubleNode)
		add(m+"_ci_low", doubleNode)
		add(m+"_ci_high", doubleNode)
		add(m+"_n", int32Node)
	}
	schema := orderedGroup{fields, order}
	rows := make([]parquet.Row, len(points))
	for i := range points {
		p := &points[i]
		if len(p.Metrics) != len(SummaryMetrics) {
			return fmt.Errorf("output: summary point %d has %d metrics, want %d", p.Point, len(p.Metrics), len(SummaryMetrics))
		}
		row := make(parquet.Row, 0, len(order))
		row = append(row, parquet.Int32Value(p.Point))
		for _, c := range params {
			row = append(row, c.value(&infos[i]))
		}
		row = append(row, parquet.Int32Value(p.Replications))
		for _, m := range p.Metrics {
			row = append(row, parquet.DoubleValue(m.Mean), parquet.DoubleValue(m.Low), parquet.DoubleValue(m.High), parquet.Int32Value(m.N))
		}
		for j := range row {
			row[j] = row[j].Level(0, row[j].DefinitionLevel(), j)
		}
		rows[i] = row
	}
	return writeTable(path, "summary", schema, nil, rows)
}

// ReadSummary reads summary.parquet back (params typed by their columns).
func ReadSummary(path string) ([]PointSummary, error) {
	pf, names, f, err := readableTable(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	index := map[string]int{}
	for i, n := range names {
		index[n] = i
	}
	r := parquet.NewReader(pf)
	defer r.Close()
	var out []PointSummary
	buf := make([]parquet.Row, 1)
	for {
		n, err := r.ReadRows(buf)
		if n == 1 {
			row := buf[0]
			var p PointSummary
			for _, v := range row {
				name := names[v.Column()]
				switch {
				case name == "point":
					p.Point = v.Int32()
				case name == "replications":
					p.Replications = v.Int32()
				case strings.HasPrefix(name, ParamPrefix):
					p.Params = append(p.Params, Param{Path: strings.TrimPrefix(name, ParamPrefix), Value: paramFromValue(v)})
				}
			}
			for _, m := range SummaryMetrics {
				get := func(suffix string) parquet.Value { return valueOf(row, index[m+suffix]) }
				p.Metrics = append(p.Metrics, MetricSummary{
					Mean: get("_mean").Double(), Low: get("_ci_low").Double(), High: get("_ci_high").Double(), N: get("_n").Int32(),
				})
			}
			out = append(out, p)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("output: reading %s: %w", path, err)
		}
	}
}

// valueOf is the value of column c in row.
func valueOf(row parquet.Row, c int) parquet.Value {
	for _, v := range row {
		if v.Column() == c {
			return v
		}
	}
	return parquet.NullValue()
}

// summaryName is the file name of the summary table in an output folder.
const summaryName = "summary.parquet"

// SummaryPath is the summary table's path in output folder dir.
func SummaryPath(dir string) string { return filepath.Join(dir, summaryName) }
