package output

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/iotsim/iotsim/metrics"
	"github.com/parquet-go/parquet-go"
)

// ParamPrefix starts the name of each swept parameter's column in the runs
// table: "param." + the parameter's key path.
const ParamPrefix = "param."

// Param is one swept parameter of a run: its key path in the experiment file
// and its value there. Value is an int64, float64, string or bool (int,
// int32 and float32 are accepted and widened), or nil for no value (NULL).
type Param struct {
	Path  string
	Value any
}

// RunInfo is one row of the runs table: the run's identity, its swept
// parameters and what it measured.
type RunInfo struct {
	RunID      string
	Experiment string
	Seed       int64
	Point      int32
	Rep        int32
	Params     []Param
	metrics.RunRow
}

// runsColumn is one column of the runs table: its name, its node, and how to
// get its value from a run.
type runsColumn struct {
	name  string
	node  parquet.Node
	value func(r *RunInfo) parquet.Value
}

var (
	stringNode = parquet.Encoded(parquet.String(), &parquet.RLEDictionary)
	int64Node  = parquet.Int(64)
	int32Node  = parquet.Int(32)
	doubleNode = parquet.Leaf(parquet.DoubleType)
	boolNode   = parquet.Leaf(parquet.BooleanType)
)

func stringValue(s string) parquet.Value { return parquet.ByteArrayValue([]byte(s)) }

// runsHead and runsTail are the fixed columns before and after the param.*
// columns, in the order of spec/output.md.
var runsHead = []runsColumn{
	{"run_id", stringNode, func(r *RunInfo) parquet.Value { return stringValue(r.RunID) }},
	{"experiment", stringNode, func(r *RunInfo) parquet.Value { return stringValue(r.Experiment) }},
	{"seed", int64Node, func(r *RunInfo) parquet.Value { return parquet.Int64Value(r.Seed) }},
	{"point", int32Node, func(r *RunInfo) parquet.Value { return parquet.Int32Value(r.Point) }},
	{"rep", int32Node, func(r *RunInfo) parquet.Value { return parquet.Int32Value(r.Rep) }},
}

var runsTail = []runsColumn{
	{"duration_ns", int64Node, func(r *RunInfo) parquet.Value { return parquet.Int64Value(r.DurationNs) }},
	{"msgs_sent", int64Node, func(r *RunInfo) parquet.Value { return parquet.Int64Value(r.MsgsSent) }},
	{"msgs_expected", int64Node, func(r *RunInfo) parquet.Value { return parquet.Int64Value(r.MsgsExpected) }},
	{"msgs_delivered", int64Node, func(r *RunInfo) parquet.Value { return parquet.Int64Value(r.MsgsDelivered) }},
	{"delivery_ratio", doubleNode, func(r *RunInfo) parquet.Value { return parquet.DoubleValue(r.DeliveryRatio) }},
	{"duplicates", int64Node, func(r *RunInfo) parquet.Value { return parquet.Int64Value(r.Duplicates) }},
	{"in_order_ratio", doubleNode, func(r *RunInfo) parquet.Value { return parquet.DoubleValue(r.InOrderRatio) }},
	{"latency_p50_ms", doubleNode, func(r *RunInfo) parquet.Value { return parquet.DoubleValue(r.LatencyP50Ms) }},
	{"latency_p95_ms", doubleNode, func(r *RunInfo) parquet.Value { return parquet.DoubleValue(r.LatencyP95Ms) }},
	{"latency_p99_ms", doubleNode, func(r *RunInfo) parquet.Value { return parquet.DoubleValue(r.LatencyP99Ms) }},
	{"bytes_on_air", int64Node, func(r *RunInfo) parquet.Value { return parquet.Int64Value(r.BytesOnAir) }},
	{"energy_j", doubleNode, func(r *RunInfo) parquet.Value { return parquet.DoubleValue(r.EnergyJ) }},
	{"energy_per_delivered_mj", doubleNode, func(r *RunInfo) parquet.Value { return parquet.DoubleValue(r.EnergyPerDeliveredMJ) }},
	{"events", int64Node, func(r *RunInfo) parquet.Value { return parquet.Int64Value(r.Events) }},
	// Extensions: the reliability scorecard (see README).
	{"visibility_p50_ms", doubleNode, func(r *RunInfo) parquet.Value { return parquet.DoubleValue(r.VisibilityP50Ms) }},
	{"visibility_p95_ms", doubleNode, func(r *RunInfo) parquet.Value { return parquet.DoubleValue(r.VisibilityP95Ms) }},
	{"visibility_undetected", int64Node, func(r *RunInfo) parquet.Value { return parquet.Int64Value(r.VisibilityUndetected) }},
	{"reorder_restorable_ratio", doubleNode, func(r *RunInfo) parquet.Value { return parquet.DoubleValue(r.ReorderRestorableRatio) }},
	{"recovery_ratio", doubleNode, func(r *RunInfo) parquet.Value { return parquet.DoubleValue(r.RecoveryRatio) }},
	{"transmissions_per_msg", doubleNode, func(r *RunInfo) parquet.Value { return parquet.DoubleValue(r.TransmissionsPerMsg) }},
}

// paramKind is the Parquet type of a param.* column.
type paramKind int

const (
	paramNone paramKind = iota // no value seen yet
	paramInt
	paramFloat
	paramString
	paramBool
)

func kindOf(v any) (paramKind, bool) {
	switch v.(type) {
	case nil:
		return paramNone, true
	case int64, int, int32:
		return paramInt, true
	case float64, float32:
		return paramFloat, true
	case string:
		return paramString, true
	case bool:
		return paramBool, true
	}
	return paramNone, false
}

// paramValue is v as a value of a column of kind k (v's kind is k, or int
// when k is float).
func paramValue(k paramKind, v any) parquet.Value {
	switch x := v.(type) {
	case int64:
		if k == paramFloat {
			return parquet.DoubleValue(float64(x))
		}
		return parquet.Int64Value(x)
	case int:
		return paramValue(k, int64(x))
	case int32:
		return paramValue(k, int64(x))
	case float64:
		return parquet.DoubleValue(x)
	case float32:
		return parquet.DoubleValue(float64(x))
	case string:
		return stringValue(x)
	case bool:
		return parquet.BooleanValue(x)
	}
	return parquet.NullValue()
}

// paramColumns derives the param.* columns from runs: one per parameter, in
// the runs' order, typed by the first non-nil value (a mix of integers and
// floats makes a float64 column; a column with no value at all is a string
// column of NULLs). Every param column is optional so a nil value is NULL.
func paramColumns(runs []RunInfo) ([]runsColumn, error) {
	if len(runs) == 0 {
		return nil, nil
	}
	first := runs[0].Params
	kinds := make([]paramKind, len(first))
	for i := range runs {
		r := &runs[i]
		if len(r.Params) != len(first) {
			return nil, fmt.Errorf("output: run %s has %d parameters, run %s has %d", r.RunID, len(r.Params), runs[0].RunID, len(first))
		}
		for j, p := range r.Params {
			if p.Path != first[j].Path {
				return nil, fmt.Errorf("output: run %s: parameter %d is %q, run %s has %q", r.RunID, j, p.Path, runs[0].RunID, first[j].Path)
			}
			k, ok := kindOf(p.Value)
			switch {
			case !ok:
				return nil, fmt.Errorf("output: run %s: parameter %q: unsupported value type %T", r.RunID, p.Path, p.Value)
			case k == paramNone || k == kinds[j]:
			case kinds[j] == paramNone:
				kinds[j] = k
			case k == paramFloat && kinds[j] == paramInt, k == paramInt && kinds[j] == paramFloat:
				kinds[j] = paramFloat
			default:
				return nil, fmt.Errorf("output: run %s: parameter %q: value %v (%T) does not match earlier runs' type", r.RunID, p.Path, p.Value, p.Value)
			}
		}
	}
	cols := make([]runsColumn, len(first))
	for j, p := range first {
		if slices.ContainsFunc(first[:j], func(q Param) bool { return q.Path == p.Path }) {
			return nil, fmt.Errorf("output: parameter %q appears twice", p.Path)
		}
		var node parquet.Node
		switch kinds[j] {
		case paramInt:
			node = int64Node
		case paramFloat:
			node = doubleNode
		case paramBool:
			node = boolNode
		default:
			node = stringNode
		}
		k := kinds[j]
		cols[j] = runsColumn{ParamPrefix + p.Path, parquet.Optional(node), func(r *RunInfo) parquet.Value {
			v := r.Params[j].Value
			if v == nil {
				return parquet.NullValue()
			}
			return paramValue(k, v).Level(0, 1, 0)
		}}
	}
	return cols, nil
}

// orderedGroup is a parquet.Group whose fields come in a given order rather
// than sorted by name: the runs table's columns follow spec/output.md.
type orderedGroup struct {
	parquet.Group
	order []string
}

func (g orderedGroup) Fields() []parquet.Field {
	fields := g.Group.Fields()
	slices.SortFunc(fields, func(a, b parquet.Field) int {
		return slices.Index(g.order, a.Name()) - slices.Index(g.order, b.Name())
	})
	return fields
}

// WriteRuns writes the runs table to path (through a temporary file renamed
// into place; path's folder is created if needed): one row per run, in the
// given order, with one column "param.<path>" per swept parameter between rep
// and duration_ns. All runs must have the same parameter paths in the same
// order. A param column is typed by the parameter's first non-nil value
// (int64 → INT64, float64 → DOUBLE, string → STRING, bool → BOOLEAN), except
// that integers mixed with floats make a DOUBLE column and a parameter nil in
// every run makes a STRING column; param columns are optional, a nil value is
// NULL. Any other mix of types is an error. meta becomes the file's key-value
// metadata.
func WriteRuns(path string, runs []RunInfo, meta map[string]string) error {
	params, err := paramColumns(runs)
	if err != nil {
		return err
	}
	cols := slices.Concat(runsHead, params, runsTail)
	group := parquet.Group{}
	order := make([]string, len(cols))
	for i, c := range cols {
		if _, dup := group[c.name]; dup {
			return fmt.Errorf("output: runs table: duplicate column %q", c.name)
		}
		group[c.name] = c.node
		order[i] = c.name
	}
	schema := orderedGroup{group, order}
	rows := make([]parquet.Row, len(runs))
	for i := range runs {
		row := make(parquet.Row, len(cols))
		for j, c := range cols {
			v := c.value(&runs[i])
			row[j] = v.Level(0, v.DefinitionLevel(), j)
		}
		rows[i] = row
	}
	return writeTable(path, TableRuns, schema, meta, rows)
}

// writeTable writes rows as a one-file table at path, through a temporary
// file renamed into place.
func writeTable(path, name string, schema parquet.Node, meta map[string]string, rows []parquet.Row) error {
	return writeAtomic(path, func(f *os.File) error {
		w := parquet.NewWriter(f, writerOptions(name, schema, meta, defaultLayout)...)
		if _, err := w.WriteRows(rows); err != nil {
			return fmt.Errorf("output: writing %s: %w", path, err)
		}
		if err := w.Close(); err != nil {
			return fmt.Errorf("output: writing %s: %w", path, err)
		}
		return nil
	})
}

// readableTable opens a Parquet file and returns it with its column names
// (dotted paths, in column order); close the returned file when done.
func readableTable(path string) (*parquet.File, []string, *os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("output: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, nil, fmt.Errorf("output: %w", err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		f.Close()
		return nil, nil, nil, fmt.Errorf("output: reading %s: %w", path, err)
	}
	var names []string
	for _, c := range pf.Schema().Columns() {
		names = append(names, strings.Join(c, "."))
	}
	return pf, names, f, nil
}

// RunsColumns returns the column names of the runs table at path (dotted
// paths, in column order), reading only its footer.
func RunsColumns(path string) ([]string, error) {
	_, names, f, err := readableTable(path)
	if err != nil {
		return nil, err
	}
	f.Close()
	return names, nil
}

// ReadRuns reads a runs table written by WriteRuns. Params come back typed by
// their columns (int64, float64, string, bool; nil for NULL), in column order.
// A float64 column the file lacks (a folder written by an older build) reads
// as NaN, "not measured", not as 0.
func ReadRuns(path string) ([]RunInfo, error) {
	pf, names, f, err := readableTable(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var absent []string
	for i := range runsTail {
		if c := &runsTail[i]; c.node == doubleNode && !slices.Contains(names, c.name) {
			absent = append(absent, c.name)
		}
	}
	r := parquet.NewReader(pf)
	defer r.Close()
	runs := make([]RunInfo, 0, pf.NumRows())
	buf := make([]parquet.Row, 64)
	for {
		n, err := r.ReadRows(buf)
		for _, row := range buf[:n] {
			var ri RunInfo
			for _, name := range absent {
				setRunsColumn(&ri, name, parquet.DoubleValue(math.NaN()))
			}
			for _, v := range row {
				if c := v.Column(); c >= 0 && c < len(names) {
					setRunsColumn(&ri, names[c], v)
				}
			}
			runs = append(runs, ri)
		}
		if errors.Is(err, io.EOF) {
			return runs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("output: reading %s: %w", path, err)
		}
	}
}

// setRunsColumn stores v, the value of column name, into r.
func setRunsColumn(r *RunInfo, name string, v parquet.Value) {
	switch name {
	case "run_id":
		r.RunID = string(v.ByteArray())
	case "experiment":
		r.Experiment = string(v.ByteArray())
	case "seed":
		r.Seed = v.Int64()
	case "point":
		r.Point = v.Int32()
	case "rep":
		r.Rep = v.Int32()
	case "duration_ns":
		r.DurationNs = v.Int64()
	case "msgs_sent":
		r.MsgsSent = v.Int64()
	case "msgs_expected":
		r.MsgsExpected = v.Int64()
	case "msgs_delivered":
		r.MsgsDelivered = v.Int64()
	case "delivery_ratio":
		r.DeliveryRatio = v.Double()
	case "duplicates":
		r.Duplicates = v.Int64()
	case "in_order_ratio":
		r.InOrderRatio = v.Double()
	case "latency_p50_ms":
		r.LatencyP50Ms = v.Double()
	case "latency_p95_ms":
		r.LatencyP95Ms = v.Double()
	case "latency_p99_ms":
		r.LatencyP99Ms = v.Double()
	case "bytes_on_air":
		r.BytesOnAir = v.Int64()
	case "energy_j":
		r.EnergyJ = v.Double()
	case "visibility_p50_ms":
		r.VisibilityP50Ms = v.Double()
	case "visibility_p95_ms":
		r.VisibilityP95Ms = v.Double()
	case "visibility_undetected":
		r.VisibilityUndetected = v.Int64()
	case "reorder_restorable_ratio":
		r.ReorderRestorableRatio = v.Double()
	case "recovery_ratio":
		r.RecoveryRatio = v.Double()
	case "transmissions_per_msg":
		r.TransmissionsPerMsg = v.Double()
	case "energy_per_delivered_mj":
		r.EnergyPerDeliveredMJ = v.Double()
	case "events":
		r.Events = v.Int64()
	default:
		path, ok := strings.CutPrefix(name, ParamPrefix)
		if !ok {
			return // a column this version does not know
		}
		r.Params = append(r.Params, Param{Path: path, Value: paramFromValue(v)})
	}
}

// paramFromValue is the Go value of a param.* cell: int64, float64, string,
// bool, or nil for NULL.
func paramFromValue(v parquet.Value) any {
	if v.IsNull() {
		return nil
	}
	switch v.Kind() {
	case parquet.Int64:
		return v.Int64()
	case parquet.Int32:
		return int64(v.Int32())
	case parquet.Double:
		return v.Double()
	case parquet.Float:
		return float64(v.Float())
	case parquet.Boolean:
		return v.Boolean()
	case parquet.ByteArray:
		return string(v.ByteArray())
	}
	return nil
}
