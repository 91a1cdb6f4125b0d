package report

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Plot size in points (1/72 in); the page scales the SVGs to its width.
const (
	plotWidth  = 480
	plotHeight = 320
)

// series is one line of a plot: points (x, y) with optional CI bounds (NaN
// for no bar).
type series struct {
	label  string
	x, y   []float64
	lo, hi []float64
}

// add appends a point unless y is not a number.
func (s *series) add(x float64, st Stat) {
	if math.IsNaN(st.Mean) || math.IsInf(st.Mean, 0) || math.IsNaN(x) {
		return
	}
	s.x = append(s.x, x)
	s.y = append(s.y, st.Mean)
	s.lo = append(s.lo, st.Lo)
	s.hi = append(s.hi, st.Hi)
}

// xys adapts a series to gonum's XYer.
type xys struct{ s *series }

func (a xys) Len() int                    { return len(a.s.x) }
func (a xys) XY(i int) (float64, float64) { return a.s.x[i], a.s.y[i] }

// errs are the points of a series that have a CI, as gonum's XYer+YErrorer.
type errs struct{ x, y, lo, hi []float64 }

func (e errs) Len() int                        { return len(e.x) }
func (e errs) XY(i int) (float64, float64)     { return e.x[i], e.y[i] }
func (e errs) YError(i int) (float64, float64) { return e.y[i] - e.lo[i], e.hi[i] - e.y[i] }

// chart is what one plot shows.
type chart struct {
	title, xLabel, yLabel string
	categories            []string // x tick labels at 0, 1, …; nil for a numeric axis
	logX                  bool
	noMarkers             bool // lines only: CDFs have hundreds of points
	series                []series
}

// legendEntry is one line of a plot's legend, laid out by the page in
// HTML: gonum measures text with its own fonts, so a legend inside the SVG
// is clipped or overlaps the lines once the browser substitutes another
// font. The thumbnail (line style and marker) is a small SVG drawn by gonum.
type legendEntry struct {
	Label string
	Thumb template.HTML
}

// svg renders c as an SVG element (no XML prologue) for inline use, with
// its legend. gonum
// plot panics on some degenerate inputs (a log axis over non-positive
// values, for instance); that is turned into an error so a bad folder never
// takes the report down.
func (c *chart) svg() (out template.HTML, legend []legendEntry, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("plot %q: %v", c.title, r)
		}
	}()
	p := plot.New()
	p.Title.Text = c.title
	p.X.Label.Text = c.xLabel
	p.Y.Label.Text = c.yLabel
	p.Add(plotter.NewGrid())
	if c.categories != nil {
		ticks := make([]plot.Tick, len(c.categories))
		for i, l := range c.categories {
			ticks[i] = plot.Tick{Value: float64(i), Label: l}
		}
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
		p.X.Min, p.X.Max = -0.5, float64(len(c.categories))-0.5
	}
	if c.logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	drawn := 0
	for i, s := range c.series {
		if len(s.x) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(xys{&s})
		if err != nil {
			return "", nil, fmt.Errorf("plot %q: %w", c.title, err)
		}
		// Past the palette, the colours repeat with another dash pattern.
		line.Color = plotutil.Color(i)
		line.Dashes = plotutil.Dashes(i / len(plotutil.DefaultColors))
		line.Width = vg.Points(1.5)
		points.Color = plotutil.Color(i)
		points.Shape = plotutil.Shape(i)
		p.Add(line)
		if !c.noMarkers {
			p.Add(points)
		}
		if s.label != "" {
			thumb, err := thumbnail(line, points, !c.noMarkers)
			if err != nil {
				return "", nil, err
			}
			legend = append(legend, legendEntry{s.label, thumb})
		}
		var e errs
		for k := range s.x {
			if !math.IsNaN(s.lo[k]) && !math.IsNaN(s.hi[k]) {
				e.x = append(e.x, s.x[k])
				e.y = append(e.y, s.y[k])
				e.lo = append(e.lo, s.lo[k])
				e.hi = append(e.hi, s.hi[k])
			}
		}
		if e.Len() > 0 {
			bars, err := plotter.NewYErrorBars(e)
			if err != nil {
				return "", nil, fmt.Errorf("plot %q: %w", c.title, err)
			}
			bars.Color = plotutil.Color(i)
			p.Add(bars)
		}
		drawn++
	}
	if drawn == 0 {
		return "", nil, nil
	}
	if c.categories == nil && !c.logX {
		padX(p)
	}
	canvas := vgsvg.New(vg.Points(plotWidth), vg.Points(plotHeight))
	p.Draw(draw.New(canvas))
	svg, err := inline(canvas, `class="plot" role="img"`)
	return svg, legend, err
}

// thumbnail draws a legend entry's line (and marker) as a small SVG.
func thumbnail(line *plotter.Line, points *plotter.Scatter, markers bool) (template.HTML, error) {
	canvas := vgsvg.New(vg.Points(24), vg.Points(10))
	dc := draw.New(canvas)
	line.Thumbnail(&dc)
	if markers {
		points.Thumbnail(&dc)
	}
	return inline(canvas, `class="thumb" aria-hidden="true"`)
}

// inline is the canvas as an <svg> element with the given attributes, for
// use inside HTML: the XML declaration and comment gonum writes before it
// mean nothing there.
func inline(canvas *vgsvg.Canvas, attrs string) (template.HTML, error) {
	var b bytes.Buffer
	if _, err := canvas.WriteTo(&b); err != nil {
		return "", err
	}
	s := b.String()
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	s = strings.Replace(s, "<svg ", "<svg "+attrs+" ", 1)
	return template.HTML(s), nil
}

// padX widens a numeric x axis by 4 % on each side so the markers and error
// bars at the extremes are not cut in half.
func padX(p *plot.Plot) {
	span := p.X.Max - p.X.Min
	if span <= 0 {
		span = math.Max(math.Abs(p.X.Min), 1)
	}
	p.X.Min -= 0.04 * span
	p.X.Max += 0.04 * span
}
