package output

import (
	"fmt"
	"os"
	"sync/atomic"

	"github.com/parquet-go/parquet-go"
)

// record is what a table's on-disk record type must do: fill itself from
// the run's row (the Sink's row type R).
type record[R, P any] interface {
	*P
	set(runID string, r *R)
}

// tableFile streams the rows of one table of one run into one Parquet file.
//
// The producer (the run's goroutine) appends copies of rows to batch and,
// every layout.batchRows rows, hands the batch to the encoder goroutine over
// full and takes an empty one from free (or makes one, up to
// layout.maxBatches; past that it waits for the encoder). The encoder turns
// each batch into records and writes them with one GenericWriter.Write, so
// what reaches parquet-go — hence every byte of the file — depends on the
// rows only.
type tableFile[R, P any, PP record[R, P]] struct {
	runID string
	path  string // final path
	tmp   string // temporary path, renamed to path by RunWriter.Close
	l     layout

	// Producer side.
	batch    []R
	nbatches int   // batches made so far
	rows     int64 // rows accepted
	finished bool  // finish was called: rows are dropped

	full chan []R // to the encoder; closed by finish
	free chan []R // back from the encoder
	done chan struct{}

	stop atomic.Bool // abort: the encoder writes nothing more

	// Encoder side; err is read by others only after done is closed.
	f    *os.File
	pw   *parquet.GenericWriter[P]
	recs []P
	err  error
}

// newTableFile makes a tableFile's pipeline, without file or encoder.
func newTableFile[R, P any, PP record[R, P]](l layout) *tableFile[R, P, PP] {
	return &tableFile[R, P, PP]{
		l:        l,
		full:     make(chan []R, l.maxBatches),
		free:     make(chan []R, l.maxBatches),
		done:     make(chan struct{}),
		nbatches: 1, // batch, grown by append from nil
	}
}

func openTable[R, P any, PP record[R, P]](name, path, runID string, meta map[string]string, l layout) (*tableFile[R, P, PP], error) {
	f, tmp, err := createTemp(path)
	if err != nil {
		return nil, err
	}
	var zero P
	t := newTableFile[R, P, PP](l)
	t.runID, t.path, t.tmp, t.f = runID, path, tmp, f
	t.pw = parquet.NewGenericWriter[P](f, writerOptions(name, parquet.SchemaOf(zero), meta, l)...)
	go t.encodeLoop()
	return t, nil
}

// add copies r into the current batch.
func (t *tableFile[R, P, PP]) add(r *R) {
	if t.finished {
		return
	}
	t.batch = append(t.batch, *r)
	t.rows++
	if len(t.batch) >= t.l.batchRows {
		t.handOff()
	}
}

func (t *tableFile[R, P, PP]) handOff() {
	t.full <- t.batch
	select {
	case b := <-t.free:
		t.batch = b
	default:
		if t.nbatches < t.l.maxBatches {
			t.nbatches++
			t.batch = make([]R, 0, t.l.batchRows)
		} else {
			t.batch = <-t.free
		}
	}
}

// finish hands over the last batch and tells the encoder there is no more.
// With abort, the encoder drops what it has not written and leaves the
// temporary file incomplete (the caller removes it).
func (t *tableFile[R, P, PP]) finish(abort bool) {
	if t.finished {
		return
	}
	t.finished = true
	if abort {
		t.stop.Store(true)
	} else if len(t.batch) > 0 {
		t.full <- t.batch
	}
	t.batch = nil
	close(t.full)
}

// wait waits for the encoder to end and returns its error.
func (t *tableFile[R, P, PP]) wait() error {
	<-t.done
	return t.err
}

func (t *tableFile[R, P, PP]) encodeLoop() {
	defer close(t.done)
	for b := range t.full {
		if t.err == nil && !t.stop.Load() {
			t.err = t.encode(b)
		}
		t.free <- b[:0] // never blocks: at most maxBatches batches exist
	}
	if t.err == nil && !t.stop.Load() {
		if err := t.pw.Close(); err != nil { // row group, footer, buffer
			t.err = fmt.Errorf("output: writing %s: %w", t.path, err)
		}
	}
	if err := t.f.Close(); err != nil && t.err == nil {
		t.err = fmt.Errorf("output: %w", err)
	}
}

func (t *tableFile[R, P, PP]) encode(b []R) error {
	if cap(t.recs) < len(b) {
		t.recs = make([]P, len(b))
	}
	recs := t.recs[:len(b)]
	for i := range b {
		PP(&recs[i]).set(t.runID, &b[i])
	}
	if _, err := t.pw.Write(recs); err != nil {
		return fmt.Errorf("output: writing %s: %w", t.path, err)
	}
	return nil
}
