package mqtt

import (
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// malformedCases are byte strings Parse must reject, with the reason and
// the offset of the field at fault. "(sN bad_x)" marks a case from the
// mosquitto reference traces, where the broker closed the connection.
var malformedCases = []struct {
	name   string
	wire   string // hex; spaces ignored
	want   error
	offset int
}{
	// Fixed header.
	{"remaining length of 5 bytes", "30 ff ff ff ff 7f", ErrRemainingLength, 1},
	{"remaining length: 4th byte continues, nothing after", "30 ff ff ff ff", ErrRemainingLength, 1},
	{"remaining length not minimal (0 as 80 00)", "c0 80 00", ErrRemainingLength, 1},
	{"remaining length not minimal (2 as 82 80 00)", "40 82 80 00 00 01", ErrRemainingLength, 1},
	{"packet type 0", "00 00", ErrPacketType, 0},
	{"packet type 15 (AUTH in 5.0)", "f0 00", ErrPacketType, 0},
	{"CONNECT flags 0001", "11 0c 00 04 4d 51 54 54 04 02 00 3c 00 00", ErrFlags, 0},
	{"CONNACK flags 1000", "28 02 00 00", ErrFlags, 0},
	{"PUBACK flags 0010", "42 02 00 01", ErrFlags, 0},
	{"PUBREC flags 0010", "52 02 00 01", ErrFlags, 0},
	{"PUBREL flags 0000", "60 02 00 01", ErrFlags, 0},
	{"PUBREL flags 0011", "63 02 00 01", ErrFlags, 0},
	{"PUBCOMP flags 0010", "72 02 00 01", ErrFlags, 0},
	{"SUBSCRIBE flags 0000 (s10 bad_k)", "80 08 00 01 00 03 61 2f 62 00", ErrFlags, 0},
	{"SUBACK flags 0010", "92 03 00 01 00", ErrFlags, 0},
	{"UNSUBSCRIBE flags 0000", "a0 07 00 01 00 03 61 2f 62", ErrFlags, 0},
	{"UNSUBACK flags 0001", "b1 02 00 01", ErrFlags, 0},
	{"PINGREQ flags 0001", "c1 00", ErrFlags, 0},
	{"PINGRESP flags 1000", "d8 00", ErrFlags, 0},
	{"DISCONNECT flags 0010", "e2 00", ErrFlags, 0},

	// PUBLISH.
	{"PUBLISH QoS 3 (s10 bad_l)", "36 07 00 03 61 2f 62 00 01", ErrQoS, 0},
	{"PUBLISH QoS 3 with DUP and RETAIN", "3f 07 00 03 61 2f 62 00 01", ErrQoS, 0},
	{"PUBLISH DUP at QoS 0", "38 05 00 03 61 2f 62", ErrFlags, 0},
	{"PUBLISH QoS 1 packet id 0", "32 07 00 03 61 2f 62 00 00", ErrPacketID, 7},
	{"PUBLISH QoS 2 packet id 0", "34 07 00 03 61 2f 62 00 00", ErrPacketID, 7},
	{"PUBLISH QoS 1 without packet id", "32 05 00 03 61 2f 62", ErrLength, 7},
	{"PUBLISH topic a/+ (s10 bad_e)", "30 06 00 03 61 2f 2b 78", ErrTopicName, 2},
	{"PUBLISH topic a/# (s10 bad_e2)", "30 06 00 03 61 2f 23 78", ErrTopicName, 2},
	{"PUBLISH empty topic (s10 bad_f)", "30 03 00 00 78", ErrTopicName, 2},
	{"PUBLISH topic length past the packet", "30 03 00 05 61", ErrLength, 2},
	{"PUBLISH without topic length", "30 01 00", ErrLength, 2},
	{"PUBLISH empty body", "30 00", ErrLength, 2},
	{"PUBLISH topic invalid UTF-8", "30 04 00 02 c3 28", ErrUTF8, 2},
	{"PUBLISH topic with a surrogate", "30 05 00 03 ed a0 80", ErrUTF8, 2},
	{"PUBLISH topic with an overlong /", "30 04 00 02 c0 af", ErrUTF8, 2},
	{"PUBLISH topic with U+0000", "30 04 00 02 61 00", ErrUTF8, 2},

	// CONNECT.
	{"CONNECT protocol name MQTX (s10 bad_a)", "10 0d 00 04 4d 51 54 58 04 02 00 3c 00 01 62", ErrProtocolName, 2},
	{"CONNECT protocol name mqtt", "10 0d 00 04 6d 71 74 74 04 02 00 3c 00 01 62", ErrProtocolName, 2},
	{"CONNECT protocol name past the packet", "10 04 00 04 4d 51", ErrLength, 2},
	{"CONNECT ends after the protocol name", "10 06 00 04 4d 51 54 54", ErrLength, 8},
	{"CONNECT ends inside keepalive", "10 09 00 04 4d 51 54 54 04 02 00", ErrLength, 11},
	{"CONNECT reserved flag", "10 0d 00 04 4d 51 54 54 04 03 00 3c 00 01 62", ErrReservedBits, 9},
	{"CONNECT will QoS without will flag", "10 0d 00 04 4d 51 54 54 04 0a 00 3c 00 01 62", ErrWillFlags, 9},
	{"CONNECT will QoS 2 without will flag", "10 0d 00 04 4d 51 54 54 04 12 00 3c 00 01 62", ErrWillFlags, 9},
	{"CONNECT will retain without will flag", "10 0d 00 04 4d 51 54 54 04 22 00 3c 00 01 62", ErrWillFlags, 9},
	{"CONNECT will QoS 3", "10 12 00 04 4d 51 54 54 04 1e 00 3c 00 01 62 00 01 77 00 00", ErrQoS, 9},
	{"CONNECT password without user name", "10 10 00 04 4d 51 54 54 04 42 00 3c 00 01 62 00 01 70", ErrPasswordWithoutUsername, 9},
	{"CONNECT no client id", "10 0a 00 04 4d 51 54 54 04 02 00 3c", ErrLength, 12},
	{"CONNECT client id past the packet", "10 0d 00 04 4d 51 54 54 04 02 00 3c 00 05 62", ErrLength, 12},
	{"CONNECT client id invalid UTF-8", "10 0d 00 04 4d 51 54 54 04 02 00 3c 00 01 ff", ErrUTF8, 12},
	{"CONNECT client id with U+0000", "10 0d 00 04 4d 51 54 54 04 02 00 3c 00 01 00", ErrUTF8, 12},
	{"CONNECT bytes after the payload", "10 0e 00 04 4d 51 54 54 04 02 00 3c 00 01 62 00", ErrLength, 15},
	{"CONNECT will flag without will topic", "10 0d 00 04 4d 51 54 54 04 06 00 3c 00 01 62", ErrLength, 15},
	{"CONNECT will flag without will message", "10 10 00 04 4d 51 54 54 04 06 00 3c 00 01 62 00 01 77", ErrLength, 18},
	{"CONNECT will topic with a wildcard", "10 12 00 04 4d 51 54 54 04 06 00 3c 00 01 62 00 01 23 00 00", ErrTopicName, 15},
	{"CONNECT empty will topic", "10 11 00 04 4d 51 54 54 04 06 00 3c 00 01 62 00 00 00 00", ErrTopicName, 15},
	{"CONNECT user name flag without user name", "10 0d 00 04 4d 51 54 54 04 82 00 3c 00 01 62", ErrLength, 15},
	{"CONNECT user name invalid UTF-8", "10 10 00 04 4d 51 54 54 04 82 00 3c 00 01 62 00 01 ff", ErrUTF8, 15},
	{"CONNECT password flag without password", "10 10 00 04 4d 51 54 54 04 c2 00 3c 00 01 62 00 01 75", ErrLength, 18},

	// CONNACK.
	{"CONNACK remaining length 3", "20 03 00 00 00", ErrLength, 2},
	{"CONNACK remaining length 1", "20 01 00", ErrLength, 2},
	{"CONNACK acknowledge flag bit 1", "20 02 02 00", ErrReservedBits, 2},
	{"CONNACK return code 6", "20 02 00 06", ErrReturnCode, 3},
	{"CONNACK session present with rc 1", "20 02 01 01", ErrReturnCode, 2},

	// Acks.
	{"PUBACK remaining length 3", "40 03 00 01 00", ErrLength, 2},
	{"PUBACK remaining length 1", "40 01 00", ErrLength, 2},
	{"PUBACK packet id 0", "40 02 00 00", ErrPacketID, 2},
	{"PUBREC packet id 0", "50 02 00 00", ErrPacketID, 2},
	{"PUBREL packet id 0", "62 02 00 00", ErrPacketID, 2},
	{"PUBCOMP remaining length 0", "70 00", ErrLength, 2},
	{"UNSUBACK packet id 0", "b0 02 00 00", ErrPacketID, 2},

	// SUBSCRIBE.
	{"SUBSCRIBE without filters", "82 02 00 01", ErrNoFilters, 4},
	{"SUBSCRIBE packet id 0", "82 08 00 00 00 03 61 2f 62 00", ErrPacketID, 2},
	{"SUBSCRIBE without packet id", "82 01 00", ErrLength, 2},
	{"SUBSCRIBE requested QoS 3 (s10 bad_m)", "82 08 00 01 00 03 61 2f 62 03", ErrQoS, 9},
	{"SUBSCRIBE requested QoS reserved bits", "82 08 00 01 00 03 61 2f 62 04", ErrReservedBits, 9},
	{"SUBSCRIBE requested QoS 0x81", "82 08 00 01 00 03 61 2f 62 81", ErrReservedBits, 9},
	{"SUBSCRIBE filter a/#/b (s10 bad_g)", "82 0a 00 01 00 05 61 2f 23 2f 62 00", ErrTopicFilter, 4},
	{"SUBSCRIBE filter a/b+ (s10 bad_g2)", "82 09 00 01 00 04 61 2f 62 2b 00", ErrTopicFilter, 4},
	{"SUBSCRIBE empty filter", "82 05 00 01 00 00 00", ErrTopicFilter, 4},
	{"SUBSCRIBE filter invalid UTF-8", "82 06 00 01 00 01 80 00", ErrUTF8, 4},
	{"SUBSCRIBE without requested QoS", "82 07 00 01 00 03 61 2f 62", ErrLength, 9},
	{"SUBSCRIBE second filter bad", "82 0c 00 01 00 01 61 00 00 03 61 23 62 00", ErrTopicFilter, 8},
	{"SUBSCRIBE trailing byte", "82 09 00 01 00 03 61 2f 62 00 00", ErrLength, 10},

	// SUBACK.
	{"SUBACK without return codes", "90 02 00 01", ErrNoFilters, 4},
	{"SUBACK return code 3", "90 03 00 01 03", ErrReturnCode, 4},
	{"SUBACK return code 0x81", "90 04 00 01 00 81", ErrReturnCode, 5},
	{"SUBACK packet id 0", "90 03 00 00 00", ErrPacketID, 2},

	// UNSUBSCRIBE.
	{"UNSUBSCRIBE without filters", "a2 02 00 01", ErrNoFilters, 4},
	{"UNSUBSCRIBE packet id 0", "a2 07 00 00 00 03 61 2f 62", ErrPacketID, 2},
	{"UNSUBSCRIBE filter past the packet", "a2 05 00 01 00 03 61", ErrLength, 4},
	{"UNSUBSCRIBE filter #/a", "a2 07 00 01 00 03 23 2f 61", ErrTopicFilter, 4},
	{"UNSUBSCRIBE trailing byte", "a2 08 00 01 00 03 61 2f 62 00", ErrLength, 9},

	// Empty packets.
	{"PINGREQ remaining length 1", "c0 01 00", ErrLength, 2},
	{"PINGRESP remaining length 2", "d0 02 00 00", ErrLength, 2},
	{"DISCONNECT remaining length 1", "e0 01 00", ErrLength, 2},
}

func decodeHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		tb.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func TestParseMalformed(t *testing.T) {
	for _, tt := range malformedCases {
		wire := decodeHex(t, tt.wire)
		// A following packet must not change the verdict.
		for _, b := range [][]byte{wire, append(wire[:len(wire):len(wire)], 0xc0, 0x00)} {
			p, n, err := Parse(b)
			var pe *ParseError
			switch {
			case !errors.Is(err, tt.want):
				t.Errorf("%s: Parse(%x) = %v; want %v", tt.name, b, err, tt.want)
			case !errors.Is(err, ErrMalformed):
				t.Errorf("%s: Parse(%x) = %v; want it to match ErrMalformed", tt.name, b, err)
			case !errors.As(err, &pe):
				t.Errorf("%s: Parse(%x) = %T; want a *ParseError", tt.name, b, err)
			case pe.Offset != tt.offset || pe.Type != Type(wire[0]>>4):
				t.Errorf("%s: Parse(%x): error at %v byte %d; want %v byte %d (%v)",
					tt.name, b, pe.Type, pe.Offset, Type(wire[0]>>4), tt.offset, err)
			case n != 0 || !reflect.DeepEqual(p, Packet{}):
				t.Errorf("%s: Parse(%x) = %+v, %d; want the zero Packet, 0", tt.name, b, p, n)
			}
		}
	}
}
