package experiments

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/iotsim/iotsim/experiments/output"
)

// WriteSummary prints one line per run: what was sent and delivered, order,
// latency percentiles and energy. Sweeps with many runs print the first
// maxRows and say how many were left out.
func WriteSummary(w io.Writer, infos []output.RunInfo, maxRows int) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := []string{"run", "point", "rep", "seed"}
	var paramPaths []string
	if len(infos) > 0 {
		for _, p := range infos[0].Params {
			paramPaths = append(paramPaths, p.Path)
		}
	}
	header = append(header, paramPaths...)
	header = append(header, "sent", "expected", "delivered", "delivery", "in order", "dups",
		"p50 ms", "p95 ms", "p99 ms", "energy J", "mJ/deliv", "events")
	fmt.Fprintln(tw, strings.Join(header, "\t")+"\t")
	for i, r := range infos {
		if maxRows > 0 && i == maxRows {
			fmt.Fprintf(tw, "… %d more runs\t\n", len(infos)-maxRows)
			break
		}
		cells := []string{r.RunID, fmt.Sprint(r.Point), fmt.Sprint(r.Rep), fmt.Sprint(r.Seed)}
		for _, p := range r.Params {
			cells = append(cells, fmt.Sprint(p.Value))
		}
		cells = append(cells,
			fmt.Sprint(r.MsgsSent), fmt.Sprint(r.MsgsExpected), fmt.Sprint(r.MsgsDelivered),
			pct(r.DeliveryRatio), pct(r.InOrderRatio), fmt.Sprint(r.Duplicates),
			num(r.LatencyP50Ms), num(r.LatencyP95Ms), num(r.LatencyP99Ms),
			num(r.EnergyJ), num(r.EnergyPerDeliveredMJ), fmt.Sprint(r.Events))
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	return tw.Flush()
}

func pct(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", 100*x)
}

func num(x float64) string {
	switch {
	case math.IsNaN(x):
		return "-"
	case x != 0 && math.Abs(x) < 0.01:
		return fmt.Sprintf("%.2g", x)
	case math.Abs(x) < 1000:
		return fmt.Sprintf("%.2f", x)
	default:
		return fmt.Sprintf("%.0f", x)
	}
}

// ReadRunsDir reads the runs table(s) of an output folder: runs.parquet, or
// the runs-<I>of<N>.parquet files of a sharded sweep, merged in run order.
func ReadRunsDir(dir string) ([]output.RunInfo, error) {
	// A merged folder's runs.parquet has every run; shard tables may still
	// be there (a shard re-run after the merge writes its own again).
	files := []string{filepath.Join(dir, "runs.parquet")}
	if _, err := os.Stat(files[0]); err != nil {
		files, err = filepath.Glob(filepath.Join(dir, "runs-*of*.parquet"))
		if err != nil {
			return nil, err
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no runs.parquet (is this an iotsim output folder, and did the run finish?)", dir)
	}
	var all []output.RunInfo
	for _, f := range files {
		infos, err := output.ReadRuns(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		all = append(all, infos...)
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].RunID < all[b].RunID })
	// Shards of two splittings of one plan (1of2 and 1of3) share runs.
	return slices.CompactFunc(all, func(a, b output.RunInfo) bool { return a.RunID == b.RunID }), nil
}

// RunInfo is one row of the runs table.
type RunInfo = output.RunInfo
