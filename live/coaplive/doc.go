// Package coaplive runs the sans-IO CoAP engines of protocols/coap on real
// UDP sockets, so that tests can prove they interoperate with other CoAP
// implementations (libcoap's coap-client and coap-server).
//
// It owns everything the engines must not do: sockets, goroutines and the
// wall clock. Each [Server] and [Client] has one goroutine that owns its
// engine and serialises every input to it — datagrams from a reader
// goroutine, timer expiries and the application's calls — so the engine
// needs no locks. Simulated time is the wall time since the adapter
// started (plus one second, so that no deadline is 0, which the engines
// read as "none").
//
// The simulator shares payload buffers; this adapter does not: every
// datagram is read into its own buffer, messages handed to the
// application are copies, and requests and resources are copied when they
// enter the engine.
//
// It is not part of a simulation and is not deterministic: message ids and
// tokens start from a random point, as RFC 7252 §4.4 and §5.3.1 advise.
package coaplive
