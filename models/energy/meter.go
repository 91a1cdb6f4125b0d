package energy

import "time"

// Meter accumulates one device's radio air time. It is 16 bytes and holds no
// pointer: the profile is passed to each call, not stored. The zero Meter is
// ready to use.
type Meter struct {
	TxNs int64 // total transmit air time, nanoseconds
	RxNs int64 // total receive air time, nanoseconds
}

// Tx adds the air time of sending a packet of the given size.
func (m *Meter) Tx(p *Profile, bytes int) { m.TxNs += int64(p.Airtime(bytes)) }

// Rx adds the air time of receiving a packet of the given size.
func (m *Meter) Rx(p *Profile, bytes int) { m.RxNs += int64(p.Airtime(bytes)) }

// Report is one device's energy over an observed span: the devices table's
// energy_j, tx_s, rx_s, idle_s, sleep_s and battery_days (null unless
// HasBattery).
type Report struct {
	EnergyJ                 float64 // joules
	TxS, RxS, IdleS, SleepS float64 // seconds in each state
	HasBattery              bool    // false when mains powered or when nothing was drawn
	BatteryDays             float64 // projected battery life in days; 0 unless HasBattery
}

// Report returns the energy of a device that was awake for awake and asleep
// for asleep, with the air time in m (nil counts as none).
//
// Energy = Voltage × (TxA·tx + RxA·rx + IdleA·idle + SleepA·asleep), where
// idle = awake − tx − rx. Overlapping transmission and reception on a
// half-duplex radio is not modeled: if the air time exceeds the awake time,
// idle is clamped at 0 and the air time is still charged in full.
//
// Battery days = battery energy (BatteryMAh/1000 × 3600 × Voltage joules) ÷
// mean power over the span awake + asleep ÷ 86400. HasBattery is false (and
// BatteryDays 0) for a mains-powered profile (BatteryMAh = 0), an empty span
// or a mean power of 0. Negative durations count as 0.
func (p *Profile) Report(m *Meter, awake, asleep time.Duration) Report {
	awake, asleep = max(awake, 0), max(asleep, 0)
	var txNs, rxNs int64
	if m != nil {
		txNs, rxNs = max(m.TxNs, 0), max(m.RxNs, 0)
	}
	idleNs := max(int64(awake)-txNs-rxNs, 0)
	r := Report{
		TxS:    float64(txNs) / 1e9,
		RxS:    float64(rxNs) / 1e9,
		IdleS:  float64(idleNs) / 1e9,
		SleepS: asleep.Seconds(),
	}
	r.EnergyJ = p.Voltage * (p.TxA*r.TxS + p.RxA*r.RxS + p.IdleA*r.IdleS + p.SleepA*r.SleepS)
	span := awake.Seconds() + asleep.Seconds()
	if p.BatteryMAh > 0 && span > 0 && r.EnergyJ > 0 {
		batteryJ := p.BatteryMAh / 1000 * 3600 * p.Voltage
		r.HasBattery = true
		r.BatteryDays = batteryJ / (r.EnergyJ / span) / 86400
	}
	return r
}
