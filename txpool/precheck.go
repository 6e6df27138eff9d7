package txpool

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Precheck is a cheap check, before the sender of tx is recovered, that Add
// would refuse tx if claimed were its sender (a gossiping peer names the
// sender it recovered; see wire.EncodeTxBatch): tx is already pooled, its
// nonce is below claimed's state nonce, or it would sit behind a nonce gap
// in a pool too full to take one; or CheckRoom refuses it. It returns the
// reason, or nil when Add should decide (after recovery, which also checks
// the claim).
//
// Under a load above what the chain finalizes, a validator whose pool
// refused one of an account's transactions would otherwise recover every
// later one of that account only to refuse it as gapped (issue 17: most of
// the recoveries such a validator made). A false claim costs the claimant
// only: the transaction is not pooled here, and the batch is not relayed.
func (p *Pool) Precheck(tx *types.Transaction, claimed common.Address) error {
	if err := p.CheckRoom(tx); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	hash := tx.Hash()
	if _, ok := p.byHash[hash]; ok {
		return fmt.Errorf("%w: %s", ErrAlreadyKnown, hash)
	}
	var stateNonce, pending uint64
	if acc, ok := p.accounts[claimed]; ok {
		stateNonce, pending = acc.stateNonce, acc.pendingNonce()
	} else {
		stateNonce = p.st.GetNonce(claimed)
		pending = stateNonce
	}
	nonce := tx.Nonce()
	if nonce < stateNonce {
		return fmt.Errorf("%w: nonce %d, %s's next is %d", ErrStaleNonce, nonce, claimed, stateNonce)
	}
	if nonce > pending {
		if limit := futureRoom(p.cfg.MaxTxs); len(p.byHash) >= limit {
			return fmt.Errorf("%w: %d transactions; nonce %d leaves a gap (%s's next is %d), and gapped transactions are pooled only below %d",
				ErrPoolFull, len(p.byHash), nonce, claimed, pending, limit)
		}
	}
	return nil
}
