// Package sim is the simulation kernel: simulated time, the event queue,
// cancellable timers, a timer wheel and deterministic random streams.
//
// Time is an int64 count of nanoseconds since the start of a run. Events fire
// in (time, insertion sequence) order, so two runs that schedule the same
// events in the same order replay identically. Events are typed — a Handler
// plus a small integer kind and a uint64 argument — so scheduling allocates
// nothing once the queue has grown to its working size. The queue is a heap
// while it is small and a ladder of time buckets above that (queue.go), so
// a million pending events cost little more per event than a thousand, and
// holds no pointers for the garbage collector to scan. Events scheduled a
// common constant delay ahead (a fixed-delay link, a periodic reading) skip
// the sorting in FIFO lanes (lanes.go). Timers, a wheel (timers.go), keeps
// timeouts that are nearly always cleared before they come out of the queue.
//
// sim knows nothing above it: no links, no protocols, no output. It imports
// no net, os or sync, reads no wall clock, uses no global random source and
// starts no goroutines (internal/archtest checks this).
package sim
