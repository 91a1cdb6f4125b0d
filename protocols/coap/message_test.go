package coap

import (
	"errors"
	"strconv"
	"testing"
	"unsafe"
)

func TestCodeString(t *testing.T) {
	tests := []struct {
		c                Code
		str, phrase      string
		class, detail    uint8
		request, reponse bool
	}{
		{Empty, "0.00", "", 0, 0, false, false},
		{GET, "GET", "", 0, 1, true, false},
		{POST, "POST", "", 0, 2, true, false},
		{PUT, "PUT", "", 0, 3, true, false},
		{DELETE, "DELETE", "", 0, 4, true, false},
		{MakeCode(0, 9), "0.09", "", 0, 9, true, false},
		{Created, "2.01", "Created", 2, 1, false, true},
		{Deleted, "2.02", "Deleted", 2, 2, false, true},
		{Valid, "2.03", "Valid", 2, 3, false, true},
		{Changed, "2.04", "Changed", 2, 4, false, true},
		{Content, "2.05", "Content", 2, 5, false, true},
		{Continue, "2.31", "Continue", 2, 31, false, true},
		{BadRequest, "4.00", "Bad Request", 4, 0, false, true},
		{Unauthorized, "4.01", "Unauthorized", 4, 1, false, true},
		{BadOption, "4.02", "Bad Option", 4, 2, false, true},
		{Forbidden, "4.03", "Forbidden", 4, 3, false, true},
		{NotFound, "4.04", "Not Found", 4, 4, false, true},
		{MethodNotAllowed, "4.05", "Method Not Allowed", 4, 5, false, true},
		{NotAcceptable, "4.06", "Not Acceptable", 4, 6, false, true},
		{RequestEntityIncomplete, "4.08", "Request Entity Incomplete", 4, 8, false, true},
		{PreconditionFailed, "4.12", "Precondition Failed", 4, 12, false, true},
		{RequestEntityTooLarge, "4.13", "Request Entity Too Large", 4, 13, false, true},
		{UnsupportedContentFormat, "4.15", "Unsupported Content-Format", 4, 15, false, true},
		{InternalServerError, "5.00", "Internal Server Error", 5, 0, false, true},
		{NotImplemented, "5.01", "Not Implemented", 5, 1, false, true},
		{BadGateway, "5.02", "Bad Gateway", 5, 2, false, true},
		{ServiceUnavailable, "5.03", "Service Unavailable", 5, 3, false, true},
		{GatewayTimeout, "5.04", "Gateway Timeout", 5, 4, false, true},
		{ProxyingNotSupported, "5.05", "Proxying Not Supported", 5, 5, false, true},
		{MakeCode(7, 31), "7.31", "", 7, 31, false, false},
	}
	for _, tc := range tests {
		if got := tc.c.String(); got != tc.str {
			t.Errorf("Code(%#x).String() = %q; want %q", uint8(tc.c), got, tc.str)
		}
		if got := tc.c.Phrase(); got != tc.phrase {
			t.Errorf("%v.Phrase() = %q; want %q", tc.c, got, tc.phrase)
		}
		if tc.c.Class() != tc.class || tc.c.Detail() != tc.detail || MakeCode(tc.class, tc.detail) != tc.c {
			t.Errorf("%v: class.detail = %d.%d; want %d.%d", tc.c, tc.c.Class(), tc.c.Detail(), tc.class, tc.detail)
		}
		if tc.c.IsRequest() != tc.request || tc.c.IsResponse() != tc.reponse {
			t.Errorf("%v: IsRequest, IsResponse = %v, %v", tc.c, tc.c.IsRequest(), tc.c.IsResponse())
		}
	}
	// libcoap's diagnostic payload sizes in the reference traces.
	for c, n := range map[Code]int{NotFound: 9, BadOption: 10, MethodNotAllowed: 18} {
		if len(c.Phrase()) != n {
			t.Errorf("len(%v.Phrase()) = %d; libcoap sent %d bytes", c, len(c.Phrase()), n)
		}
	}
	for class := range uint8(8) {
		want := class == 1 || class == 6 || class == 7
		if got := MakeCode(class, 3).ReservedClass(); got != want {
			t.Errorf("MakeCode(%d, 3).ReservedClass() = %v", class, got)
		}
	}
}

func TestTypeString(t *testing.T) {
	for ty, want := range map[Type]string{CON: "CON", NON: "NON", ACK: "ACK", RST: "RST", 4: "Type(4)"} {
		if got := ty.String(); got != want {
			t.Errorf("Type(%d).String() = %q; want %q", ty, got, want)
		}
	}
}

func TestToken(t *testing.T) {
	a, err := NewToken([]byte{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if b := Uint64Token(0x0102, 2); a != b {
		t.Errorf("Uint64Token(0x0102, 2) = %v; want %v", b, a)
	}
	if a == Uint64Token(0x0102, 3) {
		t.Error("tokens of different length compare equal")
	}
	if a.Len() != 2 || a.String() != "0102" || string(a.Bytes()) != "\x01\x02" {
		t.Errorf("token = %d %q %q", a.Len(), a.String(), a.Bytes())
	}
	if got := Uint64Token(0x1122334455667788, 8).String(); got != "1122334455667788" {
		t.Errorf("Uint64Token 8 = %s", got)
	}
	var zero Token
	if zero != Uint64Token(42, 0) || zero.Bytes() != nil || zero.String() != "" {
		t.Error("the zero token is not the empty token")
	}
	if e, _ := NewToken(nil); e != zero {
		t.Error("NewToken(nil) is not the empty token")
	}
	if _, err := NewToken(make([]byte, 9)); !errors.Is(err, ErrTokenLength) {
		t.Errorf("NewToken(9 bytes) = %v", err)
	}
	outstanding := map[Token]int{a: 1}
	if outstanding[Uint64Token(0x0102, 2)] != 1 {
		t.Error("token does not work as a map key")
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Uint64Token(v, 9) did not panic")
			}
		}()
		Uint64Token(1, 9)
	}()
}

func TestCheck(t *testing.T) {
	ok := Message{Type: CON, Code: GET, MessageID: 1}
	ok.Options.SetPath("/a")
	tests := []struct {
		name string
		m    Message
		err  error
	}{
		{"request", ok, nil},
		{"ping", NewEmpty(CON, 1), nil},
		{"type 4", Message{Type: 4, Code: GET}, ErrType},
		{"reserved class", Message{Code: MakeCode(6, 0)}, ErrReservedCode},
		{"Empty with token", Message{Token: Uint64Token(1, 1)}, ErrEmptyHasData},
		{"Empty with payload", Message{Type: ACK, Payload: []byte{1}}, ErrEmptyHasData},
		{"Empty with option", Message{Type: ACK, Options: Options{UintOption(MaxAge, 1)}}, ErrEmptyHasData},
		{"ETag empty", Message{Code: Content, Options: Options{BytesOption(ETag, nil)}}, ErrOptionValue},
		{"Uri-Path 256", Message{Code: GET, Options: Options{BytesOption(UriPath, make([]byte, 256))}}, ErrOptionValue},
		{"Max-Age 5 bytes", Message{Code: Content, Options: Options{BytesOption(MaxAge, make([]byte, 5))}}, ErrOptionValue},
		{"If-None-Match with value", Message{Code: PUT, Options: Options{BytesOption(IfNoneMatch, []byte{1})}}, ErrOptionValue},
		{"two Content-Format", Message{Code: Content, Options: Options{UintOption(ContentFormat, 0), UintOption(ContentFormat, 50)}}, ErrOptionRepeated},
		{"two ETags", Message{Code: Content, Options: Options{BytesOption(ETag, []byte{1}), BytesOption(ETag, []byte{2})}}, nil},
		{"unknown option, any length", Message{Code: GET, Options: Options{BytesOption(9, make([]byte, 2000))}}, nil},
	}
	for _, tc := range tests {
		err := Check(tc.m)
		if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
			t.Errorf("%s: Check = %v; want %v", tc.name, err, tc.err)
		}
	}
	var oe *OptionError
	if err := Check(tests[8].m); !errors.As(err, &oe) || oe.Number != UriPath {
		t.Errorf("Check = %v; want an *OptionError for Uri-Path", err)
	}
}

func TestBlock(t *testing.T) {
	tests := []struct {
		b      Block
		value  []byte // option value
		size   int
		offset int
		str    string
	}{
		{Block{Num: 0, More: false, SZX: 0}, []byte{}, 16, 0, "0/0/16"},
		{Block{Num: 0, More: true, SZX: 2}, []byte{0x0a}, 64, 0, "0/1/64"},
		{Block{Num: 46, More: false, SZX: 2}, []byte{0x02, 0xe2}, 64, 2944, "46/0/64"},
		{Block{Num: 2, More: false, SZX: 6}, []byte{0x26}, 1024, 2048, "2/0/1024"},
		{Block{Num: 15, More: true, SZX: 6}, []byte{0xfe}, 1024, 15360, "15/1/1024"},
		{Block{Num: 16, More: true, SZX: 6}, []byte{0x01, 0x0e}, 1024, 16384, "16/1/1024"},
		{Block{Num: MaxBlockNum, More: true, SZX: 6}, []byte{0xff, 0xff, 0xfe}, 1024, MaxBlockNum * 1024, "1048575/1/1024"},
	}
	for _, tc := range tests {
		var os Options
		if err := os.SetBlock2(tc.b); err != nil {
			t.Fatalf("SetBlock2(%v) = %v", tc.b, err)
		}
		if got := os[0].Value(); string(got) != string(tc.value) {
			t.Errorf("Block2 %v value = % x; want % x", tc.b, got, tc.value)
		}
		if got, ok := os.Block2(); !ok || got != tc.b {
			t.Errorf("Block2() = %v, %v; want %v", got, ok, tc.b)
		}
		if _, ok := os.Block1(); ok {
			t.Error("Block1 found in a Block2-only list")
		}
		if tc.b.Size() != tc.size || tc.b.Offset() != tc.offset || tc.b.String() != tc.str {
			t.Errorf("%v: Size %d Offset %d String %q", tc.b, tc.b.Size(), tc.b.Offset(), tc.b.String())
		}
		if DecodeBlock(tc.b.Uint()) != tc.b {
			t.Errorf("DecodeBlock(%#x) = %v", tc.b.Uint(), DecodeBlock(tc.b.Uint()))
		}
	}
	var os Options
	for _, bad := range []Block{{SZX: 7}, {SZX: 9}, {Num: MaxBlockNum + 1}} {
		if err := os.SetBlock1(bad); !errors.Is(err, ErrBlock) || len(os) != 0 {
			t.Errorf("SetBlock1(%v) = %v, options %v", bad, err, os)
		}
	}
	// SZX 7 received: decoded, flagged by Valid (RFC 7959 §2.2: 4.00).
	os.SetUint(Block1, 0x17)
	b, ok := os.Block1()
	if !ok || b.Valid() || b.SZX != 7 || b.Size() != 0 || b.String() != "1/0/reserved" {
		t.Errorf("Block1 with SZX 7 = %v, %v, valid %v", b, ok, b.Valid())
	}
	os.SetBytes(Block1, []byte{0, 0, 0, 1})
	if _, ok := os.Block1(); ok {
		t.Error("Block1 accepted a 4-byte value")
	}
	for size, want := range map[int]uint8{16: 0, 32: 1, 64: 2, 128: 3, 256: 4, 512: 5, 1024: 6} {
		if got, ok := BlockSZX(size); !ok || got != want {
			t.Errorf("BlockSZX(%d) = %d, %v", size, got, ok)
		}
	}
	for _, size := range []int{0, 8, 48, 2048} {
		if _, ok := BlockSZX(size); ok {
			t.Errorf("BlockSZX(%d) succeeded", size)
		}
	}
}

// TestValueSizes pins the memory the simulator pays per message and per
// option on 64-bit platforms.
func TestValueSizes(t *testing.T) {
	if strconv.IntSize != 64 {
		t.Skip("sizes are pinned for 64-bit platforms")
	}
	if got := unsafe.Sizeof(Option{}); got != 40 {
		t.Errorf("Option is %d bytes; want 40", got)
	}
	if got := unsafe.Sizeof(Message{}); got != 64 {
		t.Errorf("Message is %d bytes; want 64", got)
	}
}
