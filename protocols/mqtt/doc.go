// Package mqtt is MQTT for the simulator: the wire codec and topic rules of
// MQTT 3.1.1 (OASIS standard, protocol level 4), and the client and broker
// engines that use them (client*.go, broker*.go: see [Client] and
// [Broker]). The simulator (topologies, over the protocols/tcp model) and a
// live adapter on real TCP (live/mqttlive) drive the same engines.
//
// What it owns today:
//
//   - packets.go: the Packet struct that stands for every MQTT 3.1.1
//     control packet, with its types, flags and codes.
//   - codec.go: Size (the exact wire size, computed without encoding),
//     Append (encoding into the caller's buffer) and Parse / Decoder.Parse
//     (decoding one packet from the front of a byte stream).
//   - validate.go: Validate, the rules Parse applies, checked on a Packet
//     an engine built (Append does not check).
//   - errors.go: the errors Parse reports, so an engine can tell "wait for
//     more bytes" (ErrIncomplete) from "answer CONNACK 0x01"
//     (ErrUnsupportedProtocolLevel) from "close the connection"
//     (ErrMalformed).
//   - topic.go: topic name and topic filter validity, and Match.
//
// # Sans-IO
//
// Like every package under protocols, mqtt does no I/O: it opens no socket
// and no file, reads no clock, starts no goroutine, takes no lock and uses
// no global random source. The simulator hands packets between engines as
// Packet values and counts Size bytes without ever encoding them; a live
// adapter on real sockets encodes with Append and decodes with Parse. Both
// drive the same code.
//
// # Exactness
//
// Sizes are exact because bytes drive bandwidth and energy. Parse is
// strict: everything it accepts is a valid MQTT 3.1.1 packet (Validate
// accepts it) and Append re-encodes it to exactly the bytes consumed; there
// is no canonicalisation. Where the specification lets a receiver choose,
// Parse follows what mosquitto 2.0 was observed to do (the bad-input trace
// s10_badinput.md of the project's mosquitto reference), and the doc of
// each error says so. Rules about the order of packets (CONNECT first and
// only once) and about sessions (an empty client id needs clean session 1)
// belong to the engines, not to the codec.
//
// # MQTT 5.0
//
// The layout leaves room for MQTT 5.0: Decoder carries a Version, Packet
// and ConnectFields reserve Properties fields, and the variable byte
// integer helpers used for the remaining length are the ones 5.0's
// property lengths will use. Only protocol level 4 is implemented.
package mqtt
