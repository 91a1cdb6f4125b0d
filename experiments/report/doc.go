// Package report turns a finished output folder into something people can
// look at: per-point statistics over replications (mean and Student's t 95 %
// confidence interval), a terminal table, and one self-contained HTML page
// whose plots are inline SVG drawn with gonum.org/v1/plot.
//
// It only reads what experiments/output wrote — runs*.parquet, manifest*.json
// and the per-run messages files — and never writes into the folder (the
// `iotsim report` command writes summary.parquet there, through
// experiments.EnsureSummary). Columns
// are looked up by name at read time, so a folder written by an older version
// (without the scorecard columns, say) reads, and what is missing shows as
// "n/a". Memory is bounded per run, not per message: see Options.
package report
