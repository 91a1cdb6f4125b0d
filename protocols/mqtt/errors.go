package mqtt

import (
	"errors"
	"strconv"
	"strings"
)

// ErrIncomplete means the buffer holds only the beginning of a packet:
// nothing was consumed, and Parse should be called again with the same
// bytes plus whatever arrives next. Parse returns it bare, never inside a
// ParseError, so that checking for it costs nothing.
var ErrIncomplete = errors.New("mqtt: incomplete packet, need more bytes")

// ErrMalformed matches (with errors.Is) every error that makes a packet
// invalid per MQTT 3.1.1. The specification's reaction, and mosquitto's,
// is to close the network connection without a response.
var ErrMalformed = errors.New("mqtt: malformed packet")

// ErrUnsupportedProtocolLevel means a CONNECT asks for a protocol this
// package does not speak: protocol name "MQTT" with a level other than 4,
// or the MQTT 3.1 name "MQIsdp". It is not malformed: the server answers
// CONNACK with RefusedProtocolVersion and then closes the connection
// (§3.1.2.2 [MQTT-3.1.2-2]; mosquitto 2.0 does exactly that for level 6).
// The rest of the CONNECT is not checked, since its layout depends on the
// level.
var ErrUnsupportedProtocolLevel = errors.New("mqtt: unsupported protocol level")

// ErrPacketTooLarge means a packet's fixed header announces more bytes
// than the Decoder's MaxPacketBytes. It is reported as soon as the fixed
// header is readable, before the packet is buffered. It is not malformed,
// but the only reaction MQTT 3.1.1 offers is to close the connection.
var ErrPacketTooLarge = errors.New("mqtt: packet larger than the decoder's limit")

// The reasons a packet is malformed. Each matches ErrMalformed with
// errors.Is. Parse wraps them in a *ParseError; Validate, ValidTopicName
// and ValidTopicFilter return them, possibly with a detail, directly.
var (
	// ErrRemainingLength: the remaining length has a continuation bit in
	// its fourth byte, or is not in its shortest form (MQTT 3.1.1 leaves
	// the latter open; MQTT 5.0 §1.5.5 forbids it, and rejecting it keeps
	// Size equal to the bytes consumed).
	ErrRemainingLength = malformed("remaining length longer than 4 bytes or not minimally encoded")
	// ErrPacketType: the packet type is the reserved 0 or 15.
	ErrPacketType = malformed("reserved packet type")
	// ErrFlags: the low nibble of the first byte is not 0010 for PUBREL,
	// SUBSCRIBE and UNSUBSCRIBE or 0000 for the other non-PUBLISH types
	// (§2.2.2 [MQTT-2.2.2-2]), or a QoS 0 PUBLISH has DUP set
	// ([MQTT-3.3.1-2]; mosquitto 2.0's handler disconnects for it too, though
	// the reference traces do not exercise it).
	ErrFlags = malformed("invalid fixed-header flags")
	// ErrQoS: a PUBLISH, will or requested QoS is 3 ([MQTT-3.3.1-4],
	// [MQTT-3.1.2-14], [MQTT-3-8.3-4]).
	ErrQoS = malformed("QoS greater than 2")
	// ErrReservedBits: the CONNECT reserved flag ([MQTT-3.1.2-3]), a CONNACK
	// acknowledge flag other than session present, or the upper six bits
	// of a SUBSCRIBE requested-QoS byte ([MQTT-3-8.3-4]) is set.
	ErrReservedBits = malformed("reserved bit set")
	// ErrWillFlags: will QoS or will retain is set while the will flag is
	// not ([MQTT-3.1.2-11], [MQTT-3.1.2-13], [MQTT-3.1.2-15]). Validate
	// also reports a will topic or message without the flag.
	ErrWillFlags = malformed("will QoS or retain without the will flag")
	// ErrPasswordWithoutUsername: the password flag is set and the user
	// name flag is not ([MQTT-3.1.2-22]; MQTT 5.0 allows it).
	ErrPasswordWithoutUsername = malformed("password flag without user name flag")
	// ErrPacketID: a packet identifier is 0 ([MQTT-2.3.1-1]); acks echo an
	// identifier, so they cannot carry 0 either.
	ErrPacketID = malformed("packet identifier 0")
	// ErrProtocolName: a CONNECT's protocol name is neither "MQTT" nor
	// "MQIsdp". mosquitto 2.0 closes the connection without a CONNACK.
	ErrProtocolName = malformed("protocol name is not MQTT")
	// ErrUTF8: a UTF-8 string field is not well-formed UTF-8 (this
	// includes surrogates and overlong forms) or contains U+0000
	// ([MQTT-1.5.3-1], [MQTT-1.5.3-2]).
	ErrUTF8 = malformed("string is not valid UTF-8 or contains U+0000")
	// ErrTopicName: a PUBLISH or will topic is empty, longer than 65535
	// bytes or contains + or # ([MQTT-3.3.2-2], [MQTT-4.7.3-1]).
	ErrTopicName = malformed("invalid topic name")
	// ErrTopicFilter: a SUBSCRIBE or UNSUBSCRIBE filter is empty or uses
	// a wildcard other than as a whole level (# only as the last level)
	// (§4.7.1). mosquitto 2.0 closes the connection for "a/#/b" and "a/b+".
	ErrTopicFilter = malformed("invalid topic filter")
	// ErrNoFilters: a SUBSCRIBE or UNSUBSCRIBE has no filter
	// ([MQTT-3.8.3-3], [MQTT-3.10.3-2]), or a SUBACK no return code.
	ErrNoFilters = malformed("no topic filter")
	// ErrReturnCode: a CONNACK return code is reserved (6–255) or comes
	// with session present set ([MQTT-3.2.2-4]), or a SUBACK return code
	// is not 0, 1, 2 or 0x80 ([MQTT-3.9.3-2]).
	ErrReturnCode = malformed("reserved return code")
	// ErrLength: a length prefix runs past the end of the packet, the
	// packet has bytes left over after its last field, or a fixed-size
	// packet has the wrong remaining length. Validate also reports a
	// string or binary field longer than 65535 bytes, or a packet whose
	// remaining length exceeds MaxRemainingLength.
	ErrLength = malformed("field lengths disagree with the packet length")
	// ErrProperties: a packet or CONNECT has MQTT 5.0 properties, which
	// protocol level 4 cannot carry (Validate only).
	ErrProperties = malformed("MQTT 5.0 properties in an MQTT 3.1.1 packet")
)

// ParseError is a packet Parse rejects, with where it went wrong.
type ParseError struct {
	Type   Type  // the packet's type (the high nibble of its first byte)
	Offset int   // offset of the offending field from the packet's first byte
	Err    error // one of the Err… values of this package, possibly with a detail
}

func (e *ParseError) Error() string {
	what := "mqtt: "
	if errors.Is(e.Err, ErrMalformed) {
		what += "malformed "
	}
	return what + e.Type.String() + " at byte " + strconv.Itoa(e.Offset) + ": " +
		strings.TrimPrefix(e.Err.Error(), "mqtt: ")
}

// Unwrap returns e.Err, so errors.Is sees both the reason and, for a
// malformed packet, ErrMalformed.
func (e *ParseError) Unwrap() error { return e.Err }

// codecError is a sentinel of this package; malformed ones match
// ErrMalformed.
type codecError struct {
	msg       string
	malformed bool
}

func malformed(msg string) error { return &codecError{"mqtt: " + msg, true} }

func (e *codecError) Error() string { return e.msg }

func (e *codecError) Is(target error) bool { return e.malformed && target == ErrMalformed }

// detailError is a sentinel with a fixed detail. Values are built once at
// init, so returning one does not allocate.
type detailError struct {
	kind   error
	detail string
}

func detailed(kind error, detail string) error { return &detailError{kind, detail} }

func (e *detailError) Error() string { return e.kind.Error() + ": " + e.detail }

func (e *detailError) Unwrap() error { return e.kind }
