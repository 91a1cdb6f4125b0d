package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/iotsim/iotsim/experiments"
	"github.com/iotsim/iotsim/experiments/config"
	"github.com/iotsim/iotsim/experiments/output"
	"github.com/iotsim/iotsim/experiments/report"
	"github.com/urfave/cli/v2"
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run an experiment (every sweep point × replication) and write its tables",
		ArgsUsage: "[FILE.toml]  (default: the shipped quickstart experiment)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "output folder (default: output.dir of the file, else out/<name>)"},
			&cli.StringFlag{Name: "seed", Usage: "experiment seed, overriding the file's"},
			&cli.StringSliceFlag{Name: "set", Usage: "override one key: PATH=VALUE (repeatable)"},
			&cli.IntFlag{Name: "workers", Usage: "runs executed in parallel (default: number of CPUs)"},
			&cli.StringFlag{Name: "shard", Usage: "I/N: run only the runs whose index ≡ I−1 (mod N)"},
			&cli.BoolFlag{Name: "quiet", Usage: "no progress and no summary"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return usagef("run takes at most one experiment file, got %d arguments", c.NArg())
			}
			sets := c.StringSlice("set")
			if s := c.String("seed"); s != "" {
				if _, err := strconv.ParseInt(s, 10, 64); err != nil {
					return usagef("--seed %q: not an integer", s)
				}
				sets = append([]string{"seed=" + s}, sets...)
			}
			file, text, exp, runs, err := plan(c.Args().First(), sets)
			if err != nil {
				return err
			}
			opts := experiments.Options{
				Out:     exp.Output.Dir,
				Tables:  exp.Output.Tables,
				Workers: c.Int("workers"),
				File:    file,
				Text:    text,
				Sets:    c.StringSlice("set"),
				// Of the whole sweep, before sharding: every shard records
				// the same plan, so shards can share (and resume) one folder.
				PlanHash: experiments.PlanHash(runs),
			}
			if o := c.String("out"); o != "" {
				opts.Out = o
			}
			if opts.Workers < 0 {
				return usagef("--workers %d: must be 0 (one per CPU) or more", opts.Workers)
			}
			if sh := c.String("shard"); sh != "" {
				i, n, err := parseShard(sh)
				if err != nil {
					return err
				}
				runs = experiments.Shard(runs, i, n)
				opts.SetShard(i, n)
				if len(runs) == 0 {
					return usagef("--shard %s: this shard has no runs", sh)
				}
			}
			stderr := c.App.ErrWriter
			quiet := c.Bool("quiet")
			if !quiet && isTerminal(stderr) {
				opts.Progress = progressPrinter(stderr)
			}
			began := time.Now()
			results, err := experiments.Execute(c.Context, runs, opts)
			if opts.Progress != nil {
				fmt.Fprint(stderr, "\r\033[K")
			}
			if err != nil {
				return err
			}
			if quiet {
				return nil
			}
			return printRunSummary(c.App.Writer, results, opts.Out, time.Since(began))
		},
	}
}

func validateCommand() *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "check an experiment file; --list prints every run it expands to",
		ArgsUsage: "FILE.toml",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "list", Usage: "print every run: run id, point, replication, seed, parameters"},
			&cli.StringSliceFlag{Name: "set", Usage: "override one key: PATH=VALUE (repeatable)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("validate takes exactly one experiment file")
			}
			file, _, _, runs, err := plan(c.Args().First(), c.StringSlice("set"))
			if err != nil {
				return err
			}
			out := c.App.Writer
			if c.Bool("list") {
				for _, r := range runs {
					line := fmt.Sprintf("%s\tpoint=%d\trep=%d\tseed=%d", r.ID, r.Point, r.Rep, r.Seed)
					for _, p := range r.Params {
						line += fmt.Sprintf("\t%s=%v", p.Path, p.Value)
					}
					fmt.Fprintln(out, line)
				}
				return nil
			}
			fmt.Fprintf(out, "%s: ok (%d run(s))\n", file, len(runs))
			return nil
		},
	}
}

func reportCommand() *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     "summarise a finished output folder: per run, per point (mean ± 95 % CI), and optionally an HTML page with plots",
		ArgsUsage: "DIR",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "html", Usage: "also write one self-contained HTML page with plots to `FILE`"},
			&cli.IntFlag{Name: "latency-rows", Value: report.DefaultMaxLatencyRows,
				Usage: "most message rows per run whose latency is read for the CDFs (every k-th row beyond)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("report takes exactly one output folder")
			}
			if n := c.Int("latency-rows"); n < 1 {
				return usagef("--latency-rows %d: must be at least 1", n)
			}
			opts := report.Options{MaxLatencyRows: c.Int("latency-rows")}
			if c.String("html") == "" {
				opts.MaxLatencyRows = -1 // the tables need no latencies
			}
			r, err := report.Load(c.Args().First(), opts)
			if err != nil {
				return err
			}
			infos := make([]experiments.RunInfo, len(r.Runs))
			for i := range r.Runs {
				infos[i] = r.Runs[i].RunInfo
			}
			w := c.App.Writer
			// The report reads; summary.parquet is a by-product, so a folder
			// it cannot be written to (read-only, shards still missing) is
			// reported all the same, with a warning.
			if wrote, err := experiments.EnsureSummary(c.Args().First(), infos); err != nil {
				fmt.Fprintf(c.App.ErrWriter, "Warning: %s not written: %v\n", output.SummaryPath(c.Args().First()), err)
			} else if wrote {
				fmt.Fprintf(c.App.ErrWriter, "Wrote %s (from %d runs)\n", output.SummaryPath(c.Args().First()), len(infos))
			}
			if err := experiments.WriteSummary(w, infos, 0); err != nil {
				return err
			}
			fmt.Fprintf(w, "\nPer point: mean ± half-width of the 95 %% confidence interval over replications (n/a: not in this folder or not applicable)\n")
			if err := r.WriteTable(w); err != nil {
				return err
			}
			if file := c.String("html"); file != "" {
				var page bytes.Buffer
				if err := r.WriteHTML(&page); err != nil {
					return err
				}
				if err := output.WriteFile(file, page.Bytes()); err != nil { // whole or not at all
					return err
				}
				fmt.Fprintf(w, "\nWrote %s\n", file)
			}
			return nil
		},
	}
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version",
		Action: func(c *cli.Context) error {
			fmt.Fprintln(c.App.Writer, "iotsim", experiments.Version)
			return nil
		},
	}
}

// plan reads, loads and validates an experiment file ("" for the shipped
// default) with the given PATH=VALUE overrides, and expands it into runs.
func plan(name string, sets []string) (file string, text []byte, exp *config.Experiment, runs []experiments.Run, err error) {
	file, text, err = readExperiment(name)
	if err != nil {
		return
	}
	exp, src, err := config.Load(file, text, sets)
	if err != nil {
		return
	}
	runs, err = experiments.Plan(src, exp)
	return
}

// readExperiment reads the named file, or the shipped default when name is "".
func readExperiment(name string) (string, []byte, error) {
	if name == "" {
		text, _ := experiments.Example(experiments.DefaultExample)
		return "<" + experiments.DefaultExample + ".toml>", text, nil
	}
	text, err := os.ReadFile(name)
	if err != nil {
		return "", nil, usagef("%v", err)
	}
	return name, text, nil
}

func parseShard(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return 0, 0, usagef("--shard %q: want I/N with 1 ≤ I ≤ N, e.g. 2/8", s)
	}
	return i, n, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressPrinter shows progress on one terminal line, at most five times a
// second and only once a run has taken longer than a second.
func progressPrinter(w io.Writer) func(experiments.Progress) {
	var mu sync.Mutex
	var last time.Time
	return func(p experiments.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Elapsed < time.Second || time.Since(last) < 200*time.Millisecond {
			return
		}
		last = time.Now()
		rate := float64(p.Events) / p.Elapsed.Seconds()
		eta := "-"
		if p.RunsDone > 0 {
			left := time.Duration(float64(p.Elapsed) / float64(p.RunsDone) * float64(p.RunsTotal-p.RunsDone))
			eta = left.Round(time.Second).String()
		} else if p.SimNow > 0 {
			left := time.Duration(float64(p.Elapsed) * float64(p.SimEnd-p.SimNow) / float64(p.SimNow))
			eta = left.Round(time.Second).String()
		}
		fmt.Fprintf(w, "\r\033[Kruns %d/%d  sim %s/%s  %.2g events/s  ETA %s",
			p.RunsDone, p.RunsTotal, p.SimNow, p.SimEnd, rate, eta)
	}
}

func printRunSummary(w io.Writer, results []experiments.Result, out string, wall time.Duration) error {
	infos := make([]experiments.RunInfo, len(results))
	var events, delivered int64
	skipped := 0
	for i, r := range results {
		infos[i] = r.Info
		if r.Skipped {
			skipped++
			continue
		}
		events += r.Info.Events
		delivered += r.Info.MsgsDelivered
	}
	if err := experiments.WriteSummary(w, infos, 20); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d run(s) in %.2fs wall: %.3g events/s, %.3g delivered messages/s. Output: %s\n",
		len(results)-skipped, wall.Seconds(), float64(events)/wall.Seconds(), float64(delivered)/wall.Seconds(), out)
	if skipped > 0 {
		fmt.Fprintf(w, "Resumed: %d run(s) were already complete in %s and were not run again.\n", skipped, out)
	}
	fmt.Fprintf(w, "Summarise it again with: iotsim report %s\n", out)
	return nil
}
