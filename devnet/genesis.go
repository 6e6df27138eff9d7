package devnet

import (
	"fmt"
	"math/big"

	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/devnet/devkeys"
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

// NewGenesis returns the devnet genesis: chain id 1337, the ten
// development accounts with 10,000 ETH each, and the given validators with
// equal stake. timestamp is the genesis time in Unix seconds.
func NewGenesis(validators []common.Address, timestamp uint64) (*genesis.Genesis, error) {
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
	g.FillDefaults()
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("devnet genesis: %w", err)
	}
	return g, nil
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
