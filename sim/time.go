package sim

import (
	"math"
	"time"
)

// Time is simulated time: nanoseconds since the start of the run.
type Time int64

// Never is a time after every event; Run(Never) runs until the queue is empty.
const Never Time = math.MaxInt64

// Add returns t shifted by d, saturating at Never.
func (t Time) Add(d time.Duration) Time {
	if d > 0 && t > Never-Time(d) {
		return Never
	}
	return t + Time(d)
}

// Sub returns the span t − u.
func (t Time) Sub(u Time) time.Duration { return time.Duration(t - u) }

// Seconds returns t in seconds, for reporting only.
func (t Time) Seconds() float64 { return float64(t) / 1e9 }

// String formats t as a duration since the start ("1m30s").
func (t Time) String() string {
	if t == Never {
		return "never"
	}
	return time.Duration(t).String()
}
