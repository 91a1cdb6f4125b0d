package coap

import (
	"errors"
	"strconv"
)

// Block is the value of a Block1 or Block2 option (RFC 7959 §2.2): the
// block number, whether more blocks follow, and the size exponent.
type Block struct {
	Num  uint32 // block number, 0 .. MaxBlockNum
	More bool   // M: more blocks follow (Block1 request, Block2 response)
	SZX  uint8  // size exponent 0 .. 6: the block is 2^(SZX+4) bytes
}

// Block limits (RFC 7959 §2.2).
const (
	MaxBlockNum = 1<<20 - 1 // NUM has at most 20 bits
	MaxSZX      = 6         // SZX 7 is reserved
)

// ErrBlock means a Block whose NUM exceeds 20 bits or whose SZX is 7 or
// more.
var ErrBlock = errors.New("coap: block number above 2^20-1 or reserved SZX 7")

// BlockSZX returns the SZX of a block size of 16, 32, ..., 1024 bytes; ok
// is false for any other size.
func BlockSZX(size int) (szx uint8, ok bool) {
	for szx = 0; szx <= MaxSZX; szx++ {
		if 1<<(szx+4) == size {
			return szx, true
		}
	}
	return 0, false
}

// Valid reports whether b can be sent: NUM fits in 20 bits and SZX is 0
// to 6. RFC 7959 §2.2: a request with SZX 7 gets 4.00 (Bad Request).
func (b Block) Valid() bool { return b.Num <= MaxBlockNum && b.SZX <= MaxSZX }

// Size returns the block size 2^(SZX+4) in bytes, or 0 when SZX is
// reserved (7 or more).
func (b Block) Size() int {
	if b.SZX > MaxSZX {
		return 0
	}
	return 1 << (b.SZX + 4)
}

// Offset returns the byte offset of the block in the body, NUM × size.
func (b Block) Offset() int { return int(b.Num) * b.Size() }

// Uint returns the option value NUM<<4 | M<<3 | SZX. For an invalid
// block the fields are truncated to their widths.
func (b Block) Uint() uint32 {
	v := (b.Num&MaxBlockNum)<<4 | uint32(b.SZX&7)
	if b.More {
		v |= 8
	}
	return v
}

// DecodeBlock splits an option value into its fields. Every value of up
// to 24 bits decodes; check Valid for the reserved SZX 7.
func DecodeBlock(v uint32) Block {
	return Block{Num: v >> 4 & MaxBlockNum, More: v&8 != 0, SZX: uint8(v & 7)}
}

// String gives NUM/M/size as in Wireshark: "0/1/64" (size "reserved"
// for SZX 7).
func (b Block) String() string {
	m := "0"
	if b.More {
		m = "1"
	}
	size := "reserved"
	if b.Size() > 0 {
		size = strconv.Itoa(b.Size())
	}
	return strconv.FormatUint(uint64(b.Num), 10) + "/" + m + "/" + size
}

// SetBlock1 sets the Block1 option (RFC 7959 §2.5: the block of a request
// body, or in a response the block being acknowledged). It returns
// ErrBlock, leaving os unchanged, when b is not Valid.
func (os *Options) SetBlock1(b Block) error { return os.setBlock(Block1, b) }

// SetBlock2 sets the Block2 option (RFC 7959 §2.4: the block of a
// response body, or in a request the block wanted). It returns ErrBlock,
// leaving os unchanged, when b is not Valid.
func (os *Options) SetBlock2(b Block) error { return os.setBlock(Block2, b) }

func (os *Options) setBlock(n OptionNumber, b Block) error {
	if !b.Valid() {
		return ErrBlock
	}
	os.SetUint(n, b.Uint())
	return nil
}

// Block1 returns the Block1 option; ok is false when it is absent or its
// value is longer than 3 bytes. The block may have the reserved SZX 7:
// check Valid.
func (os Options) Block1() (b Block, ok bool) { return os.block(Block1) }

// Block2 returns the Block2 option; ok is false when it is absent or its
// value is longer than 3 bytes. The block may have the reserved SZX 7:
// check Valid.
func (os Options) Block2() (b Block, ok bool) { return os.block(Block2) }

func (os Options) block(n OptionNumber) (Block, bool) {
	i, j := os.span(n)
	if i == j || os[i].Len() > 3 {
		return Block{}, false
	}
	v, _ := os[i].Uint()
	return DecodeBlock(v), true
}
