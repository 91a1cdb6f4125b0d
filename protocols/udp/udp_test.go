package udp

import (
	"bytes"
	"testing"
)

func TestWireBytes(t *testing.T) {
	tests := []struct{ payload, want int }{{0, 28}, {64, 92}, {MaxPayload, 65535}}
	for _, tc := range tests {
		if got := WireBytes(tc.payload); got != tc.want {
			t.Errorf("WireBytes(%d) = %d; want %d", tc.payload, got, tc.want)
		}
	}
}

func TestHeaderGolden(t *testing.T) {
	// Source port 5683, destination port 1883, length 8+4, checksum 0.
	h := Header{SrcPort: 5683, DstPort: 1883, Length: 12}
	got := AppendHeader(nil, h)
	want := []byte{0x16, 0x33, 0x07, 0x5b, 0x00, 0x0c, 0x00, 0x00}
	if !bytes.Equal(got, want) {
		t.Fatalf("AppendHeader = % x; want % x", got, want)
	}
	dgram := append(got, 1, 2, 3, 4)
	back, n, err := ParseHeader(dgram)
	if err != nil || back != h || n != HeaderBytes || !bytes.Equal(dgram[n:back.Length], []byte{1, 2, 3, 4}) {
		t.Fatalf("ParseHeader = %+v, %d, %v", back, n, err)
	}
}

func TestParseHeaderRejectsShort(t *testing.T) {
	for _, b := range [][]byte{nil, {1, 2, 3}, {0, 1, 0, 2, 0, 7, 0, 0}, {0, 1, 0, 2, 0, 9, 0, 0}} {
		if _, _, err := ParseHeader(b); err == nil {
			t.Errorf("ParseHeader(% x) succeeded; want an error", b)
		}
	}
}

func FuzzParseHeader(f *testing.F) {
	f.Add([]byte{0x16, 0x33, 0x07, 0x5b, 0x00, 0x0c, 0x00, 0x00, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := ParseHeader(b)
		if err != nil {
			return
		}
		if n != HeaderBytes || int(h.Length) > len(b) || !bytes.Equal(AppendHeader(nil, h), b[:HeaderBytes]) {
			t.Fatalf("inconsistent parse of % x: %+v %d", b, h, n)
		}
	})
}
