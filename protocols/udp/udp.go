// Package udp is the plain-datagram protocol: wire sizes and the UDP header
// codec (RFC 768), carried over IPv4 (RFC 791).
//
// The simulator models IPv4 with a 20-byte header and no options, the
// header every IoT stack in the source documents uses on its access links
// (ESP32 lwIP, Contiki, mosquitto on Ethernet). Link-layer framing is not
// counted: it differs per radio and belongs to the energy profile's air
// time, not to the packet.
//
// Like every package under protocols, udp is sans-IO: it reads no clock,
// opens no socket and starts no goroutine.
package udp

import (
	"encoding/binary"
	"errors"
)

const (
	// IPv4HeaderBytes is the size of an IPv4 header without options.
	IPv4HeaderBytes = 20
	// HeaderBytes is the size of a UDP header.
	HeaderBytes = 8
	// MaxPayload is the largest payload of one datagram over IPv4:
	// 65535 − 20 − 8.
	MaxPayload = 65535 - IPv4HeaderBytes - HeaderBytes
)

// WireBytes is the size on the wire of a datagram with the given payload,
// IP header included.
func WireBytes(payload int) int { return IPv4HeaderBytes + HeaderBytes + payload }

// Header is a UDP header.
type Header struct {
	SrcPort, DstPort uint16
	Length           uint16 // header plus payload
	Checksum         uint16 // 0 = not computed (allowed over IPv4)
}

// AppendHeader appends the 8-byte encoding of h to dst.
func AppendHeader(dst []byte, h Header) []byte {
	return binary.BigEndian.AppendUint16(
		binary.BigEndian.AppendUint16(
			binary.BigEndian.AppendUint16(
				binary.BigEndian.AppendUint16(dst, h.SrcPort), h.DstPort), h.Length), h.Checksum)
}

// ErrShort means the input is shorter than its header says.
var ErrShort = errors.New("udp: datagram shorter than its header or length field")

// ParseHeader parses a datagram's header. It returns the header and the
// offset of the payload; the payload is b[n:h.Length] and aliases b.
func ParseHeader(b []byte) (h Header, n int, err error) {
	if len(b) < HeaderBytes {
		return Header{}, 0, ErrShort
	}
	h = Header{
		SrcPort:  binary.BigEndian.Uint16(b[0:]),
		DstPort:  binary.BigEndian.Uint16(b[2:]),
		Length:   binary.BigEndian.Uint16(b[4:]),
		Checksum: binary.BigEndian.Uint16(b[6:]),
	}
	if int(h.Length) < HeaderBytes || int(h.Length) > len(b) {
		return Header{}, 0, ErrShort
	}
	return h, HeaderBytes, nil
}
