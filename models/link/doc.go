// Package link models one direction of one access-link instance: loss
// (Bernoulli or Gilbert–Elliott), propagation delay (constant, truncated
// normal, lognormal or Pareto, drawn with gonum's distuv), bandwidth with a
// drop-tail FIFO queue, and outage windows.
//
// The model is sans-events: it schedules nothing and owns no clock. The caller
// offers a packet at the current simulated time with [Direction.Offer] and is
// told either when the packet arrives at the far end (the caller schedules that
// arrival) or why it was dropped. Offer decides, in this order:
//
//  1. outage: a packet offered inside an outage window [From, To) is dropped;
//     nothing else happens (no queue slot, no random draw). Packets accepted
//     before a window opens are still delivered.
//  2. queue: with finite bandwidth the direction is a FIFO server. A packet
//     takes bytes·8/BitsPerSecond to serialise (rounded to the nanosecond) and
//     starts when the previous packet has finished. If more than Queue packets
//     would then be waiting (accepted but not yet being transmitted), it is
//     dropped. With unlimited bandwidth there is neither serialisation nor
//     queueing.
//  3. loss: Bernoulli, or Gilbert–Elliott whose state moves once per packet
//     that reaches this step. A lost packet was still serialised, so it keeps
//     its place in the queue.
//  4. delay: the packet arrives at the end of its transmission plus a
//     propagation delay drawn for every transmitted packet. Delays are
//     independent, so packets may be reordered.
//
// Randomness comes from two streams per direction, derived from (seed, entity,
// "loss") and (seed, entity, "delay"), so changing the loss model leaves the
// delays unchanged, and each direction of each link instance is independent
// of every other.
//
// A Direction is a 72-byte value. With finite bandwidth it remembers the
// finish times of the packets in the system in a ring allocated the first time
// a packet is in flight and grown by doubling up to Queue+1 entries (8 bytes
// each); the ring is kept, not freed, when the queue drains. Offer allocates
// nothing once the ring has reached its working size.
//
// link knows nothing about protocols or the experiment file: the experiments
// layer converts its configuration into [Params]. It imports no net, os or
// sync, reads no wall clock and uses no global random source.
package link
