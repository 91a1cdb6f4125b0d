package parquetcheck

import (
	"context"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/iotsim/iotsim/experiments"
	"github.com/iotsim/iotsim/experiments/config"
	"github.com/iotsim/iotsim/experiments/output"
)

// experiment sweeps one parameter of each kind a user sweeps — a float, an
// int, a string and a duration — in zip mode (3 points × 2 replications).
// MQTT devices give connections rows; the lossy link gives dropped packets;
// the vanishing link gives undelivered messages and a connection that is
// closed and detected while the others stay open; the broker is mains
// powered while the devices have batteries. So every nullable column holds
// both NULLs and values.
const experiment = `
name     = "parquetcheck"
seed     = 7
duration = "3m"
drain    = "30s"

[output]
tables = ["runs", "messages", "devices", "connections", "packets"]

[links.wifi]
loss  = { model = "bernoulli", p = 0.1 }
delay = { dist = "normal", mean = "20ms", stddev = "5ms" }

[links.lan]
delay = { dist = "constant", value = "2ms" }

[links.vanishing]
delay   = { dist = "constant", value = "2ms" }
outages = [ { at = "1m", for = "1h" } ]

[brokers.hub]
link = "lan"

[devices.pub]
count    = 3
link     = "wifi"
attach   = "hub"
protocol = "mqtt"
workload = { kind = "periodic", interval = "10s", payload = 16 }
mqtt     = { qos = 1, topic = "fleet/{group}/{index}" }

[devices.sub]
link     = "lan"
attach   = "hub"
protocol = "mqtt"
mqtt     = { qos = 1, subscribe = ["fleet/#"] }

[devices.gone]
link     = "vanishing"
attach   = "hub"
protocol = "mqtt"
workload = { kind = "periodic", interval = "10s", payload = 8 }
mqtt     = { keepalive = "10s", topic = "fleet/gone" }

[sweep]
mode         = "zip"
replications = 2
[sweep.params]
"links.wifi.loss.p"             = [0.0, 0.1, 0.3]
"devices.pub.mqtt.qos"          = [2, 1, 0]
"devices.pub.mqtt.topic"        = ["fleet/a/{index}", "fleet/b/{index}", "fleet/c/{index}"]
"devices.pub.workload.interval" = ["10s", "15s", "20s"]
`

// kind is a column's type as spec/output.md names it.
type kind int

const (
	kString kind = iota
	kInt32
	kInt64
	kDouble
	kBool
)

func (k kind) String() string {
	return [...]string{"string", "int32", "int64", "double", "bool"}[k]
}

// column is one column of the output contract.
type column struct {
	name     string
	kind     kind
	nullable bool
}

// The tables of spec/output.md and README "Output reference", columns in
// order. Strings are BYTE_ARRAY annotated STRING, integers INT32/INT64
// (optionally annotated as signed integers of that width), doubles DOUBLE,
// bools BOOLEAN; only the columns marked nullable are OPTIONAL.
var (
	runsHead = []column{{"run_id", kString, false}, {"experiment", kString, false}, {"seed", kInt64, false}, {"point", kInt32, false}, {"rep", kInt32, false}}
	runsTail = []column{
		{"duration_ns", kInt64, false}, {"msgs_sent", kInt64, false}, {"msgs_expected", kInt64, false},
		{"msgs_delivered", kInt64, false}, {"delivery_ratio", kDouble, false}, {"duplicates", kInt64, false},
		{"in_order_ratio", kDouble, false}, {"latency_p50_ms", kDouble, false}, {"latency_p95_ms", kDouble, false},
		{"latency_p99_ms", kDouble, false}, {"bytes_on_air", kInt64, false}, {"energy_j", kDouble, false},
		{"energy_per_delivered_mj", kDouble, false}, {"events", kInt64, false},
	}
	// extensions are documented additions to the contract, each checked
	// when present, after the contract's columns: the runs table's
	// reliability scorecard and the connections table's lost_ns.
	extensions = map[string][]column{
		"runs": {
			{"visibility_p50_ms", kDouble, false}, {"visibility_p95_ms", kDouble, false}, {"visibility_undetected", kInt64, false},
			{"reorder_restorable_ratio", kDouble, false}, {"recovery_ratio", kDouble, false}, {"transmissions_per_msg", kDouble, false},
		},
		"connections": {{"lost_ns", kInt64, true}},
	}
	tables = map[string][]column{
		"messages": {
			{"run_id", kString, false}, {"msg_id", kInt64, false}, {"src", kString, false}, {"dst", kString, false},
			{"group", kString, false}, {"protocol", kString, false}, {"qos", kInt32, false}, {"topic_or_path", kString, false},
			{"seq", kInt64, false}, {"payload_bytes", kInt32, false}, {"sent_ns", kInt64, false},
			{"delivered_ns", kInt64, true}, {"latency_ms", kDouble, true}, {"delivered", kBool, false},
			{"copies", kInt32, false}, {"in_order", kBool, false}, {"transmissions", kInt32, false}, {"recovered", kBool, false},
		},
		"devices": {
			{"run_id", kString, false}, {"node", kString, false}, {"group", kString, false}, {"kind", kString, false},
			{"profile", kString, false}, {"energy_j", kDouble, false}, {"tx_s", kDouble, false}, {"rx_s", kDouble, false},
			{"idle_s", kDouble, false}, {"sleep_s", kDouble, false}, {"battery_days", kDouble, true},
			{"pkts_tx", kInt64, false}, {"pkts_rx", kInt64, false}, {"bytes_tx", kInt64, false}, {"bytes_rx", kInt64, false},
			{"msgs_sent", kInt64, false}, {"msgs_received", kInt64, false}, {"connects", kInt64, false}, {"disconnects", kInt64, false},
		},
		"connections": {
			{"run_id", kString, false}, {"client", kString, false}, {"server", kString, false}, {"protocol", kString, false},
			{"opened_ns", kInt64, false}, {"closed_ns", kInt64, true}, {"close_reason", kString, false},
			{"peer_detected_ns", kInt64, true}, {"will_sent", kBool, false},
		},
		"packets": {
			{"run_id", kString, false}, {"t_ns", kInt64, false}, {"link", kString, false}, {"link_class", kString, false},
			{"src", kString, false}, {"dst", kString, false}, {"layer", kString, false}, {"kind", kString, false},
			{"bytes", kInt32, false}, {"dropped", kBool, false}, {"drop_reason", kString, true},
		},
	}
	// paramKinds are the types the swept parameters must have in runs.parquet:
	// typed as written in the file, so a duration ("10s") is a string.
	paramKinds = map[string]kind{
		"links.wifi.loss.p":             kDouble,
		"devices.pub.mqtt.qos":          kInt64,
		"devices.pub.mqtt.topic":        kString,
		"devices.pub.workload.interval": kString,
	}
)

// table is one Parquet file as Arrow read it: its Parquet schema, its
// columns by name (each cell nil for NULL, else string, int32, int64,
// float64 or bool as Arrow typed it) and its row count.
type table struct {
	path    string
	schema  *schema.Schema
	names   []string
	columns map[string][]any
	rows    int
}

// readArrow reads a whole file with Arrow's Parquet reader.
func readArrow(t *testing.T, path string) *table {
	t.Helper()
	rdr, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatalf("arrow: opening %s: %v", path, err)
	}
	defer rdr.Close()
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{BatchSize: 4096}, memory.DefaultAllocator)
	if err != nil {
		t.Fatalf("arrow: %s: %v", path, err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatalf("arrow: reading %s: %v", path, err)
	}
	defer tbl.Release()
	out := &table{path: path, schema: rdr.MetaData().Schema, columns: map[string][]any{}, rows: int(tbl.NumRows())}
	if n := rdr.NumRows(); n != tbl.NumRows() {
		t.Errorf("%s: footer says %d rows, Arrow read %d", path, n, tbl.NumRows())
	}
	for i := range int(tbl.NumCols()) {
		col := tbl.Column(i)
		name := col.Name()
		out.names = append(out.names, name)
		cells := make([]any, 0, tbl.NumRows())
		for _, chunk := range col.Data().Chunks() {
			for j := range chunk.Len() {
				cells = append(cells, cell(chunk, j))
			}
		}
		out.columns[name] = cells
	}
	return out
}

// cell is the value at row i of a, nil for NULL.
func cell(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.String:
		return a.Value(i)
	case *array.Int32:
		return a.Value(i)
	case *array.Int64:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	}
	return fmt.Sprintf("<unexpected Arrow type %s>", a.DataType())
}

// checkColumn checks one Parquet leaf column against the contract.
func checkColumn(t *testing.T, path string, c *schema.Column, want column) {
	t.Helper()
	physical := map[kind]parquet.Type{
		kString: parquet.Types.ByteArray, kInt32: parquet.Types.Int32, kInt64: parquet.Types.Int64,
		kDouble: parquet.Types.Double, kBool: parquet.Types.Boolean,
	}[want.kind]
	if c.PhysicalType() != physical {
		t.Errorf("%s: column %s is %s; want %s (%s)", path, want.name, c.PhysicalType(), physical, want.kind)
	}
	lt := c.LogicalType()
	noLogical := lt == nil || lt.IsNone()
	switch want.kind {
	case kString:
		if _, ok := lt.(schema.StringLogicalType); !ok {
			t.Errorf("%s: column %s has logical type %v; want String", path, want.name, lt)
		}
	case kInt32, kInt64:
		width := map[kind]int8{kInt32: 32, kInt64: 64}[want.kind]
		if it, ok := lt.(schema.IntLogicalType); ok {
			if it.BitWidth() != width || !it.IsSigned() {
				t.Errorf("%s: column %s has logical type %v; want a signed %d-bit integer", path, want.name, lt, width)
			}
		} else if !noLogical {
			t.Errorf("%s: column %s has logical type %v; want none or Int(%d, signed)", path, want.name, lt, width)
		}
	default:
		if !noLogical {
			t.Errorf("%s: column %s has logical type %v; want none", path, want.name, lt)
		}
	}
	rep := parquet.Repetitions.Required
	if want.nullable {
		rep = parquet.Repetitions.Optional
	}
	if got := c.SchemaNode().RepetitionType(); got != rep {
		t.Errorf("%s: column %s is %s; want %s", path, want.name, got, rep)
	}
	if c.MaxRepetitionLevel() != 0 || strings.Contains(c.Path(), ".") && c.Path() != want.name {
		t.Errorf("%s: column %s is nested (path %q); want a flat column", path, want.name, c.Path())
	}
}

// checkSchema checks that tb has the columns want, in order, and no
// others — except, with extraOK, undocumented extra columns, which are
// logged (the contract may be extended).
func checkSchema(t *testing.T, tb *table, want []column, extraOK bool) {
	t.Helper()
	var got []string
	index := map[string]int{}
	for i := range tb.schema.NumColumns() {
		name := tb.schema.Column(i).Name()
		if extraOK && !slices.ContainsFunc(want, func(c column) bool { return c.name == name }) {
			t.Logf("%s: column %s is not in the contract or its known extensions", tb.path, name)
			continue
		}
		got = append(got, name)
		index[name] = i
	}
	var names []string
	for _, c := range want {
		names = append(names, c.name)
	}
	if !slices.Equal(got, names) {
		t.Errorf("%s: columns\n %v\nwant\n %v", tb.path, got, names)
		return
	}
	for _, c := range want {
		checkColumn(t, tb.path, tb.schema.Column(index[c.name]), c)
	}
}

// same reports whether two cells are equal, NaN equal to NaN.
func same(a, b any) bool {
	if x, ok := a.(float64); ok {
		if y, ok := b.(float64); ok && math.IsNaN(x) && math.IsNaN(y) {
			return true
		}
	}
	return reflect.DeepEqual(a, b)
}

// compareRows checks that Arrow's cells equal want[row][column], which come
// from experiments/output's own reader, value and Go type alike.
func compareRows(t *testing.T, tb *table, cols []column, want []map[string]any) {
	t.Helper()
	if tb.rows != len(want) {
		t.Errorf("%s: Arrow read %d rows, experiments/output %d", tb.path, tb.rows, len(want))
		return
	}
	bad := 0
	for r, row := range want {
		for _, c := range cols {
			w, ok := row[c.name]
			if !ok {
				t.Fatalf("%s: the test has no expected value for column %s", tb.path, c.name)
			}
			if got := tb.columns[c.name][r]; !same(got, w) && bad < 5 {
				bad++
				t.Errorf("%s: row %d column %s: Arrow %v (%T), experiments/output %v (%T)", tb.path, r, c.name, got, got, w, w)
			}
		}
	}
}

// withExtensions is the contract's columns of table name followed by the
// known extensions tb has.
func withExtensions(tb *table, name string, cols []column) []column {
	cols = slices.Clone(cols)
	for _, e := range extensions[name] {
		if tb.schema.ColumnIndexByName(e.name) >= 0 {
			cols = append(cols, e)
		}
	}
	return cols
}

// opt is v, or nil (NULL) when !ok.
func opt[T any](ok bool, v T) any {
	if !ok {
		return nil
	}
	return v
}

// nulls counts NULL and non-NULL cells of the nullable columns over the
// whole folder.
type nulls map[string]*[2]int

func (n nulls) add(table string, tb *table, cols []column) {
	for _, c := range cols {
		if !c.nullable {
			continue
		}
		key := table + "." + c.name
		if n[key] == nil {
			n[key] = new([2]int)
		}
		for _, v := range tb.columns[c.name] {
			if v == nil {
				n[key][0]++
			} else {
				n[key][1]++
			}
		}
	}
}

// TestArrowReadsEveryTable runs a small sweep and reads its whole output
// folder back with Arrow.
func TestArrowReadsEveryTable(t *testing.T) {
	exp, src, err := config.Load("parquetcheck.toml", []byte(experiment), nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	runs, err := experiments.Plan(src, exp)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	if len(runs) != 6 {
		t.Fatalf("Plan: %d runs; want 3 points × 2 replications", len(runs))
	}
	dir := t.TempDir()
	if _, err := experiments.Execute(context.Background(), runs, experiments.Options{
		Out: dir, Tables: exp.Output.Tables, Workers: 2, Text: []byte(experiment),
	}); err != nil {
		t.Fatalf("Execute: %v", err)
	}

	checkRuns(t, dir, runs)
	n := nulls{}
	for _, run := range runs {
		checkRunTables(t, dir, run, n)
	}
	checkSummary(t, dir, runs)

	// Every nullable column must hold real NULLs somewhere and values
	// elsewhere: a writer that stores zero for "never" fails here.
	for _, name := range slices.Sorted(maps.Keys(n)) {
		c := n[name]
		t.Logf("%-30s %6d NULL %6d values", name, c[0], c[1])
		if c[0] == 0 || c[1] == 0 {
			t.Errorf("%s: %d NULLs and %d values over the folder; want both", name, c[0], c[1])
		}
	}
}

// checkRuns reads runs.parquet: its schema, every run's identity and param.*
// values against the plan, and every cell against output.ReadRuns.
func checkRuns(t *testing.T, dir string, runs []experiments.Run) {
	path := filepath.Join(dir, "runs.parquet")
	tb := readArrow(t, path)

	// Schema: the head, one param column per swept path (sorted, as the
	// plan lists them), the tail, then documented extensions.
	var params []column
	for _, p := range runs[0].Params {
		k, ok := paramKinds[p.Path]
		if !ok {
			t.Fatalf("plan sweeps %q, which this test does not expect", p.Path)
		}
		params = append(params, column{output.ParamPrefix + p.Path, k, true})
	}
	if len(params) != len(paramKinds) {
		t.Errorf("plan sweeps %d parameters; want %d", len(params), len(paramKinds))
	}
	want := withExtensions(tb, "runs", slices.Concat(runsHead, params, runsTail))
	checkSchema(t, tb, want, true)

	// Identity and parameters, against the plan (what validate --list prints).
	if tb.rows != len(runs) {
		t.Fatalf("%s: %d rows; want %d runs", path, tb.rows, len(runs))
	}
	for i, run := range runs {
		wantCells := map[string]any{"run_id": run.ID, "seed": run.Seed, "point": int32(run.Point), "rep": int32(run.Rep), "experiment": "parquetcheck"}
		for _, p := range run.Params {
			wantCells[output.ParamPrefix+p.Path] = p.Value
		}
		for name, w := range wantCells {
			if got := tb.columns[name][i]; !same(got, w) {
				t.Errorf("%s: run %s: %s = %v (%T); plan has %v (%T)", path, run.ID, name, got, got, w, w)
			}
		}
	}
	// The sweep really varied each parameter (a zip of 3 distinct values).
	for _, c := range params {
		if d := distinct(tb.columns[c.name]); d != 3 {
			t.Errorf("%s: %s has %d distinct values; want 3", path, c.name, d)
		}
	}

	// Every cell, against our own reader.
	ours, err := output.ReadRuns(path)
	if err != nil {
		t.Fatalf("ReadRuns: %v", err)
	}
	rows := make([]map[string]any, len(ours))
	for i := range ours {
		r := &ours[i]
		m := r.RunRow
		row := map[string]any{
			"run_id": r.RunID, "experiment": r.Experiment, "seed": r.Seed, "point": r.Point, "rep": r.Rep,
			"duration_ns": m.DurationNs, "msgs_sent": m.MsgsSent, "msgs_expected": m.MsgsExpected,
			"msgs_delivered": m.MsgsDelivered, "delivery_ratio": m.DeliveryRatio, "duplicates": m.Duplicates,
			"in_order_ratio": m.InOrderRatio, "latency_p50_ms": m.LatencyP50Ms, "latency_p95_ms": m.LatencyP95Ms,
			"latency_p99_ms": m.LatencyP99Ms, "bytes_on_air": m.BytesOnAir, "energy_j": m.EnergyJ,
			"energy_per_delivered_mj": m.EnergyPerDeliveredMJ, "events": m.Events,
			"visibility_p50_ms": m.VisibilityP50Ms, "visibility_p95_ms": m.VisibilityP95Ms,
			"visibility_undetected": m.VisibilityUndetected, "reorder_restorable_ratio": m.ReorderRestorableRatio,
			"recovery_ratio": m.RecoveryRatio, "transmissions_per_msg": m.TransmissionsPerMsg,
		}
		for _, p := range r.Params {
			row[output.ParamPrefix+p.Path] = p.Value
		}
		rows[i] = row
	}
	compareRows(t, tb, want, rows)
}

// distinct counts the distinct non-NULL cells.
func distinct(cells []any) int {
	seen := map[any]bool{}
	for _, c := range cells {
		if c != nil {
			seen[c] = true
		}
	}
	return len(seen)
}

// checkRunTables reads one run's four per-run tables with Arrow and with
// experiments/output and compares them.
func checkRunTables(t *testing.T, dir string, run experiments.Run, n nulls) {
	for _, name := range []string{"messages", "devices", "connections", "packets"} {
		path := output.RunPath(dir, name, run.ID)
		if _, err := os.Stat(path); err != nil {
			t.Errorf("run %s: %v", run.ID, err)
			continue
		}
		tb := readArrow(t, path)
		cols := withExtensions(tb, name, tables[name])
		checkSchema(t, tb, cols, true)
		n.add(name, tb, cols)
		var want []map[string]any
		switch name {
		case "messages":
			ours, err := output.ReadMessages(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range ours {
				want = append(want, map[string]any{
					"run_id": run.ID, "msg_id": r.MsgID, "src": r.Src, "dst": r.Dst, "group": r.Group,
					"protocol": r.Protocol, "qos": r.QoS, "topic_or_path": r.TopicOrPath, "seq": r.Seq,
					"payload_bytes": r.PayloadBytes, "sent_ns": r.SentNs, "delivered_ns": opt(r.Delivered, r.DeliveredNs),
					"latency_ms": opt(r.Delivered, r.LatencyMs), "delivered": r.Delivered, "copies": r.Copies,
					"in_order": r.InOrder, "transmissions": r.Transmissions, "recovered": r.Recovered,
				})
			}
			checkMessages(t, tb)
		case "devices":
			ours, err := output.ReadDevices(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range ours {
				want = append(want, map[string]any{
					"run_id": run.ID, "node": r.Node, "group": r.Group, "kind": r.Kind, "profile": r.Profile,
					"energy_j": r.EnergyJ, "tx_s": r.TxS, "rx_s": r.RxS, "idle_s": r.IdleS, "sleep_s": r.SleepS,
					"battery_days": opt(r.HasBattery, r.BatteryDays), "pkts_tx": r.PktsTx, "pkts_rx": r.PktsRx,
					"bytes_tx": r.BytesTx, "bytes_rx": r.BytesRx, "msgs_sent": r.MsgsSent,
					"msgs_received": r.MsgsReceived, "connects": r.Connects, "disconnects": r.Disconnects,
				})
			}
			checkDevices(t, tb)
		case "connections":
			ours, err := output.ReadConnections(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range ours {
				want = append(want, map[string]any{
					"run_id": run.ID, "client": r.Client, "server": r.Server, "protocol": r.Protocol,
					"opened_ns": r.OpenedNs, "closed_ns": opt(r.Closed, r.ClosedNs), "close_reason": r.CloseReason,
					"peer_detected_ns": opt(r.PeerDetected, r.PeerDetectedNs), "will_sent": r.WillSent,
					"lost_ns": opt(r.Lost, r.LostNs),
				})
			}
			checkConnections(t, tb)
		case "packets":
			ours, err := output.ReadPackets(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range ours {
				want = append(want, map[string]any{
					"run_id": run.ID, "t_ns": r.TNs, "link": r.Link, "link_class": r.LinkClass, "src": r.Src,
					"dst": r.Dst, "layer": r.Layer, "kind": r.Kind, "bytes": r.Bytes, "dropped": r.Dropped,
					"drop_reason": opt(r.DropReason != "", r.DropReason),
				})
			}
			checkPackets(t, tb)
		}
		if len(want) == 0 {
			t.Errorf("%s: no rows; this experiment should give some in every run", path)
		}
		compareRows(t, tb, cols, want)
	}
}

// The checks below are on Arrow's view alone: NULL exactly where the
// contract says "null if never".

func checkMessages(t *testing.T, tb *table) {
	c := tb.columns
	for i := range tb.rows {
		delivered := c["delivered"][i].(bool)
		dns, lat := c["delivered_ns"][i], c["latency_ms"][i]
		if delivered != (dns != nil) || delivered != (lat != nil) {
			t.Errorf("%s: row %d: delivered %v but delivered_ns %v, latency_ms %v", tb.path, i, delivered, dns, lat)
			return
		}
		if delivered {
			want := float64(dns.(int64)-c["sent_ns"][i].(int64)) / 1e6
			if got := lat.(float64); math.Abs(got-want) > 1e-6 {
				t.Errorf("%s: row %d: latency_ms %v; delivered_ns − sent_ns is %v ms", tb.path, i, got, want)
				return
			}
		}
	}
}

func checkDevices(t *testing.T, tb *table) {
	c := tb.columns
	for i := range tb.rows {
		// Every device here runs on the default battery profile; the
		// broker is mains powered.
		device := c["kind"][i] == "device"
		if b := c["battery_days"][i]; device != (b != nil) {
			t.Errorf("%s: node %v (kind %v): battery_days %v", tb.path, c["node"][i], c["kind"][i], b)
		}
	}
}

func checkConnections(t *testing.T, tb *table) {
	c := tb.columns
	for i := range tb.rows {
		closed, reason, peer := c["closed_ns"][i], c["close_reason"][i].(string), c["peer_detected_ns"][i]
		if (closed == nil) != (reason == "") {
			t.Errorf("%s: row %d: closed_ns %v with close_reason %q", tb.path, i, closed, reason)
		}
		if peer != nil && (closed == nil || peer.(int64) < closed.(int64)) {
			t.Errorf("%s: row %d: peer_detected_ns %v but closed_ns %v", tb.path, i, peer, closed)
		}
	}
}

func checkPackets(t *testing.T, tb *table) {
	c := tb.columns
	for i := range tb.rows {
		dropped, reason := c["dropped"][i].(bool), c["drop_reason"][i]
		if dropped != (reason != nil) || reason == "" {
			t.Errorf("%s: row %d: dropped %v, drop_reason %#v", tb.path, i, dropped, reason)
			return
		}
	}
}

// checkSummary reads summary.parquet, when the runner writes one: a row per
// sweep point whose param.* columns have the runs table's types and the
// plan's values.
func checkSummary(t *testing.T, dir string, runs []experiments.Run) {
	path := output.SummaryPath(dir)
	if _, err := os.Stat(path); err != nil {
		t.Logf("no %s: %v", path, err)
		return
	}
	tb := readArrow(t, path)
	points := map[int]experiments.Run{}
	for _, r := range runs {
		points[r.Point] = r
	}
	if tb.rows != len(points) {
		t.Fatalf("%s: %d rows; want %d points", path, tb.rows, len(points))
	}
	for i := range tb.rows {
		p, ok := tb.columns["point"][i].(int32)
		run, found := points[int(p)]
		if !ok || !found {
			t.Errorf("%s: row %d: point %v", path, i, tb.columns["point"][i])
			continue
		}
		for _, pr := range run.Params {
			name := output.ParamPrefix + pr.Path
			idx := tb.schema.ColumnIndexByName(name)
			if idx < 0 {
				t.Errorf("%s: no column %s", path, name)
				continue
			}
			checkColumn(t, path, tb.schema.Column(idx), column{name, paramKinds[pr.Path], true})
			if got := tb.columns[name][i]; !same(got, pr.Value) {
				t.Errorf("%s: point %d: %s = %v (%T); plan has %v (%T)", path, p, name, got, got, pr.Value, pr.Value)
			}
		}
	}
	ours, err := output.ReadSummary(path)
	if err != nil {
		t.Fatalf("ReadSummary: %v", err)
	}
	if len(ours) != tb.rows {
		t.Errorf("%s: Arrow read %d rows, experiments/output %d", path, tb.rows, len(ours))
	}
}
