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

// DefaultMinBaseFee is the L1 base-fee floor when none is given: 1 gwei, the
// price Ethereum's tooling assumes. At Ethereum's 7 wei an idle devnet's
// base fee decayed to nothing and a 1.1 MB block of zero bytes cost its
// sender about 3.7e7 wei in all (issue 16); at 1 gwei, with every calldata
// byte at 16 gas, it costs about 1.76e16 wei (0.0176 ETH), and filling a
// 200M-gas block 0.2 ETH.
var DefaultMinBaseFee = big.NewInt(1_000_000_000)

// DefaultL2MinBaseFee is the L2 base-fee floor when none is given: 7 wei,
// as on Ethereum, so the base fee can always rise again. An L2 transaction
// also pays the L1 data fee for its bytes, priced at the L1 base fee.
var DefaultL2MinBaseFee = big.NewInt(7)

// DefaultMinStake is the least stake of a validator when none is given.
var DefaultMinStake = Ether(100)

// DefaultConsensus returns the default BFT timeouts, tuned for one-second
// blocks on a local network. A validator waits two seconds for a proposal
// (timeoutPropose counts from its own start of the round): heights are
// paced to the block time, so validators start a height up to a few
// hundred milliseconds apart, as their commits of the last one end, and
// under load the proposer, whose commit overlaps the block it builds
// ahead, often starts last. With one second, proposals that arrived 10-50
// ms past it sent one loaded height in sixty to a second round, 2-4 s for
// one block (issue 17). A proposer that is down costs each height it
// should propose 2 s instead of 1.
func DefaultConsensus() Consensus {
	return Consensus{
		TimeoutPropose:        Duration{2 * time.Second},
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
	g.BaseFee.fillDefaults(DefaultMinBaseFee)
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

// fillDefaults sets the unset base-fee parameters to their defaults, with
// minimum as the default floor.
func (b *BaseFee) fillDefaults(minimum *big.Int) {
	if b.Initial == nil {
		b.Initial = NewAmount(DefaultInitialBaseFee)
	}
	if b.Minimum == nil {
		b.Minimum = NewAmount(minimum)
	}
	if b.ElasticityMultiplier == 0 {
		b.ElasticityMultiplier = DefaultElasticity
	}
	if b.ChangeDenominator == 0 {
		b.ChangeDenominator = DefaultChangeDenom
	}
}
