package batch

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
)

// The zstd frame format (RFC 8878) as far as frameLength walks it.
const (
	// maxZstdBlock is the largest zstd block, compressed or not.
	maxZstdBlock = 128 << 10
	// zstdBlockHeader is the size of a block header.
	zstdBlockHeader = 3
	// zstdChecksum is the size of the optional content checksum.
	zstdChecksum = 4
	// zstdBlockRaw, zstdBlockRLE, zstdBlockCompressed and
	// zstdBlockReserved are the block types.
	zstdBlockRaw        = 0
	zstdBlockRLE        = 1
	zstdBlockCompressed = 2
	zstdBlockReserved   = 3
	// minDecoderLimit and maxDecoderLimit bound the zstd decoder's own
	// memory and window limit (see decompress); zstd allows windows of
	// up to about 3.75 TB.
	minDecoderLimit = 8 << 20
	maxDecoderLimit = 1 << 41
)

// level is the zstd level Encode uses, chosen by measuring a batch of
// 1,000 random-recipient transfers (B per transfer, µs per transfer to
// compress, for 18-digit values and for wallet amounts; the times are
// from a loaded 2-core machine):
//
//	fastest  93.79  0.13   88.75  0.13
//	default  93.18  0.15   88.17  0.13
//	better   92.77  0.16   87.78  0.13
//	best     92.73  0.83   87.73  0.79
//
// Better saves a byte per transfer over the fastest level at about the
// same cost; best saves 0.05 B more for five times the CPU and 45 MB of
// tables instead of 13.
const level = zstd.SpeedBetterCompression

// minBlockPart is the least number of payload bytes worth a zstd block of
// their own: below it, the block's own header and literal statistics cost
// more than they save.
const minBlockPart = 512

// newCompressor returns a zstd encoder of the package's settings: the
// chosen level, no checksum (the L1 transaction already protects the
// bytes), single-segment frames from EncodeAll (so that even a small frame
// declares its size), synchronous (no goroutines).
func newCompressor() (*zstd.Encoder, error) {
	z, err := zstd.NewWriter(nil,
		zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderLevel(level),
		zstd.WithEncoderCRC(false),
		zstd.WithSingleSegment(true),
		zstd.WithLowerEncoderMem(true),
	)
	if err != nil {
		return nil, fmt.Errorf("batch: zstd encoder: %w", err)
	}
	return z, nil
}

// compress returns Version1 followed by one zstd frame holding the
// concatenation of parts and declaring its size. Once at least
// minBlockPart bytes are pending, the block is ended before the next part,
// so a low-entropy column gets its own literal statistics instead of
// sharing them with signatures, addresses and hashes.
func compress(z *zstd.Encoder, parts [][]byte) ([]byte, error) {
	// Group the parts into blocks.
	var blocks [][]byte
	var pending []byte
	for i, p := range parts {
		pending = append(pending, p...)
		if len(pending) >= minBlockPart || i == len(parts)-1 {
			blocks = append(blocks, pending)
			pending = nil
		}
	}
	if len(blocks) == 1 {
		out := make([]byte, 1, 1+len(blocks[0]))
		out[0] = Version1
		return z.EncodeAll(blocks[0], out), nil
	}
	// A stream frame declares its size when it is at least 256 bytes,
	// which it is: the first block has minBlockPart bytes.
	total := 0
	for _, b := range blocks {
		total += len(b)
	}
	var out bytes.Buffer
	out.Grow(1 + total)
	out.WriteByte(Version1)
	z.ResetContentSize(&out, int64(total))
	for i, b := range blocks {
		if _, err := z.Write(b); err != nil {
			return nil, fmt.Errorf("batch: compress: %w", err)
		}
		if i < len(blocks)-1 {
			if err := z.Flush(); err != nil {
				return nil, fmt.Errorf("batch: compress: %w", err)
			}
		}
	}
	if err := z.Close(); err != nil {
		return nil, fmt.Errorf("batch: compress: %w", err)
	}
	return out.Bytes(), nil
}

// decompress checks that frame is exactly one zstd frame, declaring a
// content size of at most maxOut bytes, and returns its content. Nothing
// larger than the declared size is allocated.
func decompress(frame []byte, maxOut int) ([]byte, error) {
	size, err := frameLength(frame, uint64(maxOut))
	if err != nil {
		return nil, err
	}
	if size < len(frame) {
		return nil, fmt.Errorf("%w: %d bytes after the zstd frame", ErrTrailingData, len(frame)-size)
	}
	// The output is bounded by the declared content size (checked above
	// and again by the decoder, block by block); the decoder's own limit
	// only has to leave room for the window the encoder declared, at most
	// twice the content. DecodeAll allocates the output, not the window.
	limit := max(min(2*uint64(maxOut), maxDecoderLimit), minDecoderLimit)
	dec, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxMemory(limit),
		zstd.WithDecoderMaxWindow(limit),
	)
	if err != nil {
		return nil, fmt.Errorf("batch: zstd decoder: %w", err)
	}
	defer dec.Close()
	out, err := dec.DecodeAll(frame, nil)
	if err != nil {
		if errors.Is(err, zstd.ErrDecoderSizeExceeded) {
			return nil, fmt.Errorf("%w: %v", ErrDecompressedTooLarge, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrBadFrame, err)
	}
	if len(out) > maxOut {
		// Unreachable while the decoder enforces the declared size.
		return nil, fmt.Errorf("%w: %d > %d bytes", ErrDecompressedTooLarge, len(out), maxOut)
	}
	return out, nil
}

// frameLength walks the zstd frame at the start of data without
// decompressing it and returns its length. It refuses skippable frames,
// dictionaries, frames that do not declare their content size or declare
// more than maxOut bytes, reserved block types and oversized blocks.
func frameLength(data []byte, maxOut uint64) (int, error) {
	var h zstd.Header
	if _, err := h.DecodeAndStrip(data); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, fmt.Errorf("%w: zstd frame header", ErrTruncated)
		}
		return 0, fmt.Errorf("%w: %v", ErrBadFrame, err)
	}
	switch {
	case h.Skippable:
		return 0, fmt.Errorf("%w: skippable frame", ErrBadFrame)
	case h.DictionaryID != 0:
		return 0, fmt.Errorf("%w: dictionary %d", ErrBadFrame, h.DictionaryID)
	case !h.HasFCS:
		return 0, fmt.Errorf("%w: the frame does not declare its content size", ErrBadFrame)
	case h.FrameContentSize > maxOut:
		return 0, fmt.Errorf("%w: the frame declares %d bytes > %d", ErrDecompressedTooLarge, h.FrameContentSize, maxOut)
	}
	off := h.HeaderSize
	for {
		if len(data)-off < zstdBlockHeader {
			return 0, fmt.Errorf("%w: zstd block header at byte %d", ErrTruncated, off)
		}
		bh := uint32(data[off]) | uint32(data[off+1])<<8 | uint32(data[off+2])<<16
		off += zstdBlockHeader
		last := bh&1 != 0
		size := int(bh >> 3)
		if size > maxZstdBlock {
			return 0, fmt.Errorf("%w: %d-byte block", ErrBadFrame, size)
		}
		switch (bh >> 1) & 3 {
		case zstdBlockRaw, zstdBlockCompressed:
			// size bytes follow
		case zstdBlockRLE:
			size = 1 // one byte, repeated size times
		case zstdBlockReserved:
			return 0, fmt.Errorf("%w: reserved block type", ErrBadFrame)
		}
		if len(data)-off < size {
			return 0, fmt.Errorf("%w: zstd block at byte %d needs %d bytes, %d left", ErrTruncated, off, size, len(data)-off)
		}
		off += size
		if last {
			break
		}
	}
	if h.HasCheckSum {
		if len(data)-off < zstdChecksum {
			return 0, fmt.Errorf("%w: zstd checksum", ErrTruncated)
		}
		off += zstdChecksum
	}
	return off, nil
}
