package node

import (
	"fmt"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/node/staking"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
	rollupcontract "github.com/bilayer/bilayer/rollup/contract"
	"github.com/ethereum/go-ethereum/common"
)

// systemContracts builds the L1's system contracts from the genesis: the
// staking contract and, when the genesis has a rollup section, the L1
// bridge and the rollup contract. The rollup section is checked first
// (its fields, and that the bridge's genesis balance is exactly the L2
// prefunds), so no validator runs a bridge whose L2 would not be backed
// from block 0. The chain gives
// every registered contract its marker code and nonce 1 at genesis,
// keeping the bridge's genesis balance.
func systemContracts(g *genesis.Genesis) (*syscontract.Registry, *staking.Contract, error) {
	sc, err := staking.New(staking.ConfigFromGenesis(g))
	if err != nil {
		return nil, nil, fmt.Errorf("node: %w", err)
	}
	contracts := []syscontract.Contract{sc}
	if g.Rollup != nil {
		if err := rollupconfig.Validate(g); err != nil {
			return nil, nil, fmt.Errorf("node: rollup section: %w", err)
		}
		// The rollup contract pays withdrawals out of the bridge's balance
		// through the bridge's payWithdrawal, which only it may call.
		br, err := bridge.New(bridge.Config{Payer: rollupcontract.Address})
		if err != nil {
			return nil, nil, fmt.Errorf("node: %w", err)
		}
		// The L1 genesis hash is not known yet (it is computed from the
		// registry's accounts): the rollup contract learns it on chain, as
		// L1 block 1's parent, and derives the L2 genesis from it then.
		cfg, err := rollupconfig.FromGenesis(g, common.Hash{})
		if err != nil {
			return nil, nil, fmt.Errorf("node: rollup section: %w", err)
		}
		rc, err := rollupcontract.New(cfg)
		if err != nil {
			return nil, nil, fmt.Errorf("node: %w", err)
		}
		contracts = append(contracts, br, rc)
	}
	reg, err := syscontract.NewRegistry(contracts...)
	if err != nil {
		return nil, nil, fmt.Errorf("node: %w", err)
	}
	return reg, sc, nil
}
