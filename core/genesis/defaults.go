package genesis

import (
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Defaults for optional settings, filled in by FillDefaults.
const (
	DefaultBlockTime       = time.Second
	DefaultMaxBlockSize    = 16 << 20
	DefaultElasticity      = 2
	DefaultChangeDenom     = 8
	DefaultEpochLength     = 20
	DefaultUnbondingPeriod = 40
	DefaultSlashPercent    = 10
)

// DefaultInitialBaseFee is the genesis base fee when none is given: 1 gwei.
var DefaultInitialBaseFee = big.NewInt(1_000_000_000)

// DefaultMinBaseFee is the base-fee floor when none is given: 7 wei, as on
// Ethereum, so the base fee can always rise again.
var DefaultMinBaseFee = big.NewInt(7)

// DefaultMinStake is the least stake of a validator when none is given.
var DefaultMinStake = Ether(100)

// DefaultConsensus returns the default BFT timeouts, tuned for one-second
// blocks on a local network.
func DefaultConsensus() Consensus {
	return Consensus{
		TimeoutPropose:        Duration{time.Second},
		TimeoutProposeDelta:   Duration{500 * time.Millisecond},
		TimeoutPrevote:        Duration{500 * time.Millisecond},
		TimeoutPrevoteDelta:   Duration{250 * time.Millisecond},
		TimeoutPrecommit:      Duration{500 * time.Millisecond},
		TimeoutPrecommitDelta: Duration{250 * time.Millisecond},
	}
}

// FillDefaults sets every optional setting that is zero to its default.
// Required settings (chain id, gas limit, validators) are left alone, so
// Validate still reports them.
func (g *Genesis) FillDefaults() {
	if g.BlockTime.Duration == 0 {
		g.BlockTime.Duration = DefaultBlockTime
	}
	if g.MaxBlockSize == 0 {
		g.MaxBlockSize = DefaultMaxBlockSize
	}
	g.BaseFee.fillDefaults()
	def := DefaultConsensus()
	fill := func(d *Duration, v Duration) {
		if d.Duration == 0 {
			*d = v
		}
	}
	c := &g.Consensus
	fill(&c.TimeoutPropose, def.TimeoutPropose)
	fill(&c.TimeoutProposeDelta, def.TimeoutProposeDelta)
	fill(&c.TimeoutPrevote, def.TimeoutPrevote)
	fill(&c.TimeoutPrevoteDelta, def.TimeoutPrevoteDelta)
	fill(&c.TimeoutPrecommit, def.TimeoutPrecommit)
	fill(&c.TimeoutPrecommitDelta, def.TimeoutPrecommitDelta)
	if g.Staking.MinStake == nil {
		g.Staking.MinStake = NewAmount(DefaultMinStake.Big())
	}
	if g.Staking.EpochLength == 0 {
		g.Staking.EpochLength = DefaultEpochLength
	}
	if g.Staking.UnbondingPeriod == 0 {
		g.Staking.UnbondingPeriod = DefaultUnbondingPeriod
	}
	if g.Staking.SlashPercent == 0 {
		g.Staking.SlashPercent = DefaultSlashPercent
	}
	if g.Alloc == nil {
		g.Alloc = map[common.Address]Account{}
	}
	if g.Rollup != nil {
		g.Rollup.fillDefaults()
	}
}

// fillDefaults sets the unset base-fee parameters to their defaults.
func (b *BaseFee) fillDefaults() {
	if b.Initial == nil {
		b.Initial = NewAmount(DefaultInitialBaseFee)
	}
	if b.Minimum == nil {
		b.Minimum = NewAmount(DefaultMinBaseFee)
	}
	if b.ElasticityMultiplier == 0 {
		b.ElasticityMultiplier = DefaultElasticity
	}
	if b.ChangeDenominator == 0 {
		b.ChangeDenominator = DefaultChangeDenom
	}
}
