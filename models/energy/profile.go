package energy

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Profile is the energy model of one kind of node: supply voltage, the
// current drawn in each radio state, the radio bit rate and the battery.
// Currents are in amperes (experiment files give milliamps and microamps;
// convert on loading).
type Profile struct {
	Name   string
	Source string // datasheet or document the numbers come from, with section and operating point

	Voltage float64 // V: supply voltage at which the currents are given

	TxA    float64 // A: radio transmitting
	RxA    float64 // A: radio receiving a packet
	IdleA  float64 // A: awake, neither sending nor receiving
	SleepA float64 // A: asleep (radio hears nothing)

	BitsPerSecond float64 // radio bit rate: air time of a packet = bytes·8 / BitsPerSecond
	BatteryMAh    float64 // battery capacity; 0 = mains powered
}

// Validate reports the first field of p out of range, named as in
// experiment files.
func (p *Profile) Validate() error {
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	if !(p.Voltage > 0) || !finite(p.Voltage) {
		return fmt.Errorf("voltage = %v: must be a positive number of volts", p.Voltage)
	}
	for _, c := range []struct {
		key string
		a   float64
	}{{"tx_ma", p.TxA}, {"rx_ma", p.RxA}, {"idle_ma", p.IdleA}, {"sleep_ua", p.SleepA}} {
		if !(c.a >= 0) || !finite(c.a) {
			return fmt.Errorf("%s: current %v A must be ≥ 0 and finite", c.key, c.a)
		}
	}
	if !(p.BitsPerSecond > 0) || !finite(p.BitsPerSecond) {
		return fmt.Errorf("bitrate = %v bit/s: must be positive", p.BitsPerSecond)
	}
	if !(p.BatteryMAh >= 0) || !finite(p.BatteryMAh) {
		return fmt.Errorf("battery_mah = %v: must be ≥ 0 (0 = mains powered)", p.BatteryMAh)
	}
	return nil
}

// Airtime returns the time the radio needs to send or receive a packet of
// the given size: bytes·8 / BitsPerSecond, rounded to the nanosecond. It is
// 0 for bytes ≤ 0 and for a profile without a positive bit rate (which
// Validate rejects), and saturates at the largest Duration.
func (p *Profile) Airtime(bytes int) time.Duration {
	if bytes <= 0 || !(p.BitsPerSecond > 0) {
		return 0
	}
	ns := math.Round(float64(bytes) * 8e9 / p.BitsPerSecond)
	if ns >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(ns)
}

// builtins are the profiles shipped with the program, sorted by name.
//
// Voltage is the supply at which the datasheet gives the currents. Battery
// life is capacity ÷ mean current, so the battery's own nominal voltage does
// not enter it; the battery named is a typical one for such a device.
//
// Idle is the technology's own "awake and reachable, nothing on the air"
// state, which differs by radio: Wi-Fi stays associated in modem-sleep (the
// access point buffers frames), an IEEE 802.15.4 radio must listen, a LoRa
// radio waits in standby, a BLE SoC runs its CPU between radio events, and an
// NB-IoT module is registered in idle with paging DRX.
var builtins = []Profile{
	{
		Name: "bg96-nbiot",
		Source: "Quectel BG96 Hardware Design (LPWA Module Series), current consumption table (IVBAT, typical averages; " +
			"VBAT 3.8 V typical): tx 157 mA = LTE Cat NB1 data transfer, LTE-FDD B20 at 22.7 dBm, GNSS off; " +
			"rx 157 mA = the same figure (the table gives no receive-only current, so receiving is charged at the " +
			"connected-mode data-transfer current, an upper bound); idle 15 mA = Idle state, DRX 1.28 s; " +
			"sleep 10 µA = PSM on a real network. Bit rate 32 kbit/s = Cat NB1 peak downlink (key features: " +
			"32 kbps DL / 70 kbps UL). Battery: typical, one 18650 Li-ion cell, 3000 mAh.",
		Voltage:       3.8,
		TxA:           157e-3,
		RxA:           157e-3,
		IdleA:         15e-3,
		SleepA:        10e-6,
		BitsPerSecond: 32e3,
		BatteryMAh:    3000,
	},
	{
		Name: "cc2538-802154",
		Source: "Texas Instruments CC2538 datasheet (SWRS096), §1.1 Features, Low Power: rx 20 mA = Active-Mode RX " +
			"(CPU idle); tx 24 mA = Active-Mode TX at 0 dBm (CPU idle); sleep 1.3 µA = Power Mode 2 (sleep timer " +
			"running, 16 kB RAM retention); idle 20 mA = Active-Mode RX, because an IEEE 802.15.4 radio that is on " +
			"and not sending is listening. Supply 3.0 V (range 2–3.6 V). Bit rate 250 kbit/s = IEEE 802.15.4 " +
			"2.4 GHz O-QPSK. Battery: typical, 2×AA alkaline, 2500 mAh.",
		Voltage:       3.0,
		TxA:           24e-3,
		RxA:           20e-3,
		IdleA:         20e-3,
		SleepA:        1.3e-6,
		BitsPerSecond: 250e3,
		BatteryMAh:    2500,
	},
	{
		Name: "esp32-wifi",
		Source: "Espressif ESP32 Series Datasheet, §Electrical Characteristics, RF power-consumption table " +
			"(3.3 V, 25 °C, TX at 50 % duty cycle): tx 240 mA = 802.11b DSSS 1 Mbps at +19.5 dBm; " +
			"rx 95 mA = 802.11b/g/n receive (95–100 mA stated; lower end); power-mode table: " +
			"idle 20 mA = Modem-sleep, CPU at 80 MHz (20–31 mA stated; lower end), Wi-Fi associated, radio off " +
			"between beacons; sleep 10 µA = Deep-sleep, RTC timer + RTC memory. Bit rate 1 Mbit/s = the tx " +
			"operating point. Battery: typical, 2×AA alkaline, 2500 mAh.",
		Voltage:       3.3,
		TxA:           240e-3,
		RxA:           95e-3,
		IdleA:         20e-3,
		SleepA:        10e-6,
		BitsPerSecond: 1e6,
		BatteryMAh:    2500,
	},
	{
		Name: "nrf52840-ble",
		Source: "Nordic Semiconductor nRF52840 Product Specification v1.x, radio current consumption " +
			"(VDD 3.0 V, DC/DC on, Ble_1Mbit): tx 4.8 mA = TX at 0 dBm; rx 4.6 mA = RX at 1 Mbit/s; " +
			"sleep current: sleep 1.5 µA = System ON, no RAM retention, wake on RTC; idle 3.3 mA = typical, " +
			"CPU running from flash at 64 MHz with DC/DC (awake between radio events). Bit rate 1 Mbit/s = " +
			"LE 1M PHY. Battery: typical, CR2032 lithium coin cell, 225 mAh.",
		Voltage:       3.0,
		TxA:           4.8e-3,
		RxA:           4.6e-3,
		IdleA:         3.3e-3,
		SleepA:        1.5e-6,
		BitsPerSecond: 1e6,
		BatteryMAh:    225,
	},
	{
		Name: "sx1276-lora",
		Source: "Semtech SX1276/77/78/79 datasheet, Table 6 Power Consumption Specification (VDD 3.3 V, 25 °C), " +
			"radio chip only: tx 29 mA = IDDT, +13 dBm on the RFO_LF/HF pin; rx 10.8 mA = IDDR, LnaBoost off, " +
			"band 1 (862–1020 MHz); idle 1.6 mA = IDDST, Standby (crystal oscillator on); sleep 0.2 µA = IDDSL, " +
			"Sleep. Bit rate 5468.75 bit/s = LoRa SF7, 125 kHz, CR 4/5 (SF·BW/2^SF·4/5); the air time " +
			"bytes·8/bitrate leaves out preamble and header. Battery: typical, 2×AA alkaline, 2500 mAh.",
		Voltage:       3.3,
		TxA:           29e-3,
		RxA:           10.8e-3,
		IdleA:         1.6e-3,
		SleepA:        0.2e-6,
		BitsPerSecond: 5468.75,
		BatteryMAh:    2500,
	},
}

// Builtin returns a copy of the built-in profile with the given name.
func Builtin(name string) (Profile, bool) {
	for _, p := range builtins {
		if p.Name == name {
			return p, true
		}
	}
	return Profile{}, false
}

// BuiltinNames returns the names of the built-in profiles, sorted.
func BuiltinNames() []string {
	names := make([]string, len(builtins))
	for i, p := range builtins {
		names[i] = p.Name
	}
	slices.Sort(names)
	return names
}
