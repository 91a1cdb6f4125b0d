package report

import (
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

// configKey names a point's configuration with respect to parameter x: the
// values of every other parameter.
func (r *Report) configKey(p *Point, x int) string {
	var parts []string
	for j, q := range p.Params {
		if j != x && j < len(r.Params) && len(r.Params[j].Values) > 1 {
			parts = append(parts, q.Path+"="+formatValue(q.Value))
		}
	}
	return strings.Join(parts, ", ")
}

// byConfig groups the points by configuration with respect to parameter x,
// in order of first appearance.
func (r *Report) byConfig(x int) (keys []string, groups [][]*Point) {
	index := map[string]int{}
	for i := range r.Points {
		p := &r.Points[i]
		k := r.configKey(p, x)
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

// metricCharts plots metric m against each swept parameter, one line per
// configuration of the others, with CI error bars.
func (r *Report) metricCharts(m int, yLabel string) []chart {
	var charts []chart
	for _, x := range r.swept() {
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
		keys, groups := r.byConfig(x)
		for g, pts := range groups {
			s := series{label: keys[g]}
			pts = slices.Clone(pts)
			slices.SortStableFunc(pts, func(a, b *Point) int {
				return cmpFloat(param.x(a.Params[x].Value), param.x(b.Params[x].Value))
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

// cdfCharts draws the latency CDFs: with swept parameters, one plot per
// configuration of all but the first swept one, one line per value of that
// one; without, one line over every run. Each line mixes the runs of its
// point weighted by their delivered messages. omitted counts plots past
// maxCDFCharts.
func (r *Report) cdfCharts() (charts []chart, omitted int) {
	js := r.swept()
	if len(js) == 0 {
		var parts [][]weighted
		for i := range r.Runs {
			parts = append(parts, r.Runs[i].latencies)
		}
		c := chart{title: "latency CDF, all runs", xLabel: "latency (ms)", yLabel: "fraction of delivered", noMarkers: true}
		c.series = append(c.series, cdfSeries("", parts))
		c.logX = wantLog(c.series)
		return []chart{c}, 0
	}
	x := js[0]
	keys, groups := r.byConfig(x)
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
			c.series = append(c.series, cdfSeries(r.Params[x].Path+"="+formatValue(p.Params[x].Value), parts))
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

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
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
