// Package coap is the Constrained Application Protocol over UDP: the
// message codec of RFC 7252 §3, the option helpers of RFC 7252 §5.10,
// Observe (RFC 7641), block-wise transfer (RFC 7959), and the endpoint
// engines:
//
//   - client.go: [Client], the client role towards one server — message
//     ids and tokens, Confirmable retransmission with exponential backoff,
//     NSTART = 1 with a bounded queue, piggybacked and separate responses,
//     block-wise requests and responses, observations with the freshness
//     rule and re-registration.
//   - server.go: [Server], a resource store — GET/POST/PUT/DELETE,
//     message-id deduplication (optional), piggybacked or separate
//     responses after a processing time, observers and CON/NON
//     notifications, Block1/Block2 transfers, Resets and 4.02/4.05 for
//     what it does not accept.
//   - params.go: [Params], the transmission parameters of RFC 7252 §4.8.
//
// The simulator (topologies) and a live adapter on real sockets
// (live/coaplive) drive the same engines.
//
// # Sans-IO
//
// Like every package under protocols, coap does no I/O: it reads no clock,
// opens no socket, starts no goroutine and uses no global random source.
// The engines draw message ids, tokens and timeouts from a *sim.Stream
// their owner hands them, and take the current time as an argument.
//
// # Messages and bytes
//
// A [Message] is a plain value. The simulator mostly needs its exact size
// on the wire, which [Size] computes without encoding; [Append] encodes it
// into a caller's buffer and [Parse] (or [ParseInto], which reuses the
// option storage of a Message) decodes one whole datagram: CoAP over UDP
// carries exactly one message per datagram.
//
// A parsed Message aliases its input: Payload and every option value point
// into the datagram, so the caller must not modify or reuse the datagram
// buffer while the Message is in use. Options built with [UintOption],
// [StringOption] or [BytesOption] hold values of up to 13 bytes inside the
// [Option] itself; [BytesOption] keeps a reference to longer values.
//
// # Canonical encoding
//
// The encoding of a message is unique once its options are in ascending
// number order (repeated options keep their relative order), so for every
// datagram that Parse accepts, Append of the result gives back the same
// bytes. Append and Size always encode options in that order, whatever
// the order of the Options slice: this is the one canonicalisation the
// codec performs. Option values are never rewritten (a uint value with
// leading zero bytes is kept as received).
//
// # Malformed input
//
// Parse never panics. Every error it returns is a *[ParseError] that says
// whether the 4-byte header was readable, and if so carries the message
// type and id so that the endpoint can reject the message as RFC 7252
// §4.2/§4.3 require: a Reset for a malformed CON (and, as libcoap 4.3
// does, for a malformed NON), silence for a malformed ACK or RST. See
// [ParseError.Reject].
package coap
