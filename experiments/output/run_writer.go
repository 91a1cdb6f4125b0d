package output

import (
	"errors"
	"fmt"
	"github.com/iotsim/iotsim/experiments/config"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/iotsim/iotsim/metrics"
)

// Table names, as in spec/output.md and the folder names under OUT; the
// experiment schema owns them.
const (
	TableRuns        = config.TableRuns
	TableMessages    = config.TableMessages
	TableDevices     = config.TableDevices
	TableConnections = config.TableConnections
	TablePackets     = config.TablePackets
)

// Tables lists every table name, in the order of spec/output.md.
var Tables = config.AllTables

// RunPath is where the rows of one table of one run go:
// dir/<table>/run=<runID>/part-0.parquet.
func RunPath(dir, table, runID string) string {
	return filepath.Join(dir, table, "run="+runID, "part-0.parquet")
}

// fileCloser is the table-independent face of a tableFile.
type fileCloser interface {
	finish(abort bool)
	wait() error
	paths() (tmp, final string)
}

func (t *tableFile[R, P, PP]) paths() (tmp, final string) { return t.tmp, t.path }

// RunWriter writes the per-run tables of one run (messages, devices,
// connections, packets — those requested) and is that run's metrics.Sink.
//
// Row methods copy the row and return; rows of tables that were not
// requested are dropped. Encoding happens on one goroutine per file. A
// RunWriter belongs to the goroutine of its run: its methods, Close and Abort
// included, must not be called concurrently. Write errors are sticky and
// reported by Close. Rows given after Close or Abort are dropped.
type RunWriter struct {
	messages    *tableFile[metrics.MessageRow, messageRecord, *messageRecord]
	devices     *tableFile[metrics.DeviceRow, deviceRecord, *deviceRecord]
	connections *tableFile[metrics.ConnectionRow, connectionRecord, *connectionRecord]
	packets     *tableFile[metrics.PacketRow, packetRecord, *packetRecord]

	files    []fileCloser // the open tables, in Tables order
	done     bool
	closeErr error
}

var _ metrics.Sink = (*RunWriter)(nil)

// OpenRun creates the temporary files of the requested per-run tables of run
// runID under dir (see RunPath) and starts their encoders. "runs" in tables
// is ignored (see WriteRuns); an unknown name is an error. meta becomes the
// key-value metadata of every file. Every requested file is written by Close,
// even with zero rows.
func OpenRun(dir, runID string, tables []string, meta map[string]string) (*RunWriter, error) {
	return openRun(dir, runID, tables, meta, defaultLayout)
}

func openRun(dir, runID string, tables []string, meta map[string]string, l layout) (*RunWriter, error) {
	if l.batchRows <= 0 || l.batchRows%64 != 0 || l.rowGroupRows <= 0 || l.rowGroupRows%64 != 0 || l.maxBatches < 1 {
		panic(fmt.Sprintf("output: bad layout %+v: batches and row groups must be multiples of 64 rows", l))
	}
	if runID == "" || runID == "." || runID == ".." || strings.ContainsAny(runID, `/\`) {
		return nil, fmt.Errorf("output: invalid run id %q", runID)
	}
	for _, t := range tables {
		if !slices.Contains(Tables, t) {
			return nil, fmt.Errorf("output: unknown table %q (valid: %s)", t, strings.Join(Tables, ", "))
		}
	}
	w := new(RunWriter)
	var err error
	for _, table := range Tables {
		if table == TableRuns || !slices.Contains(tables, table) {
			continue
		}
		path := RunPath(dir, table, runID)
		switch table {
		case TableMessages:
			w.messages, err = openTable[metrics.MessageRow, messageRecord](table, path, runID, meta, l)
			if err == nil {
				w.files = append(w.files, w.messages)
			}
		case TableDevices:
			w.devices, err = openTable[metrics.DeviceRow, deviceRecord](table, path, runID, meta, l)
			if err == nil {
				w.files = append(w.files, w.devices)
			}
		case TableConnections:
			w.connections, err = openTable[metrics.ConnectionRow, connectionRecord](table, path, runID, meta, l)
			if err == nil {
				w.files = append(w.files, w.connections)
			}
		case TablePackets:
			w.packets, err = openTable[metrics.PacketRow, packetRecord](table, path, runID, meta, l)
			if err == nil {
				w.files = append(w.files, w.packets)
			}
		}
		if err != nil {
			w.Abort()
			return nil, err
		}
	}
	return w, nil
}

// Message copies r into the messages table.
func (w *RunWriter) Message(r *metrics.MessageRow) {
	if w.messages != nil {
		w.messages.add(r)
	}
}

// Device copies r into the devices table.
func (w *RunWriter) Device(r *metrics.DeviceRow) {
	if w.devices != nil {
		w.devices.add(r)
	}
}

// Connection copies r into the connections table.
func (w *RunWriter) Connection(r *metrics.ConnectionRow) {
	if w.connections != nil {
		w.connections.add(r)
	}
}

// Packet copies r into the packets table.
func (w *RunWriter) Packet(r *metrics.PacketRow) {
	if w.packets != nil {
		w.packets.add(r)
	}
}

// Rows returns how many rows table has been given so far (0 for a table that
// was not requested).
func (w *RunWriter) Rows(table string) int64 {
	switch {
	case table == TableMessages && w.messages != nil:
		return w.messages.rows
	case table == TableDevices && w.devices != nil:
		return w.devices.rows
	case table == TableConnections && w.connections != nil:
		return w.connections.rows
	case table == TablePackets && w.packets != nil:
		return w.packets.rows
	}
	return 0
}

// Close writes the remaining rows and the files' footers, closes the files,
// then renames each temporary file into place. If any file failed, Close
// renames none, removes every temporary file and returns the first error
// (in table order). Calling Close again returns the same result.
func (w *RunWriter) Close() error {
	if w.done {
		return w.closeErr
	}
	w.done = true
	for _, f := range w.files {
		f.finish(false)
	}
	var errs []error
	for _, f := range w.files {
		if err := f.wait(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		w.removeTemps()
		w.closeErr = errs[0]
		return w.closeErr
	}
	for i, f := range w.files {
		tmp, final := f.paths()
		if err := os.Rename(tmp, final); err != nil {
			// Leave nothing of this run half there: undo the renames
			// already done, drop the temporary files not yet renamed.
			for _, g := range w.files[:i] {
				_, done := g.paths()
				os.Remove(done)
				os.Remove(filepath.Dir(done))
			}
			w.files = w.files[i:]
			w.removeTemps()
			w.closeErr = fmt.Errorf("output: %w", err)
			return w.closeErr
		}
	}
	return nil
}

// Abort stops the encoders and removes the temporary files, for a run that
// was interrupted: nothing of the run is left (run=<id> folders are removed
// when empty). Abort after Close does nothing.
func (w *RunWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.closeErr = errors.New("output: run writer aborted")
	for _, f := range w.files {
		f.finish(true)
	}
	for _, f := range w.files {
		f.wait()
	}
	w.removeTemps()
}

// removeTemps removes the temporary files of w.files and their run=<id>
// folders if that leaves them empty.
func (w *RunWriter) removeTemps() {
	for _, f := range w.files {
		tmp, _ := f.paths()
		os.Remove(tmp)
		os.Remove(filepath.Dir(tmp)) // fails, harmlessly, unless empty
	}
}
