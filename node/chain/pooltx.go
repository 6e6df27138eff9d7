package chain

import (
	"fmt"
	"math/big"

	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/txpool"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"
)

// ValidatePoolTx is the mempool's admission check (a txpool.ValidateFunc):
// every stateless rule of the state transition against the next block's
// base fee and the genesis gas limit, a nonce not below the account's, and
// a balance that covers value + gas × fee cap. Nonces above the account's
// are accepted: the pool queues them.
func (c *Chain) ValidatePoolTx(tx *types.Transaction, from common.Address, st txpool.StateView, baseFee *big.Int) error {
	if _, err := execution.CheckTx(c.cfg, c.signer, c.reg, tx, baseFee, c.gen.GasLimit); err != nil {
		return err
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
