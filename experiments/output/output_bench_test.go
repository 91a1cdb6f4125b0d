package output

import (
	"os"
	"testing"
	"unsafe"

	"github.com/iotsim/iotsim/metrics"
	"github.com/parquet-go/parquet-go"
)

// benchRows is how many distinct rows the benchmarks cycle through.
const benchRows = 1 << 16

// BenchmarkMessages is the whole path of the messages table as a run uses
// it: OpenRun, one Message call per row (the caller's goroutine), encoding on
// the writer's goroutine, Close (last row group, footer, rename). One op is
// one row; rows/s is wall-clock throughput with both goroutines running.
func BenchmarkMessages(b *testing.B) {
	src := genMessages(benchRows, 1)
	dir := b.TempDir()
	b.ReportAllocs()
	b.ResetTimer()
	w, err := OpenRun(dir, "000001", []string{TableMessages}, nil)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		w.Message(&src[i&(benchRows-1)])
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	st, err := os.Stat(RunPath(dir, TableMessages, "000001"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(st.Size())/float64(b.N), "B/row")
}

// countingWriter counts bytes and drops them.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// BenchmarkMessagesEncode is the encoder's share alone, on one goroutine:
// rows to records to parquet-go's GenericWriter (zstd, dictionaries), the
// bytes counted and dropped. This is what the writer's goroutine must keep
// below the simulator's time per row.
func BenchmarkMessagesEncode(b *testing.B) {
	src := genMessages(benchRows, 1)
	cw := new(countingWriter)
	var zero messageRecord
	pw := parquet.NewGenericWriter[messageRecord](cw, writerOptions(TableMessages, parquet.SchemaOf(zero), nil, defaultLayout)...)
	recs := make([]messageRecord, batchRows)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		recs[n].set("000001", &src[i&(benchRows-1)])
		if n++; n == len(recs) {
			if _, err := pw.Write(recs); err != nil {
				b.Fatal(err)
			}
			n = 0
		}
	}
	if _, err := pw.Write(recs[:n]); err != nil {
		b.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(cw.n)/float64(b.N), "B/row")
}

// BenchmarkMessagesEncodeColumnAPI is the alternative that was measured and
// not chosen: parquet-go's lower-level API, one []parquet.Value per column
// written with ColumnWriter.WriteRowValues and explicit definition levels
// for NULLs. Same file settings, same rows; about half the speed of the
// GenericWriter path (whose per-column writers copy straight out of the
// records).
func BenchmarkMessagesEncodeColumnAPI(b *testing.B) {
	src := genMessages(benchRows, 1)
	cw := new(countingWriter)
	var zero messageRecord
	pw := parquet.NewWriter(cw, writerOptions(TableMessages, parquet.SchemaOf(zero), nil, defaultLayout)...)
	cols := pw.ColumnWriters()
	vals := make([][]parquet.Value, len(cols))
	for i := range vals {
		vals[i] = make([]parquet.Value, 0, batchRows)
	}
	str := func(s string) parquet.Value {
		return parquet.ByteArrayValue(unsafe.Slice(unsafe.StringData(s), len(s)))
	}
	put := func(c int, v parquet.Value, def int) { vals[c] = append(vals[c], v.Level(0, def, c)) }
	flush := func() {
		for c := range vals {
			if _, err := cols[c].WriteRowValues(vals[c]); err != nil {
				b.Fatal(err)
			}
			vals[c] = vals[c][:0]
		}
	}
	var inGroup int64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := &src[i&(benchRows-1)]
		put(0, str("000001"), 0)
		put(1, parquet.Int64Value(r.MsgID), 0)
		put(2, str(r.Src), 0)
		put(3, str(r.Dst), 0)
		put(4, str(r.Group), 0)
		put(5, str(r.Protocol), 0)
		put(6, parquet.Int32Value(r.QoS), 0)
		put(7, str(r.TopicOrPath), 0)
		put(8, parquet.Int64Value(r.Seq), 0)
		put(9, parquet.Int32Value(r.PayloadBytes), 0)
		put(10, parquet.Int64Value(r.SentNs), 0)
		if r.Delivered {
			put(11, parquet.Int64Value(r.DeliveredNs), 1)
			put(12, parquet.DoubleValue(r.LatencyMs), 1)
		} else {
			put(11, parquet.NullValue(), 0)
			put(12, parquet.NullValue(), 0)
		}
		put(13, parquet.BooleanValue(r.Delivered), 0)
		put(14, parquet.Int32Value(r.Copies), 0)
		put(15, parquet.BooleanValue(r.InOrder), 0)
		put(16, parquet.Int32Value(r.Transmissions), 0)
		put(17, parquet.BooleanValue(r.Recovered), 0)
		if len(vals[0]) == batchRows {
			flush()
		}
		if inGroup++; inGroup == RowGroupRows {
			flush()
			if err := pw.Flush(); err != nil {
				b.Fatal(err)
			}
			inGroup = 0
		}
	}
	flush()
	if err := pw.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(cw.n)/float64(b.N), "B/row")
}

// BenchmarkSinkMessage is the caller's share alone: one Message call — the
// copy into the batch and, every batchRows rows, the hand-over — with an
// encoder that only hands batches back. This is what the simulator's
// goroutine pays per row.
func BenchmarkSinkMessage(b *testing.B) {
	src := genMessages(benchRows, 1)
	t := newTableFile[metrics.MessageRow, messageRecord](defaultLayout)
	go func() {
		for batch := range t.full {
			t.free <- batch[:0]
		}
		close(t.done)
	}()
	w := &RunWriter{messages: t}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.Message(&src[i&(benchRows-1)])
	}
	b.StopTimer()
	t.finish(false)
	<-t.done
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
