package energy

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// near reports whether got equals want to a relative 1e-12 (or absolutely,
// near zero).
func near(got, want float64) bool {
	return math.Abs(got-want) <= 1e-12*math.Max(1, math.Abs(want))
}

// sensor is a made-up profile with round numbers for hand computations:
// 8000 bit/s makes one byte take exactly 1 ms on the air.
var sensor = Profile{
	Name:          "test",
	Source:        "hand-made",
	Voltage:       3.0,
	TxA:           0.100,
	RxA:           0.050,
	IdleA:         0.020,
	SleepA:        10e-6,
	BitsPerSecond: 8000,
	BatteryMAh:    1000,
}

func TestMeterSize(t *testing.T) {
	if n := unsafe.Sizeof(Meter{}); n != 16 {
		t.Errorf("unsafe.Sizeof(Meter{}) = %d; want 16", n)
	}
}

func TestAirtime(t *testing.T) {
	tests := []struct {
		bps   float64
		bytes int
		want  time.Duration
	}{
		{1e6, 1, 8 * time.Microsecond},
		{1e6, 1500, 12 * time.Millisecond},
		{250e3, 100, 3200 * time.Microsecond},
		{8000, 1, time.Millisecond},
		{5468.75, 13, 19017143}, // 104 bit / 5468.75 bit/s = 19.017142857 ms, rounded to the ns
		{32e3, 64, 16 * time.Millisecond},
		{1e6, 0, 0},
		{1e6, -5, 0},
		{0, 100, 0}, // no bit rate: invalid profile, no air time
	}
	for _, tt := range tests {
		p := Profile{BitsPerSecond: tt.bps}
		if got := p.Airtime(tt.bytes); got != tt.want {
			t.Errorf("Airtime(%d bytes at %v bit/s) = %v; want %v", tt.bytes, tt.bps, got, tt.want)
		}
	}
	p := Profile{BitsPerSecond: 1e-9}
	if got := p.Airtime(math.MaxInt32); got != math.MaxInt64 {
		t.Errorf("Airtime of a huge packet at 1e-9 bit/s = %v; want saturation at %v", got, time.Duration(math.MaxInt64))
	}
}

func TestMeter(t *testing.T) {
	var m Meter
	p := sensor
	m.Tx(&p, 2000)
	m.Tx(&p, 0)
	m.Rx(&p, 700)
	m.Rx(&p, 300)
	if m.TxNs != int64(2*time.Second) || m.RxNs != int64(time.Second) {
		t.Errorf("Meter = %+v; want TxNs = 2e9, RxNs = 1e9", m)
	}
}

// TestReportByHand is the worked example: 2 s sending, 1 s receiving,
// 10 s awake, 90 s asleep.
func TestReportByHand(t *testing.T) {
	p := sensor
	m := Meter{TxNs: int64(2 * time.Second), RxNs: int64(time.Second)}
	r := p.Report(&m, 10*time.Second, 90*time.Second)

	// idle = 10 − 2 − 1 = 7 s.
	// E = 3.0 V × (0.1·2 + 0.05·1 + 0.02·7 + 10e-6·90) = 3 × 0.3909 = 1.1727 J.
	// battery = 1000 mAh = 1 Ah × 3600 s × 3 V = 10800 J; mean power = 1.1727 J / 100 s;
	// days = 10800 / 0.011727 / 86400 = 10.6591...
	wantE := 1.1727
	wantDays := 10800 / (1.1727 / 100) / 86400
	if !near(r.TxS, 2) || !near(r.RxS, 1) || !near(r.IdleS, 7) || !near(r.SleepS, 90) {
		t.Errorf("states = tx %v, rx %v, idle %v, sleep %v s; want 2, 1, 7, 90", r.TxS, r.RxS, r.IdleS, r.SleepS)
	}
	if !near(r.EnergyJ, wantE) {
		t.Errorf("EnergyJ = %.12g; want %.12g", r.EnergyJ, wantE)
	}
	if !r.HasBattery || !near(r.BatteryDays, wantDays) {
		t.Errorf("battery = %v, %.12g days; want true, %.12g", r.HasBattery, r.BatteryDays, wantDays)
	}
	if math.Abs(r.BatteryDays-10.6591) > 1e-4 {
		t.Errorf("BatteryDays = %v; want ≈ 10.6591", r.BatteryDays)
	}
}

// TestBuiltinBatteryByHand checks a built-in profile end to end: an ESP32
// awake and idle for a day drains its 2500 mAh in 2500/20 = 125 h.
func TestBuiltinBatteryByHand(t *testing.T) {
	p, ok := Builtin("esp32-wifi")
	if !ok {
		t.Fatal("no esp32-wifi")
	}
	r := p.Report(&Meter{}, 24*time.Hour, 0)
	if want := 125.0 / 24; !near(r.BatteryDays, want) {
		t.Errorf("esp32-wifi always idle: %v days; want %v", r.BatteryDays, want)
	}
	if want := 3.3 * 0.020 * 86400; !near(r.EnergyJ, want) {
		t.Errorf("esp32-wifi idle for a day: %v J; want %v", r.EnergyJ, want)
	}
}

func TestReport(t *testing.T) {
	mains := sensor
	mains.BatteryMAh = 0
	sleeper := sensor
	sleeper.SleepA = 0
	s := time.Second
	tests := []struct {
		name          string
		p             Profile
		m             *Meter
		awake, asleep time.Duration
		want          Report
	}{
		{
			name: "idle only", p: sensor, m: &Meter{}, awake: 100 * s,
			// 3 × 0.02 × 100 = 6 J over 100 s; 10800 J / 0.06 W / 86400.
			want: Report{EnergyJ: 6, IdleS: 100, HasBattery: true, BatteryDays: 10800 / 0.06 / 86400},
		},
		{
			name: "asleep only", p: sensor, m: nil, asleep: 1000 * s,
			// 3 × 10e-6 × 1000 = 0.03 J over 1000 s.
			want: Report{EnergyJ: 0.03, SleepS: 1000, HasBattery: true, BatteryDays: 10800 / 30e-6 / 86400},
		},
		{
			name: "air time beyond awake clamps idle", p: sensor,
			m:     &Meter{TxNs: int64(3 * s), RxNs: int64(2 * s)},
			awake: 4 * s, asleep: 6 * s,
			// idle = max(4 − 3 − 2, 0) = 0; E = 3 × (0.3 + 0.1 + 0 + 60e-6) = 1.20018 J.
			want: Report{EnergyJ: 1.20018, TxS: 3, RxS: 2, SleepS: 6, HasBattery: true, BatteryDays: 10800 / 0.120018 / 86400},
		},
		{
			name: "mains powered", p: mains, m: &Meter{TxNs: int64(s)}, awake: 10 * s,
			// 3 × (0.1·1 + 0.02·9) = 0.84 J, no battery.
			want: Report{EnergyJ: 0.84, TxS: 1, IdleS: 9},
		},
		{
			name: "zero power has no projection", p: sleeper, m: &Meter{}, asleep: 10 * s,
			want: Report{SleepS: 10},
		},
		{
			name: "empty span", p: sensor, m: &Meter{},
			want: Report{},
		},
		{
			name: "negative durations count as zero", p: sensor, m: &Meter{}, awake: -s, asleep: -s,
			want: Report{},
		},
	}
	for _, tt := range tests {
		got := tt.p.Report(tt.m, tt.awake, tt.asleep)
		if !near(got.EnergyJ, tt.want.EnergyJ) || !near(got.TxS, tt.want.TxS) || !near(got.RxS, tt.want.RxS) ||
			!near(got.IdleS, tt.want.IdleS) || !near(got.SleepS, tt.want.SleepS) ||
			got.HasBattery != tt.want.HasBattery || !near(got.BatteryDays, tt.want.BatteryDays) {
			t.Errorf("%s: Report(%+v, %v, %v) = %+v; want %+v", tt.name, tt.m, tt.awake, tt.asleep, got, tt.want)
		}
	}
}

func TestBuiltins(t *testing.T) {
	names := BuiltinNames()
	if !slices.IsSorted(names) {
		t.Errorf("BuiltinNames() = %v; want sorted", names)
	}
	for _, want := range []string{"bg96-nbiot", "cc2538-802154", "esp32-wifi", "nrf52840-ble", "sx1276-lora"} {
		if !slices.Contains(names, want) {
			t.Errorf("BuiltinNames() = %v; want it to contain %q", names, want)
		}
	}
	for _, name := range names {
		p, ok := Builtin(name)
		if !ok || p.Name != name {
			t.Errorf("Builtin(%q) = %q, %v; want the profile named %q", name, p.Name, ok, name)
			continue
		}
		if err := p.Validate(); err != nil {
			t.Errorf("%s: Validate() = %v", name, err)
		}
		if p.TxA <= 0 || p.RxA <= 0 || p.IdleA <= 0 || p.SleepA <= 0 {
			t.Errorf("%s: currents tx %v, rx %v, idle %v, sleep %v A; want all positive", name, p.TxA, p.RxA, p.IdleA, p.SleepA)
		}
		// Sanity of units: currents in amperes, sleep far below idle, tx at least rx.
		if p.TxA > 1 || p.SleepA >= p.IdleA || p.TxA < p.RxA {
			t.Errorf("%s: currents tx %v, rx %v, idle %v, sleep %v A look mis-scaled", name, p.TxA, p.RxA, p.IdleA, p.SleepA)
		}
		if p.Voltage < 1.8 || p.Voltage > 5 || p.BitsPerSecond <= 0 || p.BatteryMAh <= 0 {
			t.Errorf("%s: voltage %v V, bit rate %v, battery %v mAh; want realistic values", name, p.Voltage, p.BitsPerSecond, p.BatteryMAh)
		}
		if len(p.Source) < 40 || !strings.Contains(p.Source, "tx ") || !strings.Contains(p.Source, "sleep ") {
			t.Errorf("%s: Source %q; want the document and the operating point of each figure", name, p.Source)
		}
	}
	if _, ok := Builtin("esp8266"); ok {
		t.Error("Builtin(\"esp8266\") ok = true; want false")
	}
	// Builtin returns a copy.
	p, _ := Builtin("esp32-wifi")
	p.TxA = 99
	if q, _ := Builtin("esp32-wifi"); q.TxA == 99 {
		t.Error("changing a profile returned by Builtin changed the built-in")
	}
	n := BuiltinNames()
	n[0] = "x"
	if BuiltinNames()[0] == "x" {
		t.Error("changing BuiltinNames' result changed the built-ins")
	}
}

func TestValidate(t *testing.T) {
	mod := func(f func(*Profile)) Profile { p := sensor; f(&p); return p }
	tests := []struct {
		p    Profile
		want string
	}{
		{sensor, ""},
		{mod(func(p *Profile) { p.BatteryMAh = 0 }), ""},
		{mod(func(p *Profile) { p.Voltage = 0 }), "voltage"},
		{mod(func(p *Profile) { p.Voltage = math.Inf(1) }), "voltage"},
		{mod(func(p *Profile) { p.TxA = -1 }), "tx_ma"},
		{mod(func(p *Profile) { p.RxA = math.NaN() }), "rx_ma"},
		{mod(func(p *Profile) { p.IdleA = math.Inf(1) }), "idle_ma"},
		{mod(func(p *Profile) { p.SleepA = -1e-6 }), "sleep_ua"},
		{mod(func(p *Profile) { p.BitsPerSecond = 0 }), "bitrate"},
		{mod(func(p *Profile) { p.BatteryMAh = -1 }), "battery_mah"},
	}
	for _, tt := range tests {
		err := tt.p.Validate()
		if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("Validate(%+v) = %v; want error containing %q", tt.p, err, tt.want)
		}
	}
}

func TestMeterAllocatesNothing(t *testing.T) {
	p, _ := Builtin("sx1276-lora")
	var m Meter
	if a := testing.AllocsPerRun(1000, func() { m.Tx(&p, 51); m.Rx(&p, 13) }); a != 0 {
		t.Errorf("Meter.Tx/Rx allocate %v times; want 0", a)
	}
}

func BenchmarkMeterTx(b *testing.B) {
	p, _ := Builtin("esp32-wifi")
	var m Meter
	for b.Loop() {
		m.Tx(&p, 64)
	}
}
