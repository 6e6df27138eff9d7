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
}

// Fill applies candidates from src to the block, best first, until the
// source is empty, the block's gas (or an L2 block's transaction cap) is
// used up, lim says so, or the byte budget is spent. An invalid candidate
// is skipped with its sender's later transactions. It is the one block
// building loop of the L1 proposer and the L2 sequencer. An error means the
// block cannot be completed (a state failure); the executor is then
// unusable.
func (e *BlockExecutor) Fill(src TxSource, lim FillLimits) (FillStats, error) {
	var st FillStats
	for tx := src.Peek(); tx != nil; tx = src.Peek() {
		if e.GasLeft() < TxGas || e.txCapReached() || (lim.MaxGas > 0 && e.gasUsed >= lim.MaxGas) || (lim.Enough != nil && lim.Enough()) {
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
