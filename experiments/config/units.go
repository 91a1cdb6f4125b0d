package config

import "time"

// Duration is a span written as a string with units ("150ms", "1h30m").
// It is a distinct type so that a bare integer is rejected instead of being
// taken as nanoseconds.
type Duration time.Duration

// D returns the span as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Rate is a bit rate in bits per second, written "250kbps", "1Mbps".
type Rate float64

// PerTime is a frequency in events per second, written "1/min", "0.5/s", "3/h".
type PerTime float64
