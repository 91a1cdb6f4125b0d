package coap

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error is a
// *ParseError consistent with the input, and that whatever parses
// re-encodes to the same bytes (the encoding is canonical).
func FuzzParse(f *testing.F) {
	for _, g := range goldens() {
		f.Add(g.wire)
	}
	for _, b := range [][]byte{
		hx("49 01 4007 010101010101010101 b474696d65"), // token length 9
		hx("41 01 400b d6 b474696d65 ff"),              // bare payload marker
		hx("81 01 4006 d5 b474696d65"),                 // version 2
		hx("40 01 0007 e0fe00 e00000"),                 // option number above 65535
		hx("40 01 0001 e2 00 00 0001"),                 // uint with a leading zero
		hx("40 01 0005 df 00"),                         // length nibble 15
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in := bytes.Clone(b)
		m, err := Parse(b)
		if !bytes.Equal(in, b) {
			t.Fatalf("Parse modified its input")
		}
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(% x) error %v is not a *ParseError", b, err)
			}
			if pe.Header != (len(b) >= HeaderLen && b[0]>>6 == Version) {
				t.Fatalf("Parse(% x): Header = %v", b, pe.Header)
			}
			if pe.Header && (pe.Type != Type(b[0]>>4&3) || pe.MessageID != uint16(b[2])<<8|uint16(b[3])) {
				t.Fatalf("Parse(% x): header %v %d", b, pe.Type, pe.MessageID)
			}
			if pe.Offset < 0 || pe.Offset > len(b) {
				t.Fatalf("Parse(% x): offset %d", b, pe.Offset)
			}
			return
		}
		if got := Size(m); got != len(b) {
			t.Fatalf("Size(Parse(% x)) = %d; want %d", b, got, len(b))
		}
		if got := Append(nil, m); !bytes.Equal(got, b) {
			t.Fatalf("Append(Parse(% x)) = % x", b, got)
		}
		var reused Message
		reused.Options = make(Options, 3, 5)
		if err := ParseInto(&reused, b); err != nil || !reused.Equal(m) {
			t.Fatalf("ParseInto(% x) = %v, %v; want %v", b, reused, err, m)
		}
		// Re-building the options through the editing methods gives the
		// same encoding.
		var rebuilt Message
		rebuilt = Message{Type: m.Type, Code: m.Code, MessageID: m.MessageID, Token: m.Token, Payload: m.Payload}
		for i := range m.Options {
			rebuilt.Options.AddBytes(m.Options[i].Number, m.Options[i].Value())
		}
		if got := Append(nil, rebuilt); !bytes.Equal(got, b) {
			t.Fatalf("Append(rebuilt % x) = % x", b, got)
		}
		_ = m.String()
		_, _ = m.Options.UnrecognizedCritical([]OptionNumber{UriPath})
		_ = Check(m)
	})
}
