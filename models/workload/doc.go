// Package workload owns the traffic models of device groups: when a device
// sends. It turns the shared per-group Params of an experiment's
// devices.<group>.workload (none, periodic, poisson, threshold) and the
// group's start/ramp into each device's send times.
//
// Models here are sans-events: a Source computes the next send time from the
// device's own random stream and the caller schedules it. One Source per
// device, small (40 bytes) because fleets are large; the Params it points to
// are shared by the whole group and must not change while Sources use them.
//
// workload must not know MQTT or CoAP (a send is a time and a payload size,
// nothing more), must not import experiments, topologies or protocols, and
// must not schedule events, read the wall clock or use a global random
// source. It may import sim and gonum.
package workload
