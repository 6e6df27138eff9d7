package execution

import (
	"fmt"

	"github.com/ethereum/go-ethereum/core/types"
)

// TxSource yields candidate transactions for a new block, best first; the
// transaction pool's iterator is one.
type TxSource interface {
	// Peek returns the next candidate, or nil when there is none.
	Peek() *types.Transaction
	// Shift moves past an included candidate to its sender's next one.
	Shift()
	// Pop drops the candidate's sender: its later transactions cannot
	// follow one that was not included.
	Pop()
}

// FillLimits bound what Fill takes into a block beyond its gas limit.
type FillLimits struct {
	// MaxBytes is the most encoded transaction bytes (0: no limit).
	MaxBytes int
	// MaxGas, if not 0, closes the block once its gas used reaches it: a
	// target below the header's gas limit that builders adapt to what the
	// chain's validators can execute in a block time.
	MaxGas uint64
	// Enough, if set, is asked before each transaction; when it returns
	// true the block is closed. Builders use it to bound building time.
	Enough func() bool
}

// FillStats says what Fill did.
type FillStats struct {
	// Included counts the transactions applied.
	Included int
	// Skipped counts the invalid candidates left out (their senders
	// dropped for this block).
	Skipped int
	// Bytes is the encoded size of the included transactions.
	Bytes int
	// ClosedBy says what closed the block.
	ClosedBy FillClose
}

// FillClose is what closed a block Fill built.
type FillClose string

// What can close a block, in the order Fill checks them.
const (
	// ClosedBySource: the source had no candidate left (none, or none
	// that fit the byte budget).
	ClosedBySource FillClose = "source"
	// ClosedByGasLimit: the header's gas limit had no room for a transfer.
	ClosedByGasLimit FillClose = "gas_limit"
	// ClosedByTxCap: an L2 block held its cap of transactions.
	ClosedByTxCap FillClose = "tx_cap"
	// ClosedByGasTarget: the gas used reached FillLimits.MaxGas.
	ClosedByGasTarget FillClose = "gas_target"
	// ClosedByEnough: FillLimits.Enough said so (a builder's time bound).
	ClosedByEnough FillClose = "enough"
)

// closedBy returns what closes the block before its next candidate, or ""
// while it stays open.
func (e *BlockExecutor) closedBy(lim FillLimits) FillClose {
	switch {
	case e.GasLeft() < TxGas:
		return ClosedByGasLimit
	case e.txCapReached():
		return ClosedByTxCap
	case lim.MaxGas > 0 && e.gasUsed >= lim.MaxGas:
		return ClosedByGasTarget
	case lim.Enough != nil && lim.Enough():
		return ClosedByEnough
	}
	return ""
}

// Fill applies candidates from src to the block, best first, until the
// source is empty, the block's gas (or an L2 block's transaction cap) is
// used up, lim says so, or the byte budget is spent; FillStats.ClosedBy
// says which. An invalid candidate is skipped with its sender's later
// transactions. It is the one block building loop of the L1 proposer and
// the L2 sequencer. An error means the
// block cannot be completed (a state failure); the executor is then
// unusable.
func (e *BlockExecutor) Fill(src TxSource, lim FillLimits) (FillStats, error) {
	st := FillStats{ClosedBy: ClosedBySource}
	for tx := src.Peek(); tx != nil; tx = src.Peek() {
		if closed := e.closedBy(lim); closed != "" {
			st.ClosedBy = closed
			break
		}
		size := int(tx.Size())
		if lim.MaxBytes > 0 && st.Bytes+size > lim.MaxBytes {
			src.Pop()
			continue
		}
		if _, err := e.ApplyTx(tx); err != nil {
			if !IsInvalidTx(err) {
				return st, fmt.Errorf("fill block %d: %w", e.header.Number, err)
			}
			st.Skipped++
			src.Pop()
			continue
		}
		st.Included++
		st.Bytes += size
		src.Shift()
	}
	return st, nil
}

// txCapReached reports whether an L2 block holds its cap of transactions.
func (e *BlockExecutor) txCapReached() bool {
	l2 := e.cfg.L2
	return l2 != nil && l2.MaxTxsPerBlock > 0 && len(e.txs) >= l2.MaxTxsPerBlock
}

// TxCount is the number of transactions applied so far.
func (e *BlockExecutor) TxCount() int { return len(e.txs) }
