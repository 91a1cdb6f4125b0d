// Package experiments runs experiment files: it plans the runs of a loaded
// experiment (one per sweep point and replication, each with its derived
// seed), executes them over a pool of workers — each run single-threaded and
// deterministic — and writes the output folder: the per-run tables, the runs
// table and manifest.json.
//
// Loading and validating files lives in experiments/config, Parquet encoding
// in experiments/output; this package ties them to topologies and the
// kernel. It knows no protocol internals.
//
// The shipped example experiments (*.toml in this folder) are embedded, so
// `iotsim run` works without any file.
package experiments
