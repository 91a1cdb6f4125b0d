package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration is a span written as a string with units ("150ms", "1h30m").
// It is a distinct type so that a bare integer is rejected instead of being
// taken as nanoseconds.
type Duration time.Duration

// D returns the span as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d as time.Duration does ("1h30m0s").
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes d as String does, so that a resolved experiment
// encodes (JSON, TOML) with readable spans.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Rate is a bit rate in bits per second, written "250kbps", "1Mbps".
type Rate float64

// String formats r with the largest SI prefix that keeps it ≥ 1 ("1.5Mbps").
func (r Rate) String() string {
	v, unit := float64(r), "bps"
	switch {
	case v >= 1e9:
		v, unit = v/1e9, "Gbps"
	case v >= 1e6:
		v, unit = v/1e6, "Mbps"
	case v >= 1e3:
		v, unit = v/1e3, "kbps"
	}
	return strconv.FormatFloat(v, 'g', -1, 64) + unit
}

// MarshalText writes r as String does.
func (r Rate) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// PerTime is a frequency in events per second, written "1/min", "0.5/s", "3/h".
type PerTime float64

// String formats f in events per second ("0.5/s").
func (f PerTime) String() string { return strconv.FormatFloat(float64(f), 'g', -1, 64) + "/s" }

// MarshalText writes f as String does.
func (f PerTime) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// What parse errors say is valid.
const (
	validDuration = `valid: a number with unit ns, us, ms, s, m, h or d, like "150ms", "1h30m" or "2d"`
	validRate     = `valid: a number with unit bps, kbps, Mbps or Gbps (or bit/s, kbit/s, Mbit/s, Gbit/s), like "250kbps" or "1.5Mbps"`
	validPerTime  = `valid: a number of events per ms, s, min, h or d, like "1/min" or "0.5/s"`
)

// ParseDuration parses a span as time.ParseDuration does, extended with the
// unit "d" (24h) as in "2d" or "1d12h". Negative spans parse; callers
// reject them where they are meaningless.
func ParseDuration(s string) (Duration, error) {
	t := strings.TrimSpace(s)
	neg := strings.HasPrefix(t, "-")
	t = strings.TrimLeft(t, "+-")
	var days float64
	if i := strings.IndexByte(t, 'd'); i >= 0 {
		n, ok := parseNumber(t[:i])
		if !ok {
			return 0, fmt.Errorf("%q is not a duration (%s)", s, validDuration)
		}
		days, t = n, t[i+1:]
	}
	var rest time.Duration
	if t != "" {
		d, err := time.ParseDuration(t)
		if err != nil || strings.ContainsAny(t, "+-") {
			return 0, fmt.Errorf("%q is not a duration (%s)", s, validDuration)
		}
		rest = d
	} else if days == 0 && !strings.Contains(s, "d") {
		return 0, fmt.Errorf("%q is not a duration (%s)", s, validDuration)
	}
	total := days*24*float64(time.Hour) + float64(rest)
	if total > math.MaxInt64 {
		return 0, fmt.Errorf("%q is too long (valid: at most %s)", s, time.Duration(math.MaxInt64))
	}
	d := time.Duration(days*24*float64(time.Hour)) + rest
	if neg {
		d = -d
	}
	return Duration(d), nil
}

// ParseRate parses a bit rate such as "250kbps", "1Mbps", "1.5Gbps",
// "9600bps" or "100kbit/s" into bits per second (SI prefixes: k = 1e3,
// M = 1e6, G = 1e9).
func ParseRate(s string) (Rate, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		scale  float64
	}{
		{"Gbps", 1e9}, {"Mbps", 1e6}, {"kbps", 1e3}, {"Kbps", 1e3}, {"bps", 1},
		{"Gbit/s", 1e9}, {"Mbit/s", 1e6}, {"kbit/s", 1e3}, {"Kbit/s", 1e3}, {"bit/s", 1},
	}
	for _, u := range units {
		if num, ok := strings.CutSuffix(t, u.suffix); ok {
			n, ok := parseNumber(strings.TrimSpace(num))
			if !ok {
				break
			}
			return Rate(n * u.scale), nil
		}
	}
	return 0, fmt.Errorf("%q is not a rate (%s)", s, validRate)
}

// ParsePerTime parses a frequency such as "1/min", "0.5/s", "3/h", "10/ms"
// or "2/d" into events per second.
func ParsePerTime(s string) (PerTime, error) {
	num, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	if ok {
		n, okN := parseNumber(strings.TrimSpace(num))
		per := map[string]float64{"ms": 1e-3, "s": 1, "min": 60, "h": 3600, "d": 86400}[strings.TrimSpace(unit)]
		if okN && per > 0 {
			return PerTime(n / per), nil
		}
	}
	return 0, fmt.Errorf("%q is not a frequency (%s)", s, validPerTime)
}

// parseNumber parses a plain non-negative decimal number: digits, an
// optional fraction and an optional exponent (no sign, no inf or nan).
func parseNumber(s string) (float64, bool) {
	if s == "" || !(s[0] >= '0' && s[0] <= '9' || s[0] == '.') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || (c == '+' || c == '-') && i > 0 && (s[i-1] == 'e' || s[i-1] == 'E')) {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}
