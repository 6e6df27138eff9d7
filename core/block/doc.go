// Package block defines bilayer's blocks: an Ethereum header, the block's
// transactions, and the consensus extras that Ethereum headers have no field
// for.
//
// The header is a go-ethereum types.Header, unchanged, so every Ethereum tool
// computes the same block hash the node uses: ethclient rebuilds the header
// from JSON and hashes it itself, so nothing but a plain Ethereum header works.
// The fields are used as follows:
//
//	ParentHash   hash of block Number-1
//	UncleHash    types.EmptyUncleHash (there are no uncles)
//	Coinbase     the proposer (L1) or the sequencer fee vault (L2): receives tips
//	Root         post-state root of this block
//	TxHash       types.DeriveSha of the transactions
//	ReceiptHash  types.DeriveSha of the receipts
//	Bloom        the logs bloom of the receipts
//	Difficulty   0 (proof of stake)
//	GasLimit, GasUsed, Time, BaseFee as in Ethereum after London
//	Extra        at most MaxExtraSize bytes of free text
//	MixDigest    keccak256(rlp(Extras)): the commitment to the consensus extras
//	Nonce        zero
//
// Later-fork fields (withdrawals, blobs, beacon root, requests) stay nil.
//
// Extras carry what BFT consensus needs and Ethereum has no field for: the
// hashes of the validator set that signs this block and of the one that
// signs the next, and the commit certificate (2/3+ precommits) of the parent
// block. Because MixDigest commits to them, the block hash commits to them.
// A block is checked against its own commitments with CheckCommitments;
// checking the certificate's signatures against a validator set is the
// consensus package's job.
package block
