package coap

import (
	"bytes"
	"strings"
	"testing"
)

// TestOptionProperties checks Critical, Unsafe, NoCacheKey and the table
// of Def against the C/U/N/R columns and formats of RFC 7252 §5.10 (and
// RFC 7641 §2, RFC 7959 §2.1 and §4, RFC 7967 §2, RFC 9175 §2.2, §3.2).
func TestOptionProperties(t *testing.T) {
	tests := []struct {
		n              OptionNumber
		name           string
		c, u, nck, r   bool
		format         ValueFormat
		minLen, maxLen int
	}{
		{IfMatch, "If-Match", true, false, false, true, FormatOpaque, 0, 8},
		{UriHost, "Uri-Host", true, true, false, false, FormatString, 1, 255},
		{ETag, "ETag", false, false, false, true, FormatOpaque, 1, 8},
		{IfNoneMatch, "If-None-Match", true, false, false, false, FormatEmpty, 0, 0},
		{Observe, "Observe", false, true, false, false, FormatUint, 0, 3},
		{UriPort, "Uri-Port", true, true, false, false, FormatUint, 0, 2},
		{LocationPath, "Location-Path", false, false, false, true, FormatString, 0, 255},
		{UriPath, "Uri-Path", true, true, false, true, FormatString, 0, 255},
		{ContentFormat, "Content-Format", false, false, false, false, FormatUint, 0, 2},
		{MaxAge, "Max-Age", false, true, false, false, FormatUint, 0, 4},
		{UriQuery, "Uri-Query", true, true, false, true, FormatString, 0, 255},
		{Accept, "Accept", true, false, false, false, FormatUint, 0, 2},
		{LocationQuery, "Location-Query", false, false, false, true, FormatString, 0, 255},
		{Block2, "Block2", true, true, false, false, FormatUint, 0, 3},
		{Block1, "Block1", true, true, false, false, FormatUint, 0, 3},
		{Size2, "Size2", false, false, true, false, FormatUint, 0, 4},
		{ProxyUri, "Proxy-Uri", true, true, false, false, FormatString, 1, 1034},
		{ProxyScheme, "Proxy-Scheme", true, true, false, false, FormatString, 1, 255},
		{Size1, "Size1", false, false, true, false, FormatUint, 0, 4},
		{Echo, "Echo", false, false, true, false, FormatOpaque, 1, 40},
		{NoResponse, "No-Response", false, true, false, false, FormatUint, 0, 1},
		{RequestTag, "Request-Tag", false, false, false, true, FormatOpaque, 0, 8},
	}
	for _, tc := range tests {
		if got := tc.n.Critical(); got != tc.c {
			t.Errorf("%v.Critical() = %v; want %v", tc.n, got, tc.c)
		}
		if got := tc.n.Unsafe(); got != tc.u {
			t.Errorf("%v.Unsafe() = %v; want %v", tc.n, got, tc.u)
		}
		if !tc.u {
			if got := tc.n.NoCacheKey(); got != tc.nck {
				t.Errorf("%v.NoCacheKey() = %v; want %v", tc.n, got, tc.nck)
			}
		}
		def, ok := tc.n.Def()
		want := OptionDef{tc.name, tc.format, tc.minLen, tc.maxLen, tc.r}
		if !ok || def != want {
			t.Errorf("%d.Def() = %+v, %v; want %+v", tc.n, def, ok, want)
		}
		if got := tc.n.String(); got != tc.name {
			t.Errorf("%d.String() = %q; want %q", tc.n, got, tc.name)
		}
	}
	if _, ok := OptionNumber(9).Def(); ok {
		t.Error("option 9 has a definition")
	}
	if got := OptionNumber(9).String(); got != "Option(9)" {
		t.Errorf("OptionNumber(9).String() = %q", got)
	}
	// §5.4.6: NoCacheKey is bits 1-4 = 1110 (0x1c), e.g. 28, 60, 92 but
	// not 12 or 30.
	for n, want := range map[OptionNumber]bool{28: true, 60: true, 92: true, 124: true, 12: false, 30: false, 29: true} {
		if got := n.NoCacheKey(); got != want {
			t.Errorf("OptionNumber(%d).NoCacheKey() = %v; want %v", n, got, want)
		}
	}
}

func TestUintOption(t *testing.T) {
	tests := []struct {
		v    uint32
		want []byte
	}{
		{0, []byte{}},
		{1, []byte{1}},
		{255, []byte{0xff}},
		{256, []byte{1, 0}},
		{65535, []byte{0xff, 0xff}},
		{65536, []byte{1, 0, 0}},
		{1<<24 - 1, []byte{0xff, 0xff, 0xff}},
		{1 << 24, []byte{1, 0, 0, 0}},
		{1<<32 - 1, []byte{0xff, 0xff, 0xff, 0xff}},
	}
	for _, tc := range tests {
		o := UintOption(MaxAge, tc.v)
		if got := o.Value(); !bytes.Equal(got, tc.want) {
			t.Errorf("UintOption(%d) value = % x; want % x", tc.v, got, tc.want)
		}
		if got, ok := o.Uint(); !ok || got != tc.v {
			t.Errorf("UintOption(%d).Uint() = %d, %v", tc.v, got, ok)
		}
	}
	// Leading zeros decode; more than 4 bytes do not.
	if v, ok := BytesOption(MaxAge, []byte{0, 0, 1}).Uint(); !ok || v != 1 {
		p := BytesOption(MaxAge, []byte{0, 0, 1})
		t.Errorf("Uint(00 00 01) = %d, %v (%v)", v, ok, p)
	}
	long := BytesOption(MaxAge, []byte{0, 0, 0, 0, 1})
	if _, ok := long.Uint(); ok {
		t.Error("Uint of a 5-byte value succeeded")
	}
}

func TestOptionStorage(t *testing.T) {
	short := []byte("0123456789abc") // 13 bytes: inline
	o := BytesOption(ETag, short)
	short[0] = 'X'
	if string(o.Value()) != "0123456789abc" {
		t.Errorf("a 13-byte BytesOption value was not copied: %q", o.Value())
	}
	long := []byte("0123456789abcd") // 14 bytes: referenced
	o = BytesOption(UriPath, long)
	long[0] = 'X'
	if string(o.Value()) != "X123456789abcd" || o.Len() != 14 {
		t.Errorf("a 14-byte BytesOption value was copied: %q", o.Value())
	}
	s := StringOption(UriPath, "a-segment-longer-than-13")
	if string(s.Value()) != "a-segment-longer-than-13" || s.Len() != 24 {
		t.Errorf("StringOption = %q", s.Value())
	}
	var empty Option
	if empty.Len() != 0 || len(empty.Value()) != 0 {
		t.Error("the zero Option has a value")
	}
}

func TestOptionsEditing(t *testing.T) {
	var os Options
	os.AddString(UriQuery, "a=1")
	os.SetUint(ContentFormat, 50)
	os.SetPath("/x/y")
	os.AddString(UriQuery, "b=2")
	os.Add(Option{Number: IfNoneMatch})
	os.SetUint(ContentFormat, 60) // replaces
	want := "If-None-Match=(empty); Uri-Path=x; Uri-Path=y; Content-Format=60; Uri-Query=a=1; Uri-Query=b=2"
	if got := describe(os); got != want {
		t.Errorf("options = %s\nwant      %s", got, want)
	}
	os.SetString(UriQuery, "only")
	os.Del(IfNoneMatch)
	os.Del(Observe) // absent: no-op
	want = "Uri-Path=x; Uri-Path=y; Content-Format=60; Uri-Query=only"
	if got := describe(os); got != want {
		t.Errorf("options = %s\nwant      %s", got, want)
	}
	if v, ok := os.Get(UriQuery); !ok || string(v) != "only" {
		t.Errorf("Get(Uri-Query) = %q, %v", v, ok)
	}
	if _, ok := os.Get(ETag); ok || os.Has(ETag) {
		t.Error("Get(ETag) found an absent option")
	}
	if n := len(os.All(UriPath)); n != 2 {
		t.Errorf("All(Uri-Path) has %d options", n)
	}
	if v, ok := os.Uint(ContentFormat); !ok || v != 60 {
		t.Errorf("Uint(Content-Format) = %d, %v", v, ok)
	}
	if _, ok := os.Uint(MaxAge); ok {
		t.Error("Uint(Max-Age) found an absent option")
	}
	// Removing options clears the vacated slots (no stale references).
	full := os[:cap(os)]
	os.Del(UriPath)
	for i := len(os); i < len(full); i++ {
		if full[i].Number != 0 || full[i].Len() != 0 {
			t.Errorf("slot %d not cleared after Del: %v", i, full[i])
		}
	}
	os.SetBytes(ETag, []byte{1, 2})
	os.AddBytes(ETag, []byte{3})
	if n := len(os.All(ETag)); n != 2 || !os.Has(ETag) {
		t.Errorf("All(ETag) = %v", os.All(ETag))
	}
}

func describe(os Options) string {
	var parts []string
	for _, o := range os {
		parts = append(parts, o.String())
	}
	return strings.Join(parts, "; ")
}

func TestPath(t *testing.T) {
	tests := []struct {
		in, back string
		segs     []string
	}{
		{"", "/", nil},
		{"/", "/", nil},
		{"/time", "/time", []string{"time"}},
		{"time", "/time", []string{"time"}},
		{"/a/b", "/a/b", []string{"a", "b"}},
		{"/a/", "/a/", []string{"a", ""}},
		{"//", "//", []string{"", ""}},
		{"/sensors/temperature-outside", "/sensors/temperature-outside", []string{"sensors", "temperature-outside"}},
		{"/a b/%20", "/a b/%20", []string{"a b", "%20"}},
	}
	for _, tc := range tests {
		var os Options
		os.SetUint(ContentFormat, 0)
		os.SetPath("/old/path/here")
		os.SetPath(tc.in)
		var segs []string
		for _, o := range os.All(UriPath) {
			segs = append(segs, string(o.Value()))
		}
		if len(segs) != len(tc.segs) {
			t.Errorf("SetPath(%q) segments = %q; want %q", tc.in, segs, tc.segs)
			continue
		}
		for i := range segs {
			if segs[i] != tc.segs[i] {
				t.Errorf("SetPath(%q) segments = %q; want %q", tc.in, segs, tc.segs)
			}
		}
		if got := os.Path(); got != tc.back {
			t.Errorf("Path() after SetPath(%q) = %q; want %q", tc.in, got, tc.back)
		}
		if !os.Has(ContentFormat) {
			t.Errorf("SetPath(%q) removed another option", tc.in)
		}
	}
	var os Options
	os.SetLocationPath("/r/42")
	if got := os.LocationPath(); got != "/r/42" || os.Path() != "/" {
		t.Errorf("LocationPath = %q, Path = %q", got, os.Path())
	}
}

func TestObserve(t *testing.T) {
	var os Options
	if _, ok := os.Observe(); ok {
		t.Error("Observe found an absent option")
	}
	for _, tc := range []struct {
		set, want uint32
		wantLen   int
	}{
		{0, 0, 0}, {1, 1, 1}, {300, 300, 2}, {MaxObserve, MaxObserve, 3},
		{MaxObserve + 1, 0, 0}, {MaxObserve + 5, 4, 1}, // modulo 2^24
	} {
		os.SetObserve(tc.set)
		got, ok := os.Observe()
		if !ok || got != tc.want || os[0].Len() != tc.wantLen || len(os) != 1 {
			t.Errorf("SetObserve(%d): Observe() = %d, %v, length %d; want %d, length %d", tc.set, got, ok, os[0].Len(), tc.want, tc.wantLen)
		}
	}
	os.SetBytes(Observe, []byte{0, 0, 0, 1})
	if _, ok := os.Observe(); ok {
		t.Error("Observe accepted a 4-byte value")
	}
}

func TestSize1Size2(t *testing.T) {
	var os Options
	os.SetSize1(3000)
	os.SetSize2(1 << 30)
	if v, ok := os.Size1(); !ok || v != 3000 {
		t.Errorf("Size1 = %d, %v", v, ok)
	}
	if v, ok := os.Size2(); !ok || v != 1<<30 {
		t.Errorf("Size2 = %d, %v", v, ok)
	}
}

func TestUnrecognizedCritical(t *testing.T) {
	known := []OptionNumber{UriPath, UriQuery, Observe, Accept, ContentFormat, Block2, ETag}
	tests := []struct {
		name  string
		build func(os *Options)
		want  OptionNumber
		found bool
	}{
		{"none", func(os *Options) {}, 0, false},
		{"all known", func(os *Options) { os.SetPath("/a/b"); os.SetUint(Accept, 50) }, 0, false},
		// b5_b6 16386: opt9 is critical and unknown → 4.02.
		{"opt9", func(os *Options) { os.SetPath("time"); os.SetUint(9, 120) }, 9, true},
		// b5_b6 16387: opt10 is elective → ignored.
		{"opt10", func(os *Options) { os.SetPath("time"); os.SetUint(10, 120) }, 0, false},
		{"unknown elective Max-Age", func(os *Options) { os.SetUint(MaxAge, 3) }, 0, false},
		{"first of two", func(os *Options) { os.SetUint(9, 1); os.SetUint(UriHost, 1) }, UriHost, true},
		{"known critical, bad length", func(os *Options) { os.SetBytes(Accept, []byte{1, 2, 3}) }, Accept, true},
		{"known elective, bad length", func(os *Options) { os.SetBytes(ContentFormat, []byte{1, 2, 3}) }, 0, false},
		{"repeated non-repeatable critical", func(os *Options) { os.AddBytes(Accept, nil); os.AddBytes(Accept, nil) }, Accept, true},
		{"repeated repeatable", func(os *Options) { os.AddString(UriQuery, "a"); os.AddString(UriQuery, "b") }, 0, false},
		{"Block2 of 4 bytes", func(os *Options) { os.SetBytes(Block2, []byte{0, 0, 0, 1}) }, Block2, true},
		{"known number not in table", func(os *Options) { os.SetUint(9, 1) }, 9, true},
	}
	for _, tc := range tests {
		var os Options
		tc.build(&os)
		got, found := os.UnrecognizedCritical(known)
		if got != tc.want || found != tc.found {
			t.Errorf("%s: UnrecognizedCritical = %v, %v; want %v, %v", tc.name, got, found, tc.want, tc.found)
		}
	}
	var os Options
	os.SetUint(9, 1)
	if _, found := os.UnrecognizedCritical(append(known, 9)); found {
		t.Error("option 9 reported although known")
	}
}
