package protocol

import (
	"fmt"

	"github.com/bilayer/bilayer/core/block"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

// outputVersion0 is the version word of output version 0: 32 zero bytes.
var outputVersion0 = common.Hash{}

// ErrBadWithdrawal means a withdrawal is malformed (no amount, a negative
// amount or one above 256 bits).
var ErrBadWithdrawal = block.ErrBadWithdrawal

// Withdrawal is one L2 → L1 withdrawal an L2 block initiated (defined in
// core/block, beside the L1 operations, so the state transition can
// return it).
type Withdrawal = block.Withdrawal

// OutputRoot returns the output root of an L2 block:
// keccak256(version ‖ stateRoot ‖ withdrawalsRoot ‖ blockHash).
func OutputRoot(stateRoot, withdrawalsRoot, blockHash common.Hash) common.Hash {
	return crypto.Keccak256Hash(outputVersion0[:], stateRoot[:], withdrawalsRoot[:], blockHash[:])
}

// WithdrawalsRoot returns keccak256(rlp(ws)), each withdrawal encoded as
// the list [nonce, from, to, amount]; an empty list gives keccak256(0xc0).
// It fails (ErrBadWithdrawal) for a withdrawal that Validate refuses.
func WithdrawalsRoot(ws []Withdrawal) (common.Hash, error) {
	for i := range ws {
		if err := ws[i].Validate(); err != nil {
			return common.Hash{}, err
		}
	}
	enc, err := rlp.EncodeToBytes(ws)
	if err != nil {
		return common.Hash{}, fmt.Errorf("%w: %w", ErrBadWithdrawal, err)
	}
	return crypto.Keccak256Hash(enc), nil
}

// L1ID names an L1 block by number and hash: an L2 block's origin as its
// inputs hash commits to it (the base fee is the L1 block's own business,
// readable from the history the rollup contract keeps).
type L1ID struct {
	Number block.L1Number
	Hash   common.Hash
}

// inputs is the RLP form InputsHash hashes.
type inputs struct {
	Number       uint64
	Time         uint64
	OriginNumber uint64
	OriginHash   common.Hash
	TxRoot       common.Hash
}

// InputsHash returns the inputs hash of an L2 block:
// keccak256(rlp([number, time, originNumber, originHash, txRoot])), where
// txRoot is the Ethereum transactions root of txs (block.TxRoot). The
// block's L1 operations are not in it: they are determined by the origin,
// and anyone reads them from the bridge's state.
func InputsHash(number block.L2Number, time uint64, origin L1ID, txs types.Transactions) common.Hash {
	enc, err := rlp.EncodeToBytes(&inputs{Number: uint64(number), Time: time, OriginNumber: uint64(origin.Number),
		OriginHash: origin.Hash, TxRoot: block.TxRoot(txs)})
	if err != nil {
		// Integers and hashes only: RLP cannot refuse them.
		return common.Hash{}
	}
	return crypto.Keccak256Hash(enc)
}
