package report

import (
	"fmt"
	"html/template"
	"io"
	"strings"
)

// figure is a rendered plot, or why it is missing.
type figure struct {
	SVG    template.HTML
	Legend []legendEntry
	Note   string
}

// tableData is a table of the page: header cells and rows of cells.
type tableData struct {
	Head []string
	Rows [][]tableCell
}

type tableCell struct {
	Text  string
	Title string // tooltip: the CI bounds
	NA    bool
}

// section is a titled group of figures.
type section struct {
	ID, Title, Intro string
	Figures          []figure
	Notes            []string
}

type pageData struct {
	R           *Report
	Reps        string
	Params      [][2]string
	Scorecard   tableData
	Summary     tableData
	Sections    []section
	Missing     []string
	LatencyNote string
}

// WriteHTML writes the report as one self-contained HTML page: CSS inline,
// plots as inline SVG, no scripts and no external resources.
func (r *Report) WriteHTML(w io.Writer) error {
	d := pageData{R: r, Reps: r.repsText()}
	for _, p := range r.Params {
		vals := make([]string, len(p.Values))
		for i, v := range p.Values {
			vals[i] = formatValue(v)
		}
		d.Params = append(d.Params, [2]string{p.Path, strings.Join(vals, ", ")})
	}
	d.Scorecard = r.table(Scorecard)
	d.Summary = r.table([]int{MDelivery, MInOrder, MLatencyP50, MLatencyP95, MLatencyP99, MTransmissionsPerMsg, MEnergyPerDelivered})
	for _, m := range Scorecard {
		if !r.Present[m] {
			d.Missing = append(d.Missing, Metrics[m].Key)
		}
	}

	swept := len(r.swept()) > 0
	noSweep := "No parameter was swept: see the tables for the single point."
	metricSection := func(id, title, intro string, m int, yLabel string) section {
		s := section{ID: id, Title: title, Intro: intro}
		switch {
		case !r.Present[m]:
			s.Notes = append(s.Notes, fmt.Sprintf("n/a: this folder has no %s.", Metrics[m].Key))
		case !swept:
			s.Notes = append(s.Notes, noSweep)
		default:
			for _, c := range r.metricCharts(m, yLabel) {
				s.Figures = append(s.Figures, render(c))
			}
		}
		return s
	}
	d.Sections = append(d.Sections, metricSection("delivery", "Delivery ratio",
		"Unique deliveries ÷ expected, mean over replications with 95 % confidence intervals (Student's t); one line per configuration of the other swept parameters.",
		MDelivery, "delivery ratio"))

	lat := section{ID: "latency", Title: "Latency CDFs",
		Intro: "Distribution of the latency of delivered messages; each line mixes the replications of one point, weighted by their delivered messages."}
	if r.Latencies {
		charts, omitted := r.cdfCharts()
		for _, c := range charts {
			lat.Figures = append(lat.Figures, render(c))
		}
		if omitted > 0 {
			lat.Notes = append(lat.Notes, fmt.Sprintf("%d more configuration(s) not drawn (at most %d plots).", omitted, maxCDFCharts))
		}
		if r.Sampled > 0 {
			lat.Notes = append(lat.Notes, fmt.Sprintf("%d run(s) had more than %d messages: their latencies were read from every k-th row (k = ⌈rows ÷ %d⌉).", r.Sampled, r.MaxRows, r.MaxRows))
		}
	} else {
		lat.Notes = append(lat.Notes, "n/a: the messages table was not written (or not read).")
	}
	d.Sections = append(d.Sections, lat)
	d.Sections = append(d.Sections, metricSection("transmissions", "Transmissions per message",
		"Transmissions of a message (first sends and retransmissions) per message and receiver, mean per point.",
		MTransmissionsPerMsg, "transmissions per message"))
	d.Sections = append(d.Sections, metricSection("energy", "Energy per delivered message",
		"Energy of all devices ÷ delivered messages, in millijoules, mean per point.",
		MEnergyPerDelivered, "energy per delivered message (mJ)"))
	return page.Execute(w, d)
}

func render(c chart) figure {
	svg, legend, err := c.svg()
	switch {
	case err != nil:
		return figure{Note: "not drawn: " + err.Error()}
	case svg == "":
		return figure{Note: c.title + ": no values to plot."}
	}
	return figure{SVG: svg, Legend: legend}
}

// repsText is the replication count per point, or its range.
func (r *Report) repsText() string {
	lo, hi := 0, 0
	for i, p := range r.Points {
		n := len(p.Runs)
		if i == 0 || n < lo {
			lo = n
		}
		if n > hi {
			hi = n
		}
	}
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d–%d", lo, hi)
}

// table is one row per point: the point, its parameters, its runs, then the
// given metrics as mean ± CI half-width.
func (r *Report) table(metrics []int) tableData {
	t := tableData{Head: []string{"point"}}
	for _, p := range r.Params {
		t.Head = append(t.Head, p.Path)
	}
	t.Head = append(t.Head, "runs")
	for _, m := range metrics {
		t.Head = append(t.Head, Metrics[m].Key)
	}
	for _, p := range r.Points {
		row := []tableCell{{Text: fmt.Sprint(p.Index)}}
		for j := range r.Params {
			v := "null"
			if j < len(p.Params) {
				v = formatValue(p.Params[j].Value)
			}
			row = append(row, tableCell{Text: v})
		}
		row = append(row, tableCell{Text: fmt.Sprint(len(p.Runs))})
		for _, m := range metrics {
			s := p.Stats[m]
			c := tableCell{Text: cell(m, s), NA: !r.Present[m] || s.N == 0}
			if !r.Present[m] {
				c.Text = "n/a"
			}
			if s.N >= 2 {
				c.Title = fmt.Sprintf("95%% CI [%s, %s], n=%d", fmtNum(s.Lo, Metrics[m].Percent), fmtNum(s.Hi, Metrics[m].Percent), s.N)
			}
			row = append(row, c)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>iotsim report: {{.R.Name}}</title>
<style>
body { font-family: sans-serif; margin: 1.5em auto; max-width: 1100px; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f0f0f0; }
td { white-space: nowrap; }
td.na { color: #999; }
.scroll { overflow-x: auto; }
ul.legend { list-style: none; margin: 0.3em 0 0 0; padding: 0; font-size: 0.85em; max-width: 520px; }
ul.legend li { display: inline-block; margin-right: 1.2em; }
svg.thumb { width: 24px; height: 10px; margin-right: 0.4em; vertical-align: middle; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dl.meta dt { font-weight: bold; }
dl.meta dd { margin: 0; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; }
svg.plot { width: 520px; max-width: 100%; height: auto; border: 1px solid #eee; }
p.note { color: #666; font-style: italic; }
</style>
</head>
<body>
<header>
<h1>{{.R.Name}}</h1>
{{with .R.Description}}<p class="description">{{.}}</p>{{end}}
<dl class="meta">
<dt>seed</dt><dd>{{if .R.HasSeed}}{{.R.Seed}}{{else}}n/a{{end}}</dd>
<dt>runs</dt><dd>{{len .R.Runs}}</dd>
<dt>points</dt><dd>{{len .R.Points}}</dd>
<dt>replications per point</dt><dd>{{.Reps}}</dd>
{{with .R.Version}}<dt>iotsim version</dt><dd>{{.}}</dd>{{end}}
<dt>swept parameters</dt><dd>{{if .Params}}{{range $i, $p := .Params}}{{if $i}}; {{end}}<code>{{index $p 0}}</code> = {{index $p 1}}{{end}}{{else}}none{{end}}</dd>
</dl>
</header>

<section id="scorecard">
<h2>Reliability scorecard</h2>
<p>The five requirements of source document 000 per point: mean ± half-width of the 95 % confidence interval over replications (hover for the bounds); n/a where a run does not measure it.</p>
{{with .Missing}}<p class="note">Not in this folder's runs table: {{range $i, $m := .}}{{if $i}}, {{end}}<code>{{$m}}</code>{{end}}.</p>{{end}}
{{template "table" .Scorecard}}
</section>

<section id="summary">
<h2>Per-point summary</h2>
{{template "table" .Summary}}
</section>

{{range .Sections}}
<section id="{{.ID}}">
<h2>{{.Title}}</h2>
<p>{{.Intro}}</p>
<div class="figures">
{{range .Figures}}<figure>{{if .SVG}}{{.SVG}}{{with .Legend}}<figcaption><ul class="legend">{{range .}}<li>{{.Thumb}}{{.Label}}</li>{{end}}</ul></figcaption>{{end}}{{else}}<p class="note">{{.Note}}</p>{{end}}</figure>
{{end}}</div>
{{range .Notes}}<p class="note">{{.}}</p>
{{end}}</section>
{{end}}
</body>
</html>
{{define "table"}}<div class="scroll"><table>
<thead><tr>{{range .Head}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range .}}<td{{if .NA}} class="na"{{end}}{{with .Title}} title="{{.}}"{{end}}>{{.Text}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>{{end}}
`))
