// Package batch is the encoding of a batch: a run of consecutive L2 blocks
// as the sequencer's batcher posts it to the L1 rollup contract
// (submitBatch(bytes)), as the contract decodes it to check it, and as
// derivation decodes it to rebuild the L2 (DESIGN section 6).
//
// A batch carries, per L2 block, what the L1 does not already have: the
// block number, time and L1 origin, the user transactions (deposits and
// forced operations are on the L1 and are not posted again), and what the
// sequencer claims came out of it: the state root, the block hash and the
// withdrawals the block initiated, from which the contract computes the
// block's output root. Encode writes it; Decode
// reads it back, refusing everything malformed with a sentinel error the
// contract can revert with. Decode(Encode(b)) gives back b, with
// transactions of the same hashes, so signatures verify and transaction
// roots match. The package is pure: no goroutines, clock, randomness or
// I/O.
//
// # Why this layout
//
// The encoding is specialised for what L2 blocks hold, mostly transfers.
// Most of a transfer is incompressible: the signature (r and s, 64 bytes),
// the recipient (20) and the value. The rest (type, chain id, gas, fees,
// the y parity, the nonce, block numbers and times) is made nearly free:
// the chain id is written once per batch, the type, gas limit and fees of
// a transaction are a "class" written once and referred to by a small
// index, the y parity rides in the top bit of s (which a canonical
// signature leaves clear), numbers are decimal mantissa and exponent so
// round amounts and fees are short, and the fields are laid out column by
// column (all class indices, all nonces, ... all recipients, all r, all s),
// the low-entropy columns first, each given its own zstd block, so that
// zstd codes each kind of field with its own statistics. A 1,000-transfer
// batch costs about 92.8 B per transfer for values of 18 random decimal
// digits (the information in one is about 92.1 B) and about 87.8 B for
// wallet amounts of six decimals (about 87.1 B); see TestBytesPerTransfer.
//
// # Wire format, version 1
//
//	byte 0     Version1 (0x01)
//	bytes 1..  one zstd frame (RFC 8878) whose content is the payload
//
// The frame must be a single standard frame, not skippable, without a
// dictionary, declaring its content size; a checksum is allowed. Nothing
// may follow it. How the content is split into zstd blocks, and the
// compression level, are the encoder's choice and not part of the format.
//
// The payload, with uvarint the unsigned LEB128 varint of encoding/binary
// in its shortest form, [n] n raw bytes, and number defined below:
//
//	uvarint  chain id of every transaction; 0 if and only if there are none
//	[32]     parent hash: the hash of the L2 block before the first
//	uvarint  B, the number of blocks, at least 1
//	uvarint  number of the first block
//	uvarint  time of the first block
//	uvarint  L1 origin of the first block
//	B-1 × uvarint  time increments: block i's time minus block i-1's
//	⌈(B-1)/8⌉ bytes  origin steps: bit (i-1) mod 8 of byte ⌊(i-1)/8⌋ is 1
//	               if block i's origin is block i-1's plus one, 0 if it is
//	               the same; unused bits are 0
//	B × uvarint  transaction counts; N is their sum
//	B × uvarint  withdrawal counts; W is their sum
//	uvarint  K, the number of transaction classes: 0 if N is 0, else 1..N
//	K × class:
//	    byte     transaction type: 0 legacy, 1 access list, 2 dynamic fee
//	    uvarint  gas limit
//	    number   gas price (types 0 and 1) or max priority fee (type 2)
//	    number   max fee per gas (type 2 only)
//	N × uvarint  class of each transaction, an index into the table
//	N × uvarint  nonces
//	N × uvarint  data lengths
//	N × byte     value exponents
//	N × byte     value mantissa lengths
//	one byte per non-zero value: the first byte of its mantissa
//	the other mantissa bytes of the values, in order
//	N × [20]     recipients
//	N × [32]     signature r, big-endian
//	N × [32]     signature s, big-endian, with the y parity in its top bit
//	the data of the transactions, concatenated
//	W × withdrawal: uvarint nonce, [20] from, [20] to, number amount
//	B × [32]     state roots
//	B × [32]     block hashes
//
// Block i (from 0) has number first+i; transactions and withdrawals are
// dealt to the blocks in order by the counts. A number is the exponent e
// (≤ 77) and the big-endian mantissa m (≤ 32 bytes, no leading zero byte,
// not divisible by ten; no bytes, and e = 0, for zero) of the value
// m × 10^e < 2^256; in a class or a withdrawal it is written as the byte
// e, the byte len(m), then m; the values are written as the columns above.
//
// Each transaction is rebuilt from its class, its columns and the chain id
// with an empty access list: type 0 as an EIP-155 legacy transaction with
// v = 2·chain id + 35 + parity; types 1 and 2 with v = parity. Contract
// creation, non-empty access lists, blob and set-code transactions,
// unprotected legacy transactions, chain ids that differ in a batch,
// fields above 256 bits and s ≥ 2^255 cannot be written: Encode refuses
// them (ErrUnsupportedTx).
//
// Every payload has exactly one form: varints are shortest, numbers are
// in the form above, classes are distinct and numbered in order of first
// use, and every class is used. So Encode(Decode(x)) has the same payload
// as x.
//
// # Versions
//
// The first byte names the format. A format, once any L1 has accepted a
// batch in it, never changes: a new format takes a new version byte,
// Decode keeps reading every version (derivation replays the L1 from
// genesis), and Encode moves to the new version only from the L1 height at
// which the rollup config activates it. Decode refuses versions it does
// not know (ErrUnknownVersion).
//
// # Limits
//
// Limits bound what Decode accepts and allocates: the posted bytes
// (MaxBatchBytes, 4 MiB on the L1), the decompressed payload
// (MaxDecompressedBytes: a frame declaring more is refused before
// anything is decompressed, and one that produces more than it declares
// fails at the first block past it), blocks per batch, transactions and
// withdrawals per block, and the encoded size of one transaction. Before
// allocating by a count, Decode checks it against the limits and against
// what the rest of the payload can hold. The contract and derivation must
// use the same limits, from the rollup config, or they would disagree on
// which batches exist.
//
// Decode checks only what the bytes can tell: that the numbers are
// consecutive, the times non-decreasing and the origins stay or advance by
// one (the format can break these only by overflowing 64 bits). Whether
// the batch continues the accepted chain, the origins exist and respect
// the lag, the times are not before the origins', and the claimed roots
// are right, is for the contract, derivation and fraud proofs to check.
package batch
