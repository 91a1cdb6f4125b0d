package workload

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/iotsim/iotsim/sim"
)

// Statistical checks use fixed seeds and a tolerance of 5 standard errors of
// the statistic for the sample size, so they are deterministic and would
// fail by chance with probability below 1e-6 for other seeds.
const zTol = 5

func stream(i int) sim.Stream {
	return sim.NewStream(42, fmt.Sprintf("sensor-%d", i), "workload")
}

// within fails the test if |got − want| > zTol·se.
func within(t *testing.T, what string, got, want, se float64) {
	t.Helper()
	if d := math.Abs(got - want); d > zTol*se {
		t.Errorf("%s = %.6g; want %.6g ± %.3g (%d SE = %.3g, off by %.1f SE)",
			what, got, want, zTol*se, zTol, se, d/se)
	}
}

func TestSourceSize(t *testing.T) {
	var s Source
	if n := unsafe.Sizeof(s); n > 48 {
		t.Errorf("unsafe.Sizeof(Source{}) = %d; want ≤ 48", n)
	}
	t.Logf("unsafe.Sizeof(Source{}) = %d bytes", unsafe.Sizeof(s))
}

func TestKindNames(t *testing.T) {
	for _, k := range []Kind{None, Periodic, Poisson, Threshold} {
		got, err := ParseKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v; want %v, nil", k.String(), got, err, k)
		}
	}
	if _, err := ParseKind("burst"); err == nil || !strings.Contains(err.Error(), "periodic") {
		t.Errorf("ParseKind(\"burst\") error = %v; want one listing the valid kinds", err)
	}
	if s := Kind(9).String(); s != "Kind(9)" {
		t.Errorf("Kind(9).String() = %q; want \"Kind(9)\"", s)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		p    Params
		want string // substring of the error; "" means valid
	}{
		{Params{}, ""},
		{Params{Kind: Periodic, Interval: time.Minute, Jitter: 5 * time.Second, Payload: 64}, ""},
		{Params{Kind: Periodic, Interval: time.Minute, Jitter: time.Minute}, ""},
		{Params{Kind: Periodic}, "interval"},
		{Params{Kind: Periodic, Interval: time.Second, Jitter: 2 * time.Second}, "jitter"},
		{Params{Kind: Periodic, Interval: time.Second, Jitter: -1}, "jitter"},
		{Params{Kind: Poisson, Rate: 1.0 / 60}, ""},
		{Params{Kind: Poisson}, "rate"},
		{Params{Kind: Poisson, Rate: math.NaN()}, "rate"},
		{Params{Kind: Poisson, Rate: math.Inf(1)}, "rate"},
		{Params{Kind: Threshold, Check: 10 * time.Second, P: 0.02}, ""},
		{Params{Kind: Threshold, Check: 10 * time.Second, P: 0}, ""},
		{Params{Kind: Threshold, Check: 10 * time.Second, P: 1}, ""},
		{Params{Kind: Threshold, P: 0.5}, "check"},
		{Params{Kind: Threshold, Check: time.Second, P: 1.5}, "p ="},
		{Params{Kind: Threshold, Check: time.Second, P: math.NaN()}, "p ="},
		{Params{Kind: Periodic, Interval: time.Second, Payload: -1}, "payload"},
		{Params{Kind: 7}, "kind"},
	}
	for _, tt := range tests {
		err := tt.p.Validate()
		if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%+v.Validate() = %v; want error containing %q", tt.p, err, tt.want)
		}
		if tt.p.valid() != (err == nil) {
			t.Errorf("%+v: valid() = %v but Validate() = %v", tt.p, tt.p.valid(), err)
		}
	}
}

func TestNoneAndInvalidSendNothing(t *testing.T) {
	for _, p := range []*Params{
		nil,
		{Kind: None, Interval: time.Second},
		{Kind: Periodic}, // invalid: no interval
		{Kind: Poisson, Rate: -1},
		{Kind: Threshold, Check: time.Second, P: 0},
	} {
		s := NewSource(p, stream(0), 0)
		for i := 0; i < 3; i++ {
			if at, ok := s.Next(); ok {
				t.Errorf("params %+v: Next() = %v, true; want false", p, at)
			}
		}
	}
	var zero Source
	if _, ok := zero.Next(); ok {
		t.Error("zero Source: Next() ok = true; want false")
	}
}

func TestPeriodicExact(t *testing.T) {
	p := &Params{Kind: Periodic, Interval: 60 * time.Second}
	start := sim.Time(7 * time.Second)
	s := NewSource(p, stream(0), start)
	for k := 0; k < 1000; k++ {
		at, ok := s.Next()
		want := start + sim.Time(k)*sim.Time(p.Interval)
		if !ok || at != want {
			t.Fatalf("send %d: Next() = %v, %v; want %v, true", k, at, ok, want)
		}
	}
}

func TestPeriodicJitter(t *testing.T) {
	p := &Params{Kind: Periodic, Interval: 60 * time.Second, Jitter: 5 * time.Second}
	start := sim.Time(3 * time.Second)
	s := NewSource(p, stream(1), start)
	const n = 100000
	var sum float64
	prev := sim.Time(-1)
	for k := 0; k < n; k++ {
		at, ok := s.Next()
		slot := start + sim.Time(k)*sim.Time(p.Interval)
		if !ok || at < slot || at >= slot.Add(p.Jitter) {
			t.Fatalf("send %d: Next() = %v, %v; want in [%v, %v)", k, at, ok, slot, slot.Add(p.Jitter))
		}
		if at <= prev {
			t.Fatalf("send %d at %v is not after the previous one at %v", k, at, prev)
		}
		prev = at
		sum += float64(at - slot)
	}
	j := float64(p.Jitter)
	within(t, "mean jitter offset (ns)", sum/n, j/2, j/math.Sqrt(12*n))
}

func TestPeriodicJitterEqualsInterval(t *testing.T) {
	p := &Params{Kind: Periodic, Interval: time.Second, Jitter: time.Second}
	s := NewSource(p, stream(2), 0)
	prev := sim.Time(-1)
	for k := 0; k < 100000; k++ {
		at, _ := s.Next()
		if at <= prev {
			t.Fatalf("send %d at %v is not after the previous one at %v", k, at, prev)
		}
		prev = at
	}
}

func TestPoissonGaps(t *testing.T) {
	const rate = 2.0 // per second
	p := &Params{Kind: Poisson, Rate: rate}
	start := sim.Time(time.Minute)
	s := NewSource(p, stream(3), start)
	const n = 100000
	mean := 1e9 / rate // ns
	var sum float64
	var above int
	prev := start
	for i := 0; i < n; i++ {
		at, ok := s.Next()
		if !ok || at < prev {
			t.Fatalf("send %d: Next() = %v, %v; want ≥ %v", i, at, ok, prev)
		}
		gap := float64(at - prev)
		sum += gap
		if gap > mean {
			above++
		}
		prev = at
	}
	within(t, "mean gap (ns)", sum/n, mean, mean/math.Sqrt(n))
	// Exponential shape: P(gap > mean) = 1/e.
	pe := math.Exp(-1)
	within(t, "fraction of gaps above the mean", float64(above)/n, pe, math.Sqrt(pe*(1-pe)/n))
}

// TestPoissonCounts checks that the number of sends in a window of length T
// has mean and variance rate·T across independent devices, as a Poisson
// process must.
func TestPoissonCounts(t *testing.T) {
	const rate = 1.0 / 60 // per second: "1/min"
	const window = 20 * time.Minute
	p := &Params{Kind: Poisson, Rate: rate}
	lambda := rate * window.Seconds() // 20
	const devices = 4000
	counts := make([]float64, devices)
	for i := range counts {
		start := sim.Time(i) * sim.Time(time.Second) // starts differ; counts are per own window
		s := NewSource(p, stream(i), start)
		end := start.Add(window)
		for {
			at, ok := s.Next()
			if !ok || at >= end {
				break
			}
			counts[i]++
		}
	}
	var mean, m2 float64
	for _, c := range counts {
		mean += c
	}
	mean /= devices
	for _, c := range counts {
		m2 += (c - mean) * (c - mean)
	}
	variance := m2 / (devices - 1)
	within(t, "mean count in window", mean, lambda, math.Sqrt(lambda/devices))
	// Var(sample variance) ≈ (μ4 − σ⁴)/n with μ4 = λ(1+3λ), σ² = λ for a Poisson count.
	within(t, "variance of count in window", variance, lambda, math.Sqrt((lambda+2*lambda*lambda)/devices))
}

func TestThreshold(t *testing.T) {
	const pFire = 0.02
	p := &Params{Kind: Threshold, Check: 10 * time.Second, P: pFire}
	start := sim.Time(90 * time.Second)
	s := NewSource(p, stream(4), start)
	const checks = 2000000
	end := start + sim.Time(checks)*sim.Time(p.Check) // last check included
	var fired, adjacent float64
	last := int64(0)
	for {
		at, ok := s.Next()
		if !ok {
			t.Fatal("Next() ok = false before the end")
		}
		if at > end {
			break
		}
		off := int64(at - start)
		if off <= 0 || off%int64(p.Check) != 0 {
			t.Fatalf("send at %v is not on the check grid start + k·%v, k ≥ 1", at, p.Check)
		}
		k := off / int64(p.Check)
		if k <= last {
			t.Fatalf("check %d fired after check %d", k, last)
		}
		if k == last+1 && last > 0 {
			adjacent++
		}
		fired++
		last = k
	}
	within(t, "fraction of checks that fire", fired/checks, pFire, math.Sqrt(pFire*(1-pFire)/checks))
	// Memorylessness: after a firing check, the next check fires with probability p.
	within(t, "P(next check fires | this one fired)", adjacent/(fired-1), pFire, math.Sqrt(pFire*(1-pFire)/(fired-1)))
}

func TestThresholdAlwaysAndNever(t *testing.T) {
	p := &Params{Kind: Threshold, Check: 10 * time.Second, P: 1}
	st := stream(5)
	s := NewSource(p, st, 0)
	for k := 1; k <= 1000; k++ {
		at, ok := s.Next()
		if want := sim.Time(k) * sim.Time(p.Check); !ok || at != want {
			t.Fatalf("P = 1, check %d: Next() = %v, %v; want %v, true", k, at, ok, want)
		}
	}
	if s.stream != st {
		t.Error("P = 1 drew from the stream; want no draws")
	}
	never := NewSource(&Params{Kind: Threshold, Check: time.Second, P: 0}, stream(5), 0)
	if at, ok := never.Next(); ok {
		t.Errorf("P = 0: Next() = %v, true; want false", at)
	}
}

func TestDeterminism(t *testing.T) {
	params := []*Params{
		{Kind: Periodic, Interval: time.Minute, Jitter: 5 * time.Second},
		{Kind: Poisson, Rate: 0.5},
		{Kind: Threshold, Check: time.Second, P: 0.1},
	}
	for _, p := range params {
		a := NewSource(p, stream(6), 1000)
		b := NewSource(p, stream(6), 1000)
		c := NewSource(p, stream(7), 1000)
		differ := false
		for i := 0; i < 1000; i++ {
			ta, oka := a.Next()
			tb, okb := b.Next()
			tc, _ := c.Next()
			if ta != tb || oka != okb {
				t.Fatalf("%v: send %d: same stream gave %v and %v", p.Kind, i, ta, tb)
			}
			differ = differ || ta != tc
		}
		if !differ {
			t.Errorf("%v: streams of sensor-6 and sensor-7 gave identical times", p.Kind)
		}
	}
}

func TestExhaustionAtNever(t *testing.T) {
	near := sim.Never - sim.Time(3*time.Hour)
	tests := []*Params{
		{Kind: Periodic, Interval: time.Hour},
		{Kind: Poisson, Rate: 1.0 / 3600},
		{Kind: Threshold, Check: time.Hour, P: 0.5},
	}
	for _, p := range tests {
		s := NewSource(p, stream(8), near)
		n := 0
		prev := sim.Time(0)
		for ; n < 1000; n++ {
			at, ok := s.Next()
			if !ok {
				break
			}
			if at < prev || at >= sim.Never {
				t.Fatalf("%v: send %d at %v after %v", p.Kind, n, at, prev)
			}
			prev = at
		}
		if n == 1000 {
			t.Errorf("%v: still sending near sim.Never", p.Kind)
		}
		if _, ok := s.Next(); ok {
			t.Errorf("%v: Next() ok = true after exhaustion", p.Kind)
		}
	}
	// A huge gap from a tiny rate or probability ends the source instead of overflowing.
	for _, p := range []*Params{
		{Kind: Poisson, Rate: 1e-12},
		{Kind: Threshold, Check: time.Hour, P: 1e-300},
	} {
		s := NewSource(p, stream(9), 0)
		for i := 0; i < 10; i++ {
			at, ok := s.Next()
			if ok && (at < 0 || at >= sim.Never) {
				t.Errorf("%v: Next() = %v, true; want a time in [0, Never) or false", p.Kind, at)
			}
		}
	}
}

func TestStartTime(t *testing.T) {
	st := stream(10)
	before := st
	if got := StartTime(5*time.Second, 0, &st); got != sim.Time(5*time.Second) {
		t.Errorf("StartTime(5s, 0) = %v; want 5s", got)
	}
	if st != before {
		t.Error("StartTime with ramp 0 drew from the stream")
	}

	const n = 100000
	start, ramp := 10*time.Second, 2*time.Minute
	var sum float64
	var bins [10]float64
	for i := 0; i < n; i++ {
		s := stream(i)
		at := StartTime(start, ramp, &s)
		off := at.Sub(sim.Time(start))
		if off < 0 || off >= ramp {
			t.Fatalf("device %d: StartTime = %v; want in [%v, %v)", i, at, start, start+ramp)
		}
		sum += float64(off)
		bins[int64(off)*10/int64(ramp)]++
	}
	r := float64(ramp)
	within(t, "mean start offset (ns)", sum/n, r/2, r/math.Sqrt(12*n))
	for i, c := range bins {
		within(t, fmt.Sprintf("fraction of starts in decile %d", i), c/n, 0.1, math.Sqrt(0.1*0.9/n))
	}
}

func TestNextAllocatesNothing(t *testing.T) {
	for _, p := range []*Params{
		{Kind: Periodic, Interval: time.Second, Jitter: time.Millisecond},
		{Kind: Poisson, Rate: 10},
		{Kind: Threshold, Check: time.Second, P: 0.3},
	} {
		s := NewSource(p, stream(11), 0)
		if a := testing.AllocsPerRun(1000, func() { s.Next() }); a != 0 {
			t.Errorf("%v: Next allocates %v times per call; want 0", p.Kind, a)
		}
	}
}

func BenchmarkNext(b *testing.B) {
	for _, p := range []*Params{
		{Kind: Periodic, Interval: time.Minute, Jitter: 5 * time.Second},
		{Kind: Poisson, Rate: 1.0 / 60},
		{Kind: Threshold, Check: 10 * time.Second, P: 0.02},
	} {
		b.Run(p.Kind.String(), func(b *testing.B) {
			s := NewSource(p, stream(12), 0)
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := s.Next(); !ok {
					s = NewSource(p, stream(12), 0)
				}
			}
		})
	}
}
