package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// maxCDFCharts bounds the latency-CDF plots of one page; the rest are
// counted, not drawn.
const maxCDFCharts = 12

// swept are the indices of the parameters that take more than one value:
// the ones worth an x axis.
func (r *Report) swept() []int {
	var js []int
	for j, p := range r.Params {
		if len(p.Values) > 1 {
			js = append(js, j)
		}
	}
	return js
}

// shortName is how a parameter is named in legends and titles: the last
// segment of its path, or the whole path when another swept parameter ends
// the same way.
func (r *Report) shortName(j int) string {
	path := r.Params[j].Path
	last := path[strings.LastIndex(path, ".")+1:]
	for k, q := range r.Params {
		if k != j && len(q.Values) > 1 && q.Path[strings.LastIndex(q.Path, ".")+1:] == last {
			return path
		}
	}
	return last
}

// key names a point by the values of the parameters js ("" for none).
func (r *Report) key(p *Point, js []int) string {
	parts := make([]string, 0, len(js))
	for _, j := range js {
		if j < len(p.Params) {
			parts = append(parts, r.shortName(j)+"="+formatValue(p.Params[j].Value))
		}
	}
	return strings.Join(parts, ", ")
}

// groupBy groups the points by their values of the parameters js, in order
// of first appearance.
func (r *Report) groupBy(js []int) (keys []string, groups [][]*Point) {
	index := map[string]int{}
	for i := range r.Points {
		p := &r.Points[i]
		k := r.key(p, js)
		g, ok := index[k]
		if !ok {
			g = len(keys)
			index[k] = g
			keys = append(keys, k)
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], p)
	}
	return keys, groups
}

// others is js without x.
func others(js []int, x int) []int {
	return slices.DeleteFunc(slices.Clone(js), func(j int) bool { return j == x })
}

// varies says whether parameter x varies on its own: grouping the points by
// every other swept parameter leaves lines of two points or more on
// average. In a grid every parameter does; in a zip sweep whose lists move
// together (QoS only with MQTT, say) the tied ones do not, and a plot
// against them would be lone markers.
func (r *Report) varies(x int, js []int) bool {
	keys, _ := r.groupBy(others(js, x))
	return len(r.Points) >= 2*len(keys)
}

// metricCharts plots metric m against each swept parameter that varies on
// its own, one line per configuration of the others, with CI error bars.
func (r *Report) metricCharts(m int, yLabel string) []chart {
	var charts []chart
	js := r.swept()
	for _, x := range js {
		if !r.varies(x, js) {
			continue
		}
		param := &r.Params[x]
		c := chart{
			title:  fmt.Sprintf("%s vs %s", yLabel, param.Path),
			xLabel: param.axisLabel(),
			yLabel: yLabel,
		}
		if param.kind == axisCategory {
			for _, v := range param.Values {
				c.categories = append(c.categories, formatValue(v))
			}
		}
		keys, groups := r.groupBy(others(js, x))
		for g, pts := range groups {
			s := series{label: keys[g]}
			pts = slices.Clone(pts)
			slices.SortStableFunc(pts, func(a, b *Point) int {
				return cmp.Compare(param.x(a.Params[x].Value), param.x(b.Params[x].Value))
			})
			for _, p := range pts {
				s.add(param.x(p.Params[x].Value), p.Stats[m])
			}
			c.series = append(c.series, s)
		}
		charts = append(charts, c)
	}
	return charts
}

// cdfCharts draws the latency CDFs. Each plot holds the conditions fixed —
// the numeric parameters that vary on their own, such as loss and delay
// levels — and its lines compare the configurations: the other parameters
// (protocol, QoS, …), or without any, the first condition. Each line mixes
// the runs of its point weighted by their delivered messages. omitted counts
// plots past maxCDFCharts.
func (r *Report) cdfCharts() (charts []chart, omitted int) {
	var lineBy, plotBy []int
	js := r.swept()
	for _, j := range js {
		if r.Params[j].kind != axisCategory && r.varies(j, js) {
			plotBy = append(plotBy, j)
		} else {
			lineBy = append(lineBy, j)
		}
	}
	if len(lineBy) == 0 && len(plotBy) > 0 {
		lineBy, plotBy = plotBy[:1], plotBy[1:]
	}
	keys, groups := r.groupBy(plotBy)
	for g, pts := range groups {
		if len(charts) == maxCDFCharts {
			omitted = len(groups) - g
			break
		}
		title := "latency CDF"
		if keys[g] != "" {
			title += ", " + keys[g]
		}
		c := chart{title: title, xLabel: "latency (ms)", yLabel: "fraction of delivered", noMarkers: true}
		for _, p := range pts {
			var parts [][]weighted
			for _, ri := range p.Runs {
				parts = append(parts, r.Runs[ri].latencies)
			}
			c.series = append(c.series, cdfSeries(r.key(p, lineBy), parts))
		}
		c.logX = wantLog(c.series)
		charts = append(charts, c)
	}
	return charts, omitted
}

func cdfSeries(label string, parts [][]weighted) series {
	s := series{label: label}
	s.x, s.y = cdf(parts...)
	s.lo, s.hi = make([]float64, len(s.x)), make([]float64, len(s.x))
	for i := range s.lo {
		s.lo[i], s.hi[i] = math.NaN(), math.NaN()
	}
	return s
}

// wantLog says whether latencies span enough decades for a log axis (and
// are all positive, which a log axis needs).
func wantLog(ss []series) bool {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range ss {
		for _, x := range s.x {
			lo, hi = min(lo, x), max(hi, x)
		}
	}
	return lo > 0 && hi/lo > 100
}

// cell formats a statistic as "mean ± half-width" ("n/a" with no value).
func cell(m int, s Stat) string {
	if s.N == 0 {
		return "n/a"
	}
	pct := Metrics[m].Percent
	out := fmtNum(s.Mean, pct)
	if !math.IsNaN(s.Lo) {
		out += " ±" + fmtNum(s.HalfWidth(), pct)
	}
	return out
}

// fmtNum prints a ratio as a percentage, or a number with about three
// significant digits.
func fmtNum(x float64, pct bool) string {
	switch {
	case math.IsNaN(x):
		return "n/a"
	case pct:
		return fmt.Sprintf("%.2f%%", 100*x)
	case x != 0 && math.Abs(x) < 0.01:
		return fmt.Sprintf("%.2g", x)
	case math.Abs(x) < 1000:
		return fmt.Sprintf("%.3g", x)
	}
	return fmt.Sprintf("%.0f", x)
}
