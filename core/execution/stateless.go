package execution

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/statedb"
	"github.com/bilayer/bilayer/core/syscontract"
)

// OpenWitnessState opens a StateDB at parentRoot backed only by the
// witness. Reading anything the witness lacks records an error in the
// StateDB, which ApplyTx and Finish turn into ErrStateUnavailable.
func OpenWitnessState(w *Witness, parentRoot common.Hash) (*state.StateDB, error) {
	sdb, err := statedb.New(w.database()).StateAt(parentRoot)
	if err != nil {
		return nil, fmt.Errorf("%w: witness lacks the pre-state root %s: %w", ErrStateUnavailable, parentRoot, err)
	}
	return sdb, nil
}

// ExecuteStateless re-executes a block from a witness alone, with exactly
// ApplyBlock, and returns the post-state root and receipts root. A witness
// that lacks a node the block needs gives an error wrapping
// ErrStateUnavailable, never a wrong root. Use OpenWitnessState and
// ApplyBlock directly to read more of the post-state (e.g. a storage root).
//
// l2 are the L2 block's inputs (nil on the L1), as for Options.L2.
func ExecuteStateless(cfg Config, w *Witness, parentRoot common.Hash, header *types.Header, txs []*types.Transaction, reg *syscontract.Registry, policy Policy, l2 *block.L2Extras) (postRoot, receiptsRoot common.Hash, err error) {
	sdb, err := OpenWitnessState(w, parentRoot)
	if err != nil {
		return common.Hash{}, common.Hash{}, err
	}
	res, err := ApplyBlock(cfg, sdb, header, txs, reg, policy, Options{L2: l2})
	if err != nil {
		return common.Hash{}, common.Hash{}, fmt.Errorf("stateless execution of block %s: %w", numberOf(header), err)
	}
	return res.StateRoot, res.ReceiptsRoot, nil
}

func numberOf(h *types.Header) *big.Int {
	if h.Number == nil {
		return new(big.Int)
	}
	return h.Number
}
