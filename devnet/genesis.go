package devnet

import (
	"fmt"
	"math/big"
	"time"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/devnet/devkeys"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
	"github.com/ethereum/go-ethereum/common"
)

// Devnet conventions users already know from other Ethereum devnets.
const (
	// L1ChainID is the devnet L1 chain id.
	L1ChainID = 1337
	// L2ChainID is the devnet L2 chain id.
	L2ChainID = 1338
	// GasLimit is the devnet block gas limit: room for about 9,500
	// transfers, so one-second blocks are limited by what the validators
	// can execute, not by the gas limit (30M would cap the chain at about
	// 1,400 transfers a second).
	GasLimit = 200_000_000
)

// DevAccountBalance is what each development account holds at genesis.
var DevAccountBalance = genesis.Ether(10_000)

// ValidatorStake is each devnet validator's genesis stake.
var ValidatorStake = genesis.Ether(1_000)

// ValidatorBalance is each devnet validator's spendable genesis balance, for
// the fees of the transactions it sends (evidence, staking).
var ValidatorBalance = genesis.Ether(100)

// SequencerBalance is the devnet sequencer's L1 genesis balance: it pays
// the gas of its batches and its bond.
var SequencerBalance = genesis.Ether(1_000)

// The devnet rollup's parameters (DESIGN section 6).
const (
	// L2BlockTime is the devnet L2 block time.
	L2BlockTime = 250 * time.Millisecond
	// L2GasLimit is the devnet L2 block gas limit: MaxTxsPerBlock
	// transactions of 50,000 gas.
	L2GasLimit = 50_000_000
	// MaxTxsPerBlock caps an L2 block's transactions so its witness fits
	// one L1 challenge transaction.
	MaxTxsPerBlock = 1_000
	// ChallengeWindow is how many L1 blocks a batch may be challenged.
	ChallengeWindow = 30
	// SequencingWindow is how many L1 blocks may pass without a batch
	// before derivation makes deposit-only L2 blocks.
	SequencingWindow = 20
	// SequencerTimeout is how many L1 blocks may pass after the last
	// accepted batch before any bonded account may post batches.
	SequencerTimeout = 2 * SequencingWindow
	// MaxOriginLag is how far an L2 block's L1 origin may lag the L1 head.
	MaxOriginLag = 2
	// L1FeeScalar charges 16 L1 gas per estimated compressed byte.
	L1FeeScalar = 16_000_000
)

// SequencerBond is the devnet sequencer's bond.
var SequencerBond = genesis.Ether(10)

// NewGenesis returns the devnet genesis: chain id 1337, the ten
// development accounts with 10,000 ETH each, and the given validators with
// equal stake. With a non-zero sequencer address it also has the rollup
// section (NewRollup): the sequencer funded on L1, the development accounts
// prefunded on L2 and the L1 bridge holding exactly their total; with the
// zero address it is an L1-only genesis. timestamp is the genesis time in
// Unix seconds.
func NewGenesis(validators []common.Address, sequencer common.Address, timestamp uint64) (*genesis.Genesis, error) {
	accounts, err := devkeys.Accounts(devkeys.Count)
	if err != nil {
		return nil, fmt.Errorf("devnet genesis: %w", err)
	}
	g := &genesis.Genesis{
		ChainID:   L1ChainID,
		Devnet:    true,
		Timestamp: timestamp,
		ExtraData: []byte("bilayer devnet"),
		GasLimit:  GasLimit,
		Alloc:     map[common.Address]genesis.Account{},
	}
	for _, a := range accounts {
		g.Alloc[a.Address] = genesis.Account{Balance: genesis.NewAmount(DevAccountBalance.Big())}
	}
	for i, v := range validators {
		g.Validators = append(g.Validators, genesis.Validator{
			Address: v, Stake: genesis.NewAmount(ValidatorStake.Big()), Name: fmt.Sprintf("validator-%d", i),
		})
		if _, ok := g.Alloc[v]; !ok {
			g.Alloc[v] = genesis.Account{Balance: genesis.NewAmount(ValidatorBalance.Big())}
		}
	}
	if sequencer != (common.Address{}) {
		g.Rollup = NewRollup(sequencer, accounts)
		if _, ok := g.Alloc[sequencer]; ok {
			return nil, fmt.Errorf("devnet genesis: the sequencer %s already has an L1 allocation", sequencer)
		}
		g.Alloc[sequencer] = genesis.Account{Balance: genesis.NewAmount(SequencerBalance.Big())}
		g.Alloc[bridge.Address] = genesis.Account{Balance: genesis.NewAmount(g.Rollup.L2Prefund())}
	}
	g.FillDefaults()
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("devnet genesis: %w", err)
	}
	if g.Rollup != nil {
		if err := rollupconfig.Validate(g); err != nil {
			return nil, fmt.Errorf("devnet genesis: %w", err)
		}
	}
	return g, nil
}

// NewRollup returns the devnet rollup section: L2 chain id 1338, 250 ms
// blocks, the accounts prefunded on L2 with DevAccountBalance each, and
// sequencer as the sequencer. The L1 genesis must give the bridge the
// section's L2Prefund.
func NewRollup(sequencer common.Address, accounts []devkeys.Account) *genesis.Rollup {
	r := &genesis.Rollup{
		L2ChainID:        L2ChainID,
		L2BlockTime:      genesis.Duration{Duration: L2BlockTime},
		L2GasLimit:       L2GasLimit,
		MaxTxsPerBlock:   MaxTxsPerBlock,
		L2Alloc:          map[common.Address]genesis.Account{},
		ChallengeWindow:  ChallengeWindow,
		SequencingWindow: SequencingWindow,
		SequencerTimeout: SequencerTimeout,
		MaxOriginLag:     MaxOriginLag,
		SequencerBond:    genesis.NewAmount(SequencerBond.Big()),
		Sequencer:        sequencer,
		L1FeeScalar:      L1FeeScalar,
	}
	for _, a := range accounts {
		r.L2Alloc[a.Address] = genesis.Account{Balance: genesis.NewAmount(DevAccountBalance.Big())}
	}
	return r
}

// totalSupply is used by tests to state what the devnet mints.
func totalSupply(g *genesis.Genesis) *big.Int {
	sum := new(big.Int)
	for _, a := range g.Alloc {
		sum.Add(sum, a.Balance.Big())
	}
	for _, v := range g.Validators {
		sum.Add(sum, v.Stake.Big())
	}
	return sum
}
