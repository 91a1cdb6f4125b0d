package mqtt

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// FuzzParse checks, for any input: Parse does not panic; on error it
// consumes nothing and returns the zero Packet; ErrIncomplete is stable
// under truncation; and a packet it accepts is valid, has Size n, and
// re-encodes to exactly the n bytes it consumed (Parse does no
// canonicalisation). Seeded with the golden and malformed packets.
func FuzzParse(f *testing.F) {
	golden := readGolden(f)
	for _, c := range golden {
		f.Add(c.wire)
	}
	for _, c := range malformedCases {
		f.Add(decodeHex(f, c.wire))
	}
	// Two packets back to back, and one cut short.
	f.Add(append(bytes.Clone(golden[0].wire), golden[len(golden)-1].wire...))
	f.Add(golden[0].wire[:len(golden[0].wire)-1])
	f.Fuzz(func(t *testing.T, b []byte) {
		p, n, err := Parse(b)
		if err != nil {
			if n != 0 || !reflect.DeepEqual(p, Packet{}) {
				t.Fatalf("Parse(%x) = %+v, %d, %v; want the zero Packet and 0 with an error", b, p, n, err)
			}
			if err == ErrIncomplete {
				if len(b) > 0 {
					if _, _, err := Parse(b[:len(b)-1]); err != ErrIncomplete {
						t.Fatalf("Parse(%x) = ErrIncomplete but Parse of one byte less = %v", b, err)
					}
				}
				return
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Offset < 0 || pe.Offset > len(b) {
				t.Fatalf("Parse(%x) = %v; want a *ParseError with an offset within the input", b, err)
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupportedProtocolLevel) {
				t.Fatalf("Parse(%x) = %v; want a malformed or unsupported-level error", b, err)
			}
			return
		}
		if n <= 0 || n > len(b) {
			t.Fatalf("Parse(%x) consumed %d bytes", b, n)
		}
		if err := Validate(&p); err != nil {
			t.Fatalf("Parse(%x) accepted %+v, which Validate rejects: %v", b, p, err)
		}
		if got := Size(&p); got != n {
			t.Fatalf("Parse(%x) consumed %d bytes but Size = %d", b, n, got)
		}
		if got := Append(nil, &p); !bytes.Equal(got, b[:n]) {
			t.Fatalf("Parse(%x) then Append = %x; want the consumed bytes %x", b, got, b[:n])
		}
		if q, m, err := Parse(b[:n]); err != nil || m != n || !reflect.DeepEqual(q, p) {
			t.Fatalf("Parse(%x) differs from Parse of the packet alone: %v", b, err)
		}
		for _, k := range []int{0, 1, 2, n / 2, n - 1} {
			if k < n {
				if _, m, err := Parse(b[:k]); err != ErrIncomplete || m != 0 {
					t.Fatalf("Parse of the first %d of %d bytes of %x = %d, %v; want ErrIncomplete", k, n, b, m, err)
				}
			}
		}
	})
}
