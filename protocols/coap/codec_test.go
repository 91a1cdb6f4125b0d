package coap

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// hx decodes hex fields, ignoring spaces; each argument is one field of
// the golden encoding so that it can carry its own comment.
func hx(fields ...string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(strings.Join(fields, ""), " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// pattern returns n bytes of a recognisable payload.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

func tok(b ...byte) Token {
	t, err := NewToken(b)
	if err != nil {
		panic(err)
	}
	return t
}

// opts builds an option list through the helpers under test.
func opts(build func(o *Options)) Options {
	var o Options
	build(&o)
	return o
}

func mustBlock(err error) {
	if err != nil {
		panic(err)
	}
}

// timeOfDay is the 15-byte payload libcoap's /time resource returns
// (strftime "%b %d %H:%M:%S").
var timeOfDay = []byte("Nov 23 12:04:05")

type golden struct {
	name string
	msg  Message
	wire []byte
}

// goldens are messages of the libcoap 4.3 reference traces (named by
// trace and message id) and a few built for the encoding boundaries, each
// with its encoding written field by field.
func goldens() []golden {
	return []golden{
		{
			name: "b1 CON GET /time 50250",
			msg: Message{Type: CON, Code: GET, MessageID: 50250, Token: tok(0x01),
				Options: opts(func(o *Options) { o.SetPath("/time") })},
			wire: hx(
				"41",          // Ver 1, T CON, TKL 1
				"01",          // 0.01 GET
				"c44a",        // message id 50250
				"01",          // token
				"b4 74696d65", // Uri-Path: delta 11, length 4, "time"
			),
		},
		{
			name: "b1 ACK 2.05 50250 piggybacked",
			msg: Message{Type: ACK, Code: Content, MessageID: 50250, Token: tok(0x01),
				Options: opts(func(o *Options) { o.SetUint(MaxAge, 1) }), Payload: timeOfDay},
			wire: hx(
				"61",    // Ver 1, T ACK, TKL 1
				"45",    // 2.05 Content
				"c44a",  // message id 50250 (same as the request)
				"01",    // token (same as the request)
				"d1 01", // Max-Age: delta 13+1=14, length 1
				"01",    //   value 1
				"ff",    // payload marker
				hex.EncodeToString(timeOfDay),
			),
		},
		{
			name: "b1 NON GET /time 39149",
			msg: Message{Type: NON, Code: GET, MessageID: 39149, Token: tok(0x01),
				Options: opts(func(o *Options) { o.SetPath("time") })},
			wire: hx(
				"51",          // Ver 1, T NON, TKL 1
				"01",          // GET
				"98ed",        // message id 39149
				"01",          // token
				"b4 74696d65", // Uri-Path "time"
			),
		},
		{
			name: "b1 NON 2.05 39149",
			msg: Message{Type: NON, Code: Content, MessageID: 39149, Token: tok(0x01),
				Options: opts(func(o *Options) { o.SetUint(MaxAge, 1) }), Payload: timeOfDay},
			wire: hx(
				"51",       // Ver 1, T NON, TKL 1
				"45",       // 2.05
				"98ed",     // message id 39149 (libcoap reuses the request's)
				"01",       // token
				"d1 01 01", // Max-Age=1
				"ff", hex.EncodeToString(timeOfDay),
			),
		},
		{
			name: "b1 ACK 4.04 25258",
			msg: Message{Type: ACK, Code: NotFound, MessageID: 25258, Token: tok(0x01),
				Payload: []byte(NotFound.Phrase())},
			wire: hx(
				"61",                 // ACK, TKL 1
				"84",                 // 4.04 Not Found
				"62aa",               // message id 25258
				"01",                 // token
				"ff",                 // payload marker, no options
				"4e6f7420466f756e64", // diagnostic payload "Not Found" (9 bytes)
			),
		},
		{
			name: "b5 CON Empty 16384 (ping)",
			msg:  NewEmpty(CON, 16384),
			wire: hx(
				"40",   // Ver 1, T CON, TKL 0
				"00",   // 0.00 Empty
				"4000", // message id 16384
			),
		},
		{
			name: "b5 RST 16384 (pong)",
			msg:  NewEmpty(RST, 16384),
			wire: hx(
				"70",   // Ver 1, T RST, TKL 0
				"00",   // Empty
				"4000", // message id 16384
			),
		},
		{
			name: "b3 CON GET Observe=0 /time 23351",
			msg: Message{Type: CON, Code: GET, MessageID: 23351, Token: tok(0x01),
				Options: opts(func(o *Options) { o.SetPath("/time"); o.SetObserve(ObserveRegister) })},
			wire: hx(
				"41",          // CON, TKL 1
				"01",          // GET
				"5b37",        // message id 23351
				"01",          // token
				"60",          // Observe: delta 6, length 0 (value 0, register)
				"54 74696d65", // Uri-Path: delta 5, length 4, "time"
			),
		},
		{
			name: "b3 CON 2.05 notification Observe=3 7832",
			msg: Message{Type: CON, Code: Content, MessageID: 7832, Token: tok(0x01),
				Options: opts(func(o *Options) { o.SetUint(MaxAge, 1); o.SetObserve(3) }), Payload: timeOfDay},
			wire: hx(
				"41",    // CON, TKL 1
				"45",    // 2.05
				"1e98",  // message id 7832 (the server's own)
				"01",    // token of the registration
				"61 03", // Observe: delta 6, length 1, value 3
				"81 01", // Max-Age: delta 8, length 1, value 1
				"ff", hex.EncodeToString(timeOfDay),
			),
		},
		{
			name: "b3 CON GET Observe=1 (deregister) 23352",
			msg: Message{Type: CON, Code: GET, MessageID: 23352, Token: tok(0x01),
				Options: opts(func(o *Options) { o.SetObserve(ObserveDeregister); o.SetPath("time") })},
			wire: hx(
				"41", "01", "5b38", "01",
				"61 01",       // Observe: delta 6, length 1, value 1
				"54 74696d65", // Uri-Path "time"
			),
		},
		{
			name: "b4 ACK 2.05 Block2 0/1/64 of 3000 bytes 28324",
			msg: Message{Type: ACK, Code: Content, MessageID: 28324, Token: tok(0x01),
				Options: opts(func(o *Options) {
					o.SetSize2(3000)
					mustBlock(o.SetBlock2(Block{Num: 0, More: true, SZX: 2}))
					o.SetBytes(ETag, []byte{0x01})
				}), Payload: pattern(64)},
			wire: hx(
				"61",       // ACK, TKL 1
				"45",       // 2.05
				"6ea4",     // message id 28324
				"01",       // token
				"41 01",    // ETag: delta 4, length 1, 0x01
				"d1 06 0a", // Block2: delta 13+6=19, length 1, NUM 0 M 1 SZX 2 (64 bytes)
				"52 0bb8",  // Size2: delta 5, length 2, 3000
				"ff", hex.EncodeToString(pattern(64)),
			),
		},
		{
			name: "b4 CON PUT Block1 0/1/1024 30789",
			msg: Message{Type: CON, Code: PUT, MessageID: 30789, Token: tok(0x01),
				Options: opts(func(o *Options) {
					o.SetPath("/big")
					mustBlock(o.SetBlock1(Block{Num: 0, More: true, SZX: 6}))
					o.SetSize1(3000)
					o.AddBytes(RequestTag, []byte{0x5d, 0x56, 0x33, 0x76})
				}), Payload: pattern(1024)},
			wire: hx(
				"41",             // CON, TKL 1
				"03",             // 0.03 PUT
				"7845",           // message id 30789
				"01",             // token
				"b3 626967",      // Uri-Path: delta 11, length 3, "big"
				"d1 03 0e",       // Block1: delta 13+3=16, length 1, NUM 0 M 1 SZX 6 (1024 bytes)
				"d2 14 0bb8",     // Size1: delta 13+20=33, length 2, 3000
				"d4 db 5d563376", // Request-Tag: delta 13+219=232, length 4
				"ff", hex.EncodeToString(pattern(1024)),
			),
		},
		{
			name: "b4 ACK 2.31 Continue Block1 0/1/1024 30789",
			msg: Message{Type: ACK, Code: Continue, MessageID: 30789, Token: tok(0x01),
				Options: opts(func(o *Options) { mustBlock(o.SetBlock1(Block{More: true, SZX: 6})) })},
			wire: hx(
				"61",       // ACK, TKL 1
				"5f",       // 2.31 Continue
				"7845",     // message id 30789
				"01",       // token
				"d1 0e 0e", // Block1: delta 13+14=27, length 1, NUM 0 M 1 SZX 6
			),
		},
		{
			name: "b4 CON PUT last Block1 2/0/1024 30791",
			msg: Message{Type: CON, Code: PUT, MessageID: 30791, Token: tok(3, 0, 0, 0, 0, 0, 3),
				Options: opts(func(o *Options) {
					o.SetPath("big")
					mustBlock(o.SetBlock1(Block{Num: 2, SZX: 6}))
					o.SetSize1(3000)
					o.AddBytes(RequestTag, []byte{0x5d, 0x56, 0x33, 0x76})
				}), Payload: pattern(952)},
			wire: hx(
				"47",             // CON, TKL 7
				"03",             // PUT
				"7847",           // message id 30791
				"03000000000003", // token (7 bytes)
				"b3 626967",      // Uri-Path "big"
				"d1 03 26",       // Block1: NUM 2 M 0 SZX 6
				"d2 14 0bb8",     // Size1 3000
				"d4 db 5d563376", // Request-Tag
				"ff", hex.EncodeToString(pattern(952)),
			),
		},
		{
			name: "b5 CON GET unknown critical opt9 16386",
			msg: Message{Type: CON, Code: GET, MessageID: 16386, Token: tok(0xd1),
				Options: opts(func(o *Options) { o.SetPath("time"); o.SetUint(9, 120) })},
			wire: hx(
				"41", "01", "4002", "d1",
				"91 78",       // option 9: delta 9, length 1, 120
				"24 74696d65", // Uri-Path: delta 2, length 4
			),
		},
		{
			name: "NON GET Proxy-Uri of 300 bytes, No-Response",
			msg: Message{Type: NON, Code: GET, MessageID: 0x1234, Token: tok(0xaa, 0xbb),
				Options: opts(func(o *Options) {
					o.SetUint(NoResponse, 26)
					o.SetBytes(ProxyUri, pattern(300))
				})},
			wire: hx(
				"52",    // NON, TKL 2
				"01",    // GET
				"1234",  // message id
				"aabb",  // token
				"de 16", // Proxy-Uri: delta 13+22=35, length nibble 14 (2-byte extension)
				"001f",  //   length 269+31=300
				hex.EncodeToString(pattern(300)),
				"d1 d2 1a", // No-Response: delta 13+210=223 (258), length 1, 26
			),
		},
		{
			name: "CON GET option 65000 (2-byte extended delta)",
			msg: Message{Type: CON, Code: GET, MessageID: 1,
				Options: opts(func(o *Options) { o.SetPath("a"); o.SetBytes(65000, []byte{7}) })},
			wire: hx(
				"40", "01", "0001", // CON, TKL 0, GET, message id 1
				"b1 61",   // Uri-Path: delta 11, length 1, "a"
				"e1 fcd0", // option 65000: delta nibble 14, 269+64720=64989, length 1
				"07",
			),
		},
	}
}

func TestGolden(t *testing.T) {
	for _, g := range goldens() {
		t.Run(g.name, func(t *testing.T) {
			if err := Check(g.msg); err != nil && !strings.Contains(g.name, "unknown") {
				t.Errorf("Check = %v", err)
			}
			if got := Append(nil, g.msg); !bytes.Equal(got, g.wire) {
				t.Errorf("Append =\n% x\nwant\n% x", got, g.wire)
			}
			if got := Size(g.msg); got != len(g.wire) {
				t.Errorf("Size = %d; want %d", got, len(g.wire))
			}
			back, err := Parse(g.wire)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !back.Equal(g.msg) {
				t.Errorf("Parse = %v\nwant    %v", back, g.msg)
			}
			if got := Append(nil, back); !bytes.Equal(got, g.wire) {
				t.Errorf("Append(Parse) =\n% x\nwant\n% x", got, g.wire)
			}
			// Appending after existing bytes leaves them alone.
			prefix := []byte{1, 2, 3}
			if got := Append(prefix, g.msg); !bytes.Equal(got[:3], []byte{1, 2, 3}) || !bytes.Equal(got[3:], g.wire) {
				t.Errorf("Append(prefix) = % x", got)
			}
		})
	}
}

// TestGoldenTraceLines checks the golden messages against the rows of the
// reference traces as String renders them.
func TestGoldenTraceLines(t *testing.T) {
	want := map[string]string{
		"b1 CON GET /time 50250":                        "CON GET 50250 01 Uri-Path=time 0B",
		"b1 ACK 2.05 50250 piggybacked":                 "ACK 2.05 50250 01 Max-Age=1 15B",
		"b1 ACK 4.04 25258":                             "ACK 4.04 25258 01 9B",
		"b5 CON Empty 16384 (ping)":                     "CON 0.00 16384 - 0B",
		"b3 CON GET Observe=0 /time 23351":              "CON GET 23351 01 Observe=0; Uri-Path=time 0B",
		"b4 ACK 2.05 Block2 0/1/64 of 3000 bytes 28324": "ACK 2.05 28324 01 ETag=0x01; Block2=0/1/64; Size2=3000 64B",
		"b4 CON PUT Block1 0/1/1024 30789":              "CON PUT 30789 01 Uri-Path=big; Block1=0/1/1024; Size1=3000; Request-Tag=0x5d563376 1024B",
		"b5 CON GET unknown critical opt9 16386":        "CON GET 16386 d1 Option(9)=0x78; Uri-Path=time 0B",
		"b4 ACK 2.31 Continue Block1 0/1/1024 30789":    "ACK 2.31 30789 01 Block1=0/1/1024 0B",
		"b3 CON 2.05 notification Observe=3 7832":       "CON 2.05 7832 01 Observe=3; Max-Age=1 15B",
		"b3 CON GET Observe=1 (deregister) 23352":       "CON GET 23352 01 Observe=1; Uri-Path=time 0B",
		"CON GET option 65000 (2-byte extended delta)":  "CON GET 1 - Uri-Path=a; Option(65000)=0x07 0B",
		"b4 CON PUT last Block1 2/0/1024 30791":         "CON PUT 30791 03000000000003 Uri-Path=big; Block1=2/0/1024; Size1=3000; Request-Tag=0x5d563376 952B",
		"b1 NON 2.05 39149":                             "NON 2.05 39149 01 Max-Age=1 15B",
		"b1 NON GET /time 39149":                        "NON GET 39149 01 Uri-Path=time 0B",
		"b5 RST 16384 (pong)":                           "RST 0.00 16384 - 0B",
		"NON GET Proxy-Uri of 300 bytes, No-Response":   "",
	}
	for _, g := range goldens() {
		w, ok := want[g.name]
		if !ok {
			t.Errorf("no trace line for %q", g.name)
			continue
		}
		if w == "" {
			continue
		}
		m, err := Parse(g.wire)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.String(); got != w {
			t.Errorf("%s: String = %q; want %q", g.name, got, w)
		}
	}
}

// TestBoundaries encodes options around every boundary of the delta and
// length forms and checks Size, the header bytes and the round trip.
func TestBoundaries(t *testing.T) {
	lengths := []int{0, 1, 12, 13, 14, 267, 268, 269, 270, 1000, 65535, 65803, 65804}
	deltas := []int{0, 1, 12, 13, 14, 267, 268, 269, 270, 1000, 65435, 65535}
	values := pattern(MaxOptionLen)
	for _, first := range []int{0, 100} {
		for _, delta := range deltas {
			num := first + delta
			if num > 0xffff {
				continue
			}
			for _, l := range lengths {
				m := Message{Type: NON, Code: POST, MessageID: 7, Token: tok(9)}
				headerAt := HeaderLen + 1
				if first > 0 {
					m.Options.Add(BytesOption(OptionNumber(first), nil))
					headerAt += 1 + extLen(first) // the first option's header
				}
				m.Options.Add(BytesOption(OptionNumber(num), values[:l]))
				wire := Append(nil, m)
				if Size(m) != len(wire) {
					t.Fatalf("delta %d after %d, length %d: Size = %d, len(Append) = %d", delta, first, l, Size(m), len(wire))
				}
				wantHdr := 1 + extLen(delta) + extLen(l)
				if got := len(wire) - headerAt - l; got != wantHdr {
					t.Fatalf("delta %d after %d, length %d: option header of %d bytes; want %d", delta, first, l, got, wantHdr)
				}
				back, err := Parse(wire)
				if err != nil || !back.Equal(m) {
					t.Fatalf("delta %d after %d, length %d: Parse = %v, %v", delta, first, l, back, err)
				}
			}
		}
	}
}

func TestExtendedForms(t *testing.T) {
	tests := []struct {
		v    int
		want string // nibble, then extension bytes
	}{
		{0, "0"}, {12, "c"}, {13, "d 00"}, {14, "d 01"}, {268, "d ff"},
		{269, "e 0000"}, {270, "e 0001"}, {65535, "e fef2"}, {65804, "e ffff"},
	}
	for _, tc := range tests {
		got := hex.EncodeToString([]byte{nibble(tc.v)})[1:]
		if ext := appendExt(nil, tc.v); len(ext) > 0 {
			got += " " + hex.EncodeToString(ext)
		}
		if got != tc.want {
			t.Errorf("encoding of %d = %q; want %q", tc.v, got, tc.want)
		}
		if extLen(tc.v) != len(appendExt(nil, tc.v)) {
			t.Errorf("extLen(%d) = %d", tc.v, extLen(tc.v))
		}
	}
}

func TestOverlongValuePanics(t *testing.T) {
	m := Message{Code: GET, Options: Options{BytesOption(UriPath, make([]byte, MaxOptionLen+1))}}
	for name, f := range map[string]func(){
		"Size":   func() { Size(m) },
		"Append": func() { Append(nil, m) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s of a %d-byte value did not panic", name, MaxOptionLen+1)
				}
			}()
			f()
		}()
	}
	if err := Check(m); !errors.Is(err, ErrOptionTooLong) {
		t.Errorf("Check = %v; want ErrOptionTooLong", err)
	}
}

// TestAppendCanonicalisesOrder: options given out of order are encoded in
// ascending number order, repeated options keeping their relative order.
func TestAppendCanonicalisesOrder(t *testing.T) {
	unsorted := Message{Type: CON, Code: GET, MessageID: 1, Options: Options{
		StringOption(UriQuery, "x=1"),
		StringOption(UriPath, "a"),
		UintOption(Observe, 0),
		StringOption(UriPath, "b"),
		StringOption(UriQuery, "y=2"),
		UintOption(Accept, 50),
	}}
	sorted := Message{Type: CON, Code: GET, MessageID: 1}
	sorted.Options.SetObserve(0)
	sorted.Options.SetPath("/a/b")
	sorted.Options.AddString(UriQuery, "x=1")
	sorted.Options.AddString(UriQuery, "y=2")
	sorted.Options.SetUint(Accept, 50)
	want := Append(nil, sorted)
	if got := Append(nil, unsorted); !bytes.Equal(got, want) {
		t.Errorf("Append(unsorted) =\n% x\nwant\n% x", got, want)
	}
	if Size(unsorted) != len(want) {
		t.Errorf("Size(unsorted) = %d; want %d", Size(unsorted), len(want))
	}
	back, err := Parse(want)
	if err != nil || !back.Equal(sorted) {
		t.Errorf("Parse = %v, %v; want %v", back, err, sorted)
	}
	unsorted.Options.Sort()
	if !unsorted.Options.Equal(sorted.Options) {
		t.Errorf("Sort = %v; want %v", unsorted, sorted)
	}
}

func TestParseMalformed(t *testing.T) {
	tests := []struct {
		name   string
		in     []byte
		err    error
		header bool // Type and MessageID readable
		typ    Type
		mid    uint16
		reject bool // answer with RST
		offset int
	}{
		{"empty datagram", nil, ErrShortHeader, false, 0, 0, false, 0},
		{"3 bytes", hx("400100"), ErrShortHeader, false, 0, 0, false, 3},
		// b5_b6 16390: libcoap answers RST with message id 0.
		{"version 2", hx("81 01 4006 d5 b474696d65"), ErrVersion, false, 0, 0, false, 0},
		{"version 0", hx("00 01 0001"), ErrVersion, false, 0, 0, false, 0},
		{"version 3", hx("c0 00 0001"), ErrVersion, false, 0, 0, false, 0},
		// b5_b6 16391: token length 9, RST 16391.
		{"token length 9", hx("49 01 4007 010101010101010101 b474696d65"), ErrTokenLength, true, CON, 16391, true, 0},
		{"token length 15 NON", hx("5f 01 0002"), ErrTokenLength, true, NON, 2, true, 0},
		{"token truncated", hx("44 01 0003 aabb"), ErrTruncated, true, CON, 3, true, 6},
		{"token length 1, no token", hx("41 01 0003"), ErrTruncated, true, CON, 3, true, 4},
		// b5_b6 16395: a payload marker with nothing after it, RST 16395.
		{"bare payload marker", hx("41 01 400b d6 b474696d65 ff"), ErrBareMarker, true, CON, 16395, true, 10},
		{"bare payload marker after header", hx("40 01 0004 ff"), ErrBareMarker, true, CON, 4, true, 4},
		{"delta nibble 15", hx("40 01 0005 f0"), ErrReservedNibble, true, CON, 5, true, 4},
		{"delta nibble 15 after option", hx("40 01 0005 b161 f1 00"), ErrReservedNibble, true, CON, 5, true, 6},
		{"length nibble 15", hx("40 01 0005 bf"), ErrReservedNibble, true, CON, 5, true, 4},
		{"length nibble 15 with extended delta", hx("40 01 0005 df 00"), ErrReservedNibble, true, CON, 5, true, 4},
		{"value truncated", hx("40 01 0006 b4 7469"), ErrTruncated, true, CON, 6, true, 4},
		{"1-byte delta extension missing", hx("40 01 0006 d0"), ErrTruncated, true, CON, 6, true, 4},
		{"2-byte delta extension missing", hx("40 01 0006 e0"), ErrTruncated, true, CON, 6, true, 4},
		{"2-byte delta extension half", hx("40 01 0006 e0 00"), ErrTruncated, true, CON, 6, true, 4},
		{"1-byte length extension missing", hx("40 01 0006 0d"), ErrTruncated, true, CON, 6, true, 4},
		{"2-byte length extension half", hx("40 01 0006 0e 00"), ErrTruncated, true, CON, 6, true, 4},
		{"length extension present, value short", hx("40 01 0006 0d 00 000000"), ErrTruncated, true, CON, 6, true, 4},
		{"option number above 65535", hx("40 01 0007 e0fe00 e00000"), ErrOptionNumber, true, CON, 7, true, 7},
		{"Empty with token", hx("41 00 0008 aa"), ErrEmptyHasData, true, CON, 8, true, 4},
		{"Empty with token length only", hx("41 00 0008"), ErrTruncated, true, CON, 8, true, 4},
		{"Empty with option", hx("40 00 0008 b0"), ErrEmptyHasData, true, CON, 8, true, 4},
		{"Empty with payload", hx("50 00 0008 ff 00"), ErrEmptyHasData, true, NON, 8, true, 4},
		{"Empty ACK with marker", hx("60 00 0008 ff"), ErrEmptyHasData, true, ACK, 8, false, 4},
		{"malformed ACK", hx("61 45 1234 01 f0"), ErrReservedNibble, true, ACK, 0x1234, false, 5},
		{"malformed RST", hx("73 00 1234"), ErrTruncated, true, RST, 0x1234, false, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse(tc.in)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(% x) = %v, %v; want a *ParseError", tc.in, m, err)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("Parse(% x) error = %v; want %v", tc.in, err, tc.err)
			}
			if pe.Header != tc.header || pe.Type != tc.typ || pe.MessageID != tc.mid || pe.Offset != tc.offset {
				t.Errorf("Parse(% x) = %+v; want header %v %v %d at %d", tc.in, *pe, tc.header, tc.typ, tc.mid, tc.offset)
			}
			rst, ok := pe.Reject()
			if ok != tc.reject {
				t.Errorf("Reject() ok = %v; want %v", ok, tc.reject)
			}
			if ok && !rst.Equal(NewEmpty(RST, tc.mid)) {
				t.Errorf("Reject() = %v; want RST %d", rst, tc.mid)
			}
			if !m.Equal(Message{}) {
				t.Errorf("Parse returned %v with the error; want the zero Message", m)
			}
			if err.Error() == "" || !strings.HasPrefix(err.Error(), "coap: malformed") {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

// TestParseLenient lists what Parse accepts that Check would flag: the
// codec does not enforce option semantics, the endpoint does.
func TestParseLenient(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{"reserved class 7", hx("40 e0 0001")},
		{"NON Empty", hx("50 00 0001")},
		{"ACK carrying a request", hx("60 01 0001")},
		{"uint with leading zero", hx("40 01 0001 e2 00 00 0001")}, // option 269 = 0x0001
		{"Max-Age of 5 bytes", hx("40 45 0001 d5 01 0000000001")},
		{"option 0", hx("40 01 0001 01 aa")},
		{"repeated Content-Format", hx("40 45 0001 c1 00 01 32")},
		{"number exactly 65535", hx("40 01 0001 e0 fef2")},
	}
	for _, tc := range tests {
		m, err := Parse(tc.in)
		if err != nil {
			t.Errorf("%s: Parse(% x) = %v", tc.name, tc.in, err)
			continue
		}
		if got := Append(nil, m); !bytes.Equal(got, tc.in) {
			t.Errorf("%s: Append(Parse(% x)) = % x", tc.name, tc.in, got)
		}
	}
}

func TestParseAliasesInput(t *testing.T) {
	wire := hx("41 45 0001 01 b4 74696d65 ff 6869")
	m, err := Parse(wire)
	if err != nil {
		t.Fatal(err)
	}
	wire[len(wire)-1] = 'X'
	wire[8] = 'T'
	if string(m.Payload) != "hX" || m.Options.Path() != "/tiTe" {
		t.Errorf("payload %q path %q: Parse should alias its input", m.Payload, m.Options.Path())
	}
}

func TestParseIntoReuse(t *testing.T) {
	gs := goldens()
	var m Message
	for _, g := range gs {
		if err := ParseInto(&m, g.wire); err != nil || !m.Equal(g.msg) {
			t.Fatalf("%s: ParseInto = %v, %v", g.name, m, err)
		}
	}
	// A failed parse leaves the zero message but keeps the storage.
	before := cap(m.Options)
	if err := ParseInto(&m, hx("40 01 0001 f0")); err == nil {
		t.Fatal("ParseInto of a malformed datagram succeeded")
	}
	if !m.Equal(Message{}) || cap(m.Options) != before {
		t.Errorf("after error: %v, cap %d; want zero message, cap %d", m, cap(m.Options), before)
	}
}

// TestManyOptions guards against quadratic work on a hostile datagram:
// one with 60,000 zero-length options of the same number.
func TestManyOptions(t *testing.T) {
	const n = 60000
	wire := append(hx("40 01 0001"), 0x90) // option 9, then n-1 repeats with delta 0
	wire = append(wire, make([]byte, n-1)...)
	m, err := Parse(wire)
	if err != nil || len(m.Options) != n {
		t.Fatalf("Parse: %d options, %v", len(m.Options), err)
	}
	if Size(m) != len(wire) || !bytes.Equal(Append(nil, m), wire) {
		t.Fatal("round trip failed")
	}
	if got, found := m.Options.UnrecognizedCritical([]OptionNumber{9}); found {
		t.Errorf("UnrecognizedCritical = %v", got)
	}
	var rebuilt Options
	for i := range m.Options {
		rebuilt.AddBytes(m.Options[i].Number, m.Options[i].Value())
	}
	if len(rebuilt.All(9)) != n {
		t.Errorf("rebuilt %d options", len(rebuilt.All(9)))
	}
	m.Options = rebuilt
	m.Options[n-1].Number = ContentFormat // sorted: 9 < 12
	m.Options[n-2].Number = ContentFormat
	if err := Check(m); !errors.Is(err, ErrOptionRepeated) {
		t.Errorf("Check = %v; want ErrOptionRepeated", err)
	}
}
