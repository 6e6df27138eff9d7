package node

import (
	"fmt"
	"math/big"

	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/node/staking"
	"github.com/bilayer/bilayer/node/wire"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
)

// evidenceTip is the priority fee of evidence transactions.
var evidenceTip = big.NewInt(2_000_000_000)

// evidenceTurn is how many blocks each validator waits after the one
// before it in address order before it submits evidence itself: the first
// submits at once, and the others only if the offender is still not jailed
// by their turn, so one honest validator pays for the evidence
// transaction, not all of them.
const evidenceTurn = 2

// evidenceRetry is how many blocks this node waits for its report to jail
// an offender before it reports the offender again.
const evidenceRetry = 10

// pendingEvidence is an equivocation waiting for this validator's turn.
type pendingEvidence struct {
	ev       consensus.Evidence
	detected uint64 // head height when it was detected
}

// queueEvidence remembers ev for submission at this validator's turn.
func (d *driver) queueEvidence(ev consensus.Evidence) {
	if d.n.cfg.ValidatorKey == nil || d.n.staking == nil {
		return
	}
	offender := ev.A.Validator
	if at, ok := d.reported[offender]; ok && d.n.chain.Head().Number() < at+evidenceRetry {
		return // this node's report against it is still on its way
	}
	for _, p := range d.evidence {
		if p.ev.A.Validator == offender {
			return // one report per offender is enough
		}
	}
	d.evidence = append(d.evidence, pendingEvidence{ev: ev, detected: d.n.chain.Head().Number()})
	d.submitDueEvidence()
}

// submitDueEvidence submits the queued evidence whose turn has come and
// forgets evidence against validators already jailed.
func (d *driver) submitDueEvidence() {
	if len(d.evidence) == 0 {
		return
	}
	n := d.n
	st, err := n.chain.HeadState()
	if err != nil {
		return
	}
	head := n.chain.Head().Number()
	keep := d.evidence[:0]
	for _, p := range d.evidence {
		offender := p.ev.A.Validator
		if staking.IsJailed(st, offender) {
			continue
		}
		rank, ok := n.reporterRank(st, offender)
		if !ok {
			continue // this node is not a validator: it does not report
		}
		if head < p.detected+evidenceTurn*uint64(rank) {
			keep = append(keep, p)
			continue
		}
		if err := n.submitEvidence(p.ev); err != nil {
			n.log.Warn("Could not submit evidence", "err", err)
			continue
		}
		if d.reported == nil {
			d.reported = make(map[common.Address]uint64)
		}
		d.reported[offender] = head
	}
	d.evidence = keep
}

// reporterRank is this validator's position, in address order, among the
// active validators other than the offender.
func (n *Node) reporterRank(st *state.StateDB, offender common.Address) (int, bool) {
	rank := 0
	for _, v := range staking.ReadActiveSet(st) {
		switch v.Address {
		case offender:
			continue
		case n.self:
			return rank, true
		}
		rank++
	}
	return 0, false
}

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

// selfJailed reports whether this validator has been slashed.
func (n *Node) selfJailed() bool {
	st, err := n.chain.HeadState()
	return err == nil && staking.IsJailed(st, n.self)
}
