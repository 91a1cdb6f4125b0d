package coap

import (
	"bytes"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
)

// OptionNumber is an option number (RFC 7252 §5.4, §12.2).
type OptionNumber uint16

// Option numbers of RFC 7252 §5.10, RFC 7641 (Observe), RFC 7959 (Block1,
// Block2, Size2), RFC 7967 (No-Response) and RFC 9175 (Echo,
// Request-Tag, which libcoap 4.3 sends with Block1 transfers).
const (
	IfMatch       OptionNumber = 1
	UriHost       OptionNumber = 3
	ETag          OptionNumber = 4
	IfNoneMatch   OptionNumber = 5
	Observe       OptionNumber = 6
	UriPort       OptionNumber = 7
	LocationPath  OptionNumber = 8
	UriPath       OptionNumber = 11
	ContentFormat OptionNumber = 12
	MaxAge        OptionNumber = 14
	UriQuery      OptionNumber = 15
	Accept        OptionNumber = 17
	LocationQuery OptionNumber = 20
	Block2        OptionNumber = 23
	Block1        OptionNumber = 27
	Size2         OptionNumber = 28
	ProxyUri      OptionNumber = 35
	ProxyScheme   OptionNumber = 39
	Size1         OptionNumber = 60
	Echo          OptionNumber = 252
	NoResponse    OptionNumber = 258
	RequestTag    OptionNumber = 292
)

// Critical reports whether the option is critical (odd number, RFC 7252
// §5.4.1): an endpoint that does not recognise it must reject the message.
func (n OptionNumber) Critical() bool { return n&1 != 0 }

// Unsafe reports whether the option is unsafe to forward (RFC 7252
// §5.4.2): a proxy that does not recognise it must not forward it.
func (n OptionNumber) Unsafe() bool { return n&2 != 0 }

// NoCacheKey reports whether a safe-to-forward option is not part of the
// cache key (RFC 7252 §5.4.6: bits 1-4 of the number are 1110). It is
// meaningful only when Unsafe is false.
func (n OptionNumber) NoCacheKey() bool { return n&0x1e == 0x1c }

// String returns the option's registered name ("Uri-Path") or
// "Option(n)".
func (n OptionNumber) String() string {
	if d, ok := n.Def(); ok {
		return d.Name
	}
	return "Option(" + strconv.Itoa(int(n)) + ")"
}

// ValueFormat is an option value format (RFC 7252 §3.2).
type ValueFormat uint8

// The value formats.
const (
	FormatOpaque ValueFormat = iota // a sequence of bytes
	FormatEmpty                     // a zero-length value
	FormatUint                      // a non-negative big-endian integer, minimal length
	FormatString                    // UTF-8 text (Net-Unicode, RFC 5198)
)

// OptionDef is one row of the option table of RFC 7252 §5.10 (and of the
// RFCs that extend it).
type OptionDef struct {
	Name           string
	Format         ValueFormat
	MinLen, MaxLen int // permitted value length in bytes
	Repeatable     bool
}

// Def returns the definition of a registered option this package knows
// (the named constants); ok is false for any other number.
func (n OptionNumber) Def() (def OptionDef, ok bool) {
	switch n {
	case IfMatch:
		return OptionDef{"If-Match", FormatOpaque, 0, 8, true}, true
	case UriHost:
		return OptionDef{"Uri-Host", FormatString, 1, 255, false}, true
	case ETag:
		return OptionDef{"ETag", FormatOpaque, 1, 8, true}, true
	case IfNoneMatch:
		return OptionDef{"If-None-Match", FormatEmpty, 0, 0, false}, true
	case Observe:
		return OptionDef{"Observe", FormatUint, 0, 3, false}, true
	case UriPort:
		return OptionDef{"Uri-Port", FormatUint, 0, 2, false}, true
	case LocationPath:
		return OptionDef{"Location-Path", FormatString, 0, 255, true}, true
	case UriPath:
		return OptionDef{"Uri-Path", FormatString, 0, 255, true}, true
	case ContentFormat:
		return OptionDef{"Content-Format", FormatUint, 0, 2, false}, true
	case MaxAge:
		return OptionDef{"Max-Age", FormatUint, 0, 4, false}, true
	case UriQuery:
		return OptionDef{"Uri-Query", FormatString, 0, 255, true}, true
	case Accept:
		return OptionDef{"Accept", FormatUint, 0, 2, false}, true
	case LocationQuery:
		return OptionDef{"Location-Query", FormatString, 0, 255, true}, true
	case Block2:
		return OptionDef{"Block2", FormatUint, 0, 3, false}, true
	case Block1:
		return OptionDef{"Block1", FormatUint, 0, 3, false}, true
	case Size2:
		return OptionDef{"Size2", FormatUint, 0, 4, false}, true
	case ProxyUri:
		return OptionDef{"Proxy-Uri", FormatString, 1, 1034, false}, true
	case ProxyScheme:
		return OptionDef{"Proxy-Scheme", FormatString, 1, 255, false}, true
	case Size1:
		return OptionDef{"Size1", FormatUint, 0, 4, false}, true
	case Echo:
		return OptionDef{"Echo", FormatOpaque, 1, 40, false}, true
	case NoResponse:
		return OptionDef{"No-Response", FormatUint, 0, 1, false}, true
	case RequestTag:
		return OptionDef{"Request-Tag", FormatOpaque, 0, 8, true}, true
	}
	return OptionDef{}, false
}

// MaxOptionLen is the longest option value the option header can express:
// length nibble 14 plus a 2-byte extension, 269 + 65535 (RFC 7252 §3.1).
const MaxOptionLen = 269 + 0xffff

// inlineCap is how many value bytes an Option holds without a reference.
// 13 keeps an Option at 40 bytes on 64-bit platforms and covers every uint
// option, ETags and the usual Uri-Path segments.
const inlineCap = 13

// Option is one option instance: a number and a value.
//
// The value is stored inside the Option when it has at most 13 bytes and
// was set through UintOption, StringOption or BytesOption; otherwise the
// Option refers to a byte slice (a long BytesOption value, a long string's
// copy, or a slice of a parsed datagram). The zero-length value is the
// zero value, so Option{Number: IfNoneMatch} is a complete option.
type Option struct {
	ext    []byte // the value when not inline (n == extValue)
	Number OptionNumber
	n      uint8 // inline value length, or extValue
	inline [inlineCap]byte
}

const extValue = 0xff

// BytesOption returns an option with value v. Values of up to 13 bytes are
// copied into the Option; a longer v is referenced, not copied, and must
// not be modified while the option is in use.
func BytesOption(n OptionNumber, v []byte) Option {
	o := Option{Number: n}
	if len(v) <= inlineCap {
		o.n = uint8(copy(o.inline[:], v))
	} else {
		o.ext, o.n = v, extValue
	}
	return o
}

// StringOption returns an option whose value is the bytes of s. It
// allocates only when s is longer than 13 bytes.
func StringOption(n OptionNumber, s string) Option {
	o := Option{Number: n}
	if len(s) <= inlineCap {
		o.n = uint8(copy(o.inline[:], s))
	} else {
		o.ext, o.n = []byte(s), extValue
	}
	return o
}

// UintOption returns an option holding v in the minimal number of bytes
// (RFC 7252 §3.2): 0 is the zero-length value, 1..255 one byte, and so
// on up to four bytes. It never allocates.
func UintOption(n OptionNumber, v uint32) Option {
	o := Option{Number: n}
	l := uintLen(v)
	for i := range l {
		o.inline[i] = byte(v >> (8 * (l - 1 - i)))
	}
	o.n = uint8(l)
	return o
}

func uintLen(v uint32) int {
	switch {
	case v == 0:
		return 0
	case v < 1<<8:
		return 1
	case v < 1<<16:
		return 2
	case v < 1<<24:
		return 3
	}
	return 4
}

// Value returns the option value. When the value is stored inline the
// slice aliases the Option: it changes if the Option is overwritten (for
// example when an Options slice it lives in is modified).
func (o *Option) Value() []byte {
	if o.n == extValue {
		return o.ext
	}
	return o.inline[:o.n]
}

// Len returns the length of the option value in bytes.
func (o Option) Len() int {
	if o.n == extValue {
		return len(o.ext)
	}
	return int(o.n)
}

// Uint decodes the value as an unsigned integer (leading zero bytes are
// allowed). ok is false when the value is longer than 4 bytes.
func (o Option) Uint() (v uint32, ok bool) {
	b := o.Value()
	if len(b) > 4 {
		return 0, false
	}
	for _, c := range b {
		v = v<<8 | uint32(c)
	}
	return v, true
}

// String describes the option as "Name=value": uint options in decimal,
// Block1/Block2 as NUM/M/size, string options as text, others in hex.
func (o Option) String() string {
	v := o.Value()
	def, known := o.Number.Def()
	s := o.Number.String() + "="
	switch {
	case known && (o.Number == Block1 || o.Number == Block2) && len(v) <= 3:
		u, _ := o.Uint()
		return s + DecodeBlock(u).String()
	case known && def.Format == FormatUint && len(v) <= 4:
		u, _ := o.Uint()
		return s + strconv.FormatUint(uint64(u), 10)
	case known && def.Format == FormatString:
		return s + string(v)
	case len(v) == 0:
		return s + "(empty)"
	}
	return s + "0x" + hex.EncodeToString(v)
}

// Options is a message's option list, in ascending number order with
// repeated options in their message order. Parse produces it in that
// order and its methods keep it so; a list built by hand in another order
// can be put in order with Sort. Methods that look options up assume the
// order; Append and Size do not need it (they encode in sorted order).
//
// To build messages without allocating, give the Message an Options with
// spare capacity (m.Options = scratch[:0]); the methods grow a nil or full
// list to capacity 4 and then double it.
type Options []Option

// Sort puts the options in ascending number order, keeping the relative
// order of options with the same number. It does not allocate.
func (os Options) Sort() {
	slices.SortStableFunc(os, func(a, b Option) int { return int(a.Number) - int(b.Number) })
}

// span returns the index range [i, j) of the options numbered n, and
// i = j = the insertion point when there is none.
func (os Options) span(n OptionNumber) (i, j int) {
	// Messages carry a handful of options: a scan beats a binary search,
	// which copies each 40-byte Option it compares.
	for i < len(os) && os[i].Number < n {
		i++
	}
	for j = i; j < len(os) && os[j].Number == n; j++ {
	}
	return i, j
}

// All returns the options numbered n, in message order, as a sub-slice of
// os (no copy).
func (os Options) All(n OptionNumber) Options {
	i, j := os.span(n)
	return os[i:j:j]
}

// Has reports whether an option numbered n is present.
func (os Options) Has(n OptionNumber) bool {
	i, j := os.span(n)
	return j > i
}

// Get returns the value of the first option numbered n. The slice aliases
// the option (see Option.Value).
func (os Options) Get(n OptionNumber) (v []byte, ok bool) {
	i, j := os.span(n)
	if i == j {
		return nil, false
	}
	return os[i].Value(), true
}

// Uint returns the first option numbered n decoded as an unsigned
// integer. ok is false when there is none or its value is longer than 4
// bytes (RFC 7252 §5.4.3 says an option with a value of the wrong length
// is treated like an unrecognised one).
func (os Options) Uint(n OptionNumber) (v uint32, ok bool) {
	i, j := os.span(n)
	if i == j {
		return 0, false
	}
	return os[i].Uint()
}

// Add inserts o after any options with the same number.
func (os *Options) Add(o Option) {
	if n := len(*os); n == 0 || (*os)[n-1].Number <= o.Number {
		os.insert(n, o) // in order, as options are usually built: no scan
		return
	}
	_, j := os.span(o.Number)
	os.insert(j, o)
}

// Set replaces every option numbered o.Number by o.
func (os *Options) Set(o Option) {
	i, j := os.span(o.Number)
	if i == j {
		os.insert(i, o)
		return
	}
	(*os)[i] = o
	os.remove(i+1, j)
}

// Del removes every option numbered n.
func (os *Options) Del(n OptionNumber) {
	i, j := os.span(n)
	os.remove(i, j)
}

func (os *Options) insert(i int, o Option) {
	s := *os
	if len(s) == cap(s) {
		ns := make(Options, len(s), max(4, 2*cap(s)))
		copy(ns, s)
		s = ns
	}
	s = s[:len(s)+1]
	copy(s[i+1:], s[i:])
	s[i] = o
	*os = s
}

func (os *Options) remove(i, j int) {
	if i == j {
		return
	}
	s := *os
	n := copy(s[i:], s[j:])
	clear(s[i+n:]) // drop references held by the vacated tail
	*os = s[:i+n]
}

// SetUint replaces the options numbered n by one holding v in minimal
// length.
func (os *Options) SetUint(n OptionNumber, v uint32) { os.Set(UintOption(n, v)) }

// SetString replaces the options numbered n by one holding s.
func (os *Options) SetString(n OptionNumber, s string) { os.Set(StringOption(n, s)) }

// AddString adds an option numbered n holding s after any others.
func (os *Options) AddString(n OptionNumber, s string) { os.Add(StringOption(n, s)) }

// SetBytes replaces the options numbered n by one holding v (see
// BytesOption for when v is referenced).
func (os *Options) SetBytes(n OptionNumber, v []byte) { os.Set(BytesOption(n, v)) }

// AddBytes adds an option numbered n holding v after any others.
func (os *Options) AddBytes(n OptionNumber, v []byte) { os.Add(BytesOption(n, v)) }

// Equal reports whether os and p hold the same numbers and value bytes in
// the same order.
func (os Options) Equal(p Options) bool {
	if len(os) != len(p) {
		return false
	}
	for i := range os {
		if os[i].Number != p[i].Number || !bytes.Equal(os[i].Value(), p[i].Value()) {
			return false
		}
	}
	return true
}

// SetPath replaces the Uri-Path options by the segments of path, as RFC
// 7252 §6.4 step 8 does: "" and "/" give no option, "/a/b" gives "a" and
// "b", "/a/" gives "a" and "". A leading slash is optional. Segments are
// taken literally: no percent-decoding is done, so a segment cannot
// contain '/'. Segments of up to 13 bytes do not allocate.
func (os *Options) SetPath(path string) { os.setSegments(UriPath, path) }

// Path returns the Uri-Path options joined as an absolute path (RFC 7252
// §6.5 step 7, without percent-encoding): "/" when there is none,
// otherwise "/" before each segment.
func (os Options) Path() string { return os.joinSegments(UriPath) }

// SetLocationPath is SetPath for the Location-Path options.
func (os *Options) SetLocationPath(path string) { os.setSegments(LocationPath, path) }

// LocationPath is Path for the Location-Path options.
func (os Options) LocationPath() string { return os.joinSegments(LocationPath) }

func (os *Options) setSegments(n OptionNumber, path string) {
	os.Del(n)
	path = strings.TrimPrefix(path, "/")
	if path == "" {
		return
	}
	for {
		seg, rest, more := strings.Cut(path, "/")
		os.Add(StringOption(n, seg))
		if !more {
			return
		}
		path = rest
	}
}

func (os Options) joinSegments(n OptionNumber) string {
	return string(os.appendSegments(nil, n))
}

// appendSegments appends the options numbered n to dst as "/a/b", or "/"
// if there are none.
func (os Options) appendSegments(dst []byte, n OptionNumber) []byte {
	segs := os.All(n)
	if len(segs) == 0 {
		return append(dst, '/')
	}
	for i := range segs {
		dst = append(dst, '/')
		dst = append(dst, segs[i].Value()...)
	}
	return dst
}

// MaxObserve is the largest Observe value (RFC 7641 §2: 3 bytes).
const MaxObserve = 1<<24 - 1

// Observe values with a fixed meaning in requests (RFC 7641 §2).
const (
	ObserveRegister   = 0
	ObserveDeregister = 1
)

// SetObserve sets the Observe option to v modulo 2^24 (RFC 7641 §4.4:
// notification sequence numbers wrap around in 24 bits). In a request
// use ObserveRegister or ObserveDeregister.
func (os *Options) SetObserve(v uint32) { os.SetUint(Observe, v&MaxObserve) }

// Observe returns the Observe value; ok is false when the option is
// absent or longer than 3 bytes.
func (os Options) Observe() (v uint32, ok bool) {
	i, j := os.span(Observe)
	if i == j || os[i].Len() > 3 {
		return 0, false
	}
	return os[i].Uint()
}

// SetSize1 sets the Size1 option (RFC 7959 §4: the size of the request
// body, or in a 4.13 response the largest the server accepts).
func (os *Options) SetSize1(v uint32) { os.SetUint(Size1, v) }

// Size1 returns the Size1 value; ok is false when absent or malformed.
func (os Options) Size1() (uint32, bool) { return os.Uint(Size1) }

// SetSize2 sets the Size2 option (RFC 7959 §4: the size of the resource
// representation).
func (os *Options) SetSize2(v uint32) { os.SetUint(Size2, v) }

// Size2 returns the Size2 value; ok is false when absent or malformed.
func (os Options) Size2() (uint32, bool) { return os.Uint(Size2) }

// UnrecognizedCritical returns the first critical option that the
// receiver must treat as unrecognised, given the option numbers it
// implements (known). That is an option whose number is not in known, or
// — for a known option in the table of OptionNumber.Def — one whose value
// length is outside the defined range (RFC 7252 §5.4.3) or a repeat of a
// non-repeatable option (§5.4.5). Elective options are never reported:
// they are silently ignored.
//
// RFC 7252 §5.4.1: such an option in a CON request calls for a 4.02 (Bad
// Option) response; in a NON request, or in a response, the message is
// rejected. libcoap 4.3 answers 4.02 to a CON and Reset to a NON
// (reference trace b5_b6_dedup_badinput).
func (os Options) UnrecognizedCritical(known []OptionNumber) (n OptionNumber, found bool) {
	for i := range os {
		o := &os[i]
		if !o.Number.Critical() {
			continue
		}
		if !slices.Contains(known, o.Number) {
			return o.Number, true
		}
		def, ok := o.Number.Def()
		if !ok {
			continue
		}
		if o.Len() < def.MinLen || o.Len() > def.MaxLen {
			return o.Number, true
		}
		if !def.Repeatable && i > 0 && os[i-1].Number == o.Number {
			return o.Number, true
		}
	}
	return 0, false
}
