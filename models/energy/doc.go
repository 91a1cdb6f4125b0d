// Package energy owns the radio energy model of a node: the energy profiles
// (supply voltage, current in each radio state, bit rate, battery), the air
// time of a packet, a small per-device accumulator of air time (Meter), and
// the per-device report behind the devices table's energy_j, tx_s, rx_s,
// idle_s, sleep_s and battery_days columns.
//
// The model: energy = voltage × Σ(current of state × time in state) over
// four states — transmitting, receiving (air time of the packets sent and
// received), idle (awake and neither) and asleep. Battery life is projected
// from the mean power over the observed span. Overlapping transmission and
// reception on a half-duplex radio is not modeled: when the air time exceeds
// the awake time, idle time is clamped at zero.
//
// energy must not know MQTT or CoAP (it sees byte counts and durations only),
// must not import experiments, topologies or protocols, and must not schedule
// events or read the wall clock. It may import sim and gonum.
package energy
