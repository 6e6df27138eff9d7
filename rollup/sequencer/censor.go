package sequencer

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/core/execution"
)

// censoringSource is a TxSource that leaves out every transaction whose
// sender is censored (the --dev.censor switch: it shows that a forced
// operation on L1 gets past a censoring sequencer).
type censoringSource struct {
	src      execution.TxSource
	signer   types.Signer
	censored map[common.Address]bool
}

// Peek implements execution.TxSource: the next candidate whose sender is
// not censored; a censored sender's transactions are dropped from this
// block's candidates (they stay in the pool).
func (c *censoringSource) Peek() *types.Transaction {
	for {
		tx := c.src.Peek()
		if tx == nil {
			return nil
		}
		from, err := types.Sender(c.signer, tx)
		if err != nil || !c.censored[from] {
			return tx // an unsigned one is the executor's to refuse
		}
		c.src.Pop()
	}
}

// Shift implements execution.TxSource.
func (c *censoringSource) Shift() { c.src.Shift() }

// Pop implements execution.TxSource.
func (c *censoringSource) Pop() { c.src.Pop() }

// censor wraps src so that it leaves out the censored senders' transactions
// (src itself when no one is censored).
func (s *Sequencer) censor(src execution.TxSource) execution.TxSource {
	if len(s.cfg.Censor) == 0 || src == nil {
		return src
	}
	m := make(map[common.Address]bool, len(s.cfg.Censor))
	for _, a := range s.cfg.Censor {
		m[a] = true
	}
	return &censoringSource{src: src, signer: s.chain.Signer(), censored: m}
}
