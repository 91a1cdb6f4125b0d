package output

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/iotsim/iotsim/metrics"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.sha256")

var perRunTables = []string{TableMessages, TableDevices, TableConnections, TablePackets}

// Columns of each table exactly as spec/output.md names and orders them, with
// their Parquet types: physical type, STRING for UTF-8 strings, "optional"
// for nullable columns.
var specColumns = map[string][]string{
	TableMessages: {
		"run_id BYTE_ARRAY STRING", "msg_id INT64", "src BYTE_ARRAY STRING", "dst BYTE_ARRAY STRING",
		"group BYTE_ARRAY STRING", "protocol BYTE_ARRAY STRING", "qos INT32", "topic_or_path BYTE_ARRAY STRING",
		"seq INT64", "payload_bytes INT32", "sent_ns INT64", "delivered_ns INT64 optional",
		"latency_ms DOUBLE optional", "delivered BOOLEAN", "copies INT32", "in_order BOOLEAN",
		"transmissions INT32", "recovered BOOLEAN",
	},
	TableDevices: {
		"run_id BYTE_ARRAY STRING", "node BYTE_ARRAY STRING", "group BYTE_ARRAY STRING",
		"kind BYTE_ARRAY STRING", "profile BYTE_ARRAY STRING", "energy_j DOUBLE", "tx_s DOUBLE",
		"rx_s DOUBLE", "idle_s DOUBLE", "sleep_s DOUBLE", "battery_days DOUBLE optional",
		"pkts_tx INT64", "pkts_rx INT64", "bytes_tx INT64", "bytes_rx INT64", "msgs_sent INT64",
		"msgs_received INT64", "connects INT64", "disconnects INT64",
	},
	TableConnections: {
		"run_id BYTE_ARRAY STRING", "client BYTE_ARRAY STRING", "server BYTE_ARRAY STRING",
		"protocol BYTE_ARRAY STRING", "opened_ns INT64", "closed_ns INT64 optional",
		"close_reason BYTE_ARRAY STRING", "peer_detected_ns INT64 optional", "will_sent BOOLEAN",
		"lost_ns INT64 optional",
	},
	TablePackets: {
		"run_id BYTE_ARRAY STRING", "t_ns INT64", "link BYTE_ARRAY STRING", "link_class BYTE_ARRAY STRING",
		"src BYTE_ARRAY STRING", "dst BYTE_ARRAY STRING", "layer BYTE_ARRAY STRING",
		"kind BYTE_ARRAY STRING", "bytes INT32", "dropped BOOLEAN", "drop_reason BYTE_ARRAY STRING optional",
	},
}

// describeColumns gives the columns of a file in the specColumns notation.
func describeColumns(t *testing.T, pf *parquet.File) []string {
	t.Helper()
	var out []string
	for _, f := range pf.Schema().Fields() {
		if !f.Leaf() {
			t.Fatalf("column %s is a group", f.Name())
		}
		s := f.Name() + " " + f.Type().Kind().String()
		if lt := f.Type().LogicalType(); lt != nil && lt.String() == "STRING" {
			s += " STRING"
		}
		if f.Optional() {
			s += " optional"
		}
		out = append(out, s)
	}
	return out
}

func openParquet(t *testing.T, path string) *parquet.File {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return pf
}

// rowSet is one batch of rows for every per-run table.
type rowSet struct {
	messages    []metrics.MessageRow
	devices     []metrics.DeviceRow
	connections []metrics.ConnectionRow
	packets     []metrics.PacketRow
}

func genRowSet(nMsgs, nDevs, nConns, nPkts int) rowSet {
	return rowSet{genMessages(nMsgs, 1), genDevices(nDevs, 1), genConnections(nConns, 1), genPackets(nPkts, 1)}
}

// writeRun writes rs as run runID under dir, feeding the rows interleaved
// and through one reused row each, as the simulator does.
func writeRun(t testing.TB, dir, runID string, rs rowSet, l layout, meta map[string]string) *RunWriter {
	t.Helper()
	w, err := openRun(dir, runID, Tables, meta, l)
	if err != nil {
		t.Fatal(err)
	}
	var (
		m metrics.MessageRow
		d metrics.DeviceRow
		c metrics.ConnectionRow
		p metrics.PacketRow
	)
	for i := 0; ; i++ {
		more := false
		if i < len(rs.messages) {
			m = rs.messages[i]
			w.Message(&m)
			m = metrics.MessageRow{Src: "scribbled"} // the caller reuses its row
			more = true
		}
		if i < len(rs.devices) {
			d = rs.devices[i]
			w.Device(&d)
			d = metrics.DeviceRow{}
			more = true
		}
		if i < len(rs.connections) {
			c = rs.connections[i]
			w.Connection(&c)
			c = metrics.ConnectionRow{}
			more = true
		}
		if i < len(rs.packets) {
			p = rs.packets[i]
			w.Packet(&p)
			p = metrics.PacketRow{}
			more = true
		}
		if !more {
			break
		}
	}
	return w
}

// listFiles lists every file under dir, relative, slash-separated, sorted.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func equalRows[T any](t *testing.T, table string, got, want []T) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: read %d rows; want %d", table, len(got), len(want))
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("%s row %d:\n got %+v\nwant %+v", table, i, got[i], want[i])
		}
	}
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	// Small row groups and batches so the rows span several of each.
	l := layout{batchRows: 128, rowGroupRows: 1024, maxBatches: 3}
	rs := genRowSet(5000, 1500, 1200, 3000)
	w := writeRun(t, dir, "000017", rs, l, map[string]string{"z": "last", "iotsim.seed": "42", "a": "first"})
	for table, n := range map[string]int{TableMessages: 5000, TableDevices: 1500, TableConnections: 1200, TablePackets: 3000, TableRuns: 0, "nope": 0} {
		if got := w.Rows(table); got != int64(n) {
			t.Errorf("Rows(%q) = %d; want %d", table, got, n)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	msgs, err := ReadMessages(RunPath(dir, TableMessages, "000017"))
	if err != nil {
		t.Fatal(err)
	}
	equalRows(t, TableMessages, msgs, normMessages(rs.messages))
	devs, err := ReadDevices(RunPath(dir, TableDevices, "000017"))
	if err != nil {
		t.Fatal(err)
	}
	equalRows(t, TableDevices, devs, normDevices(rs.devices))
	conns, err := ReadConnections(RunPath(dir, TableConnections, "000017"))
	if err != nil {
		t.Fatal(err)
	}
	equalRows(t, TableConnections, conns, normConnections(rs.connections))
	pkts, err := ReadPackets(RunPath(dir, TablePackets, "000017"))
	if err != nil {
		t.Fatal(err)
	}
	equalRows(t, TablePackets, pkts, rs.packets)

	// Every file: the spec's columns, the run id in every row, zstd on
	// every column, dictionaries on strings, bounded row groups, fixed
	// created_by, the metadata.
	for _, table := range perRunTables {
		pf := openParquet(t, RunPath(dir, table, "000017"))
		if got := describeColumns(t, pf); !slices.Equal(got, specColumns[table]) {
			t.Errorf("%s columns:\n got %q\nwant %q", table, got, specColumns[table])
		}
		md := pf.Metadata()
		if md.CreatedBy != "iotsim" {
			t.Errorf("%s: created_by = %q", table, md.CreatedBy)
		}
		var kv []string
		for _, e := range md.KeyValueMetadata {
			kv = append(kv, e.Key+"="+e.Value)
		}
		if want := []string{"a=first", "iotsim.seed=42", "z=last"}; !slices.Equal(kv, want) {
			t.Errorf("%s: key-value metadata %q; want %q", table, kv, want)
		}
		if len(md.RowGroups) < 2 && md.NumRows > 1024 {
			t.Errorf("%s: %d rows in %d row groups", table, md.NumRows, len(md.RowGroups))
		}
		for i, rg := range md.RowGroups {
			if rg.NumRows > 1024 {
				t.Errorf("%s: row group %d has %d rows", table, i, rg.NumRows)
			}
			for _, cc := range rg.Columns {
				cm := cc.MetaData
				if cm.Codec != format.Zstd {
					t.Errorf("%s.%s: codec %v", table, cm.PathInSchema, cm.Codec)
				}
				col := table + "." + strings.Join(cm.PathInSchema, ".")
				dict := slices.Contains(cm.Encoding, format.RLEDictionary)
				if cm.Type == format.ByteArray && dict == plainStringColumns[col] {
					t.Errorf("%s: encodings %v; dictionary wanted: %v", col, cm.Encoding, !plainStringColumns[col])
				}
			}
		}
		runIDs := columnStrings(t, pf, "run_id")
		if len(runIDs) != int(md.NumRows) || slices.IndexFunc(runIDs, func(s string) bool { return s != "000017" }) >= 0 {
			t.Errorf("%s: run_id column is not 000017 in all %d rows", table, md.NumRows)
		}
	}
}

// columnStrings reads a string column through parquet-go's page API.
func columnStrings(t *testing.T, pf *parquet.File, name string) []string {
	t.Helper()
	var out []string
	forEachPage(t, pf, name, func(p parquet.Page) {
		vals := make([]parquet.Value, p.NumValues())
		n, err := p.Values().ReadValues(vals)
		if err != nil && !errors.Is(err, io.EOF) {
			t.Fatal(err)
		}
		for _, v := range vals[:n] {
			out = append(out, v.String())
		}
	})
	return out
}

// forEachPage calls f with every data page of column name, in order.
func forEachPage(t *testing.T, pf *parquet.File, name string, f func(parquet.Page)) {
	t.Helper()
	leaf, ok := pf.Schema().Lookup(name)
	if !ok {
		t.Fatalf("no column %q", name)
	}
	for _, rg := range pf.RowGroups() {
		pages := rg.ColumnChunks()[leaf.ColumnIndex].Pages()
		for {
			p, err := pages.ReadPage()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			f(p)
		}
		pages.Close()
	}
}

// definitionLevels reads a column's definition levels page by page: 0 is a
// NULL, 1 a value.
func definitionLevels(t *testing.T, pf *parquet.File, name string) []byte {
	t.Helper()
	var out []byte
	var nulls int64
	forEachPage(t, pf, name, func(p parquet.Page) {
		out = append(out, p.DefinitionLevels()...)
		nulls += p.NumNulls()
	})
	if c := int64(bytes.Count(out, []byte{0})); c != nulls {
		t.Errorf("%s: %d zero definition levels but pages count %d nulls", name, c, nulls)
	}
	return out
}

func TestNullsAreNull(t *testing.T) {
	dir := t.TempDir()
	rs := genRowSet(3000, 800, 900, 2000)
	w := writeRun(t, dir, "000001", rs, layout{batchRows: 256, rowGroupRows: 1024, maxBatches: 2}, nil)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	check := func(table, column string, present func(i int) bool, n int) {
		t.Helper()
		pf := openParquet(t, RunPath(dir, table, "000001"))
		levels := definitionLevels(t, pf, column)
		if len(levels) != n {
			t.Fatalf("%s.%s: %d definition levels for %d rows", table, column, len(levels), n)
		}
		nulls := 0
		for i, l := range levels {
			if want := present(i); (l == 1) != want {
				t.Fatalf("%s.%s row %d: definition level %d; want present=%v", table, column, i, l, want)
			}
			if l == 0 {
				nulls++
			}
		}
		if nulls == 0 || nulls == n {
			t.Fatalf("%s.%s: %d nulls of %d: test rows should mix both", table, column, nulls, n)
		}
	}
	m, d, c, p := rs.messages, rs.devices, rs.connections, rs.packets
	check(TableMessages, "delivered_ns", func(i int) bool { return m[i].Delivered }, len(m))
	check(TableMessages, "latency_ms", func(i int) bool { return m[i].Delivered }, len(m))
	check(TableDevices, "battery_days", func(i int) bool { return d[i].HasBattery }, len(d))
	check(TableConnections, "closed_ns", func(i int) bool { return c[i].Closed }, len(c))
	check(TableConnections, "peer_detected_ns", func(i int) bool { return c[i].PeerDetected }, len(c))
	check(TablePackets, "drop_reason", func(i int) bool { return p[i].DropReason != "" }, len(p))
	// A real zero is a value, not a NULL (battery_days 0, closed_ns 0).
	if !d[1].HasBattery || d[1].BatteryDays != 0 || !c[1].Closed || c[1].ClosedNs != 0 {
		t.Fatal("test rows lost their real zeros")
	}
}

func TestZeroRowFiles(t *testing.T) {
	dir := t.TempDir()
	w, err := OpenRun(dir, "000003", Tables, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"connections/run=000003/part-0.parquet",
		"devices/run=000003/part-0.parquet",
		"messages/run=000003/part-0.parquet",
		"packets/run=000003/part-0.parquet",
	}
	if got := listFiles(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files = %q; want %q", got, want)
	}
	for _, table := range perRunTables {
		path := RunPath(dir, table, "000003")
		pf := openParquet(t, path)
		if pf.NumRows() != 0 {
			t.Errorf("%s: %d rows", table, pf.NumRows())
		}
		if got := describeColumns(t, pf); !slices.Equal(got, specColumns[table]) {
			t.Errorf("%s columns:\n got %q\nwant %q", table, got, specColumns[table])
		}
	}
	for table, read := range map[string]func(string) (int, error){
		TableMessages:    func(p string) (int, error) { r, err := ReadMessages(p); return len(r), err },
		TableDevices:     func(p string) (int, error) { r, err := ReadDevices(p); return len(r), err },
		TableConnections: func(p string) (int, error) { r, err := ReadConnections(p); return len(r), err },
		TablePackets:     func(p string) (int, error) { r, err := ReadPackets(p); return len(r), err },
	} {
		if n, err := read(RunPath(dir, table, "000003")); n != 0 || err != nil {
			t.Errorf("read %s = %d rows, %v", table, n, err)
		}
	}
}

func TestOnlyRequestedTables(t *testing.T) {
	dir := t.TempDir()
	w, err := OpenRun(dir, "000004", []string{TableRuns, TableDevices}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rs := genRowSet(10, 10, 10, 10)
	w.Message(&rs.messages[0])
	w.Packet(&rs.packets[0])
	w.Connection(&rs.connections[0])
	w.Device(&rs.devices[0])
	if w.Rows(TableMessages) != 0 || w.Rows(TableDevices) != 1 {
		t.Errorf("Rows: messages %d, devices %d", w.Rows(TableMessages), w.Rows(TableDevices))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := listFiles(t, dir); !slices.Equal(got, []string{"devices/run=000004/part-0.parquet"}) {
		t.Fatalf("files = %q", got)
	}
}

func TestOpenRunErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		runID  string
		tables []string
		want   string
	}{
		{"000001", []string{"messages", "mesages"}, `unknown table "mesages"`},
		{"", nil, "invalid run id"},
		{"../x", nil, "invalid run id"},
		{"..", nil, "invalid run id"},
	} {
		_, err := OpenRun(dir, tc.runID, tc.tables, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("OpenRun(%q, %q) = %v; want error containing %q", tc.runID, tc.tables, err, tc.want)
		}
	}
	if got := listFiles(t, dir); len(got) != 0 {
		t.Errorf("files left: %q", got)
	}
}

// TestByteIdentical writes the same rows with different batch sizes, buffer
// counts and GOMAXPROCS: the files must not change by one byte.
func TestByteIdentical(t *testing.T) {
	rs := genRowSet(10_000, 3000, 2000, 7000)
	layouts := []layout{
		{batchRows: 4096, rowGroupRows: 2048, maxBatches: 4},
		{batchRows: 64, rowGroupRows: 2048, maxBatches: 1},
		{batchRows: 192, rowGroupRows: 2048, maxBatches: 2},
		{batchRows: 1088, rowGroupRows: 2048, maxBatches: 8},
	}
	var first map[string][]byte
	for i, l := range layouts {
		for _, procs := range []int{1, 2} {
			old := runtime.GOMAXPROCS(procs)
			dir := t.TempDir()
			w := writeRun(t, dir, "000042", rs, l, map[string]string{"b": "2", "a": "1"})
			err := w.Close()
			runtime.GOMAXPROCS(old)
			if err != nil {
				t.Fatal(err)
			}
			files := readTree(t, dir)
			if first == nil {
				first = files
				continue
			}
			for name, b := range first {
				if !bytes.Equal(files[name], b) {
					t.Errorf("layout %d (%+v), GOMAXPROCS %d: %s differs", i, l, procs, name)
				}
			}
		}
	}
}

// TestByteIdenticalDefaultRowGroups is TestByteIdentical across a real
// RowGroupRows boundary.
func TestByteIdenticalDefaultRowGroups(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 2×300k rows")
	}
	msgs := genMessages(RowGroupRows*2+12345, 7)
	var first []byte
	for _, l := range []layout{defaultLayout, {batchRows: 448, rowGroupRows: RowGroupRows, maxBatches: 2}} {
		dir := t.TempDir()
		w := writeRun(t, dir, "000001", rowSet{messages: msgs}, l, nil)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(RunPath(dir, TableMessages, "000001"))
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = b
			pf := openParquet(t, RunPath(dir, TableMessages, "000001"))
			if n := len(pf.RowGroups()); n != 3 {
				t.Fatalf("%d row groups; want 3", n)
			}
			continue
		}
		if !bytes.Equal(b, first) {
			t.Fatalf("layout %+v: messages file differs", l)
		}
	}
}

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, name := range listFiles(t, dir) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	return out
}

// TestGolden pins the bytes of every table: a change of parquet-go, of the
// writer options or of the schemas shows up here. Run with -update after a
// deliberate change.
func TestGolden(t *testing.T) {
	dir := t.TempDir()
	meta := map[string]string{"iotsim.version": "test", "iotsim.experiment_sha256": "00ff"}
	w := writeRun(t, dir, "000000", genRowSet(3000, 200, 150, 2500), layout{batchRows: 512, rowGroupRows: 2048, maxBatches: 2}, meta)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := WriteRuns(filepath.Join(dir, "runs.parquet"), sampleRuns(), meta); err != nil {
		t.Fatal(err)
	}
	if err := WriteManifest(filepath.Join(dir, "manifest.json"), map[string]any{"name": "golden", "runs": 2}); err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for _, name := range listFiles(t, dir) {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		sum := sha256.Sum256(b)
		fmt.Fprintf(&sb, "%s  %s\n", hex.EncodeToString(sum[:]), name)
	}
	golden := filepath.Join("testdata", "golden.sha256")
	if *update {
		if err := os.WriteFile(golden, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if got := sb.String(); got != string(want) {
		t.Errorf("output hashes changed (run with -update if deliberate):\n got:\n%s\nwant:\n%s", got, want)
	}
}

func sampleRuns() []RunInfo {
	return []RunInfo{
		{
			RunID: "000000", Experiment: "exp", Seed: -7, Point: 0, Rep: 0,
			Params: []Param{{"devices.sensor.count", int64(10)}, {"links.lora.loss", 0.1}, {"brokers.cloud.qos_mode", "strict"}, {"output.pcap", true}, {"x.maybe", nil}},
			RunRow: metrics.RunRow{DurationNs: 1e9, MsgsSent: 10, MsgsExpected: 10, MsgsDelivered: 9, DeliveryRatio: 0.9, Duplicates: 1, InOrderRatio: 1, LatencyP50Ms: 1.5, LatencyP95Ms: 2.5, LatencyP99Ms: 3.5, BytesOnAir: 12345, EnergyJ: 0.25, EnergyPerDeliveredMJ: 27.7, Events: 999},
		},
		{
			RunID: "000001", Experiment: "exp", Seed: 1 << 62, Point: 1, Rep: 3,
			Params: []Param{{"devices.sensor.count", int64(20)}, {"links.lora.loss", 0.2}, {"brokers.cloud.qos_mode", "lax"}, {"output.pcap", false}, {"x.maybe", int64(5)}},
			RunRow: metrics.RunRow{DurationNs: 2e9, MsgsSent: 20, Events: 1},
		},
	}
}

func TestWriteRunsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "runs.parquet")
	runs := sampleRuns()
	if err := WriteRuns(path, runs, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	pf := openParquet(t, path)
	want := []string{
		"run_id BYTE_ARRAY STRING", "experiment BYTE_ARRAY STRING", "seed INT64", "point INT32", "rep INT32",
		"param.devices.sensor.count INT64 optional", "param.links.lora.loss DOUBLE optional",
		"param.brokers.cloud.qos_mode BYTE_ARRAY STRING optional", "param.output.pcap BOOLEAN optional",
		"param.x.maybe INT64 optional",
		"duration_ns INT64", "msgs_sent INT64", "msgs_expected INT64", "msgs_delivered INT64",
		"delivery_ratio DOUBLE", "duplicates INT64", "in_order_ratio DOUBLE", "latency_p50_ms DOUBLE",
		"latency_p95_ms DOUBLE", "latency_p99_ms DOUBLE", "bytes_on_air INT64", "energy_j DOUBLE",
		"energy_per_delivered_mj DOUBLE", "events INT64",
		"visibility_p50_ms DOUBLE", "visibility_p95_ms DOUBLE", "visibility_undetected INT64",
		"reorder_restorable_ratio DOUBLE", "recovery_ratio DOUBLE", "transmissions_per_msg DOUBLE",
	}
	if got := describeColumns(t, pf); !slices.Equal(got, want) {
		t.Errorf("runs columns:\n got %q\nwant %q", got, want)
	}
	if pf.Metadata().CreatedBy != "iotsim" {
		t.Errorf("created_by %q", pf.Metadata().CreatedBy)
	}
	if lv := definitionLevels(t, pf, "param.x.maybe"); !bytes.Equal(lv, []byte{0, 1}) {
		t.Errorf("param.x.maybe definition levels %v; want [0 1]", lv)
	}
	got, err := ReadRuns(path)
	if err != nil {
		t.Fatal(err)
	}
	equalRows(t, TableRuns, got, runs)
	if files := listFiles(t, filepath.Dir(path)); !slices.Equal(files, []string{"runs.parquet"}) {
		t.Errorf("files %q", files)
	}
}

func TestWriteRunsParamTypes(t *testing.T) {
	dir := t.TempDir()
	run := func(id string, params ...Param) RunInfo { return RunInfo{RunID: id, Params: params} }
	// Integers and floats mixed make a float column; Go ints widen.
	path := filepath.Join(dir, "mixed.parquet")
	err := WriteRuns(path, []RunInfo{
		run("0", Param{"a", nil}, Param{"b", int(3)}, Param{"c", nil}),
		run("1", Param{"a", int64(1)}, Param{"b", int32(4)}, Param{"c", nil}),
		run("2", Param{"a", 2.5}, Param{"b", int64(5)}, Param{"c", nil}),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadRuns(path)
	if err != nil {
		t.Fatal(err)
	}
	var vals []any
	for _, r := range got {
		for _, p := range r.Params {
			vals = append(vals, p.Value)
		}
	}
	if want := []any{nil, int64(3), nil, 1.0, int64(4), nil, 2.5, int64(5), nil}; !reflect.DeepEqual(vals, want) {
		t.Errorf("params read back %#v; want %#v", vals, want)
	}
	for _, tc := range []struct {
		runs []RunInfo
		want string
	}{
		{[]RunInfo{run("0", Param{"a", "x"}), run("1", Param{"a", int64(1)})}, "does not match"},
		{[]RunInfo{run("0", Param{"a", true}), run("1")}, "has 0 parameters"},
		{[]RunInfo{run("0", Param{"a", true}), run("1", Param{"b", true})}, `is "b"`},
		{[]RunInfo{run("0", Param{"a", []int{1}})}, "unsupported value type"},
		{[]RunInfo{run("0", Param{"a", 1.0}, Param{"a", 2.0})}, "appears twice"},
	} {
		p := filepath.Join(dir, "bad.parquet")
		if err := WriteRuns(p, tc.runs, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("WriteRuns(%+v) = %v; want error containing %q", tc.runs, err, tc.want)
		}
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a failed WriteRuns left %s", p)
		}
	}
	// No runs: a zero-row runs file with the fixed columns.
	path = filepath.Join(dir, "empty.parquet")
	if err := WriteRuns(path, nil, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadRuns(path); len(got) != 0 || err != nil {
		t.Errorf("ReadRuns(empty) = %v, %v", got, err)
	}
}

func TestTempFileThenRename(t *testing.T) {
	dir := t.TempDir()
	w, err := OpenRun(dir, "000009", []string{TableMessages, TableDevices}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range genMessages(10_000, 3) {
		w.Message(&m)
	}
	want := []string{"devices/run=000009/.part-0.parquet.tmp", "messages/run=000009/.part-0.parquet.tmp"}
	if got := listFiles(t, dir); !slices.Equal(got, want) {
		t.Fatalf("before Close: files %q; want %q", got, want)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want = []string{"devices/run=000009/part-0.parquet", "messages/run=000009/part-0.parquet"}
	if got := listFiles(t, dir); !slices.Equal(got, want) {
		t.Fatalf("after Close: files %q; want %q", got, want)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	w.Abort() // after Close: nothing to do
	w.Message(&metrics.MessageRow{})
	if got := listFiles(t, dir); !slices.Equal(got, want) || w.Rows(TableMessages) != 10_000 {
		t.Fatalf("after Abort and a late row: files %q, %d rows", got, w.Rows(TableMessages))
	}

	// Temporary names of single files.
	for path, want := range map[string]string{
		filepath.Join("out", "runs.parquet"):  filepath.Join("out", ".runs.parquet.tmp"),
		filepath.Join("out", "manifest.json"): filepath.Join("out", ".manifest.json.tmp"),
	} {
		if got := tempPath(path); got != want {
			t.Errorf("tempPath(%q) = %q; want %q", path, got, want)
		}
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	w := writeRun(t, dir, "000005", genRowSet(20_000, 100, 100, 5000), layout{batchRows: 256, rowGroupRows: 1024, maxBatches: 2}, nil)
	w.Abort()
	if got := listFiles(t, dir); len(got) != 0 {
		t.Fatalf("files after Abort: %q", got)
	}
	for _, table := range perRunTables {
		if _, err := os.Stat(filepath.Join(dir, table, "run=000005")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s/run=000005 still there (%v)", table, err)
		}
	}
	if err := w.Close(); err == nil {
		t.Error("Close after Abort returned nil")
	}
}

// TestCloseAfterWriteError makes one table's temporary file /dev/full: its
// writes fail, so Close fails, and no file of the run remains.
func TestCloseAfterWriteError(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	dir := t.TempDir()
	runDir := filepath.Join(dir, TableMessages, "run=000006")
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/full", filepath.Join(runDir, ".part-0.parquet.tmp")); err != nil {
		t.Fatal(err)
	}
	w := writeRun(t, dir, "000006", genRowSet(50_000, 10, 10, 10), layout{batchRows: 1024, rowGroupRows: 4096, maxBatches: 2}, nil)
	err := w.Close()
	if err == nil || !strings.Contains(err.Error(), "messages") {
		t.Fatalf("Close = %v; want an error about the messages file", err)
	}
	if got := listFiles(t, dir); len(got) != 0 {
		t.Fatalf("files after a failed Close: %q", got)
	}
	if err2 := w.Close(); err2 != err {
		t.Errorf("second Close = %v; want the same error", err2)
	}
}

func TestWriteManifest(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "manifest.json")
	v := struct {
		Name  string         `json:"name"`
		Times map[string]int `json:"times"`
	}{"exp", map[string]int{"b": 2, "a": 1}}
	if err := WriteManifest(path, v); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"name\": \"exp\",\n  \"times\": {\n    \"a\": 1,\n    \"b\": 2\n  }\n}\n"
	if string(b) != want {
		t.Errorf("manifest:\n%s\nwant:\n%s", b, want)
	}
	if err := WriteManifest(path, func() {}); err == nil {
		t.Error("WriteManifest(func) = nil")
	}
	if got := listFiles(t, dir); !slices.Equal(got, []string{"manifest.json"}) {
		t.Errorf("files %q", got)
	}
}

// TestSinkAllocs: once warm, handing rows to the writer allocates nothing.
func TestSinkAllocs(t *testing.T) {
	w, err := OpenRun(t.TempDir(), "000007", Tables, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	rs := genRowSet(1, 1, 1, 1)
	for range 5 * batchRows * maxBatches {
		w.Message(&rs.messages[0])
		w.Packet(&rs.packets[0])
	}
	allocs := testing.AllocsPerRun(20_000, func() {
		w.Message(&rs.messages[0])
		w.Device(&rs.devices[0])
		w.Connection(&rs.connections[0])
		w.Packet(&rs.packets[0])
	})
	if allocs != 0 {
		t.Errorf("%v allocations per row", allocs)
	}
}

// TestBoundedMemory: the live heap while writing does not grow with the
// number of rows (row groups are flushed, batches recycled) and stays small
// (measured ~18 MiB: batches, one row group of pages, one zstd encoder; with
// parquet.Zstd's pooled 8 MiB-window encoders it was ~50 MiB).
func TestBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 1.5M rows")
	}
	src := genMessages(1<<16, 9)
	w, err := OpenRun(t.TempDir(), "000008", []string{TableMessages}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	live := func() uint64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	base := live()
	var peak uint64
	const rows = 1_500_000
	for i := range rows {
		w.Message(&src[i&(1<<16-1)])
		if i%(1<<17) == 1<<16 {
			l := live()
			peak = max(peak, l-min(base, l))
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("peak live heap above baseline while writing %d rows: %.1f MiB", rows, float64(peak)/(1<<20))
	if peak > 36<<20 {
		t.Errorf("live heap grew by %d MiB", peak>>20)
	}
}

// plainStringColumns are the string columns written without a dictionary
// because their values are nearly unique within a row group.
var plainStringColumns = map[string]bool{
	"messages.src":       true,
	"devices.node":       true,
	"connections.client": true,
	"packets.link":       true,
	"packets.src":        true,
	"packets.dst":        true,
}

// TestReadRunsOlderFile: a runs table without some float columns (written
// by an older build) reads them as NaN, not 0, so summaries and reports say
// n/a instead of a measured zero.
func TestReadRunsOlderFile(t *testing.T) {
	type oldRow struct {
		RunID         string  `parquet:"run_id"`
		DeliveryRatio float64 `parquet:"delivery_ratio"`
	}
	path := filepath.Join(t.TempDir(), "runs.parquet")
	if err := parquet.WriteFile(path, []oldRow{{"000000", 0.5}}); err != nil {
		t.Fatal(err)
	}
	got, err := ReadRuns(path)
	if err != nil || len(got) != 1 {
		t.Fatalf("ReadRuns = %v, %v", got, err)
	}
	r := got[0]
	if r.RunID != "000000" || r.DeliveryRatio != 0.5 {
		t.Errorf("present columns read as %q, %v", r.RunID, r.DeliveryRatio)
	}
	for _, name := range []string{"visibility_p50_ms", "transmissions_per_msg", "energy_per_delivered_mj"} {
		if v := MetricValue(&r, name); !math.IsNaN(v) {
			t.Errorf("%s absent from the file reads as %v; want NaN", name, v)
		}
	}
}
