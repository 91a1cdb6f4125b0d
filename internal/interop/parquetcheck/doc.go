// Package parquetcheck holds no code, only a test: it reads every table of a
// real output folder with an independent Parquet reader (Apache Arrow's Go
// implementation, not the parquet-go library that writes the files) and
// checks the output contract of spec/output.md — column names, physical and
// logical types, real NULLs in the nullable columns, param.* columns that
// round-trip with their types and values, and row counts that agree with
// experiments/output's own readers.
//
// It sits outside the import layers (internal/archtest exempts
// internal/interop): nothing imports it, and its test depends on the top of
// the tree (experiments) and on Arrow, a test-only dependency.
package parquetcheck
