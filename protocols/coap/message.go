package coap

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Type is the message type of RFC 7252 §3 (the 2-bit T field).
type Type uint8

// The four message types.
const (
	CON Type = 0 // Confirmable
	NON Type = 1 // Non-confirmable
	ACK Type = 2 // Acknowledgement
	RST Type = 3 // Reset
)

// String returns "CON", "NON", "ACK" or "RST", or "Type(n)" for a value
// that does not fit the 2-bit field.
func (t Type) String() string {
	switch t {
	case CON:
		return "CON"
	case NON:
		return "NON"
	case ACK:
		return "ACK"
	case RST:
		return "RST"
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// Code is the 8-bit message code of RFC 7252 §3: a 3-bit class and a
// 5-bit detail, written c.dd.
type Code uint8

// MakeCode returns the code class.detail. Class is taken modulo 8 and
// detail modulo 32.
func MakeCode(class, detail uint8) Code { return Code(class&7<<5 | detail&31) }

// Class returns the code's class (0 request, 2 success, 4 client error,
// 5 server error; 1, 6 and 7 are reserved).
func (c Code) Class() uint8 { return uint8(c) >> 5 }

// Detail returns the code's detail.
func (c Code) Detail() uint8 { return uint8(c) & 31 }

// IsRequest reports whether c is a method code (class 0, not Empty).
func (c Code) IsRequest() bool { return c.Class() == 0 && c != Empty }

// IsResponse reports whether c is a response code (class 2 to 5).
func (c Code) IsResponse() bool { return c.Class() >= 2 && c.Class() <= 5 }

// ReservedClass reports whether c is in a reserved class (1, 6 or 7).
// RFC 7252 §4.2/§4.3: a CON or NON with such a code is rejected.
func (c Code) ReservedClass() bool {
	k := c.Class()
	return k == 1 || k == 6 || k == 7
}

// Codes: the Empty message, the methods of RFC 7252 §12.1.1 and the
// response codes of RFC 7252 §12.1.2 and RFC 7959 §2.9.
const (
	Empty Code = 0x00 // 0.00

	GET    Code = 0x01 // 0.01
	POST   Code = 0x02 // 0.02
	PUT    Code = 0x03 // 0.03
	DELETE Code = 0x04 // 0.04

	Created  Code = 2<<5 | 1  // 2.01
	Deleted  Code = 2<<5 | 2  // 2.02
	Valid    Code = 2<<5 | 3  // 2.03
	Changed  Code = 2<<5 | 4  // 2.04
	Content  Code = 2<<5 | 5  // 2.05
	Continue Code = 2<<5 | 31 // 2.31, RFC 7959

	BadRequest               Code = 4<<5 | 0  // 4.00
	Unauthorized             Code = 4<<5 | 1  // 4.01
	BadOption                Code = 4<<5 | 2  // 4.02
	Forbidden                Code = 4<<5 | 3  // 4.03
	NotFound                 Code = 4<<5 | 4  // 4.04
	MethodNotAllowed         Code = 4<<5 | 5  // 4.05
	NotAcceptable            Code = 4<<5 | 6  // 4.06
	RequestEntityIncomplete  Code = 4<<5 | 8  // 4.08, RFC 7959
	PreconditionFailed       Code = 4<<5 | 12 // 4.12
	RequestEntityTooLarge    Code = 4<<5 | 13 // 4.13
	UnsupportedContentFormat Code = 4<<5 | 15 // 4.15

	InternalServerError  Code = 5<<5 | 0 // 5.00
	NotImplemented       Code = 5<<5 | 1 // 5.01
	BadGateway           Code = 5<<5 | 2 // 5.02
	ServiceUnavailable   Code = 5<<5 | 3 // 5.03
	GatewayTimeout       Code = 5<<5 | 4 // 5.04
	ProxyingNotSupported Code = 5<<5 | 5 // 5.05
)

// String returns the method name for the four methods ("GET") and the
// c.dd form for every other code ("2.05", "0.00").
func (c Code) String() string {
	switch c {
	case GET:
		return "GET"
	case POST:
		return "POST"
	case PUT:
		return "PUT"
	case DELETE:
		return "DELETE"
	}
	d := c.Detail()
	return string([]byte{'0' + c.Class(), '.', '0' + d/10, '0' + d%10})
}

// Phrase returns the code's description from the IANA registry
// ("Content", "Not Found"), or "" for an unregistered code. libcoap 4.3
// sends this text as the diagnostic payload of its 4.xx and 5.xx
// responses (e.g. 9 bytes for 4.04, 10 for 4.02, 18 for 4.05).
func (c Code) Phrase() string {
	switch c {
	case Created:
		return "Created"
	case Deleted:
		return "Deleted"
	case Valid:
		return "Valid"
	case Changed:
		return "Changed"
	case Content:
		return "Content"
	case Continue:
		return "Continue"
	case BadRequest:
		return "Bad Request"
	case Unauthorized:
		return "Unauthorized"
	case BadOption:
		return "Bad Option"
	case Forbidden:
		return "Forbidden"
	case NotFound:
		return "Not Found"
	case MethodNotAllowed:
		return "Method Not Allowed"
	case NotAcceptable:
		return "Not Acceptable"
	case RequestEntityIncomplete:
		return "Request Entity Incomplete"
	case PreconditionFailed:
		return "Precondition Failed"
	case RequestEntityTooLarge:
		return "Request Entity Too Large"
	case UnsupportedContentFormat:
		return "Unsupported Content-Format"
	case InternalServerError:
		return "Internal Server Error"
	case NotImplemented:
		return "Not Implemented"
	case BadGateway:
		return "Bad Gateway"
	case ServiceUnavailable:
		return "Service Unavailable"
	case GatewayTimeout:
		return "Gateway Timeout"
	case ProxyingNotSupported:
		return "Proxying Not Supported"
	}
	return ""
}

// MaxTokenLen is the longest token, in bytes (RFC 7252 §3).
const MaxTokenLen = 8

// Token is a message token of 0 to 8 bytes. It is a comparable value, so
// it can key a map of outstanding requests; two Tokens are equal when
// they have the same length and bytes. The zero Token is the empty token.
type Token struct {
	b [MaxTokenLen]byte // bytes past n are always zero
	n uint8
}

// ErrTokenLength means a token longer than 8 bytes: given to NewToken, or
// a token length field of 9 to 15 in a datagram.
var ErrTokenLength = errors.New("token longer than 8 bytes (lengths 9-15 are reserved)")

// NewToken returns the token with the bytes of b, which it copies.
func NewToken(b []byte) (Token, error) {
	if len(b) > MaxTokenLen {
		return Token{}, ErrTokenLength
	}
	var t Token
	t.n = uint8(copy(t.b[:], b))
	return t, nil
}

// Uint64Token returns the n-byte token holding the n low-order bytes of v
// in big-endian order: Uint64Token(0x0102, 2) is the token 01 02. It is
// meant for tokens drawn from a random stream. It panics unless
// 0 <= n <= 8.
func Uint64Token(v uint64, n int) Token {
	if n < 0 || n > MaxTokenLen {
		panic("coap: Uint64Token length " + strconv.Itoa(n) + " out of range 0..8")
	}
	var t Token
	t.n = uint8(n)
	if n > 0 {
		var full [8]byte
		binary.BigEndian.PutUint64(full[:], v)
		copy(t.b[:], full[8-n:])
	}
	return t
}

// Len returns the token length in bytes.
func (t Token) Len() int { return int(t.n) }

// Bytes returns a copy of the token bytes (nil for the empty token).
func (t Token) Bytes() []byte {
	if t.n == 0 {
		return nil
	}
	return append([]byte(nil), t.b[:t.n]...)
}

// Append appends the token bytes to dst.
func (t Token) Append(dst []byte) []byte { return append(dst, t.b[:t.n]...) }

// String returns the token in hex ("01", "" for the empty token).
func (t Token) String() string { return hex.EncodeToString(t.b[:t.n]) }

// Message is one CoAP message (RFC 7252 §3).
//
// Copying a Message copies the header and token but shares the Options
// backing array, the Payload and any option value not stored inline.
type Message struct {
	Type      Type
	Code      Code
	MessageID uint16
	Token     Token
	Options   Options // kept in ascending option number order; see Options
	Payload   []byte  // empty means no payload and no payload marker
}

// NewEmpty returns the Empty message (code 0.00, no token, options or
// payload) of type t: an empty ACK or RST answering message id mid, or a
// CON "ping".
func NewEmpty(t Type, mid uint16) Message { return Message{Type: t, MessageID: mid} }

// Equal reports whether m and n have the same header, token, options (in
// order, compared by number and value bytes) and payload bytes. It does
// not care how option values are stored.
func (m Message) Equal(n Message) bool {
	return m.Type == n.Type && m.Code == n.Code && m.MessageID == n.MessageID &&
		m.Token == n.Token && m.Options.Equal(n.Options) && bytes.Equal(m.Payload, n.Payload)
}

// String describes m on one line in the style of the reference traces:
// "CON GET 50250 01 Uri-Path=time; Observe=0 0B".
func (m Message) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v %v %d ", m.Type, m.Code, m.MessageID)
	if m.Token.Len() == 0 {
		b.WriteString("-")
	} else {
		b.WriteString(m.Token.String())
	}
	for i := range m.Options {
		if i == 0 {
			b.WriteString(" ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(m.Options[i].String())
	}
	fmt.Fprintf(&b, " %dB", len(m.Payload))
	return b.String()
}

// Errors reported by Check (wrapped in an *OptionError for option
// problems).
var (
	// ErrType means a Type that does not fit the 2-bit field.
	ErrType = errors.New("message type out of range 0-3")
	// ErrReservedCode means a code in reserved class 1, 6 or 7.
	ErrReservedCode = errors.New("code in reserved class 1, 6 or 7")
	// ErrEmptyHasData means an Empty message (code 0.00) that carries a
	// token, options or a payload: RFC 7252 §4.1 makes it a format error.
	ErrEmptyHasData = errors.New("empty message (code 0.00) with token, options or payload")
	// ErrOptionTooLong means an option value longer than MaxOptionLen
	// bytes, which the option format cannot express.
	ErrOptionTooLong = errors.New("option value longer than 65804 bytes")
	// ErrOptionValue means a value whose length is outside the range
	// that the option's definition allows (RFC 7252 §5.10).
	ErrOptionValue = errors.New("option value length outside its defined range")
	// ErrOptionRepeated means a second occurrence of an option that is
	// not repeatable (RFC 7252 §5.4.5).
	ErrOptionRepeated = errors.New("non-repeatable option repeated")
)

// OptionError is an error about one option.
type OptionError struct {
	Number OptionNumber
	Err    error
}

func (e *OptionError) Error() string {
	return "coap: option " + e.Number.String() + ": " + e.Err.Error()
}

// Unwrap returns the underlying sentinel error.
func (e *OptionError) Unwrap() error { return e.Err }

// Check reports the first reason m should not be sent: a Type above 3, a
// code in a reserved class, an Empty message with a token, options or
// payload, an option value too long to encode, or — for the options of
// the RFC 7252 §5.10 table and its extensions (see OptionNumber.Def) — a
// value length outside the defined range or a non-repeatable option
// given twice. Append and Size do not call Check; they panic only on a
// value longer than MaxOptionLen.
func Check(m Message) error {
	if m.Type > RST {
		return fmt.Errorf("coap: %w: %d", ErrType, m.Type)
	}
	if m.Code.ReservedClass() {
		return fmt.Errorf("coap: %w: %v", ErrReservedCode, m.Code)
	}
	if m.Code == Empty && (m.Token.Len() > 0 || len(m.Options) > 0 || len(m.Payload) > 0) {
		return fmt.Errorf("coap: %w", ErrEmptyHasData)
	}
	prev := -1
	it := newOptionIter(m.Options) // in number order, so repeats are adjacent
	for o := it.next(); o != nil; o = it.next() {
		repeat := int(o.Number) == prev
		prev = int(o.Number)
		if o.Len() > MaxOptionLen {
			return &OptionError{o.Number, ErrOptionTooLong}
		}
		def, ok := o.Number.Def()
		if !ok {
			continue
		}
		if o.Len() < def.MinLen || o.Len() > def.MaxLen {
			return &OptionError{o.Number, ErrOptionValue}
		}
		if repeat && !def.Repeatable {
			return &OptionError{o.Number, ErrOptionRepeated}
		}
	}
	return nil
}
