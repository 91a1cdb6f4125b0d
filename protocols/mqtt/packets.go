package mqtt

import "strconv"

// Version is an MQTT protocol level, the byte a CONNECT packet carries after
// the protocol name.
type Version uint8

// Version311 is MQTT 3.1.1, the only version implemented. MQTT 5.0 (level 5)
// is planned; see the package doc.
const Version311 Version = 4

// Type is the MQTT control packet type, the high nibble of a packet's first
// byte. Types 0 and 15 are reserved in MQTT 3.1.1 (15 is AUTH in MQTT 5.0).
type Type uint8

// The MQTT 3.1.1 control packet types (§2.2.1).
const (
	Connect     Type = 1  // client → server: connection request
	Connack     Type = 2  // server → client: connect acknowledgment
	Publish     Type = 3  // either way: an application message
	Puback      Type = 4  // QoS 1 publish acknowledgment
	Pubrec      Type = 5  // QoS 2 publish received (part 1)
	Pubrel      Type = 6  // QoS 2 publish release (part 2)
	Pubcomp     Type = 7  // QoS 2 publish complete (part 3)
	Subscribe   Type = 8  // client → server: subscribe request
	Suback      Type = 9  // server → client: subscribe acknowledgment
	Unsubscribe Type = 10 // client → server: unsubscribe request
	Unsuback    Type = 11 // server → client: unsubscribe acknowledgment
	Pingreq     Type = 12 // client → server: keepalive request
	Pingresp    Type = 13 // server → client: keepalive response
	Disconnect  Type = 14 // client → server: clean disconnect
)

var typeNames = [...]string{
	Connect: "CONNECT", Connack: "CONNACK", Publish: "PUBLISH", Puback: "PUBACK",
	Pubrec: "PUBREC", Pubrel: "PUBREL", Pubcomp: "PUBCOMP", Subscribe: "SUBSCRIBE",
	Suback: "SUBACK", Unsubscribe: "UNSUBSCRIBE", Unsuback: "UNSUBACK",
	Pingreq: "PINGREQ", Pingresp: "PINGRESP", Disconnect: "DISCONNECT",
}

// String returns the specification's name of t, e.g. "PUBLISH".
func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// Valid reports whether t is one of the 14 MQTT 3.1.1 packet types.
func (t Type) Valid() bool { return t >= Connect && t <= Disconnect }

// hasPacketID reports whether packets of type t carry a packet identifier
// in their variable header. PUBLISH carries one only at QoS 1 and 2.
func (t Type) hasPacketID() bool {
	return t >= Puback && t <= Unsuback
}

// fixedFlags is the value the low nibble of the first byte must have for
// every type but PUBLISH (§2.2.2).
func (t Type) fixedFlags() byte {
	switch t {
	case Pubrel, Subscribe, Unsubscribe:
		return 0b0010
	}
	return 0
}

// QoS is a quality of service level: 0 at most once, 1 at least once,
// 2 exactly once. 3 is not a valid QoS.
type QoS uint8

// The three QoS levels.
const (
	QoS0 QoS = 0
	QoS1 QoS = 1
	QoS2 QoS = 2
)

// ConnectReturnCode is the return code of a CONNACK (§3.2.2.3).
// Codes 6–255 are reserved and Parse rejects them.
type ConnectReturnCode uint8

// The CONNACK return codes of MQTT 3.1.1.
const (
	Accepted                   ConnectReturnCode = 0 // connection accepted
	RefusedProtocolVersion     ConnectReturnCode = 1 // unacceptable protocol level
	RefusedIdentifierRejected  ConnectReturnCode = 2 // client id not allowed (e.g. empty with clean session 0)
	RefusedServerUnavailable   ConnectReturnCode = 3 // MQTT service unavailable
	RefusedBadUsernamePassword ConnectReturnCode = 4 // malformed user name or password
	RefusedNotAuthorized       ConnectReturnCode = 5 // client not authorised to connect
)

var returnCodeNames = [...]string{
	"accepted", "unacceptable protocol version", "identifier rejected",
	"server unavailable", "bad user name or password", "not authorized",
}

// String describes c in the specification's words.
func (c ConnectReturnCode) String() string {
	if int(c) < len(returnCodeNames) {
		return returnCodeNames[c]
	}
	return "ConnectReturnCode(" + strconv.Itoa(int(c)) + ")"
}

// SubackFailure is the SUBACK return code for a refused subscription
// (§3.9.3). The other SUBACK return codes are the granted QoS: 0, 1 or 2.
const SubackFailure byte = 0x80

// Limits of the encoding.
const (
	// MaxRemainingLength is the largest remaining length a fixed header
	// can carry: four bytes of seven bits.
	MaxRemainingLength = 1<<28 - 1 // 268,435,455
	// MaxPacketBytes is the size of the largest possible packet: the first
	// byte, four bytes of remaining length and MaxRemainingLength.
	MaxPacketBytes = 1 + 4 + MaxRemainingLength
	// MaxStringBytes is the longest string or binary field: its length is
	// a 16-bit prefix.
	MaxStringBytes = 1<<16 - 1
)

// Packet is any MQTT control packet. One flat struct stands for all
// fourteen types so that packets pass by value through the simulator's
// queues without boxing or allocation; each type uses only the fields its
// comment names, and Size, Append and Validate ignore the others (leave
// them zero so that Parse(Append(p)) == p).
//
// Parse fills a Packet whose byte-slice fields (Payload, ReturnCodes and
// ConnectFields.WillMessage, ConnectFields.Password) alias the parsed
// buffer, and whose strings are copies. Copy the byte slices before
// reusing the buffer if the packet must outlive it.
type Packet struct {
	Type Type

	// PUBLISH fixed-header flags. Dup must be false at QoS 0.
	Dup    bool
	QoS    QoS
	Retain bool

	// CONNACK.
	SessionPresent bool              // must be false unless ReturnCode is Accepted
	ReturnCode     ConnectReturnCode // Accepted … RefusedNotAuthorized

	// PacketID is the packet identifier of PUBLISH at QoS 1 and 2, PUBACK,
	// PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, SUBACK, UNSUBSCRIBE and UNSUBACK.
	// It is never 0 on the wire.
	PacketID uint16

	// PUBLISH: the topic name (no wildcards) and the application message.
	Topic   string
	Payload []byte

	// CONNECT: everything after the fixed header. Nil for other types.
	Connect *ConnectFields

	// SUBSCRIBE: the filters with their requested QoS, at least one.
	Subscriptions []Subscription

	// UNSUBSCRIBE: the filters to remove, at least one.
	Filters []string

	// SUBACK: one return code per filter of the SUBSCRIBE, in order: the
	// granted QoS (0, 1, 2) or SubackFailure.
	ReturnCodes []byte

	// Properties is reserved for MQTT 5.0 and must be nil at protocol
	// level 4.
	Properties *Properties

	// Ref is simulation metadata, never on the wire: the simulator's reference of the application
	// message a PUBLISH carries (0 = none). Engines copy it along; the codec ignores it.
	Ref uint64
}

// ConnectFields is the variable header and payload of a CONNECT packet
// (§3.1.2, §3.1.3). The protocol name is not a field: it is "MQTT" for
// every level this package encodes.
type ConnectFields struct {
	ProtocolLevel Version // Version311
	CleanSession  bool
	KeepAlive     uint16 // seconds; 0 turns keepalive off
	ClientID      string // may be empty; an engine answers RefusedIdentifierRejected if CleanSession is false

	// The will message, sent by the server if the connection is lost
	// without DISCONNECT. When WillFlag is false, WillQoS and WillRetain
	// must be zero and WillTopic and WillMessage are not sent.
	WillFlag    bool
	WillQoS     QoS
	WillRetain  bool
	WillTopic   string // a topic name: no wildcards
	WillMessage []byte

	// The credentials. The user name is sent only when UsernameFlag is
	// set, the password only when PasswordFlag is set, and MQTT 3.1.1
	// forbids a password without a user name. An empty value with its flag
	// set is a present, empty field.
	UsernameFlag bool
	PasswordFlag bool
	Username     string
	Password     []byte

	// WillProperties is reserved for MQTT 5.0 and must be nil at protocol
	// level 4.
	WillProperties *Properties
}

// Subscription is one entry of a SUBSCRIBE: a topic filter and the maximum
// QoS the subscriber asks for. MQTT 5.0's subscription options (no local,
// retain as published, retain handling) will be added here.
type Subscription struct {
	Filter string
	QoS    QoS
}

// Properties is the placeholder for MQTT 5.0 properties. It has no fields
// yet; a non-nil *Properties in a Packet or ConnectFields makes Validate
// fail, and Parse never sets one.
type Properties struct{}
