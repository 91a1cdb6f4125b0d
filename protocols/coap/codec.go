package coap

import (
	"encoding/binary"
	"errors"
	"slices"
	"strconv"
)

// Wire format constants (RFC 7252 §3).
const (
	// Version is the only protocol version, the 2-bit Ver field.
	Version = 1
	// HeaderLen is the size of the fixed header.
	HeaderLen = 4
	// PayloadMarker separates the options from a non-empty payload.
	PayloadMarker = 0xff
)

// Option header nibbles with extended forms (RFC 7252 §3.1).
const (
	nibble1Byte   = 13  // an 8-bit extension holds value − 13
	nibble2Bytes  = 14  // a 16-bit extension holds value − 269
	nibbleInvalid = 15  // reserved (0xFF as a whole byte is the payload marker)
	ext1Base      = 13  // smallest value needing the 1-byte extension
	ext2Base      = 269 // smallest value needing the 2-byte extension
)

// extLen returns the number of extension bytes for an option delta or
// length of v.
func extLen(v int) int {
	switch {
	case v < ext1Base:
		return 0
	case v < ext2Base:
		return 1
	}
	return 2
}

// optionIter walks options in ascending number order, stably, whatever
// the order of the slice: in one pass when the slice is sorted (the usual
// case), by selection otherwise. It does not allocate.
type optionIter struct {
	opts   Options
	sorted bool
	i      int // sorted: next index; unsorted: index of the last option visited, or -1
}

func newOptionIter(opts Options) optionIter {
	sorted := true
	for i := 1; i < len(opts); i++ {
		if opts[i].Number < opts[i-1].Number {
			sorted = false
			break
		}
	}
	return optionIter{opts: opts, sorted: sorted, i: -1}
}

// next returns the next option, or nil at the end.
func (it *optionIter) next() *Option {
	if it.sorted {
		it.i++
		if it.i >= len(it.opts) {
			return nil
		}
		return &it.opts[it.i]
	}
	// The next option in (Number, index) order after the last one.
	best := -1
	for j := range it.opts {
		if it.i >= 0 && !after(it.opts, j, it.i) {
			continue
		}
		if best < 0 || after(it.opts, best, j) {
			best = j
		}
	}
	if best < 0 {
		return nil
	}
	it.i = best
	return &it.opts[best]
}

// after reports whether option j comes after option k in (Number, index)
// order.
func after(opts Options, j, k int) bool {
	if opts[j].Number != opts[k].Number {
		return opts[j].Number > opts[k].Number
	}
	return j > k
}

func checkLen(o *Option) int {
	l := o.Len()
	if l > MaxOptionLen {
		panic("coap: option " + o.Number.String() + " value of " + strconv.Itoa(l) + " bytes is longer than 65804")
	}
	return l
}

// Size returns the exact length of the encoding of m (what Append would
// add), without encoding it. It does not allocate. Like Append it panics
// if an option value is longer than MaxOptionLen (see Check).
func Size(m Message) int {
	n := HeaderLen + m.Token.Len() + optionsSize(m.Options)
	if len(m.Payload) > 0 {
		n += 1 + len(m.Payload)
	}
	return n
}

// optionsSize is the length of the encoding of os, in ascending number
// order. Options are almost always in that order already: one pass sums
// them, and only options out of order take the ordering iterator.
func optionsSize(os Options) int {
	n, prev := 0, 0
	for i := range os {
		if int(os[i].Number) < prev {
			return orderedOptionsSize(os)
		}
		n += optionBytes(&os[i], prev)
		prev = int(os[i].Number)
	}
	return n
}

func orderedOptionsSize(os Options) int {
	n, prev := 0, 0
	it := newOptionIter(os)
	for o := it.next(); o != nil; o = it.next() {
		n += optionBytes(o, prev)
		prev = int(o.Number)
	}
	return n
}

// optionBytes is the length of o's encoding after an option numbered prev.
func optionBytes(o *Option, prev int) int {
	l := checkLen(o)
	return 1 + extLen(int(o.Number)-prev) + extLen(l) + l
}

// Append appends the encoding of m to dst and returns the extended
// buffer. Options are encoded in ascending number order (stable), even if
// m.Options is not in that order. The Type is taken modulo 4. It does not
// allocate when dst has room for Size(m) more bytes. It panics if an
// option value is longer than MaxOptionLen (see Check).
func Append(dst []byte, m Message) []byte {
	dst = slices.Grow(dst, Size(m))
	dst = append(dst,
		Version<<6|byte(m.Type&3)<<4|byte(m.Token.Len()),
		byte(m.Code),
		byte(m.MessageID>>8), byte(m.MessageID))
	dst = m.Token.Append(dst)
	prev := 0
	it := newOptionIter(m.Options)
	for o := it.next(); o != nil; o = it.next() {
		v := o.Value()
		delta, l := int(o.Number)-prev, checkLen(o)
		prev = int(o.Number)
		dst = append(dst, nibble(delta)<<4|nibble(l))
		dst = appendExt(dst, delta)
		dst = appendExt(dst, l)
		dst = append(dst, v...)
	}
	if len(m.Payload) > 0 {
		dst = append(dst, PayloadMarker)
		dst = append(dst, m.Payload...)
	}
	return dst
}

func nibble(v int) byte {
	switch {
	case v < ext1Base:
		return byte(v)
	case v < ext2Base:
		return nibble1Byte
	}
	return nibble2Bytes
}

func appendExt(dst []byte, v int) []byte {
	switch {
	case v < ext1Base:
		return dst
	case v < ext2Base:
		return append(dst, byte(v-ext1Base))
	}
	return binary.BigEndian.AppendUint16(dst, uint16(v-ext2Base))
}

// Reasons a datagram is malformed, found in ParseError.Err.
var (
	// ErrShortHeader: the datagram is shorter than the 4-byte header.
	ErrShortHeader = errors.New("datagram shorter than the 4-byte header")
	// ErrVersion: the version field is not 1. RFC 7252 §3 says such a
	// message is silently ignored.
	ErrVersion = errors.New("version is not 1")
	// ErrTruncated: the token, an option header or an option value runs
	// past the end of the datagram.
	ErrTruncated = errors.New("token or option runs past the end of the datagram")
	// ErrReservedNibble: an option delta or length nibble of 15 other
	// than in the payload marker byte 0xFF.
	ErrReservedNibble = errors.New("option delta or length nibble 15 is reserved")
	// ErrBareMarker: a payload marker followed by no payload.
	ErrBareMarker = errors.New("payload marker followed by a zero-length payload")
	// ErrOptionNumber: option deltas add up to a number above 65535.
	ErrOptionNumber = errors.New("option number above 65535")
)

// ParseError describes a malformed datagram. Err is one of ErrShortHeader,
// ErrVersion, ErrTokenLength, ErrEmptyHasData, ErrTruncated,
// ErrReservedNibble, ErrBareMarker or ErrOptionNumber; errors.Is works on
// a *ParseError.
type ParseError struct {
	Err    error
	Offset int // byte offset at which the problem was found

	// Header reports whether the fixed header was readable: the datagram
	// has at least 4 bytes and version 1. Only then are Type and
	// MessageID set. A version other than 1 leaves Header false because
	// the layout of another version is unknown.
	Header    bool
	Type      Type
	MessageID uint16
}

func (e *ParseError) Error() string {
	s := "coap: malformed "
	if e.Header {
		s += e.Type.String() + " message " + strconv.Itoa(int(e.MessageID))
	} else {
		s += "datagram"
	}
	return s + " at byte " + strconv.Itoa(e.Offset) + ": " + e.Err.Error()
}

// Unwrap returns Err.
func (e *ParseError) Unwrap() error { return e.Err }

// Reject returns the Reset message that rejects the malformed message,
// and whether one should be sent: when the header was readable and the
// message is a CON (RFC 7252 §4.2: MUST reject with Reset) or a NON
// (§4.3: MAY; libcoap 4.3 does). A malformed ACK or RST is silently
// ignored, and so is a datagram whose header was unreadable.
//
// libcoap 4.3 also answers a version-2 datagram with a Reset, with message
// id 0 (reference trace b5_b6_dedup_badinput); the RFC says to ignore it,
// and Reject follows the RFC.
func (e *ParseError) Reject() (rst Message, ok bool) {
	if !e.Header || (e.Type != CON && e.Type != NON) {
		return Message{}, false
	}
	return NewEmpty(RST, e.MessageID), true
}

// Parse decodes one datagram holding one CoAP message. The Message
// aliases b (Payload and option values point into it): do not modify b
// while the Message is in use. Parse never panics; every error is a
// *ParseError.
func Parse(b []byte) (Message, error) {
	var m Message
	err := ParseInto(&m, b)
	return m, err
}

// ParseInto is Parse into *m, reusing the backing array of m.Options: it
// does not allocate when that has room for the message's options. It
// overwrites every field of *m. On error *m is the zero Message except
// that Options keeps its backing array, with length 0.
func ParseInto(m *Message, b []byte) error {
	opts := m.Options[:0]
	*m = Message{Options: opts}
	if len(b) < HeaderLen {
		return &ParseError{Err: ErrShortHeader, Offset: len(b)}
	}
	if b[0]>>6 != Version {
		return &ParseError{Err: ErrVersion}
	}
	m.Type, m.Code, m.MessageID = Type(b[0]>>4&3), Code(b[1]), binary.BigEndian.Uint16(b[2:])
	tkl := int(b[0] & 15)
	if tkl > MaxTokenLen {
		return m.fail(ErrTokenLength, 0)
	}
	if m.Code == Empty && len(b) > HeaderLen {
		// RFC 7252 §4.1: bytes after the message id of an Empty
		// message (including a token) are a message format error.
		return m.fail(ErrEmptyHasData, HeaderLen)
	}
	i := HeaderLen + tkl
	if len(b) < i {
		return m.fail(ErrTruncated, len(b))
	}
	m.Token.n = uint8(copy(m.Token.b[:], b[HeaderLen:i]))

	num := 0
	for i < len(b) {
		start := i
		if b[i] == PayloadMarker {
			if i+1 == len(b) {
				return m.fail(ErrBareMarker, i)
			}
			m.Payload = b[i+1:]
			break
		}
		delta, l := int(b[i]>>4), int(b[i]&15)
		if delta == nibbleInvalid || l == nibbleInvalid {
			return m.fail(ErrReservedNibble, start)
		}
		i++
		var ok bool
		if delta, i, ok = readExt(b, delta, i); !ok {
			return m.fail(ErrTruncated, start)
		}
		if l, i, ok = readExt(b, l, i); !ok {
			return m.fail(ErrTruncated, start)
		}
		if num += delta; num > 0xffff {
			return m.fail(ErrOptionNumber, start)
		}
		if len(b)-i < l {
			return m.fail(ErrTruncated, start)
		}
		if cap(m.Options) == 0 {
			m.Options = make(Options, 0, 4) // one allocation for a typical message
		}
		m.Options = append(m.Options, Option{Number: OptionNumber(num), ext: b[i : i+l : i+l], n: extValue})
		i += l
	}
	return nil
}

// fail resets *m after a format error found at offset off and returns the
// error, which keeps the header fields already read.
func (m *Message) fail(err error, off int) error {
	e := &ParseError{Err: err, Offset: off, Header: true, Type: m.Type, MessageID: m.MessageID}
	clear(m.Options) // drop references into the datagram
	*m = Message{Options: m.Options[:0]}
	return e
}

// readExt resolves an option delta or length nibble v (0 to 14), reading
// its extension bytes at b[i:]; ok is false when they are truncated.
func readExt(b []byte, v, i int) (value, next int, ok bool) {
	switch v {
	case nibble1Byte:
		if i >= len(b) {
			return 0, i, false
		}
		return ext1Base + int(b[i]), i + 1, true
	case nibble2Bytes:
		if i+1 >= len(b) {
			return 0, i, false
		}
		return ext2Base + int(binary.BigEndian.Uint16(b[i:])), i + 2, true
	}
	return v, i, true
}
