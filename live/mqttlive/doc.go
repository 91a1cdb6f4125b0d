// Package mqttlive runs the sans-IO MQTT engines of protocols/mqtt on real
// TCP sockets, so that tests can prove they interoperate with mosquitto
// 2.0: the project's broker engine serves mosquitto_pub and mosquitto_sub,
// and the project's client engine talks to a real mosquitto broker.
//
// It owns everything the engines must not do: sockets, goroutines and the
// wall clock. Each [Broker] and [Client] has one goroutine that owns its
// engine and serialises every input to it — packets from one reader
// goroutine per connection, transport events, timer expiries and the
// application's calls — so the engine needs no locks. Each connection also
// has a writer goroutine, so that a peer that stops reading cannot block
// the engine: a connection whose outgoing queue overflows is aborted. In
// the other direction a Client whose application does not read Messages
// stops reading its socket (see MessageBuffer), so TCP pushes back on the
// broker and no message is lost.
// Simulated time is the wall time since the adapter started plus one
// second, so that no deadline is 0, which the engines read as "none".
//
// The simulator shares payload buffers; this adapter does not: every
// received packet's byte fields are copied out of the read buffer before
// the engine sees them (the broker keeps payloads for retained and queued
// messages), messages handed to the application are copies, and payloads
// given to Publish are copied before they enter the engine.
//
// It is not part of a simulation and is not deterministic: the client's
// reconnect jitter is seeded at random.
package mqttlive
