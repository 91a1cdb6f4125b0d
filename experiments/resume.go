package experiments

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/iotsim/iotsim/experiments/output"
	"github.com/iotsim/iotsim/metrics"
)

// Resuming a sweep. A run is complete when its completion record
// OUT/_runs/<run_id>.gob exists and every requested per-run table file
// (OUT/<table>/run=<run_id>/part-0.parquet) exists. The record is written
// under a temporary name and renamed into place only after every table file
// of the run was renamed into place, so it is the last trace a run leaves.
// It holds the run's measured runs-table row, so runs.parquet can be written
// with a row for every run, including runs skipped on resume, and with the
// same bytes as without the resume. It also holds the plan hash (PlanHash):
// a folder whose records or manifests name another plan is refused.

// DoneDir is the folder, inside an output folder, of the completion records.
// Its leading underscore keeps it out of Spark/Hive-style partition
// discovery; the spec's globs (OUT/<table>/*/*.parquet) never reach it.
const DoneDir = "_runs"

// doneFormat is the version of doneRecord's encoding.
const doneFormat = 1

// doneRecord is a completion record: gob-encoded, so every field of
// metrics.RunRow is kept exactly (NaN included) whatever columns the runs
// table has.
type doneRecord struct {
	Format     int
	PlanSHA256 string
	RunID      string // the run's seed is in the plan the hash names
	Row        metrics.RunRow
}

// MismatchError says an output folder holds results of another plan
// (another experiment, seed, override or version); resuming into it would
// mix them.
type MismatchError struct {
	Dir, File  string // the folder and the file that named the other plan
	Want, Have string // plan hashes: this invocation's and the folder's ("" if not recorded)
}

func (e *MismatchError) Error() string {
	have := e.Have
	if have == "" {
		have = "none recorded"
	} else {
		have = short(have)
	}
	return fmt.Sprintf("%s holds results of a different experiment, seed or version (%s has plan %s, this run is plan %s); "+
		"choose another --out folder or delete it to start over", e.Dir, e.File, have, short(e.Want))
}

func short(h string) string { return h[:min(len(h), 12)] }

// PlanHash identifies a whole plan (every run of a sweep, before sharding):
// the program version and, per run, its id, point, replication, seed and
// resolved experiment (as TOML, output.dir excluded, so a folder can be moved
// or given with --out). Runs of one invocation and of every shard of the same
// sweep share it; another file, seed, --set or version changes it. It is a
// hex SHA-256.
func PlanHash(runs []Run) string {
	h := sha256.New()
	io.WriteString(h, "iotsim plan v1\n"+Version+"\n")
	lastPoint := -1
	for _, r := range runs {
		if r.Point != lastPoint {
			lastPoint = r.Point
			e := *r.Exp
			e.Output.Dir = ""
			fmt.Fprintf(h, "point %d\n", r.Point)
			if err := toml.NewEncoder(h).Encode(&e); err != nil {
				fmt.Fprintf(h, "unencodable: %v\n", err)
			}
		}
		fmt.Fprintf(h, "run %s %d %d %d\n", r.ID, r.Point, r.Rep, r.Seed)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// donePath is the completion record of run id in dir.
func donePath(dir, id string) string { return filepath.Join(dir, DoneDir, id+".gob") }

// writeDone writes run's completion record through a temporary file renamed
// into place.
func writeDone(dir, hash string, run Run, row metrics.RunRow) error {
	var buf bytes.Buffer
	rec := doneRecord{Format: doneFormat, PlanSHA256: hash, RunID: run.ID, Row: row}
	if err := gob.NewEncoder(&buf).Encode(&rec); err != nil {
		return err
	}
	return output.WriteFile(donePath(dir, run.ID), buf.Bytes())
}

// completedRuns checks that dir holds no results of another plan than hash
// and returns the runs of runs that are complete there, by index, as
// results (Skipped set). A record that cannot be read counts as absent: its
// run is executed again and the record overwritten.
func completedRuns(dir, hash string, runs []Run, tables []string) (map[int]Result, error) {
	if err := checkManifests(dir, hash); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(filepath.Join(dir, DoneDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	records := map[string]doneRecord{}
	for _, e := range entries {
		name := e.Name()
		id, ok := strings.CutSuffix(name, ".gob")
		if !ok || strings.HasPrefix(name, ".") || e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, DoneDir, name))
		if err != nil {
			return nil, err
		}
		var rec doneRecord
		if gob.NewDecoder(bytes.NewReader(b)).Decode(&rec) != nil || rec.Format != doneFormat || rec.RunID != id {
			continue
		}
		if rec.PlanSHA256 != hash {
			return nil, &MismatchError{Dir: dir, File: filepath.Join(DoneDir, name), Want: hash, Have: rec.PlanSHA256}
		}
		records[id] = rec
	}
	done := map[int]Result{}
	for i, r := range runs {
		rec, ok := records[r.ID]
		if !ok || !tablesPresent(dir, r.ID, tables) {
			continue
		}
		done[i] = Result{Info: runInfo(r, rec.Row), Skipped: true}
	}
	return done, nil
}

// tablesPresent says whether every requested per-run table file of run id
// is in place.
func tablesPresent(dir, id string, tables []string) bool {
	for _, t := range tables {
		if t == output.TableRuns {
			continue
		}
		if _, err := os.Stat(output.RunPath(dir, t, id)); err != nil {
			return false
		}
	}
	return true
}

// checkManifests refuses a folder whose manifest.json or manifest-IofN.json
// records another plan (or none: a folder written before plans were
// recorded).
func checkManifests(dir, hash string) error {
	files, err := filepath.Glob(filepath.Join(dir, "manifest*.json"))
	if err != nil {
		return err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var m struct {
			PlanSHA256 string `json:"plan_sha256"`
		}
		if json.Unmarshal(b, &m) != nil || m.PlanSHA256 != hash {
			return &MismatchError{Dir: dir, File: filepath.Base(f), Want: hash, Have: m.PlanSHA256}
		}
	}
	return nil
}

// runInfo is the runs-table row of run with its measured part row.
func runInfo(run Run, row metrics.RunRow) output.RunInfo {
	return output.RunInfo{
		RunID:      run.ID,
		Experiment: run.Exp.Name,
		Seed:       run.Seed,
		Point:      int32(run.Point),
		Rep:        int32(run.Rep),
		Params:     run.Params,
		RunRow:     row,
	}
}

// shardFile matches the run-level files of one shard.
var shardFile = regexp.MustCompile(`^(runs-[0-9]+of[0-9]+\.parquet|manifest-[0-9]+of[0-9]+\.json)$`)

// removeShardFiles removes the runs-IofN.parquet and manifest-IofN.json
// files of dir.
func removeShardFiles(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() && shardFile.MatchString(e.Name()) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}
