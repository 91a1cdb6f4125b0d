package experiments

import (
	"bytes"
	"runtime"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/iotsim/iotsim/experiments/config"
)

// Manifest is manifest.json: the resolved experiment, versions, and the
// wall-clock figures that must never enter a data file.
type Manifest struct {
	Tool             string        `json:"tool"`
	Version          string        `json:"version"`
	GoVersion        string        `json:"go_version"`
	File             string        `json:"file"`
	ExperimentSHA256 string        `json:"experiment_sha256"`
	PlanSHA256       string        `json:"plan_sha256"` // see PlanHash; a resume must match it
	Sets             []string      `json:"sets,omitempty"`
	Experiment       any           `json:"experiment"` // resolved, with defaults, keyed as in TOML
	Text             string        `json:"experiment_text"`
	Runs             []ManifestRun `json:"runs"`
	Finished         string        `json:"finished_utc"`
	WallSeconds      float64       `json:"wall_seconds"`
	Workers          int           `json:"workers"`
}

// ManifestRun is one run in the manifest.
type ManifestRun struct {
	RunID       string  `json:"run_id"`
	Seed        int64   `json:"seed"`
	Point       int     `json:"point"`
	Rep         int     `json:"rep"`
	Params      []any   `json:"params,omitempty"`
	WallSeconds float64 `json:"wall_seconds"`
	Events      int64   `json:"events"`
	Skipped     bool    `json:"skipped,omitempty"` // complete before this invocation (resume)
}

func manifest(runs []Run, results []Result, hash string, opts Options, wall time.Duration) Manifest {
	m := Manifest{
		Tool:             "iotsim",
		Version:          Version,
		GoVersion:        runtime.Version(),
		File:             opts.File,
		ExperimentSHA256: experimentHash(opts.Text),
		PlanSHA256:       hash,
		Sets:             opts.Sets,
		Experiment:       resolvedTree(runs[0].Exp),
		Text:             string(opts.Text),
		Finished:         time.Now().UTC().Format(time.RFC3339),
		WallSeconds:      wall.Seconds(),
		Workers:          opts.Workers,
	}
	for i, r := range runs {
		mr := ManifestRun{RunID: r.ID, Seed: r.Seed, Point: r.Point, Rep: r.Rep,
			WallSeconds: results[i].Wall.Seconds(), Events: results[i].Info.Events, Skipped: results[i].Skipped}
		for _, p := range r.Params {
			mr.Params = append(mr.Params, map[string]any{"path": p.Path, "value": p.Value})
		}
		m.Runs = append(m.Runs, mr)
	}
	return m
}

// resolvedTree is the resolved experiment keyed by its TOML names (not Go
// field names), with every default filled in, for the manifest.
func resolvedTree(e *config.Experiment) any {
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(e); err != nil {
		return map[string]string{"error": err.Error()}
	}
	var tree map[string]any
	if _, err := toml.Decode(buf.String(), &tree); err != nil {
		return map[string]string{"error": err.Error()}
	}
	return tree
}
