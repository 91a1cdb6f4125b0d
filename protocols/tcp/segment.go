package tcp

import "strings"

// Header sizes, as Linux sends them by default (RFC 791, RFC 9293, RFC 7323,
// RFC 2018).
const (
	// IPv4HeaderBytes is an IPv4 header without options.
	IPv4HeaderBytes = 20
	// HeaderBytes is a TCP header without options.
	HeaderBytes = 20
	// SynOptionBytes are the options of a Linux SYN and SYN-ACK: MSS (4),
	// SACK-permitted (2), timestamps (10), NOP (1) and window scale (3).
	SynOptionBytes = 20
	// TimestampOptionBytes is the option block of every other segment of a
	// connection: NOP, NOP, timestamps.
	TimestampOptionBytes = 12
	// DefaultMTU is the Ethernet MTU.
	DefaultMTU = 1500
	// DefaultMSS is the payload of a full segment at DefaultMTU: the MSS
	// option says 1460, but the timestamp option takes 12 of those bytes.
	DefaultMSS = DefaultMTU - IPv4HeaderBytes - HeaderBytes - TimestampOptionBytes
)

// MSSForMTU is the payload of a full segment on a path with the given MTU,
// with the timestamp option in every segment (Linux's mss_cache).
func MSSForMTU(mtu int) int {
	return mtu - IPv4HeaderBytes - HeaderBytes - TimestampOptionBytes
}

// Flags are the TCP control bits, at their header bit positions, plus one
// simulator-only bit.
type Flags uint8

// The control bits.
const (
	FIN Flags = 1 << 0
	SYN Flags = 1 << 1
	RST Flags = 1 << 2
	PSH Flags = 1 << 3
	ACK Flags = 1 << 4
	// NoOpts is not a TCP bit: it marks a segment sent without options,
	// which is how Linux answers a segment for no connection
	// (tcp_v4_send_reset). It only changes WireBytes.
	NoOpts Flags = 1 << 7
)

// String lists the set bits, as tcpdump does ("SYN|ACK").
func (f Flags) String() string {
	if f == 0 {
		return "0"
	}
	var b strings.Builder
	for _, x := range []struct {
		f    Flags
		name string
	}{{SYN, "SYN"}, {FIN, "FIN"}, {RST, "RST"}, {PSH, "PSH"}, {ACK, "ACK"}, {NoOpts, "NOOPTS"}} {
		if f&x.f != 0 {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			b.WriteString(x.name)
		}
	}
	return b.String()
}

// Segment is what crosses the network: a TCP header and a payload length.
// The simulator never materialises payload bytes; the layer above maps byte
// counts to its own records. It is a small value with no pointers.
type Segment struct {
	Seq, Ack uint32
	Flags    Flags
	Len      int32  // payload bytes
	Wnd      uint32 // advertised receive window in bytes (scaling not modeled); 0 = not given
	// TSval and TSecr are the timestamp option's values (a 1 ms clock plus
	// a per-connection offset). The model fills them for traces; RTT is
	// measured by Karn's rule, not from them.
	TSval, TSecr uint32
}

// WireBytes is the size of the segment on the wire: IPv4 header, TCP header
// with options, payload. A SYN or SYN-ACK is 60 bytes, a pure ACK 52, a data
// segment 52 + Len, a reset for no connection 40.
func (s Segment) WireBytes() int {
	n := IPv4HeaderBytes + HeaderBytes + int(max(s.Len, 0))
	switch {
	case s.Flags&NoOpts != 0:
	case s.Flags&SYN != 0:
		n += SynOptionBytes
	default:
		n += TimestampOptionBytes
	}
	return n
}

// seqLen is the sequence space the segment occupies: payload, SYN and FIN.
func (s Segment) seqLen() uint32 {
	n := uint32(max(s.Len, 0))
	if s.Flags&SYN != 0 {
		n++
	}
	if s.Flags&FIN != 0 {
		n++
	}
	return n
}

// ResetFor is the reset to send in answer to seg when no connection exists
// for it (RFC 9293 §3.10.7.1, as Linux's tcp_v4_send_reset does it: no
// options). It reports false for a segment that must not be answered: a
// reset itself.
func ResetFor(seg Segment) (Segment, bool) {
	if seg.Flags&RST != 0 {
		return Segment{}, false
	}
	if seg.Flags&ACK != 0 {
		return Segment{Seq: seg.Ack, Flags: RST | NoOpts}, true
	}
	return Segment{Ack: seg.Seq + seg.seqLen(), Flags: RST | ACK | NoOpts}, true
}

// Sequence-number comparisons modulo 2^32 (RFC 1982 style).
func seqLT(a, b uint32) bool { return int32(a-b) < 0 }
func seqLE(a, b uint32) bool { return int32(a-b) <= 0 }
func seqGT(a, b uint32) bool { return int32(a-b) > 0 }
