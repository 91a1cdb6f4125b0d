// Package sim is the simulation kernel: simulated time, the event queue,
// cancellable timers and deterministic random streams.
//
// Time is an int64 count of nanoseconds since the start of a run. Events fire
// in (time, insertion sequence) order, so two runs that schedule the same
// events in the same order replay identically. Events are typed — a Handler
// plus a small integer kind and a uint64 argument — so scheduling allocates
// nothing once the queue has grown to its working size.
//
// sim knows nothing above it: no links, no protocols, no output. It imports
// no net, os or sync, reads no wall clock and uses no global random source.
package sim
