package staking

import (
	"math/big"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/node/wire"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// stake bonds the sent value; the sender validates from the next epoch.
func (c *Contract) stake(ctx *syscontract.Context, _ []any) ([]any, error) {
	who, value := ctx.Caller(), ctx.Value()
	if value.IsZero() {
		return nil, ctx.Revert("stake: send the amount to bond as the transaction value")
	}
	f := flags(ctx, who)
	if f&flagJailed != 0 {
		return nil, ctx.Revert("stake: %s was slashed for equivocation and cannot validate again", who)
	}
	slot := mapSlot(who, slotStake)
	total := getU(ctx, slot)
	total.Add(total, value)
	if total.Lt(c.cfg.MinStake) {
		return nil, ctx.Revert("stake: total stake %s wei is below the minimum %s wei", total, c.cfg.MinStake)
	}
	if f&flagListed == 0 {
		n := getU(ctx, slotMembers).Uint64()
		if n >= MaxMembers {
			return nil, ctx.Revert("stake: the validator registry is full (%d addresses)", MaxMembers)
		}
		if err := ctx.SetState(arrayElem(slotMembers, n), common.BytesToHash(who[:])); err != nil {
			return nil, err
		}
		if err := setU(ctx, slotMembers, uint256.NewInt(n+1)); err != nil {
			return nil, err
		}
		if err := setU(ctx, mapSlot(who, slotFlags), uint256.NewInt(f|flagListed)); err != nil {
			return nil, err
		}
	}
	if err := setU(ctx, slot, total); err != nil {
		return nil, err
	}
	return nil, ctx.Emit("Staked", who, value.ToBig(), total.ToBig())
}

// unstake starts unbonding amount; the sender's power drops at the next
// epoch (or later ones, a third of the power per epoch), and the amount is
// withdrawable the unbonding period after the last block it backed.
func (c *Contract) unstake(ctx *syscontract.Context, args []any) ([]any, error) {
	who := ctx.Caller()
	amount, overflow := uint256.FromBig(args[0].(*big.Int))
	slot := mapSlot(who, slotStake)
	bonded := getU(ctx, slot)
	if overflow || amount.IsZero() || bonded.Lt(amount) {
		return nil, ctx.Revert("unstake: %s wei requested, %s wei bonded", args[0], bonded)
	}
	rest := new(uint256.Int).Sub(bonded, amount)
	if !rest.IsZero() && rest.Lt(c.cfg.MinStake) {
		return nil, ctx.Revert("unstake: %s wei would remain, below the minimum %s wei: unstake everything or less", rest, c.cfg.MinStake)
	}
	if err := setU(ctx, slot, rest); err != nil {
		return nil, err
	}
	ub := getU(ctx, mapSlot(who, slotUnbonding))
	ub.Add(ub, amount)
	if err := setU(ctx, mapSlot(who, slotUnbonding), ub); err != nil {
		return nil, err
	}
	// Never earlier than an epoch change already held it (holdBackingStake).
	release := max(ctx.Block().Number+c.cfg.UnbondingPeriod, getU(ctx, mapSlot(who, slotRelease)).Uint64())
	if err := setU(ctx, mapSlot(who, slotRelease), uint256.NewInt(release)); err != nil {
		return nil, err
	}
	return nil, ctx.Emit("Unstaked", who, amount.ToBig(), new(big.Int).SetUint64(release))
}

// withdraw pays out unbonded stake once it no longer backs voting power in
// the active set and the unbonding period has passed since it last did
// (holdBackingStake), so evidence of any block it backed can still slash
// it.
func (c *Contract) withdraw(ctx *syscontract.Context, _ []any) ([]any, error) {
	who := ctx.Caller()
	amount := getU(ctx, mapSlot(who, slotUnbonding))
	if amount.IsZero() {
		return nil, ctx.Revert("withdraw: nothing is unbonding for %s", who)
	}
	if backsPower(ctx, activeSet(ctx), who) {
		return nil, ctx.Revert("withdraw: the unbonding stake of %s still backs its voting power; it unbonds %d blocks after an epoch change removes that power",
			who, c.lockPeriod())
	}
	release := getU(ctx, mapSlot(who, slotRelease)).Uint64()
	if n := ctx.Block().Number; n < release {
		return nil, ctx.Revert("withdraw: stake unbonds at block %d, %d blocks from now", release, release-n)
	}
	if err := setU(ctx, mapSlot(who, slotUnbonding), new(uint256.Int)); err != nil {
		return nil, err
	}
	if err := ctx.Transfer(who, amount); err != nil {
		return nil, err
	}
	if err := ctx.Emit("Withdrawn", who, amount.ToBig()); err != nil {
		return nil, err
	}
	return []any{amount.ToBig()}, nil
}

// submitEvidence slashes a validator that signed two different votes for
// one height, round and type, within the evidence window: whether it is
// still in the active set or has left it, its bonded and unbonding stake
// alike (withdraw keeps unbonding stake locked for the window).
func (c *Contract) submitEvidence(ctx *syscontract.Context, args []any) ([]any, error) {
	a, errA := wire.DecodeVote(args[0].([]byte))
	b, errB := wire.DecodeVote(args[1].([]byte))
	if errA != nil || errB != nil {
		return nil, ctx.Revert("evidence: malformed vote")
	}
	if a.Validator != b.Validator || a.Height != b.Height || a.Round != b.Round || a.Type != b.Type || a.BlockID == b.BlockID {
		return nil, ctx.Revert("evidence: the votes are not two different votes of one validator for one height, round and type")
	}
	chainID := new(big.Int).SetUint64(c.cfg.ChainID).String()
	for _, v := range []consensus.Vote{a, b} {
		signer, err := consensus.RecoverSigner(consensus.VoteSignBytes(chainID, v), v.Signature)
		if err != nil || signer != v.Validator {
			return nil, ctx.Revert("evidence: a vote is not signed by %s for chain %d", v.Validator, c.cfg.ChainID)
		}
	}
	now := ctx.Block().Number
	h := uint64(a.Height)
	if h > now+1 || now > h+c.cfg.EvidenceMaxAge {
		return nil, ctx.Revert("evidence: height %d is outside the window [%d, %d]", h, max(now, c.cfg.EvidenceMaxAge)-c.cfg.EvidenceMaxAge, now+1)
	}
	who := a.Validator
	if flags(ctx, who)&flagJailed != 0 {
		return nil, ctx.Revert("evidence: %s was already slashed", who)
	}
	key := crypto.Keccak256Hash(who[:], uint256.NewInt(h).Bytes(), uint256.NewInt(uint64(a.Round)).Bytes(), []byte{byte(a.Type)})
	used := syscontract.MappingSlot(key, slotEvidence)
	if ctx.GetState(used) != (common.Hash{}) {
		return nil, ctx.Revert("evidence: already submitted")
	}
	set := activeSet(ctx)
	idx := -1
	for i, v := range set {
		if v.Address == who {
			idx = i
		}
	}
	if idx < 0 && getU(ctx, mapSlot(who, slotStake)).IsZero() && getU(ctx, mapSlot(who, slotUnbonding)).IsZero() {
		return nil, ctx.Revert("evidence: %s is not a validator and holds no stake to slash", who)
	}
	if idx >= 0 && len(set) == 1 {
		return nil, ctx.Revert("evidence: %s is the only validator; removing it would halt the chain", who)
	}
	if err := ctx.SetState(used, common.BytesToHash([]byte{1})); err != nil {
		return nil, err
	}
	slashed, err := c.slash(ctx, who)
	if err != nil {
		return nil, err
	}
	if idx >= 0 {
		if err := writeActiveSet(ctx, append(set[:idx:idx], set[idx+1:]...)); err != nil {
			return nil, err
		}
	}
	return nil, ctx.Emit("Slashed", who, ctx.Caller(), slashed.ToBig(), new(big.Int).SetUint64(h))
}

// slash takes SlashPercent of who's bonded and unbonding stake, burns half
// and pays half to the reporter, and jails who.
func (c *Contract) slash(ctx *syscontract.Context, who common.Address) (*uint256.Int, error) {
	bonded, unbonding := getU(ctx, mapSlot(who, slotStake)), getU(ctx, mapSlot(who, slotUnbonding))
	total := new(uint256.Int).Add(bonded, unbonding)
	amount := new(uint256.Int).Mul(total, uint256.NewInt(c.cfg.SlashPercent))
	amount.Div(amount, uint256.NewInt(100))
	fromBonded := uint256.NewInt(0).Set(amount)
	if fromBonded.Gt(bonded) {
		fromBonded.Set(bonded)
	}
	fromUnbonding := new(uint256.Int).Sub(amount, fromBonded)
	if err := setU(ctx, mapSlot(who, slotStake), new(uint256.Int).Sub(bonded, fromBonded)); err != nil {
		return nil, err
	}
	if err := setU(ctx, mapSlot(who, slotUnbonding), new(uint256.Int).Sub(unbonding, fromUnbonding)); err != nil {
		return nil, err
	}
	if err := setU(ctx, mapSlot(who, slotFlags), uint256.NewInt(flags(ctx, who)|flagJailed)); err != nil {
		return nil, err
	}
	reward := new(uint256.Int).Div(amount, uint256.NewInt(2))
	if err := ctx.Transfer(ctx.Caller(), reward); err != nil {
		return nil, err
	}
	if err := ctx.Burn(new(uint256.Int).Sub(amount, reward)); err != nil {
		return nil, err
	}
	return amount, nil
}

func setOutputs(set []block.Validator) []any {
	addrs := make([]common.Address, len(set))
	powers := make([]*big.Int, len(set))
	for i, v := range set {
		addrs[i], powers[i] = v.Address, new(big.Int).SetUint64(v.Power)
	}
	return []any{addrs, powers}
}

func (c *Contract) viewValidators(ctx *syscontract.Context, _ []any) ([]any, error) {
	return setOutputs(activeSet(ctx)), nil
}

func (c *Contract) viewPending(ctx *syscontract.Context, _ []any) ([]any, error) {
	return setOutputs(nextSet(activeSet(ctx), c.eligible(ctx))), nil
}

func (c *Contract) viewStake(ctx *syscontract.Context, args []any) ([]any, error) {
	return []any{getU(ctx, mapSlot(args[0].(common.Address), slotStake)).ToBig()}, nil
}

func (c *Contract) viewUnbonding(ctx *syscontract.Context, args []any) ([]any, error) {
	a := args[0].(common.Address)
	return []any{getU(ctx, mapSlot(a, slotUnbonding)).ToBig(), getU(ctx, mapSlot(a, slotRelease)).ToBig()}, nil
}

func (c *Contract) viewJailed(ctx *syscontract.Context, args []any) ([]any, error) {
	return []any{flags(ctx, args[0].(common.Address))&flagJailed != 0}, nil
}

func (c *Contract) viewEpoch(ctx *syscontract.Context, _ []any) ([]any, error) {
	return []any{getU(ctx, slotEpoch).ToBig()}, nil
}
