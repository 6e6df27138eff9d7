package execution

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/trie"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/statedb"
	"github.com/bilayer/bilayer/core/syscontract"
)

// Result is the outcome of a block: everything that goes into, or must be
// checked against, its header.
type Result struct {
	// Transactions are the applied transactions, in order (under
	// SkipInvalid, the invalid ones are not here but in Skipped).
	Transactions types.Transactions
	Receipts     types.Receipts
	// SystemLogs are the logs of end-of-block hooks. They have no receipt
	// (TxHash is zero, TxIndex is len(Transactions)) but are in Bloom.
	SystemLogs []*types.Log
	// EndBlock reports each end-of-block hook.
	EndBlock     []syscontract.EndBlockOutcome
	GasUsed      uint64
	StateRoot    common.Hash
	ReceiptsRoot common.Hash
	TxRoot       common.Hash
	Bloom        types.Bloom
	// Witness holds the trie nodes the block touched, if requested.
	Witness *Witness
	// Skipped lists the invalid transactions left out under SkipInvalid.
	Skipped []SkippedTx
	// Operations are the outcomes of an L2 block's L1 operations, in
	// order (nil on the L1).
	Operations []OperationResult
	// Withdrawals are the withdrawals an L2 block initiated, in nonce
	// order: its forced withdrawals, then its transactions' (nil on the
	// L1). The block's output commits to their root.
	Withdrawals []block.Withdrawal
}

// SkippedTx is an invalid transaction left out of a block.
type SkippedTx struct {
	Index int // position in the input list
	Hash  common.Hash
	Err   error
}

// Finish runs the end-of-block hooks of the system contracts and computes
// the roots. The executor cannot be used afterwards. The StateDB then holds
// the post-state (uncommitted: commit it with statedb.DB.Commit).
func (e *BlockExecutor) Finish() (*Result, error) {
	if e.finished {
		return nil, ErrFinished
	}
	e.finished = true
	number := e.header.Number.Uint64()
	e.state.SetTxContext(common.Hash{}, len(e.txs), 0)
	outcomes := e.reg.EndBlock(e.state, e.block)
	systemLogs := e.state.GetLogs(common.Hash{}, number, common.Hash{}, e.header.Time)

	if q := e.queue(); q != nil {
		for _, r := range e.receipts {
			ws, err := q.Withdrawals(r.Logs)
			if err != nil {
				e.state.StopPrefetcher()
				return nil, fmt.Errorf("finish block %d: %w: tx %s: %w", number, ErrInvalidBlock, r.TxHash, err)
			}
			e.withdrawals = append(e.withdrawals, ws...)
		}
	}
	root := e.state.IntermediateRoot(statedb.Rules())
	e.state.StopPrefetcher()
	if err := e.state.Error(); err != nil {
		return nil, fmt.Errorf("finish block %d: %w: %w", number, ErrStateUnavailable, err)
	}
	res := &Result{
		Transactions: e.txs,
		Receipts:     e.receipts,
		SystemLogs:   systemLogs,
		EndBlock:     outcomes,
		GasUsed:      e.gasUsed,
		StateRoot:    root,
		ReceiptsRoot: types.DeriveSha(e.receipts, trie.NewStackTrie(nil)),
		TxRoot:       types.DeriveSha(types.Transactions(e.txs), trie.NewStackTrie(nil)),
		Bloom:        blockBloom(e.receipts, systemLogs),
		Operations:   e.operations,
		Withdrawals:  e.withdrawals,
	}
	if e.witness != nil {
		res.Witness = newWitness(e.witness)
	}
	return res, nil
}

// queue returns the L2's withdrawal queue, or nil.
func (e *BlockExecutor) queue() WithdrawalQueue {
	if e.cfg.L2 == nil {
		return nil
	}
	return e.cfg.L2.Queue
}

// Abort stops background work (the witness prefetcher) of an executor that
// will not be finished. It is safe to call at any time, more than once.
func (e *BlockExecutor) Abort() {
	e.finished = true
	e.state.StopPrefetcher()
}

func blockBloom(receipts types.Receipts, systemLogs []*types.Log) types.Bloom {
	bloom := types.MergeBloom(receipts)
	for _, l := range systemLogs {
		bloom.Add(l.Address.Bytes())
		for _, t := range l.Topics {
			bloom.Add(t.Bytes())
		}
	}
	return bloom
}

// StampBlockHash fills in the block hash of receipts and logs once the
// final header hash is known (execution runs before the header is sealed).
func StampBlockHash(hash common.Hash, receipts types.Receipts, systemLogs []*types.Log) {
	for _, r := range receipts {
		r.BlockHash = hash
		for _, l := range r.Logs {
			l.BlockHash = hash
		}
	}
	for _, l := range systemLogs {
		l.BlockHash = hash
	}
}

// CheckHeader compares the result with the header a proposer or sequencer
// claimed and returns ErrInvalidBlock naming every field that differs.
func (r *Result) CheckHeader(h *types.Header) error {
	var bad []string
	if h.Root != r.StateRoot {
		bad = append(bad, fmt.Sprintf("state root %s, computed %s", h.Root, r.StateRoot))
	}
	if h.ReceiptHash != r.ReceiptsRoot {
		bad = append(bad, fmt.Sprintf("receipts root %s, computed %s", h.ReceiptHash, r.ReceiptsRoot))
	}
	if h.TxHash != r.TxRoot {
		bad = append(bad, fmt.Sprintf("tx root %s, computed %s", h.TxHash, r.TxRoot))
	}
	if h.GasUsed != r.GasUsed {
		bad = append(bad, fmt.Sprintf("gas used %d, computed %d", h.GasUsed, r.GasUsed))
	}
	if h.Bloom != r.Bloom {
		bad = append(bad, "logs bloom differs")
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: block %v: %v", ErrInvalidBlock, h.Number, bad)
	}
	return nil
}
