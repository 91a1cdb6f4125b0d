// Package tcp is a sans-IO model of a TCP connection, the transport MQTT
// runs over in the simulator, with Linux's default numbers.
//
// What it owns:
//
//   - segment.go: Segment (the header fields that matter and a payload
//     length — bytes are never materialised), Flags, exact wire sizes
//     (WireBytes: IPv4 20 + TCP 20 + the options Linux sends) and ResetFor,
//     the reset an env sends for a segment that has no connection.
//   - params.go: Params and DefaultParams (RTO bounds, retry counts,
//     delayed ACK, initial window) and RetriesTimeout, Linux's conversion
//     of tcp_retries2 into a time budget.
//   - conn.go: Conn, one end of a connection: three-way handshake with SYN
//     retransmission, segmentation by MSS, cumulative ACKs, in-order
//     delivery with head-of-line blocking, RFC 6298 RTO with Karn's rule,
//     slow start, congestion avoidance, fast retransmit with NewReno
//     recovery, delayed ACKs, FIN and RST, and abort after retries or a
//     user timeout.
//
// A Conn moves byte counts. The layer above keeps its own FIFO of records
// (MQTT packets) per direction and maps the counts that Env.Deliver and
// Env.Acked report to them.
//
// # Sans-IO
//
// Like every package under protocols, tcp does no I/O, reads no clock,
// starts no goroutine, takes no lock and draws no random numbers (the
// caller draws the initial sequence number). A Conn is a plain struct
// driven by method calls that carry the current simulated time; it answers
// through the small Env interface passed on every call, and asks for a
// single timer that the env fires by calling OnTimer.
package tcp
