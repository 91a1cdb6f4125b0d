package mqtt

import (
	"encoding/binary"
	"slices"
	"strconv"
)

// The wire format of MQTT 3.1.1 (§2): a fixed header — one byte of packet
// type and flags, then the remaining length as a variable byte integer of
// one to four bytes — followed by remaining-length bytes of variable header
// and payload. Strings and binary fields carry a two-byte big-endian length
// prefix; packet identifiers and the keepalive are two-byte big-endian.

// Size returns the number of bytes p takes on the wire: the fixed header
// (including the remaining-length bytes), the variable header and the
// payload. It is len(Append(nil, p)) without encoding anything, and it does
// not allocate. Like Append it expects Validate(p) == nil.
func Size(p *Packet) int {
	n := remainingLength(p)
	return 1 + varintLen(n) + n
}

// remainingLength is the length of p's variable header and payload.
func remainingLength(p *Packet) int {
	switch p.Type {
	case Connect:
		return connectLength(p.Connect)
	case Connack, Puback, Pubrec, Pubrel, Pubcomp, Unsuback:
		return 2
	case Publish:
		n := 2 + len(p.Topic) + len(p.Payload)
		if p.QoS > 0 {
			n += 2
		}
		return n
	case Subscribe:
		n := 2
		for _, s := range p.Subscriptions {
			n += 2 + len(s.Filter) + 1
		}
		return n
	case Suback:
		return 2 + len(p.ReturnCodes)
	case Unsubscribe:
		n := 2
		for _, f := range p.Filters {
			n += 2 + len(f)
		}
		return n
	}
	return 0 // PINGREQ, PINGRESP, DISCONNECT
}

// connectHeaderLength is the CONNECT variable header: protocol name
// (00 04 "MQTT"), level, flags and keepalive.
const connectHeaderLength = 2 + 4 + 1 + 1 + 2

func connectLength(c *ConnectFields) int {
	if c == nil {
		c = &ConnectFields{}
	}
	n := connectHeaderLength + 2 + len(c.ClientID)
	if c.WillFlag {
		n += 2 + len(c.WillTopic) + 2 + len(c.WillMessage)
	}
	if c.UsernameFlag {
		n += 2 + len(c.Username)
	}
	if c.PasswordFlag {
		n += 2 + len(c.Password)
	}
	return n
}

// Append appends the encoding of p to dst and returns the extended buffer.
// It grows dst at most once, and not at all if dst has room for Size(p)
// more bytes.
//
// Append encodes p as it is, without checking it: call Validate first if
// p may be invalid. An invalid packet encodes to bytes that Parse rejects,
// which is how tests build malformed input, except where a length does not
// fit its field — a string or binary field over 65535 bytes, or a remaining
// length over MaxRemainingLength — where Append panics rather than write a
// corrupt stream. It encodes only the fields p.Type uses.
func Append(dst []byte, p *Packet) []byte {
	rl := remainingLength(p)
	if rl > MaxRemainingLength {
		panic("mqtt: Append: remaining length " + strconv.Itoa(rl) + " exceeds the maximum 268435455")
	}
	dst = slices.Grow(dst, 1+varintLen(rl)+rl)
	dst = append(dst, firstByte(p))
	dst = appendVarint(dst, rl)
	switch p.Type {
	case Connect:
		dst = appendConnect(dst, p.Connect)
	case Connack:
		var flags byte
		if p.SessionPresent {
			flags = 1
		}
		dst = append(dst, flags, byte(p.ReturnCode))
	case Publish:
		dst = appendString(dst, p.Topic)
		if p.QoS > 0 {
			dst = binary.BigEndian.AppendUint16(dst, p.PacketID)
		}
		dst = append(dst, p.Payload...)
	case Puback, Pubrec, Pubrel, Pubcomp, Unsuback:
		dst = binary.BigEndian.AppendUint16(dst, p.PacketID)
	case Subscribe:
		dst = binary.BigEndian.AppendUint16(dst, p.PacketID)
		for _, s := range p.Subscriptions {
			dst = appendString(dst, s.Filter)
			dst = append(dst, byte(s.QoS))
		}
	case Suback:
		dst = binary.BigEndian.AppendUint16(dst, p.PacketID)
		dst = append(dst, p.ReturnCodes...)
	case Unsubscribe:
		dst = binary.BigEndian.AppendUint16(dst, p.PacketID)
		for _, f := range p.Filters {
			dst = appendString(dst, f)
		}
	}
	return dst
}

// firstByte is the packet type and flags.
func firstByte(p *Packet) byte {
	b := byte(p.Type) << 4
	if p.Type != Publish {
		return b | p.Type.fixedFlags()
	}
	if p.Dup {
		b |= 0b1000
	}
	b |= byte(p.QoS&3) << 1
	if p.Retain {
		b |= 0b0001
	}
	return b
}

// Bits of the CONNECT flags byte (§3.1.2.3).
const (
	flagReserved     = 1 << 0
	flagCleanSession = 1 << 1
	flagWill         = 1 << 2
	flagWillQoSShift = 3 // two bits
	flagWillRetain   = 1 << 5
	flagPassword     = 1 << 6
	flagUsername     = 1 << 7
)

func appendConnect(dst []byte, c *ConnectFields) []byte {
	if c == nil {
		c = &ConnectFields{}
	}
	dst = appendString(dst, "MQTT")
	var flags byte
	if c.CleanSession {
		flags |= flagCleanSession
	}
	if c.WillFlag {
		flags |= flagWill
	}
	flags |= byte(c.WillQoS&3) << flagWillQoSShift
	if c.WillRetain {
		flags |= flagWillRetain
	}
	if c.PasswordFlag {
		flags |= flagPassword
	}
	if c.UsernameFlag {
		flags |= flagUsername
	}
	dst = append(dst, byte(c.ProtocolLevel), flags)
	dst = binary.BigEndian.AppendUint16(dst, c.KeepAlive)
	dst = appendString(dst, c.ClientID)
	if c.WillFlag {
		dst = appendString(dst, c.WillTopic)
		dst = appendString(dst, c.WillMessage)
	}
	if c.UsernameFlag {
		dst = appendString(dst, c.Username)
	}
	if c.PasswordFlag {
		dst = appendString(dst, c.Password)
	}
	return dst
}

// appendString appends a string or binary field with its two-byte length.
func appendString[S string | []byte](dst []byte, s S) []byte {
	if len(s) > MaxStringBytes {
		panic("mqtt: Append: field of " + strconv.Itoa(len(s)) + " bytes exceeds the 65535-byte maximum")
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(s)))
	return append(dst, s...)
}

// Variable byte integers (§2.2.3; MQTT 5.0 §1.5.5 also uses them for
// property lengths and some property values): seven bits per byte, least
// significant group first, the high bit set on every byte but the last; at
// most four bytes.

// varintLen is the number of bytes of the variable byte integer v. For v
// over MaxRemainingLength it counts the bytes the scheme would need
// without its four-byte limit.
func varintLen(v int) int {
	switch {
	case v < 1<<7:
		return 1
	case v < 1<<14:
		return 2
	case v < 1<<21:
		return 3
	case v < 1<<28:
		return 4
	}
	n := 4
	for v >>= 28; v > 0; v >>= 7 {
		n++
	}
	return n
}

// appendVarint appends the variable byte integer v, 0 ≤ v ≤
// MaxRemainingLength.
func appendVarint(dst []byte, v int) []byte {
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}

// parseVarint parses a variable byte integer from the front of b and
// returns it and its length. It returns ErrIncomplete if b ends inside it
// and ErrRemainingLength if a fourth byte has the continuation bit or the
// encoding is longer than needed.
func parseVarint(b []byte) (v, n int, err error) {
	for i := 0; i < 4; i++ {
		if i == len(b) {
			return 0, 0, ErrIncomplete
		}
		c := b[i]
		v |= int(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			if i > 0 && c == 0 {
				return 0, 0, ErrRemainingLength // e.g. 80 00 for 0
			}
			return v, i + 1, nil
		}
	}
	return 0, 0, ErrRemainingLength
}

// Decoder parses packets of one protocol version. The zero Decoder parses
// MQTT 3.1.1 without a size limit beyond the protocol's.
//
// A broker engine keeps one per connection: its first packet must be a
// CONNECT, whose protocol level then fixes Version for the rest of the
// connection (once MQTT 5.0 exists).
type Decoder struct {
	// Version is the protocol level of the packets after CONNECT. Zero
	// means Version311, the only one implemented; Parse panics for others.
	Version Version
	// MaxPacketBytes, if positive, is the largest packet (fixed header
	// included) Parse accepts; larger ones fail with ErrPacketTooLarge as
	// soon as their fixed header is readable. Use it to bound buffers.
	MaxPacketBytes int
}

// Parse parses the packet at the front of b with the zero Decoder:
// MQTT 3.1.1, no size limit. See Decoder.Parse.
func Parse(b []byte) (p Packet, n int, err error) {
	return Decoder{}.Parse(b)
}

// Parse parses the packet at the front of b, a byte stream such as the
// received data of a TCP connection, and returns it and its length n; the
// next packet begins at b[n:].
//
// If b holds only part of a packet, Parse returns ErrIncomplete and n = 0:
// call it again when more bytes have arrived. It decides that after
// reading at most the first five bytes (the fixed header), so calling it
// on every arrival costs O(1) until the packet is complete. Any other
// error is a *ParseError, also with n = 0: the packet is not valid MQTT
// 3.1.1 (errors.Is(err, ErrMalformed)), its CONNECT asks for another
// protocol level (ErrUnsupportedProtocolLevel), or it is larger than
// d.MaxPacketBytes (ErrPacketTooLarge). Errors in the fixed header are
// reported as soon as its bytes are there, before the rest arrives.
//
// A packet Parse accepts satisfies Validate, Size(&p) == n and
// Append(nil, &p) reproduces b[:n] exactly. Strings in p are copies; the
// byte slices p.Payload, p.ReturnCodes, p.Connect.WillMessage and
// p.Connect.Password alias b (with their capacity capped, so appending to
// them does not overwrite b) and are nil when empty. Parse allocates one
// string per topic, filter, client id and user name, the ConnectFields of
// a CONNECT and the Subscriptions or Filters slice of a SUBSCRIBE or
// UNSUBSCRIBE; a PUBLISH costs one allocation, its topic.
func (d Decoder) Parse(b []byte) (p Packet, n int, err error) {
	if d.Version != 0 && d.Version != Version311 {
		panic("mqtt: Decoder.Version " + strconv.Itoa(int(d.Version)) + " is not implemented")
	}
	if len(b) == 0 {
		return Packet{}, 0, ErrIncomplete
	}
	t := Type(b[0] >> 4)
	flags := b[0] & 0x0f
	if !t.Valid() {
		return Packet{}, 0, &ParseError{t, 0, ErrPacketType}
	}
	if t == Publish {
		p.Dup = flags&0b1000 != 0
		p.QoS = QoS(flags>>1) & 3
		p.Retain = flags&0b0001 != 0
		if p.QoS > QoS2 {
			return Packet{}, 0, &ParseError{t, 0, ErrQoS}
		}
		if p.Dup && p.QoS == QoS0 {
			return Packet{}, 0, &ParseError{t, 0, errDupQoS0}
		}
	} else if flags != t.fixedFlags() {
		return Packet{}, 0, &ParseError{t, 0, ErrFlags}
	}
	rl, m, err := parseVarint(b[1:])
	if err == ErrIncomplete {
		return Packet{}, 0, ErrIncomplete
	}
	if err != nil {
		return Packet{}, 0, &ParseError{t, 1, err}
	}
	n = 1 + m + rl
	if d.MaxPacketBytes > 0 && n > d.MaxPacketBytes {
		return Packet{}, 0, &ParseError{t, 1, ErrPacketTooLarge}
	}
	if len(b) < n {
		return Packet{}, 0, ErrIncomplete
	}
	p.Type = t
	off, err := parseBody(&p, b[1+m:n])
	if err != nil {
		return Packet{}, 0, &ParseError{t, 1 + m + off, err}
	}
	return p, n, nil
}

var (
	errDupQoS0         = detailed(ErrFlags, "DUP set on a QoS 0 PUBLISH")
	errTrailing        = detailed(ErrLength, "bytes left over after the last field")
	errShort           = detailed(ErrLength, "a field runs past the end of the packet")
	errFixedLength     = detailed(ErrLength, "wrong remaining length for this packet type")
	errMQTT31          = detailed(ErrUnsupportedProtocolLevel, `MQTT 3.1 (protocol name "MQIsdp")`)
	errConnackFlags    = detailed(ErrReservedBits, "CONNACK acknowledge flags other than session present")
	errSessionPresent  = detailed(ErrReturnCode, "session present with a refused connection")
	errSubscribeOption = detailed(ErrReservedBits, "upper bits of a requested QoS")
	errConnectReserved = detailed(ErrReservedBits, "CONNECT reserved flag")
	errSubackCode      = detailed(ErrReturnCode, "SUBACK return code not 0, 1, 2 or 0x80")
)

// parseBody parses the variable header and payload of a packet whose type
// p.Type and PUBLISH flags are set, from body, which is exactly the
// remaining length long. On error it returns the offset in body of the
// field at fault.
func parseBody(p *Packet, body []byte) (off int, err error) {
	switch p.Type {
	case Connect:
		return parseConnect(p, body)
	case Connack:
		if len(body) != 2 {
			return 0, errFixedLength
		}
		if body[0]&^1 != 0 {
			return 0, errConnackFlags
		}
		p.SessionPresent = body[0] == 1
		p.ReturnCode = ConnectReturnCode(body[1])
		if p.ReturnCode > RefusedNotAuthorized {
			return 1, ErrReturnCode
		}
		if p.SessionPresent && p.ReturnCode != Accepted {
			return 0, errSessionPresent
		}
		return 0, nil
	case Publish:
		if p.Topic, off, err = parseString(body, 0, ValidTopicName); err != nil {
			return off, err
		}
		if p.QoS > 0 {
			if p.PacketID, off, err = parsePacketID(body, off); err != nil {
				return off, err
			}
		}
		p.Payload = subslice(body, off, len(body))
		return 0, nil
	case Puback, Pubrec, Pubrel, Pubcomp, Unsuback:
		if len(body) != 2 {
			return 0, errFixedLength
		}
		p.PacketID, _, err = parsePacketID(body, 0)
		return 0, err
	case Subscribe:
		if p.PacketID, off, err = parsePacketID(body, 0); err != nil {
			return off, err
		}
		for off < len(body) {
			var filter string
			if filter, off, err = parseString(body, off, ValidTopicFilter); err != nil {
				return off, err
			}
			if off == len(body) {
				return off, errShort
			}
			o := body[off]
			if o&^3 != 0 {
				return off, errSubscribeOption
			}
			if o == 3 {
				return off, ErrQoS
			}
			p.Subscriptions = append(p.Subscriptions, Subscription{Filter: filter, QoS: QoS(o)})
			off++
		}
		if len(p.Subscriptions) == 0 {
			return off, ErrNoFilters
		}
		return 0, nil
	case Suback:
		if p.PacketID, off, err = parsePacketID(body, 0); err != nil {
			return off, err
		}
		if off == len(body) {
			return off, ErrNoFilters
		}
		for i, c := range body[off:] {
			if c > 2 && c != SubackFailure {
				return off + i, errSubackCode
			}
		}
		p.ReturnCodes = subslice(body, off, len(body))
		return 0, nil
	case Unsubscribe:
		if p.PacketID, off, err = parsePacketID(body, 0); err != nil {
			return off, err
		}
		for off < len(body) {
			var filter string
			if filter, off, err = parseString(body, off, ValidTopicFilter); err != nil {
				return off, err
			}
			p.Filters = append(p.Filters, filter)
		}
		if len(p.Filters) == 0 {
			return off, ErrNoFilters
		}
		return 0, nil
	}
	// PINGREQ, PINGRESP, DISCONNECT.
	if len(body) != 0 {
		return 0, errFixedLength
	}
	return 0, nil
}

func parseConnect(p *Packet, body []byte) (off int, err error) {
	// Variable header: protocol name, level, flags, keepalive.
	name, off, err := parseField(body, 0)
	if err != nil {
		return off, err
	}
	switch string(name) {
	case "MQTT":
	case "MQIsdp":
		return 0, errMQTT31
	default:
		return 0, ErrProtocolName
	}
	if len(body) < off+4 {
		return len(body), errShort
	}
	if Version(body[off]) != Version311 {
		return off, ErrUnsupportedProtocolLevel
	}
	c := &ConnectFields{ProtocolLevel: Version311}
	flags := body[off+1]
	switch {
	case flags&flagReserved != 0:
		return off + 1, errConnectReserved
	case flags>>flagWillQoSShift&3 == 3:
		return off + 1, ErrQoS
	case flags&flagWill == 0 && flags&(3<<flagWillQoSShift|flagWillRetain) != 0:
		return off + 1, ErrWillFlags
	case flags&flagPassword != 0 && flags&flagUsername == 0:
		return off + 1, ErrPasswordWithoutUsername
	}
	c.CleanSession = flags&flagCleanSession != 0
	c.WillFlag = flags&flagWill != 0
	c.WillQoS = QoS(flags>>flagWillQoSShift) & 3
	c.WillRetain = flags&flagWillRetain != 0
	c.PasswordFlag = flags&flagPassword != 0
	c.UsernameFlag = flags&flagUsername != 0
	c.KeepAlive = binary.BigEndian.Uint16(body[off+2:])
	off += 4

	// Payload: client id, will topic and message, user name, password.
	if c.ClientID, off, err = parseString(body, off, validString); err != nil {
		return off, err
	}
	if c.WillFlag {
		if c.WillTopic, off, err = parseString(body, off, ValidTopicName); err != nil {
			return off, err
		}
		if c.WillMessage, off, err = parseField(body, off); err != nil {
			return off, err
		}
	}
	if c.UsernameFlag {
		if c.Username, off, err = parseString(body, off, validString); err != nil {
			return off, err
		}
	}
	if c.PasswordFlag {
		if c.Password, off, err = parseField(body, off); err != nil {
			return off, err
		}
	}
	if off != len(body) {
		return off, errTrailing
	}
	p.Connect = c
	return 0, nil
}

// parseField parses a two-byte length and that many bytes at b[off:] and
// returns them (aliasing b, capacity capped, nil if empty) and the offset
// after them.
func parseField(b []byte, off int) (field []byte, next int, err error) {
	if len(b)-off < 2 {
		return nil, off, errShort
	}
	n := int(binary.BigEndian.Uint16(b[off:]))
	if len(b)-off-2 < n {
		return nil, off, errShort
	}
	return subslice(b, off+2, off+2+n), off + 2 + n, nil
}

// parseString is parseField for a UTF-8 string field: it returns a copy
// of the field, checked with check (validString, ValidTopicName or
// ValidTopicFilter, which all check the encoding of §1.5.3).
func parseString(b []byte, off int, check func(string) error) (s string, next int, err error) {
	field, next, err := parseField(b, off)
	if err != nil {
		return "", next, err
	}
	s = string(field)
	if err = check(s); err != nil {
		return "", off, err
	}
	return s, next, nil
}

// parsePacketID parses a non-zero packet identifier at b[off:].
func parsePacketID(b []byte, off int) (id uint16, next int, err error) {
	if len(b)-off < 2 {
		return 0, off, errShort
	}
	id = binary.BigEndian.Uint16(b[off:])
	if id == 0 {
		return 0, off, ErrPacketID
	}
	return id, off + 2, nil
}

// subslice is b[i:j] with its capacity capped, or nil if empty.
func subslice(b []byte, i, j int) []byte {
	if i == j {
		return nil
	}
	return b[i:j:j]
}
