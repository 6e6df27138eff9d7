package chain

import (
	"fmt"
	"math/big"
	"sync"

	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/txpool"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"
)

// CheckTx applies the state transition's stateless checks to tx (type,
// chain id, size, fee fields, intrinsic gas, gas limit, signature: all but
// the base fee) and returns its sender. A transaction that passes is
// remembered by hash, so the pool's admission and its re-validation after
// every block (ValidatePoolTx) do not repeat them: the verdict is a
// function of the signed bytes and the chain's fixed rules.
func (c *Chain) CheckTx(tx *types.Transaction) (common.Address, error) {
	from, err := execution.CheckTx(c.cfg, c.signer, c.reg, tx, nil, c.gen.GasLimit)
	if err == nil {
		c.stateless.add(tx.Hash())
	}
	return from, err
}

// ValidatePoolTx is the mempool's admission check (a txpool.ValidateFunc):
// every stateless rule of the state transition against the next block's
// base fee and the genesis gas limit, a nonce not below the account's, and
// a balance that covers value + gas × fee cap. Nonces above the account's
// are accepted: the pool queues them. The stateless rules of a transaction
// that passed them before (CheckTx) are not applied again, only the base
// fee: the pool re-validates every pooled transaction of each sender a
// block touched (issue 17).
func (c *Chain) ValidatePoolTx(tx *types.Transaction, from common.Address, st txpool.StateView, baseFee *big.Int) error {
	if c.stateless.has(tx.Hash()) {
		if err := execution.CheckBaseFee(tx, baseFee); err != nil {
			return err
		}
	} else {
		if _, err := execution.CheckTx(c.cfg, c.signer, c.reg, tx, baseFee, c.gen.GasLimit); err != nil {
			return err
		}
		c.stateless.add(tx.Hash())
	}
	if next := st.GetNonce(from); tx.Nonce() < next {
		return fmt.Errorf("%w: next nonce is %d, tx has %d", execution.ErrNonceTooLow, next, tx.Nonce())
	}
	balance := st.GetBalance(from)
	need, overflow := uint256.FromBig(tx.Cost())
	if overflow || balance.Lt(need) {
		return fmt.Errorf("%w: balance %s, needed %s", execution.ErrInsufficientFunds, balance, tx.Cost())
	}
	return nil
}

// statelessGeneration bounds the hashes remembered by checkedTxs per
// generation: above the default pool of 6,000 transactions (node's
// DefaultMempoolTxs), so a full pool's re-validation after a block stays
// within two generations. The two generations are about 1.3 MB of heap
// with nothing for the collector to scan; at 32k a generation they were
// 5.2 MB, a tenth of a loaded validator's live heap, which the collector
// could not use as room between collections (issue 17, session 33). A
// pool raised past it by --txpool.max-txs misses for its oldest
// transactions, and a miss costs the stateless rules again, about half a
// microsecond: the transaction keeps the sender recovered at admission
// (BenchmarkValidatePoolTx).
const statelessGeneration = 8 << 10

// checkedTxs remembers the hashes of transactions that passed the
// stateless checks, in two generations: when the current one is full it
// becomes the previous one and the oldest is dropped.
type checkedTxs struct {
	mu        sync.Mutex
	cur, prev map[common.Hash]struct{}
}

func (m *checkedTxs) add(h common.Hash) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cur == nil {
		m.cur = make(map[common.Hash]struct{}, statelessGeneration)
	}
	if len(m.cur) >= statelessGeneration {
		m.prev, m.cur = m.cur, make(map[common.Hash]struct{}, statelessGeneration)
	}
	m.cur[h] = struct{}{}
}

func (m *checkedTxs) has(h common.Hash) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.cur[h]; ok {
		return true
	}
	_, ok := m.prev[h]
	return ok
}
