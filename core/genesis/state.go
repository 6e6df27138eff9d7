package genesis

import (
	"bytes"
	"maps"
	"math/big"
	"slices"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// StateAlloc returns the genesis allocations in go-ethereum's form, for
// statedb.DB.ApplyAlloc. The caller adds the system contracts' accounts.
func (g *Genesis) StateAlloc() map[common.Address]types.Account {
	out := make(map[common.Address]types.Account, len(g.Alloc))
	for addr, acc := range g.Alloc {
		out[addr] = types.Account{Balance: acc.Balance.Big(), Nonce: acc.Nonce, Storage: maps.Clone(acc.Storage)}
	}
	return out
}

// ExecutionConfig returns the state-transition parameters of the chain.
func (g *Genesis) ExecutionConfig() execution.Config {
	cfg := execution.DefaultConfig(new(big.Int).SetUint64(g.ChainID))
	cfg.ElasticityMultiplier = g.BaseFee.ElasticityMultiplier
	cfg.BaseFeeChangeDenominator = g.BaseFee.ChangeDenominator
	cfg.MinBaseFee = g.BaseFee.Minimum.Big()
	return cfg
}

// ValidatorSet returns the genesis validators in canonical order (sorted by
// address) with their voting power.
func (g *Genesis) ValidatorSet() []block.Validator {
	vals := make([]block.Validator, 0, len(g.Validators))
	for _, v := range g.Validators {
		vals = append(vals, block.Validator{Address: v.Address, Power: VotingPower(v.Stake.Big()).Uint64()})
	}
	slices.SortFunc(vals, func(a, b block.Validator) int { return bytes.Compare(a.Address[:], b.Address[:]) })
	return vals
}

// Block returns the genesis block for the given post-allocation state root.
// Its hash identifies the chain: peers with another genesis hash are on
// another chain.
func (g *Genesis) Block(stateRoot common.Hash) *block.Block {
	valsHash := block.ValidatorSetHash(g.ValidatorSet())
	return block.Assemble(&types.Header{
		ParentHash:  common.Hash{},
		Root:        stateRoot,
		ReceiptHash: types.EmptyReceiptsHash,
		Number:      new(big.Int),
		GasLimit:    g.GasLimit,
		Time:        g.Timestamp,
		Extra:       slices.Clone(g.ExtraData),
		BaseFee:     g.BaseFee.Initial.Big(),
	}, nil, block.Extras{ValidatorsHash: valsHash, NextValidatorsHash: valsHash})
}
