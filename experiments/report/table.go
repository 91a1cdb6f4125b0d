package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable prints one line per point: its parameters, its runs, and every
// metric as mean ± half-width of the 95 % CI over replications ("n/a" where
// the folder has no such column or no run measured it).
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"point"}
	for _, p := range r.Params {
		head = append(head, p.Path)
	}
	head = append(head, "runs")
	for _, m := range Metrics {
		head = append(head, m.Label)
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, p := range r.Points {
		cells := []string{fmt.Sprint(p.Index)}
		for j := range r.Params {
			v := "null"
			if j < len(p.Params) {
				v = formatValue(p.Params[j].Value)
			}
			cells = append(cells, v)
		}
		cells = append(cells, fmt.Sprint(len(p.Runs)))
		for m := range numMetrics {
			c := "n/a"
			if r.Present[m] {
				c = cell(m, p.Stats[m])
			}
			cells = append(cells, c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	return tw.Flush()
}
