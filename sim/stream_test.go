package sim

import (
	"math"
	"slices"
	"testing"
	"time"
)

func draws(s Stream, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = s.Uint64()
	}
	return out
}

func TestStreamDerivation(t *testing.T) {
	base := draws(NewStream(42, "sensor-17", "workload"), 8)
	if again := draws(NewStream(42, "sensor-17", "workload"), 8); !slices.Equal(base, again) {
		t.Fatalf("same (seed, entity, purpose) gave %v, then %v", base, again)
	}
	others := []struct {
		name            string
		seed            uint64
		entity, purpose string
	}{
		{"seed", 43, "sensor-17", "workload"},
		{"entity", 42, "sensor-18", "workload"},
		{"purpose", 42, "sensor-17", "link"},
		{"swapped", 42, "workload", "sensor-17"},
		{"concatenation", 42, "sensor-17w", "orkload"},
		{"empty", 42, "", ""},
	}
	for _, o := range others {
		got := draws(NewStream(o.seed, o.entity, o.purpose), 8)
		if slices.Equal(got, base) {
			t.Errorf("%s: NewStream(%d, %q, %q) repeats the base stream", o.name, o.seed, o.entity, o.purpose)
		}
		for i := range got {
			if got[i] == base[i] {
				t.Errorf("%s: draw %d equals the base stream's", o.name, i)
			}
		}
	}
}

func TestStreamIsAValue(t *testing.T) {
	s := NewStream(1, "a", "b")
	c := s // copies continue independently from the same state
	if s.Uint64() != c.Uint64() {
		t.Error("a copied Stream does not repeat the original's next draw")
	}
}

func TestDeriveSeed(t *testing.T) {
	tests := []struct {
		a, b []uint64
		same bool
	}{
		{[]uint64{1, 2, 3}, []uint64{1, 2, 3}, true},
		{[]uint64{1, 2, 3}, []uint64{1, 3, 2}, false},
		{[]uint64{1, 2}, []uint64{1, 2, 0}, false},
		{[]uint64{1}, []uint64{2}, false},
	}
	for _, tt := range tests {
		a := DeriveSeed(tt.a[0], tt.a[1:]...)
		b := DeriveSeed(tt.b[0], tt.b[1:]...)
		if (a == b) != tt.same {
			t.Errorf("DeriveSeed%v = %#x, DeriveSeed%v = %#x; want equal = %v", tt.a, a, tt.b, b, tt.same)
		}
	}
}

// TestStreamMeans checks sample means against the distributions' means, with
// a tolerance of five standard errors of the mean (fixed seeds, so the test
// is deterministic; a correct generator fails with probability ~6e-7).
func TestStreamMeans(t *testing.T) {
	const n = 200_000
	tests := []struct {
		name     string
		draw     func(s *Stream) float64
		mean, sd float64 // of one draw
		lo, hi   float64 // every draw in [lo, hi)
	}{
		{"Float64", (*Stream).Float64, 0.5, math.Sqrt(1.0 / 12), 0, 1},
		{"Exp", (*Stream).Exp, 1, 1, 0, math.Inf(1)},
		{"IntN(10)", func(s *Stream) float64 { return float64(s.IntN(10)) }, 4.5, math.Sqrt(99.0 / 12), 0, 10},
		{"Bernoulli(0.3)", func(s *Stream) float64 {
			if s.Bernoulli(0.3) {
				return 1
			}
			return 0
		}, 0.3, math.Sqrt(0.3 * 0.7), 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewStream(7, "means", tt.name)
			sum := 0.0
			for range n {
				x := tt.draw(&s)
				if x < tt.lo || x >= tt.hi || math.IsNaN(x) {
					t.Fatalf("draw %v outside [%v, %v)", x, tt.lo, tt.hi)
				}
				sum += x
			}
			mean := sum / n
			if tol := 5 * tt.sd / math.Sqrt(n); math.Abs(mean-tt.mean) > tol {
				t.Errorf("mean of %d draws = %.5f; want %.5f ± %.5f", n, mean, tt.mean, tol)
			}
		})
	}
}

func TestIntN(t *testing.T) {
	s := NewStream(3, "intn", "bounds")
	for _, n := range []uint64{1, 2, 3, 7, 1000, 1 << 40, math.MaxUint64} {
		for range 10_000 {
			if v := s.IntN(n); v >= n {
				t.Fatalf("IntN(%d) = %d", n, v)
			}
		}
	}
	// Every value of a small range comes up.
	var seen [5]int
	for range 10_000 {
		seen[s.IntN(5)]++
	}
	for v, c := range seen {
		if c == 0 {
			t.Errorf("IntN(5) never returned %d", v)
		}
	}
}

func TestBernoulliEdges(t *testing.T) {
	s := NewStream(5, "bernoulli", "edges")
	for range 10_000 {
		if s.Bernoulli(0) || s.Bernoulli(-1) {
			t.Fatal("Bernoulli(p ≤ 0) returned true")
		}
		if !s.Bernoulli(1) {
			t.Fatal("Bernoulli(1) returned false")
		}
	}
}

func TestTimeAdd(t *testing.T) {
	tests := []struct {
		t    Time
		d    time.Duration
		want Time
	}{
		{0, time.Second, Time(time.Second)},
		{5, 0, 5},
		{100, -50, 50},
		{Never - 10, 10, Never},
		{Never - 10, 11, Never},
		{Never - 10, math.MaxInt64, Never},
		{Never, 1, Never},
		{1, math.MaxInt64, Never},
		{0, math.MaxInt64, Never},
	}
	for _, tt := range tests {
		if got := tt.t.Add(tt.d); got != tt.want {
			t.Errorf("Time(%d).Add(%d) = %d; want %d", tt.t, tt.d, got, tt.want)
		}
	}
}

func TestTimeFormatting(t *testing.T) {
	tests := []struct {
		t       Time
		str     string
		seconds float64
	}{
		{0, "0s", 0},
		{Time(90 * time.Second), "1m30s", 90},
		{Time(1500 * time.Microsecond), "1.5ms", 0.0015},
		{Never, "never", float64(Never) / 1e9},
	}
	for _, tt := range tests {
		if got := tt.t.String(); got != tt.str {
			t.Errorf("Time(%d).String() = %q; want %q", tt.t, got, tt.str)
		}
		if got := tt.t.Seconds(); got != tt.seconds {
			t.Errorf("Time(%d).Seconds() = %v; want %v", tt.t, got, tt.seconds)
		}
	}
	if got := Time(5e9).Sub(Time(2e9)); got != 3*time.Second {
		t.Errorf("Time(5s).Sub(2s) = %v; want 3s", got)
	}
}
