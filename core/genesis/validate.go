package genesis

import (
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Limits on genesis settings.
const (
	MinGasLimit     = 21_000
	MaxGasLimit     = 1 << 40
	MinMaxBlockSize = 1 << 20
	MaxMaxBlockSize = 128 << 20
	MaxExtraData    = 32
	MaxBlockTime    = time.Minute
	MaxValidators   = 256
	// MaxTotalVotingPower bounds the sum of voting powers so that proposer
	// priority arithmetic cannot overflow an int64.
	MaxTotalVotingPower = int64(1) << 60 / 8
)

// PowerUnit is the stake worth one unit of voting power: 1 ETH.
var PowerUnit = big.NewInt(1e18)

func fieldErr(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalid, field, fmt.Sprintf(format, args...))
}

// Validate checks every setting and returns an error that names the first
// bad field, such as "invalid genesis: validators[1].stake: 50 ETH is below
// staking.minStake (100 ETH)". It expects FillDefaults to have run.
func (g *Genesis) Validate() error {
	if g.ChainID == 0 {
		return fieldErr("chainId", "must be set and non-zero")
	}
	if g.GasLimit < MinGasLimit || g.GasLimit > MaxGasLimit {
		return fieldErr("gasLimit", "%d is outside [%d, %d]", g.GasLimit, MinGasLimit, uint64(MaxGasLimit))
	}
	if d := g.BlockTime.Duration; d <= 0 || d > MaxBlockTime {
		return fieldErr("blockTime", "%s is outside (0, %s]", d, MaxBlockTime)
	}
	if g.MaxBlockSize < MinMaxBlockSize || g.MaxBlockSize > MaxMaxBlockSize {
		return fieldErr("maxBlockSize", "%d bytes is outside [%d, %d]", g.MaxBlockSize, MinMaxBlockSize, MaxMaxBlockSize)
	}
	if len(g.ExtraData) > MaxExtraData {
		return fieldErr("extraData", "%d bytes, at most %d", len(g.ExtraData), MaxExtraData)
	}
	if err := g.validateBaseFee(); err != nil {
		return err
	}
	if err := g.validateConsensus(); err != nil {
		return err
	}
	if err := g.validateStaking(); err != nil {
		return err
	}
	if err := g.validateValidators(); err != nil {
		return err
	}
	if err := g.validateAlloc(); err != nil {
		return err
	}
	return g.validateRollup()
}

func (g *Genesis) validateBaseFee() error { return g.BaseFee.validate("baseFee") }

// validate checks base-fee parameters; field is where they are in the file
// ("baseFee", "rollup.l2BaseFee").
func (b BaseFee) validate(field string) error {
	if b.Initial == nil || b.Minimum == nil {
		return fieldErr(field, "initial and minimum must be set")
	}
	if b.Initial.Big().Cmp(b.Minimum.Big()) < 0 {
		return fieldErr(field+".initial", "%s wei is below %s.minimum (%s wei)", b.Initial, field, b.Minimum)
	}
	if b.ElasticityMultiplier == 0 || b.ElasticityMultiplier > 1000 {
		return fieldErr(field+".elasticityMultiplier", "%d is outside [1, 1000]", b.ElasticityMultiplier)
	}
	if b.ChangeDenominator == 0 || b.ChangeDenominator > 1000 {
		return fieldErr(field+".changeDenominator", "%d is outside [1, 1000]", b.ChangeDenominator)
	}
	return nil
}

func (g *Genesis) validateConsensus() error {
	c := g.Consensus
	for _, t := range []struct {
		name       string
		base, step time.Duration
	}{
		{"timeoutPropose", c.TimeoutPropose.Duration, c.TimeoutProposeDelta.Duration},
		{"timeoutPrevote", c.TimeoutPrevote.Duration, c.TimeoutPrevoteDelta.Duration},
		{"timeoutPrecommit", c.TimeoutPrecommit.Duration, c.TimeoutPrecommitDelta.Duration},
	} {
		if t.base <= 0 || t.base > MaxBlockTime {
			return fieldErr("consensus."+t.name, "%s is outside (0, %s]", t.base, MaxBlockTime)
		}
		if t.step < 0 || t.step > MaxBlockTime {
			return fieldErr("consensus."+t.name+"Delta", "%s is outside [0, %s]", t.step, MaxBlockTime)
		}
	}
	return nil
}

func (g *Genesis) validateStaking() error {
	s := g.Staking
	if s.MinStake == nil || s.MinStake.Big().Cmp(PowerUnit) < 0 {
		return fieldErr("staking.minStake", "must be at least 1 ETH (one unit of voting power)")
	}
	if s.EpochLength == 0 {
		return fieldErr("staking.epochLength", "must be at least 1 block")
	}
	if s.UnbondingPeriod < s.EpochLength {
		return fieldErr("staking.unbondingPeriod", "%d blocks is shorter than an epoch (%d blocks)", s.UnbondingPeriod, s.EpochLength)
	}
	if s.SlashPercent > 100 {
		return fieldErr("staking.slashPercent", "%d is above 100", s.SlashPercent)
	}
	return nil
}

func (g *Genesis) validateValidators() error {
	if len(g.Validators) == 0 {
		return fieldErr("validators", "at least one validator is required")
	}
	if len(g.Validators) > MaxValidators {
		return fieldErr("validators", "%d validators, at most %d", len(g.Validators), MaxValidators)
	}
	seen := make(map[common.Address]int, len(g.Validators))
	total := new(big.Int)
	for i, v := range g.Validators {
		field := fmt.Sprintf("validators[%d]", i)
		if v.Address == (common.Address{}) {
			return fieldErr(field+".address", "must be set")
		}
		if j, dup := seen[v.Address]; dup {
			return fieldErr(field+".address", "%s is also validators[%d]", v.Address, j)
		}
		seen[v.Address] = i
		if v.Stake == nil {
			return fieldErr(field+".stake", "must be set")
		}
		if v.Stake.Big().Cmp(g.Staking.MinStake.Big()) < 0 {
			return fieldErr(field+".stake", "%s wei is below staking.minStake (%s wei)", v.Stake, g.Staking.MinStake)
		}
		total.Add(total, VotingPower(v.Stake.Big()))
	}
	if total.Cmp(big.NewInt(MaxTotalVotingPower)) > 0 {
		return fieldErr("validators", "total voting power %s exceeds %d", total, MaxTotalVotingPower)
	}
	return nil
}

func (g *Genesis) validateAlloc() error {
	total, err := accountsTotal("alloc", g.Alloc)
	if err != nil {
		return err
	}
	for _, v := range g.Validators {
		total.Add(total, v.Stake.Big())
	}
	if total.Cmp(maxAmount) > 0 {
		return fieldErr("alloc", "the total supply exceeds 2^256-1 wei")
	}
	return nil
}

// VotingPower converts a stake in wei to voting power: whole units of
// PowerUnit, rounded down.
func VotingPower(stake *big.Int) *big.Int {
	return new(big.Int).Quo(stake, PowerUnit)
}
