package output

import (
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// zstdWindow bounds how far back zstd looks for matches. A page is about
// parquet-go's PageBufferSize (256 KiB) before compression, so a larger
// window finds almost nothing more but costs memory: the encoder keeps
// about twice the window as history.
const zstdWindow = 512 << 10

// zstdCodec is the zstd codec of one file being written: it owns one encoder
// for the file's lifetime, where parquet.Zstd shares encoders through a
// sync.Pool — with the default 8 MiB window each holds ~16 MiB of history,
// and one is made per concurrent file and remade after pools are emptied by
// a GC. Output is standard zstd (level 3, "default"), read by any reader.
type zstdCodec struct {
	mu  sync.Mutex // parquet-go compresses a file's pages one at a time; this is a guard
	enc *zstd.Encoder
}

func (c *zstdCodec) String() string { return "ZSTD" }

func (c *zstdCodec) CompressionCodec() format.CompressionCodec { return format.Zstd }

func (c *zstdCodec) Encode(dst, src []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.enc == nil {
		enc, err := zstd.NewWriter(nil,
			zstd.WithEncoderLevel(zstd.SpeedDefault),
			zstd.WithEncoderConcurrency(1),
			zstd.WithWindowSize(zstdWindow),
			zstd.WithZeroFrames(true),
			zstd.WithEncoderCRC(false),
		)
		if err != nil {
			return dst[:0], err
		}
		c.enc = enc
	}
	return c.enc.EncodeAll(src, dst[:0]), nil
}

func (c *zstdCodec) Decode(dst, src []byte) ([]byte, error) {
	return parquet.Zstd.Decode(dst, src)
}
