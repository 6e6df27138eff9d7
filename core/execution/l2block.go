package execution

import (
	"fmt"
	"math"
	"math/big"

	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/core/block"
)

// NextL2Header returns the header of the L2 block after parent at time t,
// before execution: parent hash = parent.Hash(), coinbase = the fee vault
// (cfg.L2.FeeVault), number = parent's + 1, the parent's gas limit, time t
// and base fee NextBaseFee(cfg, parent). It is the one rule for an L2
// header, used by the sequencer and derivation (rollup/l2chain) and by the
// L1 fraud-proof verifier (rollup/contract), which rebuilds the header of a
// disputed block from its posted parent. Execution fills Root,
// ReceiptHash, Bloom and GasUsed (SealL2Block); TxHash and MixDigest come
// from block.AssembleL2.
//
// It fails (ErrInvalidBlock) for a config without L2 rules and for a
// parent the rule cannot extend: no number, a number at 2^64-1 or above,
// no base fee or a negative one. The parent may come from an untrusted
// proof, so nothing here panics.
func NextL2Header(cfg Config, parent *types.Header, t uint64) (*types.Header, error) {
	switch {
	case cfg.L2 == nil:
		return nil, fmt.Errorf("%w: L2 header from a config without L2 rules", ErrInvalidBlock)
	case parent == nil:
		return nil, fmt.Errorf("%w: no parent header", ErrInvalidBlock)
	case parent.Number == nil || !parent.Number.IsUint64() || parent.Number.Uint64() == math.MaxUint64:
		return nil, fmt.Errorf("%w: parent number %v cannot be extended", ErrInvalidBlock, parent.Number)
	case parent.BaseFee == nil || parent.BaseFee.Sign() < 0:
		return nil, fmt.Errorf("%w: parent %d has base fee %v", ErrInvalidBlock, parent.Number, parent.BaseFee)
	case cfg.ElasticityMultiplier == 0 || cfg.BaseFeeChangeDenominator == 0:
		return nil, fmt.Errorf("%w: elasticity multiplier and base fee change denominator must be positive", ErrBadConfig)
	}
	return &types.Header{
		ParentHash: parent.Hash(),
		Coinbase:   cfg.L2.FeeVault,
		Number:     new(big.Int).SetUint64(parent.Number.Uint64() + 1),
		GasLimit:   parent.GasLimit,
		Time:       t,
		BaseFee:    NextBaseFee(cfg, parent.GasLimit, parent.GasUsed, parent.BaseFee),
	}, nil
}

// SealL2Block completes header with the outcome of its execution (state
// root, receipts root, bloom, gas used) and assembles the L2 block of the
// applied transactions (res.Transactions) with extras (block.AssembleL2
// sets TxHash and MixDigest). header is not modified. The sequencer,
// derivation and the fraud-proof verifier all seal blocks with it, so the
// block hash they compute is the same.
func SealL2Block(header *types.Header, extras block.L2Extras, res *Result) *block.Block {
	h := types.CopyHeader(header)
	h.Root, h.ReceiptHash, h.Bloom, h.GasUsed = res.StateRoot, res.ReceiptsRoot, res.Bloom, res.GasUsed
	return block.AssembleL2(h, res.Transactions, extras)
}
