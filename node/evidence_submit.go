package node

import (
	"fmt"
	"math/big"

	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/node/staking"
	"github.com/bilayer/bilayer/node/wire"
	"github.com/ethereum/go-ethereum/core/types"
)

// evidenceTip is the priority fee of evidence transactions.
var evidenceTip = big.NewInt(2_000_000_000)

// submitEvidence sends the evidence to the staking contract in a
// transaction signed by this validator's key (which pays its fee and earns
// half the slashed stake), unless the offender is already jailed.
func (n *Node) submitEvidence(ev consensus.Evidence) error {
	if n.cfg.ValidatorKey == nil || n.staking == nil {
		return nil
	}
	st, err := n.chain.HeadState()
	if err != nil {
		return err
	}
	if staking.IsJailed(st, ev.A.Validator) {
		return nil
	}
	a, err := wire.EncodeVote(ev.A)
	if err != nil {
		return err
	}
	b, err := wire.EncodeVote(ev.B)
	if err != nil {
		return err
	}
	input, err := n.staking.EvidenceInput(a, b)
	if err != nil {
		return err
	}
	base := n.chain.NextBaseFee(n.chain.Head().Header)
	to := staking.Address
	tx, err := types.SignNewTx(n.cfg.ValidatorKey, n.chain.Signer(), &types.DynamicFeeTx{
		ChainID: new(big.Int).SetUint64(n.cfg.Genesis.ChainID), Nonce: n.pool.PendingNonce(n.self),
		GasTipCap: evidenceTip, GasFeeCap: new(big.Int).Add(new(big.Int).Mul(base, big.NewInt(2)), evidenceTip),
		Gas: execution.IntrinsicGas(input) + staking.EvidenceGas, To: &to, Data: input,
	})
	if err != nil {
		return fmt.Errorf("sign evidence transaction: %w", err)
	}
	if err := n.pool.Add(tx)[0]; err != nil {
		return fmt.Errorf("submit evidence transaction: %w", err)
	}
	n.txGossip.add(tx)
	n.log.Info("Submitted equivocation evidence", "validator", ev.A.Validator, "height", ev.A.Height, "tx", tx.Hash())
	return nil
}
