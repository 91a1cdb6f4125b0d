package output

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/iotsim/iotsim/metrics"
	"github.com/parquet-go/parquet-go"
)

// The readers below load a whole per-run table file into memory; they serve
// tests and `iotsim report`. Columns are matched by name, so a file with
// extra columns reads; rows carry no run id (it is the file's run=<id>).

// ReadMessages reads a messages file.
func ReadMessages(path string) ([]metrics.MessageRow, error) {
	return readTable(path, (*messageRecord).row)
}

// ReadDevices reads a devices file.
func ReadDevices(path string) ([]metrics.DeviceRow, error) {
	return readTable(path, (*deviceRecord).row)
}

// ReadConnections reads a connections file.
func ReadConnections(path string) ([]metrics.ConnectionRow, error) {
	return readTable(path, (*connectionRecord).row)
}

// ReadPackets reads a packets file.
func ReadPackets(path string) ([]metrics.PacketRow, error) {
	return readTable(path, (*packetRecord).row)
}

func readTable[P, R any](path string, row func(*P) (string, R)) ([]R, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("output: reading %s: %w", path, err)
	}
	r := parquet.NewGenericReader[P](pf)
	defer r.Close()
	out := make([]R, 0, pf.NumRows())
	buf := make([]P, 1024)
	for {
		clear(buf) // the reader may keep pointers of earlier rows
		n, err := r.Read(buf)
		for i := range buf[:n] {
			_, x := row(&buf[i])
			out = append(out, x)
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("output: reading %s: %w", path, err)
		}
	}
}
