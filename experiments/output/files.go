package output

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"

	"github.com/parquet-go/parquet-go"
)

// File layout shared by every Parquet file this package writes. Changing
// RowGroupRows, DictionaryMaxBytes or CreatedBy changes the bytes of output
// files (see the golden hashes in testdata/); batchRows and maxBatches only
// change timing and memory.
const (
	// RowGroupRows is the most rows in one Parquet row group. Row groups
	// are cut at multiples of it, so the writer's memory stays bounded
	// whatever the number of rows (a row group is buffered, compressed,
	// until it is complete).
	RowGroupRows = 128 * 1024

	// DictionaryMaxBytes bounds each string column's dictionary within a
	// row group; past it the rest of the row group is plain-encoded.
	DictionaryMaxBytes = 1 << 20

	// CreatedBy is written as the files' created_by, instead of
	// parquet-go's default that embeds build information.
	CreatedBy = "iotsim"

	// batchRows is how many rows the producer hands the encoder at a time.
	// parquet-go (v0.32.0) checks whether a page is full every 64 rows
	// counted from the start of each Write call, so batches (and row
	// groups) must be multiples of 64 rows, or page boundaries — hence the
	// bytes — would depend on how rows were batched. Measured: batches of
	// 100 or 1000 rows change the file; 64, 448, 4096 do not.
	batchRows = 4096

	// maxBatches bounds the batches of one table in memory at once
	// (filling, queued, encoding); the producer waits when all are busy.
	// With 4, a 100,000-device run stalled whenever the encoder paused (a
	// row group's compression, GC): 6.6–8.0 s instead of 6.5 s. With 32,
	// two sweep workers held 20 MB of queued rows each and the sweep
	// benchmark ran 20 % slower. 8 measured as good as 32 for the first
	// and as 4 for the second.
	maxBatches = 8
)

// layout holds the knobs tests turn to vary batching and force several row
// groups with few rows.
type layout struct {
	batchRows    int
	rowGroupRows int64
	maxBatches   int
}

var defaultLayout = layout{batchRows: batchRows, rowGroupRows: RowGroupRows, maxBatches: maxBatches}

// writerOptions are the parquet-go options of every file: schema name,
// fixed created_by, zstd everywhere, bounded row groups and dictionaries, and
// meta as key-value metadata (parquet-go writes it sorted by key). Each call
// makes a new codec: one zstd encoder per file.
func writerOptions(name string, schema parquet.Node, meta map[string]string, l layout) []parquet.WriterOption {
	opts := []parquet.WriterOption{
		parquet.NewSchema(name, schema),
		&parquet.WriterConfig{CreatedBy: CreatedBy},
		parquet.Compression(new(zstdCodec)),
		parquet.MaxRowsPerRowGroup(cmp.Or(l.rowGroupRows, RowGroupRows)),
		parquet.DictionaryMaxBytes(DictionaryMaxBytes),
	}
	for k, v := range meta { // order does not matter: the writer sorts keys
		opts = append(opts, parquet.KeyValueMetadata(k, v))
	}
	return opts
}

// tempPath is where the file that will be renamed to path is written: a
// hidden name in the same folder (so the rename is atomic and globs such as
// OUT/messages/*/*.parquet never see it), e.g. ".part-0.parquet.tmp".
func tempPath(path string) string {
	dir, base := filepath.Split(path)
	return filepath.Join(dir, "."+base+".tmp")
}

// createTemp creates (or truncates) the temporary file for path, making its
// folder if needed.
func createTemp(path string) (*os.File, string, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, "", fmt.Errorf("output: %w", err)
	}
	tmp := tempPath(path)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		os.Remove(filepath.Dir(path)) // only if we left it empty
		return nil, "", fmt.Errorf("output: %w", err)
	}
	return f, tmp, nil
}

// writeAtomic creates path's temporary file, lets write fill it, closes it
// and renames it to path. On any error the temporary file is removed and path
// is left as it was.
func writeAtomic(path string, write func(f *os.File) error) (err error) {
	f, tmp, err := createTemp(path)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if err = write(f); err != nil {
		f.Close()
		return err
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	return nil
}
