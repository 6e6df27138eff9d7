package execution

import (
	"fmt"
	"runtime"

	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/core/syscontract"
)

// Policy says what an invalid transaction does to a block.
type Policy int

const (
	// RejectInvalid: any invalid transaction makes the block invalid (L1
	// verification of a proposal).
	RejectInvalid Policy = iota
	// SkipInvalid: invalid transactions are left out and listed in
	// Result.Skipped (L2 derivation: every batch derives exactly one chain).
	SkipInvalid
)

// String names the policy.
func (p Policy) String() string {
	switch p {
	case RejectInvalid:
		return "reject-invalid"
	case SkipInvalid:
		return "skip-invalid"
	}
	return fmt.Sprintf("policy(%d)", int(p))
}

// ApplyBlock is THE state transition of a block, used unchanged by L1
// validators, the sequencer, the challenger and the fraud-proof verifier:
// it applies txs in order to sdb (the state at the parent root) under
// header, runs the end-of-block hooks and returns the roots. Under
// RejectInvalid an invalid transaction fails the block with an error
// wrapping ErrInvalidBlock and the transaction's reason. A state read
// failure (ErrStateUnavailable) always fails the block.
func ApplyBlock(cfg Config, sdb *state.StateDB, header *types.Header, txs []*types.Transaction, reg *syscontract.Registry, policy Policy, opts Options) (*Result, error) {
	e, err := NewBlockExecutor(cfg, sdb, header, reg, opts)
	if err != nil {
		return nil, err
	}
	// Every sender first, on every P (with one P, as a devnet validator
	// runs, the same recoveries execution would make, only earlier).
	RecoverSenders(e.signer, txs, runtime.GOMAXPROCS(0))
	var skipped []SkippedTx
	for i, tx := range txs {
		_, err := e.ApplyTx(tx)
		switch {
		case err == nil:
		case IsInvalidTx(err) && policy == SkipInvalid:
			skipped = append(skipped, SkippedTx{Index: i, Hash: tx.Hash(), Err: err})
		case IsInvalidTx(err):
			e.Abort()
			return nil, fmt.Errorf("%w: block %v: tx %d (%s): %w", ErrInvalidBlock, header.Number, i, tx.Hash(), err)
		default:
			e.Abort()
			return nil, fmt.Errorf("block %v: tx %d: %w", header.Number, i, err)
		}
	}
	res, err := e.Finish()
	if err != nil {
		return nil, err
	}
	res.Skipped = skipped
	return res, nil
}
