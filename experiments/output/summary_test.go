package output

import (
	"math"
	"testing"

	"github.com/iotsim/iotsim/metrics"
)

// TestMetricValue: every summarised metric is a float64 runs column and
// reads the matching field.
func TestMetricValue(t *testing.T) {
	r := RunInfo{RunRow: metrics.RunRow{DeliveryRatio: 0.5, RecoveryRatio: 0.25, LatencyP99Ms: 7, TransmissionsPerMsg: 1.5}}
	for _, m := range SummaryMetrics {
		if v := MetricValue(&r, m); m != "delivery_ratio" && m != "recovery_ratio" && m != "latency_p99_ms" && m != "transmissions_per_msg" && v != 0 {
			t.Errorf("%s = %v; want 0", m, v)
		}
		found := false
		for _, c := range runsTail {
			found = found || (c.name == m && c.node == doubleNode)
		}
		if !found {
			t.Errorf("%s is not a float64 column of the runs table", m)
		}
	}
	for name, want := range map[string]float64{"delivery_ratio": 0.5, "recovery_ratio": 0.25, "latency_p99_ms": 7, "transmissions_per_msg": 1.5} {
		if got := MetricValue(&r, name); got != want {
			t.Errorf("%s = %v; want %v", name, got, want)
		}
	}
	if !math.IsNaN(MetricValue(&r, "events")) || !math.IsNaN(MetricValue(&r, "nope")) {
		t.Error("a non-float64 or unknown column gave a value")
	}
}
